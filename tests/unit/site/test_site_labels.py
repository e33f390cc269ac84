"""Every word of the site exists in both languages, and every label a template asks for exists."""

from __future__ import annotations

import re

from cornlake.contracts import GRANULARITIES
from cornlake.ops import STATUSES
from cornlake_toolkit.site import LANGUAGES
from cornlake_toolkit.site.labels import EN, LABELS, PT_BR
from cornlake_toolkit.site.render import STATIC, TEMPLATES

STAGES = ("ingest_api", "ingest_s3_copy", "transform", "catalog", "quality")


def test_both_languages_have_the_same_labels_and_none_is_empty() -> None:
    assert set(LANGUAGES) == set(LABELS) == {"en", "pt-BR"}
    assert set(EN) == set(PT_BR)
    assert not [k for k, v in {**EN, **PT_BR}.items() if not v.strip()]
    placeholders = re.compile(r"\{(\w+)\}")
    assert not [k for k in EN if set(placeholders.findall(EN[k])) != set(placeholders.findall(PT_BR[k]))]


def test_every_label_the_templates_name_exists() -> None:
    named = set()
    for template in TEMPLATES.glob("*.html"):
        named |= set(re.findall(r"""\bt[n]?\(\s*["']([a-z0-9_]+)["']\s*[,)]""", template.read_text()))
    assert named and not named - set(EN)
    families = {
        "status_": STATUSES,
        "stage_": STAGES,
        "fresh_": ("on_time", "late", "no_interval", "never"),
        "badge_": ("pii", "key", "required", "partition", "lineage", "evolved"),
        "granularity_": GRANULARITIES,
        "severity_": ("error", "warn"),
        "example_": ("preview", "count_by_partition", "latest_view"),
    }
    missing = [
        prefix + value for prefix, values in families.items() for value in values if prefix + value not in EN
    ]
    assert not missing


def test_the_site_loads_nothing_from_the_network() -> None:
    for path in [*TEMPLATES.glob("*.html"), *STATIC.iterdir()]:
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"""(src|href)=["']?(https?:)?//""", text), path.name
        assert "@import" not in text and "fetch(" not in text, path.name
