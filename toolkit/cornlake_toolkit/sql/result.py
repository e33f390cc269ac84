"""A query's answer, and its values written the way Athena writes them.

Local rows hold Python values (``Decimal``, ``datetime``, ``dict`` for maps and rows,
``list`` for arrays, ``tuple`` for rows without field names); a timestamp with time zone
is an aware ``datetime`` in its own zone, a year-to-month interval a ``YearMonthInterval``.
``athena_text`` writes one value as Athena prints it (``2026-11-20 10:00:00.000``,
``2026-11-20 10:00:00.000 UTC``, ``1.0E10``, ``[1, 2]``, ``{a=1}``); ``display_rows`` does
that to every value a table or CSV shows, leaving numbers as numbers.
"""

from __future__ import annotations

import math
import re
import struct
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo


@dataclass(frozen=True)
class QueryResult:
    columns: list[str]
    rows: list[tuple[Any, ...]]
    engine: str
    executed_sql: str
    notes: tuple[str, ...] = ()  # for people: e.g. a table that has no data yet
    types: tuple[str, ...] = ()  # Trino type names, one per column (empty when unknown)


@dataclass(frozen=True)
class YearMonthInterval:
    """An ``interval year to month``: Python's timedelta has no months."""

    months: int

    def __str__(self) -> str:
        sign = "-" if self.months < 0 else ""
        years, months = divmod(abs(self.months), 12)
        return f"{sign}{years}-{months}"


_PRECISION = re.compile(r"^(?:timestamp|time)\((\d+)\)")


def precision_of(type_name: str) -> int | None:
    match = _PRECISION.match(type_name or "")
    return int(match.group(1)) if match else None


def zone_label(zone: tzinfo | None) -> str:
    """A zone as Trino prints it: a region name, ``UTC`` or an offset like ``+05:30``."""
    if isinstance(zone, ZoneInfo):
        return zone.key
    offset = zone.utcoffset(None) if zone is not None else None
    if offset is None or offset == timedelta(0):
        return "UTC"
    minutes = int(offset.total_seconds() // 60)
    sign = "-" if minutes < 0 else "+"
    return f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def fraction(micros: int, precision: int | None, nanos: int | None = None) -> str:
    """The fractional seconds with ``precision`` digits (None: 3, or 6 when sub-millisecond)."""
    if precision is None:
        precision = 3 if micros % 1000 == 0 else 6
    if precision == 0:
        return ""
    digits = f"{nanos:09d}" if nanos is not None else f"{micros:06d}000"
    return "." + (digits + "0" * max(precision - 9, 0))[:precision]


def timestamp_text(value: datetime, precision: int | None = None) -> str:
    text = value.strftime("%Y-%m-%d %H:%M:%S") + fraction(value.microsecond, precision)
    if value.tzinfo is not None:
        text += " " + zone_label(value.tzinfo)
    return text


def interval_text(value: timedelta) -> str:
    """A day-to-second interval as Trino prints it: ``2 03:00:00.000``."""
    sign = "-" if value < timedelta(0) else ""
    value = abs(value)
    hours, rest = divmod(value.seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    return f"{sign}{value.days} {hours:02d}:{minutes:02d}:{seconds:02d}.{value.microseconds // 1000:03d}"


def java_double(value: float) -> str:
    """A double as Java (and so Trino) prints it: ``3.5``, ``1.0E10``, ``NaN``, ``Infinity``."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    if value == 0:
        return "-0.0" if math.copysign(1, value) < 0 else "0.0"
    exact = Decimal(repr(value))
    if 1e-3 <= abs(value) < 1e7:
        text = format(exact, "f")
        return text if "." in text else text + ".0"
    sign, digits, _ = exact.as_tuple()
    shown = "".join(map(str, digits)).rstrip("0") or "0"
    mantissa = shown[0] + "." + (shown[1:] or "0")
    return f"{'-' if sign else ''}{mantissa}E{exact.adjusted()}"


def java_real(value: float) -> str:
    """A real (32-bit float) with the fewest digits that give the same real back."""
    if math.isnan(value) or math.isinf(value) or value == 0:
        return java_double(value)
    packed = struct.pack(">f", value)
    for digits in range(1, 10):
        candidate = float(f"{value:.{digits}g}")
        if struct.pack(">f", candidate) == packed:
            return java_double(candidate)
    return java_double(value)


def _element_type(type_name: str) -> str:
    match = re.match(r"^array\((.*)\)$", type_name or "")
    return match.group(1) if match else ""


def athena_text(value: Any, type_name: str = "") -> str | None:
    """One value as Athena prints it in a result (None stays None: an empty cell)."""
    if value is None:
        return None
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float):
        return java_real(value) if type_name == "real" else java_double(value)
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, datetime):
        return timestamp_text(value, precision_of(type_name))
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, time):
        return value.strftime("%H:%M:%S") + fraction(value.microsecond, precision_of(type_name) or 3)
    if isinstance(value, timedelta):
        return interval_text(value)
    if isinstance(value, bytes | bytearray):
        return " ".join(f"{b:02x}" for b in value)
    return _nested_text(value, type_name)


def _nested_text(value: Any, type_name: str) -> str:
    if isinstance(value, list):
        inner = _element_type(type_name)
        return "[" + ", ".join(_inner(v, inner) for v in value) + "]"
    if isinstance(value, tuple):
        return "{" + ", ".join(_inner(v) for v in value) + "}"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_inner(k)}={_inner(v)}" for k, v in value.items()) + "}"
    return str(value)


def _inner(value: Any, type_name: str = "") -> str:
    text = athena_text(value, type_name)
    return "null" if text is None else text


def display_rows(rows: Sequence[Sequence[Any]], types: Sequence[str] = ()) -> list[tuple[Any, ...]]:
    """Rows for a table or CSV: every value as Athena prints it, numbers kept as numbers."""
    names = list(types) or [""] * (len(rows[0]) if rows else 0)
    out = []
    for row in rows:
        out.append(
            tuple(
                v
                if v is None or (isinstance(v, int | Decimal) and not isinstance(v, bool))
                else athena_text(v, t)
                for v, t in zip(row, names, strict=False)
            )
        )
    return out
