"""Types, literals and casts: Trino's decimal literals take their precision from their
digits, ``DECIMAL`` alone is ``decimal(38,0)``, casts round (doubles to integers, timestamps
to a lower precision), doubles print as Java prints them, rows keep unnamed fields, and
``typeof`` names Trino's types."""

from __future__ import annotations

import re

from sqlglot import exp

from cornlake_toolkit.sql.compat.core import INTEGERS, STRINGS, call, duck, is_kind, rewrites, type_of, typed
from cornlake_toolkit.sql.compat.output import TYPE_META
from cornlake_toolkit.sql.dialect import decimal_literal_type
from cornlake_toolkit.sql.types import from_sqlglot


def _precision(dt: exp.DataType) -> int | None:
    params = [p for p in dt.expressions if isinstance(p, exp.DataTypeParam)]
    return int(params[0].name) if params else None


def _timestamp_cast(node: exp.Cast, to: exp.DataType) -> exp.Expr | None:
    precision = _precision(to)
    source = type_of(node.this)
    if precision is None:
        return None
    kind = exp.DType.TIMESTAMPTZ if to.this == exp.DType.TIMESTAMPTZ else exp.DType.TIMESTAMP
    if precision > 9:
        node.set("to", exp.DataType(this=exp.DType.TIMESTAMP_NS if kind == exp.DType.TIMESTAMP else kind))
        node.meta[TYPE_META] = from_sqlglot(to)
        return node
    source_precision = _precision(source) if source is not None else None
    if precision >= 6 or source is None or source.this not in (exp.DType.TIMESTAMP, exp.DType.TIMESTAMPTZ):
        return None
    if source_precision is not None and source_precision <= precision:
        return None
    step = 10 ** (6 - precision)
    rounded = duck(f"make_timestamp(CAST(round(epoch_us({{0}}) / {step}) * {step} AS BIGINT))", node.this)
    node.set("this", rounded)
    return node


@rewrites(exp.Cast)
def cast(node: exp.Expr) -> exp.Expr | None:
    """Typed literals and casts with Trino's semantics (see the module docstring)."""
    assert isinstance(node, exp.Cast)
    to = node.args["to"]
    if not isinstance(to, exp.DataType):
        return None
    if to.this == exp.DType.DECIMAL and not to.expressions:
        decided = exp.DataType.build("DECIMAL(38, 0)")
        node.set("to", decided)
        return typed(node, decided)
    if to.this in (exp.DType.TIMESTAMP, exp.DType.TIMESTAMPTZ):
        return _timestamp_cast(node, to)
    if to.this in INTEGERS and is_kind(node.this, exp.DType.DOUBLE, exp.DType.FLOAT):
        node.set("this", call("round", node.this))
        return node
    if to.this in STRINGS and is_kind(node.this, exp.DType.DOUBLE, exp.DType.FLOAT):
        return java_double_text(node.this)
    return None


def java_double_text(value: exp.Expr) -> exp.Expr:
    """A double as varchar the way Java prints it (``1.0E10``, ``0.001``, ``NaN``)."""
    plain = duck("CAST(abs({0}) AS VARCHAR)", value)
    digits = duck("ltrim(replace(split_part({0}, 'e', 1), '.', ''), '0')", plain)
    mantissa = duck("left({0}, 1) || '.' || coalesce(nullif(rtrim(substr({0}, 2), '0'), ''), '0')", digits)
    exponent = duck(
        "CASE WHEN contains({0}, 'e') THEN CAST(split_part({0}, 'e', 2) AS INTEGER) + "
        "strpos(split_part({0}, 'e', 1) || '.', '.') - 2 "
        "WHEN abs({1}) >= 1 THEN strpos({0}, '.') - 2 "
        "ELSE -(length(split_part({0}, '.', 2)) - length(ltrim(split_part({0}, '.', 2), '0')) + 1) END",
        plain,
        value,
    )
    return duck(
        "CASE WHEN {0} IS NULL THEN NULL WHEN isnan({0}) THEN 'NaN' "
        "WHEN isinf({0}) THEN CASE WHEN {0} > 0 THEN 'Infinity' ELSE '-Infinity' END "
        "WHEN {0} = 0 THEN CASE WHEN CAST({0} AS VARCHAR) LIKE '-%' THEN '-0.0' ELSE '0.0' END "
        "WHEN abs({0}) >= 0.001 AND abs({0}) < 10000000 THEN CAST({0} AS VARCHAR) "
        "ELSE CASE WHEN {0} < 0 THEN '-' ELSE '' END || {1} || 'E' || CAST({2} AS VARCHAR) END",
        value,
        mantissa,
        exponent,
    )


@rewrites(exp.Struct)
def row(node: exp.Expr) -> exp.Expr | None:
    """ROW(a, b) has unnamed fields, read by position (sqlglot names them _0, _1)."""
    values = node.expressions
    if any(isinstance(v, exp.PropertyEQ | exp.Slice) for v in values):
        return None
    return call("row", *values)


def trino_type(node: exp.Expr) -> str | None:
    """The Trino type of an expression as typeof names it, from its literal or sqlglot's type."""
    if isinstance(node, exp.Literal):
        if node.is_string:
            return f"varchar({len(node.name)})"
        if re.fullmatch(r"-?\d+", node.name):
            return "integer" if -(2**31) <= int(node.name) < 2**31 else "bigint"
        if "e" in node.name.lower():
            return "double"
        dt = decimal_literal_type(node.name)
        return from_sqlglot(dt) if dt is not None else None
    if isinstance(node, exp.Neg):
        return trino_type(node.this)
    if isinstance(node, exp.Array) and node.expressions:
        inner = trino_type(node.expressions[0])
        if inner and inner.startswith("varchar"):
            inner = (
                "varchar("
                + str(max(len(e.name) for e in node.expressions if isinstance(e, exp.Literal)))
                + ")"
            )
        return f"array({inner})" if inner else None
    return from_sqlglot(type_of(node))


_DUCK_TO_TRINO = [
    ("TIMESTAMP WITH TIME ZONE", "timestamp(3) with time zone"),
    ("TIMESTAMP_MS", "timestamp(3)"),
    ("TIMESTAMP_NS", "timestamp(9)"),
    ("TIMESTAMP_S", "timestamp(0)"),
    ("TIMESTAMP", "timestamp(6)"),
    ("INTEGER", "integer"),
    ("VARCHAR", "varchar"),
    ("BLOB", "varbinary"),
    ("FLOAT", "real"),
    ("STRUCT", "row"),
]


@rewrites(exp.Typeof)
def typeof(node: exp.Expr) -> exp.Expr:
    """typeof names Trino's types (``varchar(3)``, ``decimal(2,1)``, ``array(integer)``); the
    type is decided from the query where it can be, else from DuckDB's, renamed."""
    static = trino_type(node.this)
    if static is not None:
        return exp.Literal.string(static)
    runtime = call("typeof", node.this)
    for duck_name, trino_name in _DUCK_TO_TRINO:
        runtime = call(
            "replace", runtime, exp.Literal.string(duck_name), exp.Literal.string(trino_name.upper())
        )
    return call("lower", runtime)
