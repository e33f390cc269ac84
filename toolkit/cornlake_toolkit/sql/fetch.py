"""DuckDB's answer as Athena's: result values in Athena's shapes, and Trino type names.

Timestamps with time zone come back in their own zone (the compatibility layer marks the
columns whose zone it knows, see ``compat.output``), rows without field names as tuples,
year-to-month intervals as ``YearMonthInterval`` (DuckDB's Python values fold months
into days, so those columns are read again through Arrow).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import duckdb

from cornlake_toolkit.sql.compat.output import MARKER_FIELDS
from cornlake_toolkit.sql.result import YearMonthInterval
from cornlake_toolkit.sql.types import from_duckdb

Convert = Callable[[Any], Any]


def parse_zone(name: str) -> tzinfo:
    """A Trino zone name: a region (``America/New_York``), ``UTC``/``Z`` or an offset."""
    text = name.strip()
    upper = text.upper()
    if upper in ("UTC", "Z", "GMT", "UT", "ZULU"):
        return UTC
    for prefix in ("UTC", "GMT", "UT"):
        if upper.startswith(prefix) and upper[len(prefix) : len(prefix) + 1] in ("+", "-"):
            text = text[len(prefix) :]
            break
    if text[:1] in ("+", "-"):
        hours, _, minutes = text[1:].partition(":")
        if not minutes and len(hours) == 4:
            hours, minutes = hours[:2], hours[2:]
        offset = timedelta(hours=int(hours), minutes=int(minutes or 0))
        return timezone(-offset if text[0] == "-" else offset)
    try:
        return ZoneInfo(text)
    except (ZoneInfoNotFoundError, ValueError):
        return UTC


def _is_marker(duck: Any) -> bool:
    return str(duck.id) == "struct" and tuple(name for name, _ in duck.children) == MARKER_FIELDS


def _marker_type(duck: Any) -> str:
    return from_duckdb(dict(duck.children)["cornlake_value"])


def _in_zone(value: Any, zone: str | None) -> Any:
    if isinstance(value, datetime) and zone:
        aware = value if value.tzinfo else value.replace(tzinfo=UTC)
        return aware.astimezone(parse_zone(zone))
    if isinstance(value, list):
        return [_in_zone(v, zone) for v in value]
    return value


def _unmark(value: Any, inner: Convert) -> Any:
    if value is None:
        return None
    return _in_zone(inner(value["cornlake_value"]), value["cornlake_zone"])


def converter(duck: Any) -> Convert:
    """How a value of one DuckDB result type becomes the Python value Athena's would be."""
    kind = str(duck.id)
    if _is_marker(duck):
        inner = converter(dict(duck.children)["cornlake_value"])
        return lambda v: _unmark(v, inner)
    if kind in ("list", "array"):
        item = converter(dict(duck.children)["child"])
        return lambda v: None if v is None else [item(x) for x in v]
    if kind == "map":
        key, value = converter(dict(duck.children)["key"]), converter(dict(duck.children)["value"])
        return lambda v: None if v is None else {key(k): value(x) for k, x in v.items()}
    if kind == "struct":
        fields = {name: converter(t) for name, t in duck.children}
        return lambda v: None if v is None else {k: fields[k](x) for k, x in v.items()}
    if kind == "tuple":
        parts = [converter(t) for _, t in duck.children]
        return lambda v: None if v is None else tuple(p(x) for p, x in zip(parts, v, strict=True))
    return _identity


def _identity(value: Any) -> Any:
    return value


def column_type(duck: Any, values: list[Any]) -> str:
    """The Trino type of a result column (a marker says it; a timestamp's values tell its precision)."""
    if _is_marker(duck):
        declared = [v["cornlake_type"] for v in values if v is not None and v["cornlake_type"]]
        inner = _marker_type(duck)
        if declared:
            return str(declared[0])
        duck = dict(duck.children)["cornlake_value"]
        if not inner.startswith("timestamp"):
            return inner
    name = from_duckdb(duck)
    if name in ("timestamp(6)", "timestamp(3) with time zone") and values:
        micros = [v["cornlake_value"] if isinstance(v, dict) else v for v in values if v is not None]
        precise = any(isinstance(m, datetime) and m.microsecond % 1000 for m in micros)
        base = "timestamp(6)" if precise else "timestamp(3)"
        return base + (" with time zone" if "zone" in name else "")
    return name


def _months(relation: duckdb.DuckDBPyRelation, index: int) -> list[Any]:
    """An interval column read through Arrow, which keeps months apart from days."""
    table = relation.to_arrow_table()
    out: list[Any] = []
    for value in table.column(index).to_pylist():
        if value is None:
            out.append(None)
        elif value.months and not value.days and not value.nanoseconds:
            out.append(YearMonthInterval(value.months))
        else:
            out.append(timedelta(days=value.months * 30 + value.days, microseconds=value.nanoseconds // 1000))
    return out


def fetch(relation: duckdb.DuckDBPyRelation) -> tuple[list[str], list[tuple[Any, ...]], tuple[str, ...]]:
    """Columns, rows and Trino types of a DuckDB relation."""
    types = list(relation.types)
    raw = relation.fetchall()
    convert = [converter(t) for t in types]
    columns = [[convert[i](row[i]) for row in raw] for i in range(len(types))]
    for i, duck in enumerate(types):
        if str(duck) == "INTERVAL":
            columns[i] = _months(relation, i)
    names = [column_type(t, [row[i] for row in raw]) for i, t in enumerate(types)]
    for i, column in enumerate(columns):
        if names[i].startswith("interval") and any(isinstance(v, YearMonthInterval) for v in column):
            names[i] = "interval year to month"
    rows = [tuple(column[r] for column in columns) for r in range(len(raw))]
    return list(relation.columns), rows, tuple(names)
