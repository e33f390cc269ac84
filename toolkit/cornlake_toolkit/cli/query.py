"""``query``: Athena SQL against the lake (Athena on AWS, DuckDB over the local lake).

Results go to stdout as a table, CSV or JSON (``--format``), with values written as
Athena writes them (``2026-11-20 10:00:00.000``), or to a file (``--output``: .csv,
.json or .parquet, chosen by the extension). A query that takes more than a couple of
seconds says how long it took, on stderr.
"""

from __future__ import annotations

import argparse
import csv
import json
import time
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from datetime import time as clock
from decimal import Decimal
from pathlib import Path
from typing import Any

from cornlake_toolkit.cli.common import add_format, say, verb
from cornlake_toolkit.client import run_sql
from cornlake_toolkit.errors import UsageError
from cornlake_toolkit.output import write_rows
from cornlake_toolkit.sql import QueryResult
from cornlake_toolkit.sql.result import athena_text, display_rows
from cornlake_toolkit.target import Target

OUTPUTS = (".csv", ".json", ".parquet")
SLOW_SECONDS = 2.0  # queries slower than this report their time


def register(sub: Any) -> None:
    query = verb(sub, "query", cmd_query, "run Athena SQL")
    query.add_argument("sql")
    add_format(query)
    query.add_argument("--output", metavar="FILE", help="write the result to FILE (.csv, .json or .parquet)")


def _json_value(value: Any, type_name: str) -> Any:
    """A value for JSON output: numbers, booleans and text as they are, the rest as Athena writes it."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, list):
        return [_json_value(v, "") for v in value]
    if isinstance(value, dict):
        return {str(athena_text(k)): _json_value(v, "") for k, v in value.items()}
    return athena_text(value, type_name)


def json_rows(result: QueryResult) -> list[dict[str, Any]]:
    types = list(result.types) or [""] * len(result.columns)
    return [
        {c: _json_value(v, t) for c, v, t in zip(result.columns, row, types, strict=False)}
        for row in result.rows
    ]


def show(result: QueryResult, fmt: str = "table") -> None:
    for note in result.notes:
        say(f"note: {note}")
    if fmt == "json":
        print(json.dumps(json_rows(result), indent=1, ensure_ascii=False))
        return
    rows = display_rows(result.rows, result.types)
    write_rows(result.columns, rows, fmt, footer=f"({len(result.rows)} rows, {result.engine})")


def _parquet_value(value: Any) -> Any:
    if isinstance(value, dict):
        return [(k, _parquet_value(v)) for k, v in value.items()]
    if isinstance(value, tuple):
        return list(value)
    if isinstance(value, timedelta | clock | date | datetime | Decimal | bytes) or value is None:
        return value
    if isinstance(value, list):
        return [_parquet_value(v) for v in value]
    return value if isinstance(value, bool | int | float | str) else str(value)


def write_output(result: QueryResult, path: Path) -> None:
    """The result in a file whose extension says the format."""
    suffix = path.suffix.lower()
    if suffix not in OUTPUTS:
        raise UsageError(
            f"--output {path}: unknown format {suffix or '(no extension)'}",
            hint="name the file .csv, .json or .parquet",
        )
    if suffix == ".json":
        path.write_text(json.dumps(json_rows(result), indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    elif suffix == ".csv":
        with path.open("w", newline="", encoding="utf-8") as out:
            writer = csv.writer(out)
            writer.writerow(result.columns)
            writer.writerows(_csv_rows(display_rows(result.rows, result.types)))
    else:
        _write_parquet(result, path)


def _csv_rows(rows: Sequence[Sequence[Any]]) -> list[list[str]]:
    return [["" if v is None else str(v) for v in row] for row in rows]


def _write_parquet(result: QueryResult, path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    columns = {}
    for i, name in enumerate(result.columns):
        values = [_parquet_value(row[i]) for row in result.rows]
        try:
            columns[name] = pa.array(values)
        except (pa.ArrowInvalid, pa.ArrowTypeError):
            columns[name] = pa.array([athena_text(row[i]) for row in result.rows], type=pa.string())
    pq.write_table(pa.table(columns), path)


def cmd_query(args: argparse.Namespace, target: Target) -> int:
    started = time.monotonic()
    result = run_sql(target, args.sql)
    elapsed = time.monotonic() - started
    if args.output:
        write_output(result, Path(args.output))
        for note in result.notes:
            say(f"note: {note}")
        say(f"wrote {len(result.rows)} rows to {args.output} ({result.engine})")
    else:
        show(result, args.format)
    report_time(elapsed)
    return 0


def report_time(elapsed: float, threshold: float = SLOW_SECONDS) -> None:
    if elapsed > threshold:
        say(f"({elapsed:.1f}s)")
