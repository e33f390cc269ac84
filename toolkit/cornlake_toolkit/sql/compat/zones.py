"""Time zones: Trino keeps a zone in every ``timestamp with time zone`` value; DuckDB keeps
instants and one session zone (UTC here, as Athena's sessions).

A value keeps its instant in DuckDB (comparisons and to_unixtime stay right) and its zone
travels with the expression, as ``ZONE_META`` on the node: a literal zone from a literal
(``TIMESTAMP '... America/New_York'``), from ``AT TIME ZONE``, at_timezone, with_timezone
or from_unixtime, or an expression over the row (from_iso8601_timestamp, parse_datetime).
Field functions (hour, day, date_trunc, date_format...) read the wall clock in that zone,
and a result column in a zone is given back in it (``compat.output``).
"""

from __future__ import annotations

import re

from sqlglot import exp

from cornlake_toolkit.sql.compat.core import args_of, duck, is_kind, rewrites
from cornlake_toolkit.sql.compat.output import ZONE_META

_OFFSET = re.compile(r"^(?:UTC|GMT|UT)?([+-])(\d{1,2})(?::?(\d{2}))?$", re.I)
_UTC_NAMES = {"UTC", "Z", "GMT", "UT", "ZULU", "ETC/UTC", "ETC/GMT", "+00:00", "-00:00"}
_LITERAL_ZONE = re.compile(r"^(\d{4}-\d{2}-\d{2}(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?)\s*(.*)$")


def zone_label(text: str) -> str:
    """A zone as Trino names it: ``UTC``, an offset ``+05:30``, or a region name."""
    stripped = text.strip()
    if stripped.upper() in _UTC_NAMES:
        return "UTC"
    match = _OFFSET.match(stripped)
    if match:
        sign, hours, minutes = match.groups()
        label = f"{sign}{int(hours):02d}:{int(minutes or 0):02d}"
        return "UTC" if label in ("+00:00", "-00:00") else label
    return stripped


def split_literal(text: str) -> tuple[str, str]:
    """A timestamp literal's wall clock and zone: ('2001-08-22 03:04:05.321', 'America/New_York')."""
    match = _LITERAL_ZONE.match(text.strip())
    if not match:
        return text, "UTC"
    wall, zone = match.group(1), match.group(2).strip()
    return wall, zone_label(zone) if zone else "UTC"


def is_offset(label: str) -> bool:
    return bool(re.match(r"^[+-]\d{2}:\d{2}$", label))


def zone_of(node: exp.Expr | None) -> exp.Expr | None:
    if node is None:
        return None
    zone = node.meta.get(ZONE_META)
    return zone if isinstance(zone, exp.Expr) else None


def is_utc(zone: exp.Expr | None) -> bool:
    return zone is None or (isinstance(zone, exp.Literal) and zone.name == "UTC")


def in_zone(node: exp.Expr, zone: exp.Expr | None) -> exp.Expr:
    """``node`` carrying ``zone`` (labels normalized), for the rewrites above it and the output."""
    if isinstance(zone, exp.Literal) and zone.is_string:
        zone = exp.Literal.string(zone_label(zone.name))
    if zone is not None:
        node.meta[ZONE_META] = zone
    return node


def instant(wall: exp.Expr, zone: exp.Expr) -> exp.Expr:
    """The instant at which the clocks of ``zone`` show the timestamp ``wall``."""
    if isinstance(zone, exp.Literal) and is_offset(zone_label(zone.name)):
        label = zone_label(zone.name)
        sign = -1 if label[0] == "+" else 1
        minutes = sign * (int(label[1:3]) * 60 + int(label[4:6]))
        return duck(f"CAST(CAST({{0}} AS TIMESTAMP) + INTERVAL ({minutes}) MINUTE AS TIMESTAMPTZ)", wall)
    if isinstance(zone, exp.Literal) and zone_label(zone.name) == "UTC":
        return duck("CAST(CAST({0} AS TIMESTAMP) AS TIMESTAMPTZ)", wall)
    return duck("timezone({1}, CAST({0} AS TIMESTAMP))", wall, zone_duckdb(zone))


def zone_duckdb(zone: exp.Expr) -> exp.Expr:
    """A zone as DuckDB's timezone() takes it: offsets as a fixed-offset zone name."""
    if isinstance(zone, exp.Literal):
        label = zone_label(zone.name)
        if is_offset(label):
            sign = "-" if label[0] == "+" else "+"  # POSIX Etc/GMT names invert the sign
            return exp.Literal.string(f"Etc/GMT{sign}{int(label[1:3])}") if label[4:] == "00" else zone
        return exp.Literal.string(label)
    return zone


def wall_clock(node: exp.Expr) -> exp.Expr:
    """The timestamp the clocks of ``node``'s zone show (``node`` itself outside tz types)."""
    zone = zone_of(node)
    if is_utc(zone) or zone is None:
        if is_kind(node, exp.DType.TIMESTAMPTZ):
            return duck("CAST({0} AS TIMESTAMP)", node)
        return node
    if isinstance(zone, exp.Literal) and is_offset(zone_label(zone.name)):
        label = zone_label(zone.name)
        sign = 1 if label[0] == "+" else -1
        minutes = sign * (int(label[1:3]) * 60 + int(label[4:6]))
        return duck(f"CAST({{0}} AS TIMESTAMP) + INTERVAL ({minutes}) MINUTE", node)
    if isinstance(zone, exp.Literal):
        return duck("timezone({1}, {0})", node, zone_duckdb(zone))
    return duck(
        "CASE WHEN regexp_matches({1}, '^[+-]\\d\\d:\\d\\d$') THEN CAST({0} AS TIMESTAMP) + to_minutes("
        "CAST((CASE WHEN left({1}, 1) = '-' THEN -1 ELSE 1 END) * (CAST(substr({1}, 2, 2) AS INTEGER) * 60 "
        "+ CAST(substr({1}, 5, 2) AS INTEGER)) AS BIGINT)) ELSE timezone({1}, {0}) END",
        node,
        zone,
    )


def offset_minutes(node: exp.Expr) -> exp.Expr:
    """The offset from UTC, in minutes, of ``node``'s zone at its instant."""
    return duck(
        "CAST((epoch({0}) - epoch({1})) // 60 AS BIGINT)",
        wall_clock(node),
        duck("CAST({0} AS TIMESTAMP)", node),
    )


# --- rewrites -----------------------------------------------------------------------------


def _to_instant(value: exp.Expr) -> exp.Expr:
    if is_kind(value, exp.DType.TIMESTAMPTZ) or zone_of(value) is not None:
        return value
    return duck("CAST({0} AS TIMESTAMPTZ)", value)


@rewrites(exp.AtTimeZone)
def at_time_zone(node: exp.Expr) -> exp.Expr:
    """``ts AT TIME ZONE z`` is the same instant shown in zone z (DuckDB: a wall clock
    without zone). A timestamp without zone is read in the session zone, UTC."""
    return in_zone(_to_instant(node.this), node.args["zone"])


@rewrites("AT_TIMEZONE")
def at_timezone(node: exp.Expr) -> exp.Expr:
    """at_timezone(ts, z): as ``ts AT TIME ZONE z``."""
    value, zone = args_of(node)
    return in_zone(_to_instant(value), zone)


@rewrites("WITH_TIMEZONE")
def with_timezone(node: exp.Expr) -> exp.Expr:
    """with_timezone(ts, z): the wall clock ts in zone z, as a timestamp with time zone."""
    value, zone = args_of(node)
    return in_zone(instant(value, zone), zone)


def tz_literal(node: exp.Cast) -> exp.Expr:
    """``TIMESTAMP '2001-08-22 03:04:05.321 -08:30'``: DuckDB reads no offset with a space
    before it nor a ``GMT-08:30``, and forgets the zone."""
    wall, zone = split_literal(node.this.name)
    return in_zone(instant(exp.Literal.string(wall), exp.Literal.string(zone)), exp.Literal.string(zone))


@rewrites("TIMEZONE")
def timezone_name(node: exp.Expr) -> exp.Expr | None:
    """timezone(ts): the zone of a timestamp with time zone (DuckDB's timezone() converts)."""
    args = args_of(node)
    if len(args) != 1:
        return None
    return zone_of(args[0]) or exp.Literal.string("UTC")


def timezone_part(part: str, value: exp.Expr) -> exp.Expr:
    """timezone_hour / timezone_minute of a value, from the offset of its own zone."""
    minutes = offset_minutes(value)
    if part == "TIMEZONE_HOUR":
        return duck("CAST({0} // 60 AS BIGINT)", minutes)
    return duck("CAST({0} % 60 AS BIGINT)", minutes)


@rewrites("TIMEZONE_HOUR", "TIMEZONE_MINUTE")
def timezone_hour_minute(node: exp.Expr) -> exp.Expr:
    """timezone_hour(ts), timezone_minute(ts): the offset of ts's own zone (DuckDB: the session's)."""
    (value,) = args_of(node)
    return timezone_part(str(node.name).upper(), value)
