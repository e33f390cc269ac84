"""``query``: Athena SQL against the lake (Athena on AWS, DuckDB over the local lake)."""

from __future__ import annotations

import argparse
from typing import Any

from cornlake_toolkit.cli.common import add_format, say, verb
from cornlake_toolkit.client import run_sql
from cornlake_toolkit.output import write_rows
from cornlake_toolkit.sql import QueryResult
from cornlake_toolkit.target import Target


def register(sub: Any) -> None:
    query = verb(sub, "query", cmd_query, "run Athena SQL")
    query.add_argument("sql")
    add_format(query)


def show(result: QueryResult, fmt: str = "table") -> None:
    for note in result.notes:
        say(f"note: {note}")
    write_rows(result.columns, result.rows, fmt, footer=f"({len(result.rows)} rows, {result.engine})")


def cmd_query(args: argparse.Namespace, target: Target) -> int:
    show(run_sql(target, args.sql), args.format)
    return 0
