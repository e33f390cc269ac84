"""The catalog site as files: Jinja2 templates (``templates/``) over a gathered ``Site``.

    index.html               every dataset, searchable by dataset and column
    datasets/<table>.html    one page per dataset
    runs.html                recent runs and failures
    assets/                  site.css, site.js, favicon.svg (``static/``: no CDN, works offline)

Every link is relative and the search index is embedded in the index page, so the folder
opens from disk (file://) and can be served from any S3 prefix as it is.
"""

from __future__ import annotations

import shutil
from datetime import timedelta
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from cornlake_toolkit.errors import UsageError
from cornlake_toolkit.site.charts import pass_rate_chart, rule_strip
from cornlake_toolkit.site.freshness import parse_interval, parse_time
from cornlake_toolkit.site.labels import LABELS, LANGUAGES
from cornlake_toolkit.site.model import Site

HERE = Path(__file__).resolve().parent
TEMPLATES = HERE / "templates"
STATIC = HERE / "static"
ASSETS = "assets"


class Formatter:
    """Words, numbers and times in one language, relative to when the site was built."""

    def __init__(self, lang: str, built_at: str) -> None:
        if lang not in LABELS:
            raise UsageError(f"no labels for language {lang!r}", hint=f"use one of {', '.join(LANGUAGES)}")
        self.lang, self.labels = lang, LABELS[lang]
        self.now = parse_time(built_at)

    def t(self, label: str, /, **values: Any) -> str:
        text = self.labels[label]
        return text.format(**values) if values else text

    def tn(self, label: str, n: int, /, **values: Any) -> str:
        """A label with a count ``{n}``, in its singular form (``<label>_one``) for one."""
        singular = f"{label}_one"
        return self.t(singular if n == 1 and singular in self.labels else label, n=self.num(n), **values)

    def t_or(self, key: str, default: str) -> str:
        return self.t(key) if key in self.labels else default

    def num(self, value: Any) -> str:
        if value is None or value == "":
            return self.labels["none"]
        text = f"{int(value):,}"
        return text.replace(",", ".") if self.lang == "pt-BR" else text

    def when(self, value: Any) -> str:
        moment = parse_time(str(value)) if value else None
        if moment is None:
            return str(value or self.labels["none"])
        return moment.strftime("%d/%m/%Y %H:%M UTC" if self.lang == "pt-BR" else "%Y-%m-%d %H:%M UTC")

    def span(self, delta: timedelta) -> str:
        seconds = int(abs(delta.total_seconds()))
        for limit, unit, size in ((60, "unit_s", 1), (3600, "unit_min", 60), (86400, "unit_h", 3600)):
            if seconds < limit:
                return self.t(unit, n=seconds // size)
        return self.t("unit_d", n=seconds // 86400)

    def ago(self, value: Any) -> str:
        moment = parse_time(str(value)) if value else None
        if moment is None or self.now is None:
            return self.when(value)
        delta = self.now - moment
        if abs(delta) < timedelta(seconds=45):
            return self.labels["just_now"]
        return self.t("ago" if delta > timedelta() else "in_future", span=self.span(delta))

    def duration(self, ms: Any) -> str:
        if ms is None:
            return self.labels["none"]
        ms = int(ms)
        if ms < 1000:
            return f"{ms} ms"
        if ms < 60_000:
            text = f"{ms / 1000:.1f} s"
            return text.replace(".", ",") if self.lang == "pt-BR" else text
        return f"{ms // 60_000} min {ms % 60_000 // 1000} s"

    def interval(self, text: Any) -> str:
        """``1d12h`` as ``1 d 12 h``; '' for nothing or zero."""
        delta = parse_interval(str(text or ""))
        if not delta:
            return ""
        seconds, parts = int(delta.total_seconds()), []
        for unit, size in (("interval_w", 604800), ("unit_d", 86400), ("unit_h", 3600), ("unit_min", 60)):
            if seconds >= size:
                parts.append(self.t(unit, n=seconds // size))
                seconds %= size
        return " ".join(parts + ([self.t("unit_s", n=seconds)] if seconds else []))


def environment(site: Site, lang: str) -> Environment:
    """The Jinja2 environment: autoescaped HTML, and an error for any name a template misspells."""
    fmt = Formatter(lang, site.built_at)
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals.update(
        t=fmt.t,
        t_or=fmt.t_or,
        tn=fmt.tn,
        lang=lang,
        site=site,
        pass_rate_chart=pass_rate_chart,
        rule_strip=rule_strip,
        dataset_pages={d.table: d.page for d in site.datasets if not d.error},
    )
    env.filters.update(when=fmt.when, ago=fmt.ago, num=fmt.num, duration=fmt.duration, interval=fmt.interval)
    return env


def search_index(site: Site) -> list[dict[str, Any]]:
    """What the index page's search looks through: each dataset and its columns."""
    return [
        {
            "table": d.table,
            "key": d.key,
            "href": "" if d.error else d.page,
            "text": " ".join([d.table, d.key, d.description, d.owner, d.error]),
            "columns": [
                {"name": c.name, "type": c.type, "description": c.description, "pii": c.pii}
                for c in d.columns
            ],
        }
        for d in site.datasets
    ]


def _totals(site: Site) -> dict[str, int]:
    datasets = [d for d in site.datasets if not d.error]
    return {
        "datasets": len(site.datasets),
        "columns": sum(len(d.columns) for d in datasets),
        "pii": sum(len(d.pii_columns) for d in datasets),
        "late": sum(d.freshness.state == "late" for d in datasets),
        "quality": sum(d.quality.latest_failed > 0 for d in datasets),
    }


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def render_site(site: Site, out: Path, *, lang: str = "en") -> Path:
    """Write the site into ``out`` (pages this build does not write any more are removed);
    return the path of its index.html."""
    if out.exists() and not out.is_dir():
        raise UsageError(f"{out} is a file", hint="--out names a folder for the site")
    env = environment(site, lang)
    index = out / "index.html"
    _write(
        index,
        env.get_template("index.html").render(
            root="", page="index", search_index=search_index(site), totals=_totals(site)
        ),
    )
    _write(out / "runs.html", env.get_template("runs.html").render(root="", page="runs"))
    written = set()
    for dataset in site.datasets:
        if not dataset.error:
            _write(
                out / dataset.page,
                env.get_template("dataset.html").render(root="../", page="dataset", d=dataset),
            )
            written.add(out / dataset.page)
    for stale in (out / "datasets").glob("*.html"):
        if stale not in written:
            stale.unlink()
    shutil.copytree(STATIC, out / ASSETS, dirs_exist_ok=True)
    return index
