"""String functions Trino has and DuckDB lacks or answers otherwise (NULL for a part that
is not there, split limits, the n-th occurrence, Java's format)."""

from __future__ import annotations

import re

from sqlglot import exp

from cornlake_toolkit.errors import QueryError
from cornlake_toolkit.sql.compat.core import args_of, call, duck, is_binary, refuse, rewrites


@rewrites("CODEPOINT")
def codepoint(node: exp.Expr) -> exp.Expr:
    """codepoint(c): the Unicode code point of a one-character string (DuckDB: unicode)."""
    return duck("CAST(unicode({0}) AS INTEGER)", *args_of(node))


@rewrites("HAMMING_DISTANCE")
def hamming_distance(node: exp.Expr) -> exp.Expr:
    """hamming_distance: the positions where two strings of the same length differ."""
    return duck("CAST(hamming({0}, {1}) AS BIGINT)", *args_of(node))


@rewrites("LUHN_CHECK")
def luhn_check(node: exp.Expr) -> exp.Expr:
    """luhn_check: whether a string of digits passes the Luhn checksum (no DuckDB match)."""
    return duck(
        "list_sum(list_transform(list_reverse(string_split({0}, '')), lambda _cl_d, _cl_i: "
        "CASE WHEN _cl_i % 2 = 0 THEN (CAST(_cl_d AS INTEGER) * 2) // 10 + (CAST(_cl_d AS INTEGER) * 2) % 10 "
        "ELSE CAST(_cl_d AS INTEGER) END)) % 10 = 0",
        *args_of(node),
    )


@rewrites(exp.Soundex)
def soundex(node: exp.Expr) -> exp.Expr:
    """soundex: the American Soundex code (first letter and three digits; DuckDB has none)."""
    letters = duck("regexp_replace(upper({0}), '[^A-Z]', '', 'g')", node.this)
    codes = duck(
        "replace(translate({0}, 'AEIOUYHWBFPVCGJKQSXZDTLMNR', '00000099111122222222334556'), '9', '')",
        letters,
    )
    collapsed = duck(
        "array_to_string(list_filter(string_split({0}, ''), lambda _cl_c, _cl_i: _cl_i = 1 "
        "OR _cl_c <> string_split({0}, '')[_cl_i - 1]), '')",
        codes,
    )
    return duck(
        "CASE WHEN {0} = '' THEN '' ELSE left({0}, 1) || rpad(left(replace(substr({1}, 2), '0', "
        "''), 3), 3, '0') END",
        letters,
        collapsed,
    )


@rewrites(exp.Split)
def split(node: exp.Expr) -> exp.Expr | None:
    """split(s, d, limit): the last element holds the rest of the string (DuckDB has no limit)."""
    limit = node.args.get("limit")
    if limit is None:
        return None
    return duck(
        "CASE WHEN len(string_split({0}, {1})) <= {2} THEN string_split({0}, {1}) ELSE "
        "list_append(list_slice(string_split({0}, {1}), 1, {2} - 1), "
        "array_to_string(list_slice(string_split({0}, {1}), {2}, len(string_split({0}, {1}))), {1})) END",
        node.this,
        node.expression,
        limit,
    )


@rewrites(exp.SplitPart)
def split_part(node: exp.Expr) -> exp.Expr:
    """split_part is NULL past the last part (DuckDB: an empty string)."""
    return duck(
        "CASE WHEN {2} > len(string_split({0}, {1})) THEN NULL ELSE split_part({0}, {1}, {2}) END",
        node.this,
        node.args["delimiter"],
        node.args["part_index"],
    )


@rewrites(exp.StrPosition)
def strpos(node: exp.Expr) -> exp.Expr | None:
    """strpos(s, sub, n): where the n-th occurrence starts, counting from the end when n < 0,
    0 when there is none (DuckDB's strpos has no n)."""
    occurrence = node.args.get("occurrence")
    if occurrence is None:
        return None
    text, sub = node.this, node.args["substr"]
    count = duck("len(string_split({0}, {1})) - 1", text, sub)
    nth = duck("CASE WHEN {1} < 0 THEN {0} + {1} + 1 ELSE {1} END", count, occurrence)
    return duck(
        "CAST(CASE WHEN {3} < 1 OR {3} > {2} THEN 0 ELSE "
        "list_sum(list_transform(list_slice(string_split({0}, {1}), "
        "1, {3}), lambda _cl_s: length(_cl_s))) + ({3} - 1) * length({1}) + 1 END AS BIGINT)",
        text,
        sub,
        count,
        nth,
    )


@rewrites("TITLE_CASE")
def title_case(node: exp.Expr) -> exp.Expr:
    """title_case: each word's first letter upper case, the rest lower case."""
    return duck(
        "array_to_string(list_transform(string_split({0}, ' '), lambda _cl_w: upper(left(_cl_w, 1)) || "
        "lower(substr(_cl_w, 2))), ' ')",
        *args_of(node),
    )


@rewrites(exp.Normalize)
def normalize(node: exp.Expr) -> exp.Expr:
    """normalize(s) is NFC (DuckDB's nfc_normalize); the other forms are not available locally."""
    form = node.args.get("form")
    if isinstance(form, exp.Expr) and form.name.upper() != "NFC":
        raise refuse(
            f"normalize(..., {form.name.upper()})",
            "DuckDB only has NFC normalization",
            "normalize(s) (NFC) or normalize the text before it is ingested",
        )
    return call("nfc_normalize", node.this)


@rewrites(exp.Length)
def length(node: exp.Expr) -> exp.Expr | None:
    """length of varbinary counts bytes (DuckDB's length takes no BLOB)."""
    if is_binary(node.this):
        return duck("CAST(octet_length({0}) AS BIGINT)", node.this)
    return None


@rewrites(exp.Pad)
def pad(node: exp.Expr) -> exp.Expr | None:
    """lpad and rpad of varbinary pad with bytes, not with the characters of their text."""
    if not is_binary(node.this):
        return None
    function = "lpad" if node.args.get("is_left") else "rpad"
    return duck(
        f"unhex({function}(hex({{0}}), 2 * {{1}}, hex({{2}})))",
        node.this,
        node.expression,
        node.args["fill_pattern"],
    )


@rewrites(exp.Substring)
def substring(node: exp.Expr) -> exp.Expr | None:
    """substr of varbinary takes bytes (DuckDB's substring takes no BLOB)."""
    if not is_binary(node.this):
        return None
    start = duck(
        "CASE WHEN {1} < 0 THEN octet_length({0}) + {1} + 1 ELSE {1} END", node.this, node.args["start"]
    )
    size = node.args.get("length")
    if size is None:
        return duck("unhex(substr(hex({0}), 2 * {1} - 1))", node.this, start)
    return duck("unhex(substr(hex({0}), 2 * {1} - 1, 2 * {2}))", node.this, start, size)


_JAVA_SPEC = re.compile(r"%(?:(\d+)\$)?([-#+ 0,(<]*)(\d+)?(?:\.(\d+))?([tT][A-Za-z]|[a-zA-Z%])")
_DATE_CODES = {
    "A": "%A",
    "a": "%a",
    "B": "%B",
    "b": "%b",
    "Y": "%Y",
    "y": "%y",
    "m": "%m",
    "d": "%d",
    "e": "%-d",
    "H": "%H",
    "M": "%M",
    "S": "%S",
    "p": "%p",
    "j": "%j",
    "F": "%Y-%m-%d",
    "T": "%H:%M:%S",
}


def _fmt_spec(flags: str, width: str | None, precision: str | None, conversion: str) -> str:
    align = "<" if "-" in flags else (">" if width and "0" not in flags else "")
    sign = "+" if "+" in flags else ""
    zero = "0" if "0" in flags and not align else ""
    group = "," if "," in flags else ""
    kind = {"d": "d", "f": "f", "e": "e", "x": "x", "X": "X", "o": "o", "s": "", "S": "", "c": "c", "b": ""}[
        conversion
    ]
    spec = f"{align}{sign}{zero}{width or ''}{group}{'.' + precision if precision else ''}{kind}"
    return "{" + (":" + spec if spec else "") + "}"


def java_format(fmt: str, values: list[exp.Expr]) -> exp.Expr:
    """Java's ``String.format`` pattern as DuckDB's ``format`` (fmt) call."""
    pieces: list[str] = []
    args: list[exp.Expr] = []
    position, last = 0, 0
    for match in _JAVA_SPEC.finditer(fmt):
        pieces.append(fmt[last : match.start()].replace("{", "{{").replace("}", "}}"))
        last = match.end()
        index, flags, width, precision, conversion = match.groups()
        if conversion == "%":
            pieces.append("%")
            continue
        if conversion == "n":
            pieces.append("\n")
            continue
        argument = int(index) - 1 if index else position
        position = argument + 1 if not index else position
        if argument >= len(values):
            raise QueryError(f"format({fmt!r}) refers to argument {argument + 1} of {len(values)}")
        value = values[argument]
        if conversion[0] in "tT":
            code = _DATE_CODES.get(conversion[1])
            if code is None:
                raise refuse(f"format('%{conversion}')", "that date conversion is not mapped", "date_format")
            value, conversion = duck("strftime({0}, {1})", value, code), "s"
        elif conversion in "fe":
            # Java rounds the decimal digits half up; DuckDB's fmt rounds the binary double
            value = duck(f"round(CAST({{0}} AS DECIMAL(38, 12)), {int(precision or 6)})", value)
        elif conversion in "sS" and precision:
            value, precision = duck("left(CAST({0} AS VARCHAR), {1})", value, int(precision)), None
        if conversion in "sS":
            value = duck("CASE WHEN {0} IS NULL THEN 'null' ELSE CAST({0} AS VARCHAR) END", value)
        pieces.append(_fmt_spec(flags, width, precision, conversion))
        args.append(value)
    pieces.append(fmt[last:].replace("{", "{{").replace("}", "}}"))
    return call("format", exp.Literal.string("".join(pieces)), *args)


@rewrites(exp.Format)
def format_function(node: exp.Expr) -> exp.Expr:
    """format(fmt, ...) takes Java's ``%`` patterns; DuckDB's format takes fmt's ``{}``."""
    fmt = node.this
    if not isinstance(fmt, exp.Literal) or not fmt.is_string:
        raise QueryError(
            "format() needs a literal pattern locally", hint="write the pattern as a string literal"
        )
    return java_format(fmt.name, list(node.expressions))


_UNITS = ["B", "kB", "MB", "GB", "TB", "PB", "EB", "ZB", "YB"]


@rewrites("PARSE_DATA_SIZE")
def parse_data_size(node: exp.Expr) -> exp.Expr:
    """parse_data_size('2.3MB'): bytes as decimal(38,0), units of 1024 (no DuckDB match)."""
    (text,) = args_of(node)
    cases = " ".join(f"WHEN '{unit}' THEN {1024**i}" for i, unit in enumerate(_UNITS))
    return duck(
        "CAST(floor(CAST(regexp_extract({0}, '^\\s*([0-9.]+)\\s*([a-zA-Z]+)\\s*$', 1) AS DECIMAL(38, 10)) * "
        f"CAST(CASE regexp_extract({{0}}, '^\\s*([0-9.]+)\\s*([a-zA-Z]+)\\s*$', 2) {cases} END AS "
        f"DECIMAL(38, 0))) "
        "AS DECIMAL(38, 0))",
        text,
    )


@rewrites("FORMAT_NUMBER")
def format_number(node: exp.Expr) -> exp.Expr:
    """format_number(n): n with a unit (K, M, B, T, Q) and at most three significant digits."""
    (number,) = args_of(node)
    scaled = duck(
        "CASE WHEN abs({0}) >= 1e15 THEN [{0} / 1e15, 5] WHEN abs({0}) >= 1e12 THEN [{0} / 1e12, 4] "
        "WHEN abs({0}) >= 1e9 THEN [{0} / 1e9, 3] WHEN abs({0}) >= 1e6 THEN [{0} / 1e6, 2] "
        "WHEN abs({0}) >= 1e3 THEN [{0} / 1e3, 1] ELSE [CAST({0} AS DOUBLE), 0] END",
        number,
    )
    digits = duck("CASE WHEN abs({0}[1]) >= 100 THEN 0 WHEN abs({0}[1]) >= 10 THEN 1 ELSE 2 END", scaled)
    shown = duck("CAST(round({0}[1], {1}) AS VARCHAR)", scaled, digits)
    text = duck("CASE WHEN contains({0}, '.') THEN rtrim(rtrim({0}, '0'), '.') ELSE {0} END", shown)
    return duck("{0} || ['', 'K', 'M', 'B', 'T', 'Q'][CAST({1}[2] AS INTEGER) + 1]", text, scaled)
