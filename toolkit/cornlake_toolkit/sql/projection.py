"""Athena partition projection: the partitions of a table that has ``projection.enabled``
are computed from its parameters, not read from Glue.

Supported as Athena documents them: ``date`` (``range`` with ``NOW`` and ``NOW-3DAYS``
forms, ``format`` in Java's pattern letters, ``interval`` and ``interval.unit``),
``integer`` (``range``, ``interval``, ``digits``), ``enum`` (``values``) and ``injected``
(values only from the query's ``=``/``IN`` filters). The location of a partition is the
``storage.location.template`` with ``${column}`` filled in (or the table location and
``column=value`` folders).
"""

from __future__ import annotations

import itertools
import re
from datetime import UTC, datetime, timedelta

from cornlake_toolkit.errors import QueryError
from cornlake_toolkit.sql.catalog import Partition, TableSpec

MAX_PROJECTED = 200_000  # partitions enumerated before giving up (Athena: 1 million)
_JAVA_TO_STRFTIME = [
    ("yyyy", "%Y"),
    ("yy", "%y"),
    ("MM", "%m"),
    ("dd", "%d"),
    ("HH", "%H"),
    ("mm", "%M"),
    ("ss", "%S"),
]
_UNITS = {
    "YEARS": 366,
    "MONTHS": 31,
    "WEEKS": 7,
    "DAYS": 1,
    "HOURS": 1 / 24,
    "MINUTES": 1 / 1440,
    "SECONDS": 1 / 86400,
}
_RELATIVE = re.compile(
    r"^NOW\s*(?:([+-])\s*(\d+)\s*(YEARS?|MONTHS?|WEEKS?|DAYS?|HOURS?|MINUTES?|SECONDS?))?$", re.I
)


def strftime_format(java: str) -> str:
    out = java
    for pattern, code in _JAVA_TO_STRFTIME:
        out = out.replace(pattern, code)
    return out


def _moment(text: str, fmt: str, now: datetime) -> datetime:
    match = _RELATIVE.match(text.strip())
    if not match:
        return datetime.strptime(text.strip(), fmt).replace(tzinfo=UTC)
    if not match.group(1):
        return now
    unit = match.group(3).upper().rstrip("S") + "S"
    delta = timedelta(days=_UNITS[unit] * int(match.group(2)))
    return now + delta if match.group(1) == "+" else now - delta


def _step(start: datetime, unit: str, interval: int, n: int) -> datetime:
    if unit in ("MONTHS", "YEARS"):
        months = interval * n * (12 if unit == "YEARS" else 1)
        year, month = divmod(start.month - 1 + months, 12)
        return start.replace(year=start.year + year, month=month + 1)
    return start + timedelta(days=_UNITS[unit] * interval * n)


def _dates(params: dict[str, str], column: str, now: datetime) -> list[str]:
    fmt = strftime_format(params.get(f"projection.{column}.format", "yyyy-MM-dd"))
    low, _, high = params.get(f"projection.{column}.range", "").partition(",")
    start, end = _moment(low, fmt, now), _moment(high, fmt, now)
    unit = params.get(f"projection.{column}.interval.unit", "DAYS").upper()
    interval = int(params.get(f"projection.{column}.interval", "1"))
    values = []
    for n in itertools.count():
        moment = _step(start, unit, interval, n)
        if moment > end or n > MAX_PROJECTED:
            break
        values.append(moment.strftime(fmt))
    return values


def _integers(params: dict[str, str], column: str) -> list[str]:
    low, _, high = params.get(f"projection.{column}.range", "").partition(",")
    interval = int(params.get(f"projection.{column}.interval", "1"))
    digits = int(params.get(f"projection.{column}.digits", "0"))
    return [str(v).zfill(digits) for v in range(int(low), int(high) + 1, interval)][:MAX_PROJECTED]


def column_values(spec: TableSpec, column: str, injected: list[str] | None, now: datetime) -> list[str]:
    """The values Athena projects for one partition column."""
    params = spec.parameters
    kind = params.get(f"projection.{column}.type", "").lower()
    if kind == "date":
        return _dates(params, column, now)
    if kind == "integer":
        return _integers(params, column)
    if kind == "enum":
        return [v.strip() for v in params.get(f"projection.{column}.values", "").split(",") if v.strip()]
    if kind == "injected":
        if injected is None:
            raise QueryError(
                f"{spec.database}.{spec.name} projects {column} as injected: the query must give its values",
                hint=f"filter with {column} = '...' or {column} IN (...), as Athena requires",
            )
        return injected
    raise QueryError(
        f"{spec.database}.{spec.name}: projection type {kind!r} of {column} is not known",
        hint="projection types are date, integer, enum and injected",
    )


def location(spec: TableSpec, values: tuple[str, ...]) -> str:
    template = spec.parameters.get("storage.location.template")
    mapping = dict(zip(spec.key_names, values, strict=True))
    if template:
        return re.sub(r"\$\{([^}]+)\}", lambda m: mapping.get(m.group(1), m.group(0)), template)
    base = spec.location if spec.location.endswith("/") else spec.location + "/"
    return base + "".join(f"{k}={v}/" for k, v in mapping.items())


def projected_partitions(
    spec: TableSpec, injected: dict[str, list[str]], now: datetime | None = None
) -> list[Partition]:
    """Every partition the table's projection gives (injected columns from the query)."""
    moment = now or datetime.now(UTC)
    columns = [column_values(spec, c, injected.get(c), moment) for c in spec.key_names]
    total = 1
    for values in columns:
        total *= max(len(values), 1)
    if total > MAX_PROJECTED:
        raise QueryError(
            f"{spec.database}.{spec.name} projects {total} partitions",
            hint="filter on the partition columns, as Athena needs for large projections",
        )
    return [Partition(values, location(spec, values)) for values in itertools.product(*columns)]
