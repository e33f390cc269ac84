"""The vectorized fast path: a contract's checks written as DuckDB column expressions.

For each column the fast path builds two SQL expressions over the raw value: the typed
value, and a check saying the value is one the fast path is sure about. The fast path is
*sound, not complete*: it accepts only values whose meaning is unambiguous (a JSON integer
for an int column, an ISO timestamp, a decimal with no more digits than declared...). A
record with any value it is not sure of is flagged, and the row path
(cornlake.transform.rowpath, the reference) decides it: converts it, or quarantines it
with the column, the value and the reason. So both paths give the same rows; the fast path
only takes the common case off the slow one.

This module holds what every format's fast path shares: DuckDB types for contract types
and typed values with their checks from text (dates, timestamps, epoch numbers). Each
input format (cornlake.transform.formats) builds its own plan from them.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from cornlake.contracts import FormatSpec
from cornlake.sqlquote import literal
from cornlake.transform.values import FALSE, TRUE

# A check over the computed value: given the column the value is selected as, SQL that is
# true only when the fast path is sure of it.
Check = Callable[[str], str]

_STRPTIME_DIRECTIVES = {"%d", "%m", "%Y", "%H", "%M", "%S"}  # the ones Python and DuckDB read alike
ISO_DATE = r"\d{4}-\d{2}-\d{2}"
# Hours 00-23, minutes and seconds 00-59, 0 to 9 fractional digits: what Python's fromisoformat
# reads (DuckDB also takes 24:00, which Python refuses). Both keep the first 6 digits.
_ISO_TIME = r"([01]\d|2[0-3]):[0-5]\d(:[0-5]\d(\.\d{1,9})?)?"
ISO_TIMESTAMP = ISO_DATE + "[T ]" + _ISO_TIME
# Z, +HH, +HHMM or +HH:MM (Python refuses an offset of 24 hours or more; DuckDB does not).
_OFFSET = r"(Z|[+-]([01]\d|2[0-3])(:?[0-5]\d)?)"
INTEGER_TEXT = r"[+-]?\d+"
DOUBLE_TEXT = r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?"
_BOOLEAN_TEXT = "[0-9A-Za-zÃã]{1,5}"  # DuckDB lowers 'İ' to 'i', Python to 'i̇': only these letters
_FIRST_MOMENT = "TIMESTAMPTZ '0001-01-01 00:00:00+00'"  # Python's datetimes, in UTC
_LAST_MOMENT = "TIMESTAMPTZ '9999-12-31 23:59:59.999999+00'"
_EPOCH_MS_FROM = 100_000_000_000  # epoch numbers from 1e11 (year 5138) on are milliseconds
_EPOCH_SECONDS_LIMIT = 300_000_000_000  # beyond year 9999 either way: the row path decides


def in_list(values: Sequence[str]) -> str:
    """``('a', 'b')``: the right side of an SQL ``IN``."""
    return "(" + ", ".join(literal(v) for v in values) + ")"


def date_format_gap(spec: FormatSpec) -> str:
    """Why the contract's date and timestamp formats keep it off the fast path ('' if they do not)."""
    for fmt in (spec.date_format, *spec.timestamp_formats):
        directives = set(re.findall(r"%.", fmt))
        if not directives <= _STRPTIME_DIRECTIVES:
            return f"date format {fmt!r} uses directives beyond {sorted(_STRPTIME_DIRECTIVES)}"
    return ""


def _strptime(text: str, fmt: str) -> str:
    return f"try_strptime({text}, {literal(fmt)})"


def date_from_text(text: str, spec: FormatSpec, *, trimmed: bool = False) -> str:
    """The contract's date format first, then ISO (YYYY-MM-DD) — the row path's order."""
    text = text if trimmed else f"trim({text})"
    parsed = f"CAST({_strptime(text, spec.date_format)} AS DATE)"
    iso = f"CASE WHEN regexp_full_match({text}, {literal(ISO_DATE)}) THEN TRY_CAST({text} AS DATE) END"
    return f"coalesce({parsed}, {iso})"


def timestamp_from_text(text: str, spec: FormatSpec, *, trimmed: bool = False) -> str:
    """ISO 8601 (with Z or an offset, or naive in the contract's time zone, or a date alone),
    epoch digits, then the contract's formats; NULL for anything else. Cheap tests guard each pattern."""
    x = text if trimmed else f"trim({text})"
    zone = literal(spec.timezone)
    iso_shape = f"substr({x}, 5, 1) = '-'"
    with_offset = f"regexp_full_match({x}, {literal(ISO_TIMESTAMP + _OFFSET)})"
    naive = f"regexp_full_match({x}, {literal(ISO_DATE + '([T ]' + _ISO_TIME + ')?')})"
    number = f"TRY_CAST({x} AS BIGINT)"
    digits = f"{number} IS NOT NULL AND regexp_full_match({x}, {literal(INTEGER_TEXT)})"
    choices = [
        f"WHEN {iso_shape} AND {with_offset} THEN TRY_CAST({x} AS TIMESTAMPTZ)",
        f"WHEN {iso_shape} AND {naive} THEN timezone({zone}, TRY_CAST({x} AS TIMESTAMP))",
        f"WHEN {digits} THEN {epoch_timestamp(number)}",
    ]
    formats = [f"timezone({zone}, {_strptime(x, fmt)})" for fmt in spec.timestamp_formats]
    fallback = f"coalesce({', '.join(formats)})" if formats else "NULL"
    return f"CASE {' '.join(choices)} ELSE {fallback} END"


def date_ok(ref: str) -> str:
    return f"{ref} IS NOT NULL AND year({ref}) BETWEEN 1 AND 9999"  # Python's dates stop at 9999


def timestamp_ok(ref: str, spec: FormatSpec) -> str:
    """A timestamp the row path reads the same way: within Python's years, and not within three
    hours after a UTC-offset change of the contract's zone. There a wall-clock time can happen
    twice; Python takes the first, DuckDB's ICU the second, so the row path decides."""
    # Bounds, not year(): on a TIMESTAMPTZ, year() counts years of the era (113 BC is 113).
    checks = [f"{ref} IS NOT NULL", f"{ref} BETWEEN {_FIRST_MOMENT} AND {_LAST_MOMENT}"]
    if spec.timezone != "UTC":
        zone = literal(spec.timezone)
        checks.append(
            f"timezone({zone}, {ref} - INTERVAL 3 HOUR) = timezone({zone}, {ref}) - INTERVAL 3 HOUR"
        )
    return " AND ".join(checks)


def epoch_timestamp(number: str) -> str:
    """Epoch seconds below 1e11 (year 5138), milliseconds from there, as the row path reads them:
    ``number`` (an integer or a double) is a double of seconds (milliseconds divided by 1000),
    and Python's timedelta keeps its whole seconds and rounds the fraction's microseconds half
    to even. So 253402300799999 ms is 23:59:59.998993, as on the row path, not .999."""
    x = f"CAST({number} AS DOUBLE)"
    seconds = (
        f"CASE WHEN abs({x}) < {_EPOCH_MS_FROM} THEN {x} "
        f"WHEN abs({x}) < {_EPOCH_SECONDS_LIMIT * 1000} THEN {x} / 1000.0 END"
    )
    whole = f"trunc({seconds})"
    fraction = f"round_even(({seconds} - {whole}) * 1000000.0, 0)"
    micros = f"CAST({whole} AS BIGINT) * 1000000 + CAST({fraction} AS BIGINT)"
    return f"CAST(make_timestamp({micros}) AS TIMESTAMPTZ)"


def number_text(text: str, spec: FormatSpec) -> str:
    """A number's text cleaned as the row path cleans it: trimmed, without the thousands mark,
    '.' as the decimal mark."""
    cleaned = f"trim({text})"
    if spec.thousands:
        cleaned = f"replace({cleaned}, {literal(spec.thousands)}, '')"
    if spec.decimal == ",":
        cleaned = f"replace({cleaned}, ',', '.')"
    return cleaned


def integer_from_text(text: str, duckdb_type: str) -> str:
    """The integer a cleaned text writes (digits only: DuckDB would round '1.5'); NULL otherwise."""
    digits = f"regexp_full_match({text}, {literal(INTEGER_TEXT)})"
    return f"CASE WHEN {digits} THEN TRY_CAST({text} AS {duckdb_type}) END"


def integer_from_double(number: str, duckdb_type: str) -> str:
    """The integer a double is exactly (390.0, 1e3, -0.0), when in range; NULL otherwise."""
    x = f"TRY_CAST({number} AS DOUBLE)"
    return f"TRY_CAST(CASE WHEN {x} = trunc({x}) THEN {x} END AS {duckdb_type})"


def double_from_text(text: str) -> str:
    """A cleaned text's double (digits, a point, an exponent); NULL for words Python also reads
    ('nan', 'inf', '1_000'): the row path decides those."""
    return f"CASE WHEN regexp_full_match({text}, {literal(DOUBLE_TEXT)}) THEN TRY_CAST({text} AS DOUBLE) END"


def decimal_from_text(text: str, scale: int, duckdb_type: str) -> str:
    """A cleaned text's decimal when it has no more places than the scale; NULL otherwise."""
    places = rf"\.\d{{0,{scale}}}" if scale else r"\.?"
    pattern = rf"[+-]?\d+({places})?"
    return (
        f"CASE WHEN regexp_full_match({text}, {literal(pattern)}) THEN TRY_CAST({text} AS {duckdb_type}) END"
    )


def boolean_from_text(text: str) -> str:
    """The row path's words for true and false, in any case, from a trimmed text; NULL otherwise."""
    lowered = f"lower({text})"
    return (
        f"CASE WHEN NOT regexp_full_match({text}, {literal(_BOOLEAN_TEXT)}) THEN NULL "
        f"WHEN {lowered} IN {in_list(sorted(TRUE))} THEN true "
        f"WHEN {lowered} IN {in_list(sorted(FALSE))} THEN false END"
    )


def verdicts(checks: Sequence[tuple[str, str]]) -> tuple[str, list[str], str]:
    """Each column's check selected once as ``__k<i>`` (``checks``: column name, check SQL, never
    NULL): (that select list, the references to AND into the record's verdict, and ``_off``: the
    first column whose check failed, for a record the verdict refused)."""
    refs = [f"__k{i}" for i in range(len(checks))]
    select = ", ".join(f"{sql} AS {ref}" for (_, sql), ref in zip(checks, refs, strict=True))
    firsts = " ".join(
        f"WHEN NOT {ref} THEN {literal(name)}" for (name, _), ref in zip(checks, refs, strict=True)
    )
    off = f"CASE WHEN _ok THEN NULL {firsts} ELSE '' END" if checks else "CASE WHEN _ok THEN NULL ELSE '' END"
    return select or "true AS __k", refs, off
