"""Date and time formats: date_format/date_parse take MySQL's specifiers (sqlglot maps them
to strftime's, all but ``%v``), format_datetime/parse_datetime take Joda-Time patterns
(``yyyy-MM-dd HH:mm ZZ``), which DuckDB does not read. A literal pattern is translated
here, with the zone of the value for its zone letters."""

from __future__ import annotations

import re

from sqlglot import exp

from cornlake_toolkit.errors import QueryError
from cornlake_toolkit.sql.compat.core import args_of, duck, rewrites
from cornlake_toolkit.sql.compat.zones import in_zone, is_utc, offset_minutes, wall_clock, zone_of

_JODA_FORMAT = {
    "y": "%Y",
    "yy": "%y",
    "yyy": "%Y",
    "yyyy": "%Y",
    "Y": "%Y",
    "YY": "%y",
    "YYY": "%Y",
    "YYYY": "%Y",
    "x": "%G",
    "xx": "%g",
    "xxxx": "%G",
    "w": "%-V",
    "ww": "%V",
    "M": "%-m",
    "MM": "%m",
    "MMM": "%b",
    "MMMM": "%B",
    "d": "%-d",
    "dd": "%d",
    "D": "%-j",
    "DDD": "%j",
    "H": "%-H",
    "HH": "%H",
    "h": "%-I",
    "hh": "%I",
    "k": "%-H",
    "kk": "%H",
    "m": "%-M",
    "mm": "%M",
    "s": "%-S",
    "ss": "%S",
    "S": "%g",
    "SS": "%g",
    "SSS": "%g",
    "SSSSSS": "%f",
    "SSSSSSSSS": "%n",
    "a": "%p",
    "E": "%a",
    "EE": "%a",
    "EEE": "%a",
    "EEEE": "%A",
    "e": "%u",
}
_JODA_PARSE = {
    "M": "%m",
    "d": "%d",
    "D": "%j",
    "H": "%H",
    "h": "%I",
    "m": "%M",
    "s": "%S",
    "k": "%H",
    "S": "%g",
    "SS": "%g",
    "Z": "%z",
    "ZZ": "%z",
}
_TOKENS = re.compile(r"'(?:[^']|'')*'|([A-Za-z])\1*|[^A-Za-z']+")


def joda_pieces(pattern: str) -> list[tuple[str, str]]:
    """A Joda pattern as (kind, text) pieces: ('field', 'yyyy'), ('text', '/')."""
    pieces = []
    for match in _TOKENS.finditer(pattern):
        token = match.group(0)
        if token.startswith("'"):
            quote = "'"
            pieces.append(("text", token[1:-1].replace(quote * 2, quote) if token != quote * 2 else quote))
        elif token[0].isalpha():
            pieces.append(("field", token))
        else:
            pieces.append(("text", token))
    return pieces


def _strftime(token: str, mapping: dict[str, str], pattern: str) -> str:
    code = mapping.get(token) or _JODA_FORMAT.get(token)
    if code is None and token[0] in "MEa" and len(token) > 4:
        code = _JODA_FORMAT[token[0] * 4 if token[0] != "a" else "a"]
    if code is None:
        raise QueryError(
            f"the Joda-Time pattern {pattern!r} uses {token!r}, which the local engine does not map",
            hint="use date_format with MySQL specifiers, or a simpler pattern",
        )
    return code


def _zone_text(token: str, value: exp.Expr) -> exp.Expr:
    zone = zone_of(value)
    if len(token) >= 3:
        return zone if zone is not None else exp.Literal.string("UTC")
    minutes = offset_minutes(value) if zone is not None and not is_utc(zone) else exp.Literal.number(0)
    separator = ":" if len(token) == 2 else ""
    return duck(
        f"CASE WHEN {{0}} < 0 THEN '-' ELSE '+' END || lpad(CAST(abs({{0}}) // 60 AS VARCHAR), 2, '0') || "
        f"'{separator}' || lpad(CAST(abs({{0}}) % 60 AS VARCHAR), 2, '0')",
        minutes,
    )


@rewrites("FORMAT_DATETIME")
def format_datetime(node: exp.Expr) -> exp.Expr:
    """format_datetime(ts, 'yyyy-MM-dd HH:mm ZZ'): Joda-Time patterns, zone letters from the
    value's own zone (DuckDB has no format_datetime)."""
    value, pattern = args_of(node)
    if not isinstance(pattern, exp.Literal):
        raise QueryError(
            "format_datetime needs a literal pattern locally", hint="write the pattern as a string literal"
        )
    wall = wall_clock(value)
    parts: list[exp.Expr] = []
    codes = ""
    for kind, text in joda_pieces(pattern.name):
        if kind == "field" and text[0] == "Z":
            if codes:
                parts.append(duck("strftime({0}, {1})", wall, codes))
                codes = ""
            parts.append(_zone_text(text, value))
        else:
            codes += _strftime(text, {}, pattern.name) if kind == "field" else text.replace("%", "%%")
    if codes:
        parts.append(duck("strftime({0}, {1})", wall, codes))
    result = parts[0]
    for part in parts[1:]:
        result = duck("{0} || {1}", result, part)
    return result


def joda_to_strptime(pattern: str) -> str:
    """A Joda pattern as a strptime format (no unpadded fields: strptime reads both)."""
    out = []
    for kind, text in joda_pieces(pattern):
        if kind == "text":
            out.append(text.replace("%", "%%"))
        else:
            out.append(_JODA_PARSE.get(text) or _strftime(text, {}, pattern).replace("%-", "%"))
    return "".join(out)


@rewrites(exp.ParseDatetime)
def parse_datetime(node: exp.Expr) -> exp.Expr:
    """parse_datetime(s, joda): a timestamp with time zone, in the offset the string gives
    (else UTC); DuckDB's strptime takes strftime formats."""
    pattern = node.args.get("format")
    if not isinstance(pattern, exp.Literal):
        raise QueryError(
            "parse_datetime needs a literal pattern locally", hint="write the pattern as a string literal"
        )
    fmt = joda_to_strptime(pattern.name)
    parsed = duck("CAST(strptime({0}, {1}) AS TIMESTAMPTZ)", node.this, fmt)
    if "%z" not in fmt:
        return parsed
    zone = duck(
        "regexp_replace(regexp_extract({0}, '([+-]\\d\\d):?(\\d\\d)\\s*$', 0), "
        "'^([+-]\\d\\d):?(\\d\\d)\\s*$', '\\1:\\2')",
        node.this,
    )
    if isinstance(node.this, exp.Literal):
        match = re.search(r"([+-]\d\d):?(\d\d)\s*$", node.this.name)
        zone = (
            exp.Literal.string(f"{match.group(1)}:{match.group(2)}") if match else exp.Literal.string("UTC")
        )
    return in_zone(parsed, zone)


@rewrites(exp.TimeToStr)
def date_format(node: exp.Expr) -> exp.Expr | None:
    """date_format: ``%v`` is the ISO week (strftime's %V), and a timestamp with time zone is
    formatted on its own zone's clock."""
    fmt = node.args.get("format")
    if not isinstance(fmt, exp.Literal):
        return None
    node.set("format", exp.Literal.string(fmt.name.replace("%v", "%V")))
    node.set("this", wall_clock(node.this))
    return node
