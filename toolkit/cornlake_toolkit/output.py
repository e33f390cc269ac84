"""How the CLI shows results: aligned tables for people, CSV and JSON for programs.

Tables never show Python's ``None`` (an empty cell instead), right-align numbers and say
how many rows there were and which engine answered.
"""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Sequence
from decimal import Decimal
from typing import Any, TextIO

FORMATS = ("table", "csv", "json")


def cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, list | tuple):
        return "[" + ", ".join(cell(v) for v in value) + "]"
    return str(value)


def _numeric(value: Any) -> bool:
    return isinstance(value, int | float | Decimal) and not isinstance(value, bool)


def table_text(columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """Rows as an aligned text table with a header line."""
    cells = [[cell(v) for v in row] for row in rows]
    widths = [max([len(c)] + [len(r[i]) for r in cells]) for i, c in enumerate(columns)]
    right = [bool(rows) and all(_numeric(r[i]) or r[i] is None for r in rows) for i in range(len(columns))]

    def line(values: Sequence[str]) -> str:
        parts = [v.rjust(w) if r else v.ljust(w) for v, w, r in zip(values, widths, right, strict=True)]
        return "  ".join(parts).rstrip()

    return "\n".join([line(list(columns)), "  ".join("-" * w for w in widths), *(line(r) for r in cells)])


def write_rows(
    columns: Sequence[str],
    rows: Sequence[Sequence[Any]],
    fmt: str = "table",
    *,
    footer: str = "",
    out: TextIO | None = None,
) -> None:
    """Write rows in one of FORMATS (``footer`` goes under a table only)."""
    out = out or sys.stdout
    if fmt == "json":
        data = [dict(zip(columns, row, strict=True)) for row in rows]
        out.write(json.dumps(data, default=str, indent=1) + "\n")
    elif fmt == "csv":
        writer = csv.writer(out)
        writer.writerow(columns)
        writer.writerows([[cell(v) for v in row] for row in rows])
    else:
        out.write(table_text(columns, rows) + "\n")
        if footer:
            out.write(footer + "\n")
