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

# A check over the computed value: given the column the value is selected as, SQL that is
# true only when the fast path is sure of it.
Check = Callable[[str], str]

_STRPTIME_DIRECTIVES = {"%d", "%m", "%Y", "%H", "%M", "%S"}  # the ones Python and DuckDB read alike
ISO_TIMESTAMP = r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?"
_OFFSET = r"(Z|[+-]\d{2}:\d{2})"
INTEGER_TEXT = r"[+-]?\d+"
_MAX_EPOCH_MS = 253_402_300_799_999  # 9999-12-31T23:59:59.999Z; Python's datetime stops there


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
    iso_date = literal(r"\d{4}-\d{2}-\d{2}")
    iso = f"CASE WHEN regexp_full_match({text}, {iso_date}) THEN TRY_CAST({text} AS DATE) END"
    return f"coalesce({parsed}, {iso})"


def timestamp_from_text(text: str, spec: FormatSpec, *, trimmed: bool = False) -> str:
    """ISO 8601 (with Z or an offset, or naive in the contract's time zone), epoch digits,
    then the contract's formats; NULL for anything else. Cheap tests guard each pattern."""
    x = text if trimmed else f"trim({text})"
    zone = literal(spec.timezone)
    iso_shape = f"substr({x}, 5, 1) = '-'"
    with_offset = f"regexp_full_match({x}, {literal(ISO_TIMESTAMP + _OFFSET)})"
    naive = f"regexp_full_match({x}, {literal(ISO_TIMESTAMP)})"
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
    checks = [f"{ref} IS NOT NULL", f"year({ref}) BETWEEN 1 AND 9999"]
    if spec.timezone != "UTC":
        zone = literal(spec.timezone)
        checks.append(
            f"timezone({zone}, {ref} - INTERVAL 3 HOUR) = timezone({zone}, {ref}) - INTERVAL 3 HOUR"
        )
    return " AND ".join(checks)


def epoch_timestamp(number: str) -> str:
    """Epoch seconds below 1e11 (year 5138), milliseconds above, as the row path reads them."""
    return (
        f"CASE WHEN abs({number}) >= 100000000000 AND abs({number}) <= {_MAX_EPOCH_MS} "
        f"THEN CAST(make_timestamp({number} * 1000) AS TIMESTAMPTZ) "
        f"WHEN abs({number}) < 100000000000 THEN CAST(make_timestamp({number} * 1000000) AS TIMESTAMPTZ) END"
    )
