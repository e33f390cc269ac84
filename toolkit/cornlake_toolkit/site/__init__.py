"""The data catalog site (``cornlake docs``): static HTML from the contracts, Glue and the ops data.

model     what the site says, as dataclasses
gather    where each fact comes from (the one module that reads the target)
queries   example Athena SQL from a contract (no toolkit imports: the catalog may reuse it)
freshness intervals and lateness
charts    the geometry of the small SVG charts
labels    every word, in English and Brazilian Portuguese
render    Jinja2 templates (templates/) and assets (static/) into a folder
browser   a headless Chromium over the DevTools protocol, for the site's browser test
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from cornlake_toolkit.site.gather import Limits, gather_site
from cornlake_toolkit.site.labels import LANGUAGES
from cornlake_toolkit.site.render import render_site
from cornlake_toolkit.target import Target

__all__ = ["LANGUAGES", "Limits", "build_site", "gather_site", "render_site"]


def build_site(
    target: Target, out: Path, *, lang: str = "en", now: datetime | None = None, limits: Limits | None = None
) -> Path:
    """Gather every fact from ``target`` and write the site into ``out``; the path of index.html."""
    return render_site(gather_site(target, now=now, limits=limits), out, lang=lang)
