"""Dates, timestamps and intervals: fields and truncation read the wall clock of a value's
own zone (``compat.zones``), date arithmetic stays in dates, ISO 8601 has its week and
ordinal dates, and Trino's duration functions are spelled out."""

from __future__ import annotations

import re

from sqlglot import exp

from cornlake_toolkit.sql.compat.core import args_of, call, duck, is_kind, rewrites, type_of
from cornlake_toolkit.sql.compat.zones import (
    in_zone,
    instant,
    is_utc,
    offset_minutes,
    timezone_part,
    tz_literal,
    wall_clock,
    zone_label,
    zone_of,
)
from cornlake_toolkit.sql.dialect import LITERAL_META

FIELDS = (
    exp.Year,
    exp.Month,
    exp.Day,
    exp.DayOfMonth,
    exp.Hour,
    exp.Minute,
    exp.Second,
    exp.Quarter,
    exp.DayOfWeekIso,
    exp.DayOfYear,
    exp.WeekOfYear,
    exp.YearOfWeek,
    exp.LastDay,
)
_CALENDAR_UNITS = {"DAY", "WEEK", "MONTH", "QUARTER", "YEAR"}


@rewrites(exp.Cast)
def cast_with_zone(node: exp.Expr) -> exp.Expr | None:
    """Casts of timestamps with time zone: a literal keeps its zone; to timestamp, date or
    varchar they read the wall clock of the value's own zone, as in Trino."""
    assert isinstance(node, exp.Cast)
    to = node.args["to"]
    if not isinstance(to, exp.DataType):
        return None
    if (
        to.this == exp.DType.TIMESTAMPTZ
        and node.meta.get(LITERAL_META)
        and isinstance(node.this, exp.Literal)
    ):
        return tz_literal(node)
    zone = zone_of(node.this)
    if zone is None or is_utc(zone):
        return None
    if to.this in (exp.DType.TIMESTAMP, exp.DType.DATE):
        node.set("this", wall_clock(node.this))
        return node
    if to.this in (exp.DType.VARCHAR, exp.DType.TEXT):
        return duck("strftime({0}, '%Y-%m-%d %H:%M:%S.%g') || ' ' || {1}", wall_clock(node.this), zone)
    if to.this == exp.DType.TIMESTAMPTZ:
        return in_zone(node, zone)
    return None


@rewrites(*FIELDS)
def field_in_zone(node: exp.Expr) -> exp.Expr | None:
    """year, month, day, hour... of a timestamp with time zone read its own zone's clock
    (DuckDB reads the session zone's)."""
    zone = zone_of(node.this)
    if zone is None or is_utc(zone):
        return None
    node.set("this", wall_clock(node.this))
    return node


@rewrites("MILLISECOND")
def millisecond(node: exp.Expr) -> exp.Expr:
    """millisecond(ts): the milliseconds of the second (DuckDB counts the seconds' too)."""
    (value,) = args_of(node)
    return duck("CAST(millisecond({0}) % 1000 AS BIGINT)", wall_clock(value))


@rewrites(exp.Extract)
def extract(node: exp.Expr) -> exp.Expr | None:
    """EXTRACT of a field reads the value's own zone; TIMEZONE_HOUR and TIMEZONE_MINUTE are
    its zone's offset."""
    part = node.this.name.upper()
    value = node.expression
    if part in ("TIMEZONE_HOUR", "TIMEZONE_MINUTE"):
        return timezone_part(part, value)
    if part in ("DOW", "DAY_OF_WEEK"):
        return duck("CAST(isodow({0}) AS BIGINT)", wall_clock(value))
    zone = zone_of(value)
    if zone is None or is_utc(zone):
        return None
    node.set("expression", wall_clock(value))
    return node


def _unit(node: exp.Expr) -> str:
    unit = node.args.get("unit")
    return unit.name.upper() if isinstance(unit, exp.Expr) else ""


@rewrites(exp.TimestampTrunc, exp.DateTrunc)
def date_trunc(node: exp.Expr) -> exp.Expr | None:
    """date_trunc keeps the type of its argument (a date stays a date) and truncates a
    timestamp with time zone on its own zone's clock."""
    value = node.this
    unit = exp.Literal.string(_unit(node).lower())
    zone = zone_of(value)
    if zone is not None and not is_utc(zone):
        return in_zone(instant(call("date_trunc", unit, wall_clock(value)), zone), zone)
    if is_kind(value, exp.DType.DATE):
        return duck("CAST({0} AS DATE)", call("date_trunc", unit, value))
    return in_zone(call("date_trunc", unit, value), zone) if zone is not None else None


def _interval_unit(node: exp.Expr) -> str:
    return node.args["unit"].name.upper() if isinstance(node, exp.Interval) and node.args.get("unit") else ""


@rewrites(exp.Add, exp.Sub)
def date_arithmetic(node: exp.Expr) -> exp.Expr | None:
    """A date plus days, months or years is a date (DuckDB: a timestamp); a timestamp with
    time zone keeps its zone, and moves by calendar units on that zone's clock."""
    left, right = node.this, node.expression
    if not isinstance(right, exp.Interval):
        return None
    unit = _interval_unit(right).rstrip("S")
    if is_kind(left, exp.DType.DATE) and unit in _CALENDAR_UNITS:
        return duck("CAST({0} AS DATE)", node)
    zone = zone_of(left)
    if zone is None:
        return None
    if not is_utc(zone) and unit in _CALENDAR_UNITS:
        moved = node.__class__(this=wall_clock(left), expression=right)
        return in_zone(instant(moved, zone), zone)
    return in_zone(node, zone)


@rewrites(exp.DateAdd)
def date_add(node: exp.Expr) -> exp.Expr:
    """date_add(unit, n, x) stays a date for a date and keeps a timestamp's zone."""
    value, amount, unit = node.this, node.expression, _unit(node)
    interval = duck(f"to_{unit.lower()}s(CAST({{0}} AS BIGINT))", amount)
    if unit == "QUARTER":
        interval = duck("to_months(CAST({0} AS BIGINT) * 3)", amount)
    if unit == "WEEK":
        interval = duck("to_days(CAST({0} AS BIGINT) * 7)", amount)
    if unit == "MILLISECOND":
        interval = duck("to_milliseconds(CAST({0} AS BIGINT))", amount)
    if is_kind(value, exp.DType.DATE):
        return duck("CAST({0} + {1} AS DATE)", value, interval)
    zone = zone_of(value)
    if zone is not None and not is_utc(zone) and unit in _CALENDAR_UNITS:
        return in_zone(instant(duck("{0} + {1}", wall_clock(value), interval), zone), zone)
    return in_zone(duck("{0} + {1}", value, interval), zone)


@rewrites(exp.UnixToTime)
def from_unixtime(node: exp.Expr) -> exp.Expr | None:
    """from_unixtime(t, zone) and from_unixtime(t, hours, minutes) are in that zone."""
    zone = node.args.get("zone")
    hours, minutes = node.args.get("hours"), node.args.get("minutes")
    if zone is None and hours is None:
        return None
    if hours is not None:
        zone = duck(
            "CASE WHEN {0} < 0 OR {1} < 0 THEN '-' ELSE '+' END || lpad(CAST(abs({0}) AS VARCHAR), 2, '0') "
            "|| ':' || lpad(CAST(abs({1}) AS VARCHAR), 2, '0')",
            hours,
            minutes or exp.Literal.number(0),
        )
        if isinstance(hours, exp.Literal) and isinstance(minutes, exp.Literal | None):
            sign = "-" if int(hours.name) < 0 else "+"
            zone = exp.Literal.string(
                f"{sign}{abs(int(hours.name)):02d}:{abs(int(minutes.name if minutes else 0)):02d}"
            )
    return in_zone(duck("to_timestamp({0})", node.this), zone)


def _iso_zone(text: exp.Expr) -> exp.Expr:
    if isinstance(text, exp.Literal):
        match = re.search(r"(Z|[+-]\d{2}(?::?\d{2})?)$", text.name.strip())
        return exp.Literal.string(zone_label(match.group(1)) if match else "UTC")
    return duck(
        "CASE WHEN regexp_matches({0}, '[+-]\\d\\d:?\\d\\d$') THEN "
        "regexp_replace(regexp_extract({0}, '([+-]\\d\\d):?(\\d\\d)$', 0), "
        "'^([+-]\\d\\d):?(\\d\\d)$', '\\1:\\2') "
        "ELSE 'UTC' END",
        text,
    )


@rewrites(exp.FromISO8601Timestamp, exp.FromISO8601TimestampNanos)
def from_iso8601_timestamp(node: exp.Expr) -> exp.Expr:
    """from_iso8601_timestamp keeps the string's offset as the value's zone."""
    return in_zone(duck("CAST({0} AS TIMESTAMPTZ)", node.this), _iso_zone(node.this))


@rewrites(exp.FromISO8601Date)
def from_iso8601_date(node: exp.Expr) -> exp.Expr:
    """from_iso8601_date also reads week dates (2020-W10-1) and ordinal dates (2020-123)."""
    if isinstance(node.this, exp.Literal):
        return duck("CAST({0} AS DATE)", exp.Literal.string(iso_date(node.this.name)))
    return duck(
        "CASE WHEN regexp_matches({0}, '^\\d{4}-W\\d{2}(-\\d)?$') THEN "
        "CAST(make_date(CAST(left({0}, 4) AS INTEGER), 1, 4) + CAST(1 - "
        "isodow(make_date(CAST(left({0}, 4) AS INTEGER), 1, 4)) "
        "+ (CAST(substr({0}, 7, 2) AS INTEGER) - 1) * 7 + coalesce(CAST(nullif(substr({0}, 10, 1), "
        "'') AS INTEGER), 1) - 1 "
        "AS INTEGER) AS DATE) "
        "WHEN regexp_matches({0}, '^\\d{4}-\\d{3}$') THEN "
        "CAST(make_date(CAST(left({0}, 4) AS INTEGER), 1, 1) + CAST(substr({0}, 6, 3) AS INTEGER) - "
        "CAST(1 AS INTEGER) AS DATE) "
        "ELSE CAST({0} AS DATE) END",
        node.this,
    )


def iso_date(text: str) -> str:
    """An ISO 8601 date (calendar, week or ordinal) as YYYY-MM-DD."""
    from datetime import date, datetime

    text = text.strip()
    week = re.fullmatch(r"(\d{4})-?W(\d{2})(?:-?(\d))?", text)
    if week:
        return date.fromisocalendar(
            int(week.group(1)), int(week.group(2)), int(week.group(3) or 1)
        ).isoformat()
    ordinal = re.fullmatch(r"(\d{4})-?(\d{3})", text)
    if ordinal:
        return datetime.strptime(f"{ordinal.group(1)}-{ordinal.group(2)}", "%Y-%j").date().isoformat()
    return text


def _fraction_format(node: exp.Expr) -> str:
    dt = type_of(node)
    params = (
        [int(p.name) for p in dt.expressions if isinstance(p, exp.DataTypeParam)] if dt is not None else []
    )
    precision = params[0] if params else 3
    return {0: "", 6: ".%f", 9: ".%n"}.get(precision, ".%g")


@rewrites("TO_ISO8601")
def to_iso8601(node: exp.Expr) -> exp.Expr:
    """to_iso8601: a date, a timestamp with its fraction, or with its offset (Z for UTC)."""
    (value,) = args_of(node)
    if is_kind(value, exp.DType.DATE):
        return duck("strftime({0}, '%Y-%m-%d')", value)
    text = duck(f"strftime({{0}}, '%Y-%m-%dT%H:%M:%S{_fraction_format(value)}')", wall_clock(value))
    if not (is_kind(value, exp.DType.TIMESTAMPTZ) or zone_of(value) is not None):
        return text
    minutes = offset_minutes(value)
    offset = duck(
        "CASE WHEN {0} = 0 THEN 'Z' ELSE CASE WHEN {0} < 0 THEN '-' ELSE '+' END || "
        "lpad(CAST(abs({0}) // 60 AS VARCHAR), 2, '0') || ':' || lpad(CAST(abs({0}) % 60 AS "
        "VARCHAR), 2, '0') END",
        minutes,
    )
    return duck("{0} || {1}", text, offset)


@rewrites("TO_MILLISECONDS")
def to_milliseconds(node: exp.Expr) -> exp.Expr:
    """to_milliseconds(interval): the interval in milliseconds, a bigint."""
    (value,) = args_of(node)
    return duck("CAST(round(epoch({0}) * 1000) AS BIGINT)", value)


_DURATION_UNITS = {"ns": 1e-6, "us": 1e-3, "ms": 1, "s": 1000, "m": 60_000, "h": 3_600_000, "d": 86_400_000}


@rewrites("PARSE_DURATION")
def parse_duration(node: exp.Expr) -> exp.Expr:
    """parse_duration('3.81 d'): an interval, rounded to milliseconds as Trino's are."""
    (text,) = args_of(node)
    cases = " ".join(f"WHEN '{unit}' THEN {factor}" for unit, factor in _DURATION_UNITS.items())
    pattern = "'^\\s*([0-9.]+)\\s*([a-z]+)\\s*$'"
    return duck(
        f"to_milliseconds(CAST(round(CAST(regexp_extract({{0}}, {pattern}, 1) AS DOUBLE) * "
        f"CASE regexp_extract({{0}}, {pattern}, 2) {cases} END) AS BIGINT))",
        text,
    )


@rewrites("HUMAN_READABLE_SECONDS")
def human_readable_seconds(node: exp.Expr) -> exp.Expr:
    """human_readable_seconds(96): '1 minute, 36 seconds' (weeks down to seconds)."""
    (value,) = args_of(node)
    total = duck("CAST(round({0}) AS BIGINT)", value)
    parts = []
    for name, size, modulo in (
        ("week", 604800, None),
        ("day", 86400, 7),
        ("hour", 3600, 24),
        ("minute", 60, 60),
        ("second", 1, 60),
    ):
        amount = duck(f"({{0}} // {size})" + (f" % {modulo}" if modulo else ""), total)
        parts.append(
            duck(
                f"CASE WHEN {{0}} > 0 THEN CAST({{0}} AS VARCHAR) || ' {name}' || CASE WHEN {{0}} > "
                f"1 THEN 's' ELSE '' END END",
                amount,
            )
        )
    joined = call("concat_ws", exp.Literal.string(", "), *parts)
    return duck("CASE WHEN {0} IS NULL THEN NULL WHEN {0} = 0 THEN '0 seconds' ELSE {1} END", total, joined)
