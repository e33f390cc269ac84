"""Value conversion from JSON or CSV text to a contract's column types, in pure Python.

This is the reference every faster path is checked against. Each column gets one
converter function built once per contract; a converter returns the typed value or raises
ConversionError with a reason a person can act on. No value is ever silently changed: an
integer out of range, a decimal with more digits than declared, a date in the wrong format
all fail, and their rows go to quarantine.
"""

from __future__ import annotations

import math
import re
import zoneinfo
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Any

from cornlake.contracts import FormatSpec
from cornlake.datatypes import DataType

INT_RANGES = {"int": (-(2**31), 2**31 - 1), "bigint": (-(2**63), 2**63 - 1)}
TRUE = {"true", "t", "1", "yes", "y", "sim", "s"}
FALSE = {"false", "f", "0", "no", "n", "nao", "não"}
_INT_RE = re.compile(r"^[+-]?\d+$")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
PARSE_CACHE = 65_536

Converter = Callable[[Any], Any]


class ConversionError(ValueError):
    pass


def _describe(value: Any) -> str:
    return (
        "object" if isinstance(value, dict) else "array" if isinstance(value, list) else type(value).__name__
    )


def _number_text(text: str, spec: FormatSpec) -> str:
    cleaned = text.strip()
    if spec.thousands:
        cleaned = cleaned.replace(spec.thousands, "")
    if spec.decimal == ",":
        cleaned = cleaned.replace(",", ".")
    return cleaned


def to_string(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bool | int | float | Decimal):
        return str(value).lower() if isinstance(value, bool) else str(value)
    raise ConversionError(f"expected a string, got {_describe(value)}")


def _int_converter(kind: str, spec: FormatSpec) -> Converter:
    low, high = INT_RANGES[kind]

    def convert(value: Any) -> int:
        if isinstance(value, bool):
            raise ConversionError(f"expected an integer, got boolean {value}")
        if isinstance(value, int):
            number = value
        elif isinstance(value, float):
            if not value.is_integer():
                raise ConversionError(f"expected an integer, got {value}")
            number = int(value)
        elif isinstance(value, str):
            text = _number_text(value, spec)
            if not _INT_RE.match(text):
                raise ConversionError(f"expected an integer, got {value!r}")
            number = int(text)
        else:
            raise ConversionError(f"expected an integer, got {_describe(value)}")
        if not low <= number <= high:
            raise ConversionError(f"{number} is out of range for {kind} ({low}..{high})")
        return number

    return convert


def _double_converter(spec: FormatSpec) -> Converter:
    def convert(value: Any) -> float:
        if isinstance(value, bool) or not isinstance(value, int | float | str | Decimal):
            raise ConversionError(f"expected a number, got {_describe(value)}")
        try:
            number = float(_number_text(value, spec)) if isinstance(value, str) else float(value)
        except ValueError:
            raise ConversionError(f"expected a number, got {value!r}") from None
        if not math.isfinite(number):
            raise ConversionError(f"{value!r} is not a finite number")
        return number

    return convert


def _decimal_converter(dtype: DataType, spec: FormatSpec) -> Converter:
    quantum = Decimal(1).scaleb(-dtype.scale)
    max_int_digits = dtype.precision - dtype.scale

    def convert(value: Any) -> Decimal:
        if isinstance(value, bool) or not isinstance(value, int | float | str | Decimal):
            raise ConversionError(f"expected a decimal number, got {_describe(value)}")
        text = _number_text(value, spec) if isinstance(value, str) else str(value)
        try:
            number = Decimal(text)
        except InvalidOperation:
            raise ConversionError(f"expected a decimal number, got {value!r}") from None
        if not number.is_finite():
            raise ConversionError(f"{value!r} is not a finite number")
        # Integer digits first: quantizing 1e26 to two places needs more digits than the context
        # has (InvalidOperation). No rounding happens below, so the count is the same after.
        if number.adjusted() + 1 > max_int_digits and number != 0:
            raise ConversionError(f"{value!r} has more than {max_int_digits} integer digits for {dtype}")
        exponent = number.as_tuple().exponent
        if isinstance(exponent, int) and -exponent > dtype.scale and number != number.quantize(quantum):
            raise ConversionError(f"{value!r} has more than {dtype.scale} decimal places for {dtype}")
        return number.quantize(quantum)

    return convert


def _bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str):
        text = value.strip().lower()
        if text in TRUE:
            return True
        if text in FALSE:
            return False
    raise ConversionError(f"expected a boolean (true/false), got {value!r}")


def _date_converter(spec: FormatSpec) -> Converter:
    parse_format = _strptime_for(spec.date_format)

    def convert(value: Any) -> date:
        if isinstance(value, datetime):
            return value.date()
        if isinstance(value, date):
            return value
        if not isinstance(value, str):
            raise ConversionError(f"expected a date string, got {_describe(value)}")
        return parse(value)

    @lru_cache(maxsize=PARSE_CACHE)  # files repeat the same few dates; strptime is slow
    def parse(value: str) -> date:
        text = value.strip()
        try:
            return parse_format(text).date()
        except ValueError:
            pass
        try:
            return date.fromisoformat(text)
        except ValueError:
            raise ConversionError(
                f"expected a date like {spec.date_format!r} or YYYY-MM-DD, got {value!r}"
            ) from None

    return convert


_FAST_DIRECTIVES = {
    "%d": r"(?P<d>\d{1,2})",
    "%m": r"(?P<m>\d{1,2})",
    "%Y": r"(?P<Y>\d{4})",
    "%H": r"(?P<H>\d{1,2})",
    "%M": r"(?P<M>\d{1,2})",
    "%S": r"(?P<S>\d{1,2})",
}


def fast_strptime(fmt: str) -> Callable[[str], datetime] | None:
    """A regex parser for formats made only of %d %m %Y %H %M %S and literal separators,
    several times faster than ``datetime.strptime``; None for any other format."""
    parts = re.split(r"(%.)", fmt)
    if any(p.startswith("%") and p not in _FAST_DIRECTIVES for p in parts):
        return None
    pattern = re.compile("^" + "".join(_FAST_DIRECTIVES.get(p, re.escape(p)) for p in parts) + "$")

    def parse(text: str) -> datetime:
        match = pattern.match(text)
        if not match:
            raise ValueError(text)
        g = match.groupdict()
        return datetime(
            int(g["Y"]),
            int(g["m"]),
            int(g["d"]),
            int(g.get("H") or 0),
            int(g.get("M") or 0),
            int(g.get("S") or 0),
        )

    return parse


def _strptime_for(fmt: str) -> Callable[[str], datetime]:
    return fast_strptime(fmt) or (lambda text: datetime.strptime(text, fmt))


def _timestamp_converter(spec: FormatSpec) -> Converter:
    zone = zoneinfo.ZoneInfo(spec.timezone)
    formats = [_strptime_for(f) for f in spec.timestamp_formats]

    def aware(moment: datetime) -> datetime:
        return (moment if moment.tzinfo else moment.replace(tzinfo=zone)).astimezone(UTC)

    def convert(value: Any) -> datetime:
        if isinstance(value, bool):
            raise ConversionError("expected a timestamp, got boolean")
        if isinstance(value, datetime):  # already typed (Parquet inputs)
            return aware(value)
        if isinstance(value, date):
            return aware(datetime(value.year, value.month, value.day))
        if isinstance(value, int | float):
            # Epoch numbers: seconds below 1e11 (year 5138), milliseconds above.
            seconds = value / 1000 if abs(value) >= 1e11 else value
            try:
                return _EPOCH + timedelta(seconds=seconds)
            except OverflowError:
                raise ConversionError(f"epoch value {value} is out of range") from None
        if not isinstance(value, str):
            raise ConversionError(f"expected a timestamp, got {_describe(value)}")
        return parse(value)

    @lru_cache(maxsize=PARSE_CACHE)
    def parse(value: str) -> datetime:
        text = value.strip()
        if _INT_RE.match(text):
            return convert(int(text))
        try:
            return aware(datetime.fromisoformat(text))
        except ValueError:
            pass
        for parse_format in formats:
            try:
                return aware(parse_format(text))
            except ValueError:
                continue
        allowed = ", ".join(("ISO 8601", "epoch seconds or milliseconds", *spec.timestamp_formats))
        raise ConversionError(f"expected a timestamp ({allowed}), got {value!r}")

    return convert


def build_converter(dtype: DataType, spec: FormatSpec) -> Converter:
    """The converter for one (possibly nested) type; nested fields are nullable."""
    kind = dtype.kind
    if kind == "string":
        return to_string
    if kind in INT_RANGES:
        return _int_converter(kind, spec)
    if kind == "double":
        return _double_converter(spec)
    if kind == "decimal":
        return _decimal_converter(dtype, spec)
    if kind == "boolean":
        return _bool
    if kind == "date":
        return _date_converter(spec)
    if kind == "timestamp":
        return _timestamp_converter(spec)
    if kind == "array":
        assert dtype.item is not None
        item = build_converter(dtype.item, spec)

        def convert_array(value: Any) -> list[Any]:
            if not isinstance(value, list):
                raise ConversionError(f"expected an array, got {_describe(value)}")
            return [None if v is None else item(v) for v in value]

        return convert_array
    members = {name: build_converter(t, spec) for name, t in dtype.fields}

    def convert_struct(value: Any) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise ConversionError(f"expected an object, got {_describe(value)}")
        out = {}
        for name, member in members.items():
            inner = value.get(name)
            try:
                out[name] = None if inner is None else member(inner)
            except ConversionError as err:
                raise ConversionError(f"field '{name}': {err}") from None
        return out

    return convert_struct
