"""``cornlake docs``: the data catalog as a static site, from the lake it talks to."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from cornlake_toolkit.cli.common import say, verb
from cornlake_toolkit.target import Target


def register(sub: Any) -> None:
    from cornlake_toolkit.site.labels import LANGUAGES

    docs = verb(
        sub,
        "docs",
        cmd_docs,
        "build the data catalog site (datasets, schemas, freshness, quality, lineage, runs)",
    )
    docs.add_argument("--out", required=True, type=Path, help="folder to write the site into")
    docs.add_argument("--lang", choices=LANGUAGES, default="en", help="language of the labels")
    docs.add_argument(
        "--history-days",
        type=int,
        default=90,
        help="how many days of run records and quality results to read",
    )


def cmd_docs(args: argparse.Namespace, target: Target) -> int:
    from cornlake_toolkit.site import Limits, build_site

    index = build_site(target, args.out, lang=args.lang, limits=Limits(history_days=args.history_days))
    say(f"catalog site written to {index.parent} (open it from disk, or sync the folder to S3)")
    print(index.resolve())
    return 0
