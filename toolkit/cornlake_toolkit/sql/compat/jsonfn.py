"""JSON: Trino's json type and functions over DuckDB's JSON extension.

Trino's ``CAST(varchar AS JSON)`` makes a JSON string (DuckDB parses the text), casting
JSON to varchar unquotes a string, json_extract_scalar is NULL for arrays and objects,
maps become objects with sorted keys, json_array leaves NULLs out by default, and the
SQL/JSON functions (json_query, json_value, json_exists) take ``lax``/``strict`` paths
with ``last`` and simple filters such as ``?(@ > 10)``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlglot import exp

from cornlake_toolkit.errors import QueryError
from cornlake_toolkit.sql.compat.core import STRINGS, args_of, call, duck, is_kind, is_map, rewrites


def extract(value: exp.Expr, path: exp.Expr | str) -> exp.Expr:
    """DuckDB's json_extract as a call (sqlglot would write ``->``, which gives no list for ``[*]``)."""
    return call("json_extract", value, exp.Literal.string(path) if isinstance(path, str) else path)


def as_json(node: exp.Expr) -> exp.Expr:
    """A JSON value from a json or a varchar holding JSON text."""
    return node if is_kind(node, exp.DType.JSON) else duck("json({0})", node)


def to_json(node: exp.Expr) -> exp.Expr:
    """Any value as JSON, as Trino's CAST(x AS JSON) writes it (map keys sorted)."""
    if is_map(node):
        return duck("to_json(map_from_entries(list_sort(map_entries({0}))))", node)
    return duck("to_json({0})", node)


@rewrites(exp.Cast)
def cast_json(node: exp.Expr) -> exp.Expr | None:
    """CAST to JSON makes a JSON value of any SQL value (a varchar becomes a JSON string);
    CAST from JSON reads a string unquoted, a JSON null as NULL, an array into a row."""
    assert isinstance(node, exp.Cast)
    to, value = node.args["to"], node.this
    if not isinstance(to, exp.DataType):
        return None
    if to.this == exp.DType.JSON:
        return None if is_kind(value, exp.DType.JSON) else to_json(value)
    if not is_kind(value, exp.DType.JSON):
        return None
    if to.this in STRINGS:
        return duck("json_extract_string({0}, '$')", value)
    if to.this == exp.DType.STRUCT:
        return _json_to_row(value, to)
    if to.this == exp.DType.ARRAY and to.expressions and is_kind(to.expressions[0], exp.DType.JSON):
        return duck("CAST({0} AS JSON[])", extract(value, "$[*]"))
    return None


def _field(value: exp.Expr, path: str, kind: exp.Expr) -> exp.Expr:
    if isinstance(kind, exp.DataType) and kind.this in STRINGS:
        return call("json_extract_string", value, exp.Literal.string(path))
    return extract(value, path)


def _json_to_row(value: exp.Expr, to: exp.DataType) -> exp.Expr:
    fields = [f for f in to.expressions if isinstance(f, exp.ColumnDef)]
    by_position = call(
        "struct_pack",
        *[
            exp.PropertyEQ(
                this=exp.to_identifier(f.name),
                expression=exp.Cast(this=_field(value, f"$[{i}]", f.args["kind"]), to=f.args["kind"]),
            )
            for i, f in enumerate(fields)
        ],
    )
    by_name = exp.Cast(this=value.copy(), to=to.copy())
    return duck("CASE WHEN json_type({0}) = 'ARRAY' THEN {1} ELSE {2} END", value, by_position, by_name)


@rewrites(exp.JSONExtractScalar)
def json_extract_scalar(node: exp.Expr) -> exp.Expr:
    """json_extract_scalar is NULL when the value at the path is an array or an object."""
    extracted = extract(as_json(node.this), node.expression)
    return duck(
        "CASE WHEN json_type({0}) IN ('ARRAY', 'OBJECT') THEN NULL ELSE json_extract_string({0}, '$') END",
        extracted,
    )


@rewrites("JSON_ARRAY_GET")
def json_array_get(node: exp.Expr) -> exp.Expr:
    """json_array_get(j, i): the i-th element, 0-based, negative from the end, NULL outside."""
    value, index = args_of(node)
    path = duck(
        "CASE WHEN {0} < 0 THEN '$[#' || CAST({0} AS VARCHAR) || ']' ELSE '$[' || CAST({0} AS "
        "VARCHAR) || ']' END",
        index,
    )
    return extract(as_json(value), path)


@rewrites(exp.JSONArrayContains)
def json_array_contains(node: exp.Expr) -> exp.Expr:
    """json_array_contains(j, v): whether the JSON array holds the value v."""
    return duck(
        "len(list_filter({0}, lambda _cl_e: CAST(_cl_e AS VARCHAR) = CAST(to_json({1}) AS VARCHAR))) > 0",
        extract(as_json(node.this), "$[*]"),
        node.expression,
    )


@rewrites("JSON_SIZE")
def json_size(node: exp.Expr) -> exp.Expr:
    """json_size(j, path): the size of the array or object at the path, 0 for a scalar."""
    value, path = args_of(node)
    extracted = extract(as_json(value), path)
    return duck(
        "CAST(CASE json_type({0}) WHEN 'ARRAY' THEN json_array_length({0}) WHEN 'OBJECT' THEN "
        "len(json_keys({0})) "
        "ELSE 0 END AS BIGINT)",
        extracted,
    )


@rewrites("IS_JSON_SCALAR")
def is_json_scalar(node: exp.Expr) -> exp.Expr:
    """is_json_scalar: whether a JSON value is neither an array nor an object."""
    return duck("json_type({0}) NOT IN ('ARRAY', 'OBJECT')", as_json(*args_of(node)))


_UNITS = {"UTF16": 2, "UTF32": 4}


def decoded(value: exp.Expr, encoding: str) -> exp.Expr:
    """The text of varbinary in UTF8, UTF16 or UTF32 (little-endian, as Trino reads them)."""
    if encoding == "UTF8":
        return duck("decode({0})", value)
    if encoding not in _UNITS:
        raise QueryError(f"ENCODING {encoding} is not known", hint="use UTF8, UTF16 or UTF32")
    size = _UNITS[encoding]
    code = " + ".join(
        f"CAST(('0x' || substr(hex({{0}}), 2 * (_cl_i * {size} + {k}) + 1, 2)) AS INTEGER) * {256**k}"
        for k in range(size)
    )
    return duck(
        f"array_to_string(list_transform(range(octet_length({{0}}) // {size}), lambda _cl_i: "
        f"chr({code})), '')",
        value,
    )


def _json_arguments(node: exp.Expr) -> list[exp.Expr]:
    values = []
    for value in node.expressions:
        if isinstance(value, exp.FormatJson):
            encoding = value.meta.get("encoding")
            text = decoded(value.this, str(encoding)) if encoding else value.this
            values.append(duck("json({0})", text))
        else:
            values.append(to_json(value))
    return values


@rewrites(exp.JSONArray)
def json_array(node: exp.Expr) -> exp.Expr:
    """json_array leaves NULLs out unless NULL ON NULL is written (DuckDB keeps them)."""
    values = _json_arguments(node)
    listed = exp.Array(expressions=values) if values else duck("CAST([] AS JSON[])")
    if node.args.get("null_handling") != "NULL ON NULL":
        listed = duck("list_filter({0}, lambda _cl_v: _cl_v IS NOT NULL)", listed)
    result = duck(
        "CAST(to_json(list_transform({0}, lambda _cl_v: coalesce(_cl_v, 'null'::JSON))) AS VARCHAR)", listed
    )
    returning = node.args.get("return_type")
    if isinstance(returning, exp.DataType) and returning.this in (exp.DType.VARBINARY, exp.DType.BINARY):
        return duck("encode({0})", result)
    return result


@rewrites(exp.JSONObject)
def json_object(node: exp.Expr) -> exp.Expr | None:
    """json_object with ABSENT ON NULL leaves NULL members out; the result is varchar."""
    pairs = [p for p in node.expressions if isinstance(p, exp.JSONKeyValue)]
    if len(pairs) != len(node.expressions):
        return None
    if not pairs:
        return exp.Literal.string("{}")
    entries: exp.Expr = exp.Array(
        expressions=[
            duck("struct_pack(k := CAST({0} AS VARCHAR), v := {1})", p.this, to_json(p.expression))
            for p in pairs
        ]
    )
    if node.args.get("null_handling") == "ABSENT ON NULL":
        entries = duck("list_filter({0}, lambda _cl_e: _cl_e.v IS NOT NULL)", entries)
    return duck(
        "CAST(to_json(map_from_entries(list_transform({0}, lambda _cl_e: struct_pack(key := _cl_e.k, "
        "value := coalesce(_cl_e.v, 'null'::JSON))))) AS VARCHAR)",
        entries,
    )


@dataclass(frozen=True)
class Path:
    """A SQL/JSON path as DuckDB can follow it: its mode, a JSONPath, and a simple filter."""

    strict: bool
    path: str
    filter_op: str = ""
    filter_value: str = ""

    @property
    def many(self) -> bool:
        return "[*]" in self.path


_FILTER = re.compile(r"\?\(\s*@\s*(==|!=|<>|>=|<=|>|<)\s*(-?[\d.]+|\"[^\"]*\")\s*\)\s*$")


def parse_path(node: exp.Expr | None) -> Path:
    """A literal SQL/JSON path (``lax $.a[last]``, ``strict $.a[*]?(@ > 10)``)."""
    if not isinstance(node, exp.Literal):
        raise QueryError(
            "SQL/JSON functions need a literal path locally", hint="write the path as a string literal"
        )
    text = node.name.strip()
    mode, _, rest = text.partition(" ")
    strict = mode.lower() == "strict"
    path = rest.strip() if mode.lower() in ("lax", "strict") else text
    path = re.sub(r"\[\s*last\s*\]", "[#-1]", path)
    match = _FILTER.search(path)
    if match:
        return Path(
            strict,
            path[: match.start()].strip(),
            match.group(1).replace("==", "=").replace("!=", "<>"),
            match.group(2).replace('"', "'"),
        )
    if "?(" in path or "@" in path:
        raise QueryError(
            f"the JSON path {text!r} uses a filter the local engine cannot follow",
            hint="filters of the form ?(@ > 10) work; or extract the array and filter it",
        )
    return Path(strict, path)


def _matches(value: exp.Expr, path: Path) -> exp.Expr:
    """The JSON values the path selects, as a list (filtered by its filter)."""
    items = extract(value, path.path)
    listed = items if path.many else duck("CASE WHEN {0} IS NULL THEN [] ELSE [{0}] END", items)
    if not path.filter_op:
        return listed
    if path.filter_value.startswith("'"):
        test = f"json_extract_string(_cl_e, '$') {path.filter_op} {path.filter_value}"
    else:
        test = f"TRY_CAST(json_extract_string(_cl_e, '$') AS DOUBLE) {path.filter_op} {path.filter_value}"
    return duck(f"list_filter({{0}}, lambda _cl_e: {test})", listed)


def _on(node: exp.Expr, which: str) -> str | exp.Expr | None:
    condition = node.args.get("on_condition")
    return condition.args.get(which) if isinstance(condition, exp.OnCondition) else None


@rewrites(exp.JSONExists)
def json_exists(node: exp.Expr) -> exp.Expr:
    """json_exists(j, path): whether the path selects anything; a strict path that is not
    there is an error (FALSE, TRUE or UNKNOWN ON ERROR)."""
    path = parse_path(node.args.get("path"))
    value = as_json(node.this.this if isinstance(node.this, exp.FormatJson) else node.this)
    found = duck("len({0}) > 0", _matches(value, path))
    if not path.strict:
        return found
    on_error = str(_on(node, "error") or "FALSE ON ERROR").split()[0]
    fallback = {"TRUE": "true", "UNKNOWN": "NULL", "FALSE": "false"}.get(on_error, "false")
    missing = duck("{0} IS NULL", extract(value, path.path))
    return duck(f"CASE WHEN {{0}} THEN {fallback} ELSE {{1}} END", missing, found)


@rewrites(exp.JSONExtract)
def json_query(node: exp.Expr) -> exp.Expr | None:
    """json_query(j, path [WITH ARRAY WRAPPER] [OMIT QUOTES] [... ON EMPTY] [... ON ERROR])."""
    if not node.args.get("json_query"):
        return None
    path = parse_path(node.expression)
    matches = _matches(as_json(node.this), path)
    option = node.args.get("option")
    wrapped = (
        isinstance(option, exp.Var)
        and option.name.upper().startswith("WITH")
        and "WITHOUT" not in option.name.upper()
    )
    empty = str(_on(node, "empty") or "")
    if wrapped:
        when_empty = "'[]'" if empty.startswith("EMPTY ARRAY") else "NULL"
        return duck(
            f"CASE WHEN len({{0}}) = 0 THEN {when_empty} ELSE CAST(to_json({{0}}) AS VARCHAR) END", matches
        )
    single = duck("CASE WHEN len({0}) = 1 THEN {0}[1] END", matches)
    quote = node.args.get("quote")
    if isinstance(quote, exp.JSONExtractQuote) and quote.args.get("option") == "OMIT":
        return duck("json_extract_string({0}, '$')", single)
    return duck("CAST({0} AS VARCHAR)", single)


@rewrites(exp.JSONValue)
def json_value(node: exp.Expr) -> exp.Expr:
    """json_value(j, path [RETURNING t] [DEFAULT v ON EMPTY] [DEFAULT v ON ERROR]): the
    scalar at the path; a strict path that is not there is an error, a lax one is empty."""
    path = parse_path(node.args.get("path"))
    value = as_json(node.this)
    scalar = duck("json_extract_string({0}, {1})", value, path.path)
    returning = node.args.get("returning")
    if isinstance(returning, exp.DataType):
        scalar = exp.Cast(this=scalar, to=returning.copy())
    fallback = _on(node, "error") if path.strict else _on(node, "empty")
    if not isinstance(fallback, exp.Expr):
        return scalar
    return duck("coalesce({0}, {1})", scalar, fallback)
