"""Type names as Athena (Trino) spells them, from DuckDB's result types and sqlglot's.

A result's ``types`` are Trino names (``integer``, ``varchar``, ``decimal(5,2)``,
``timestamp(3) with time zone``, ``array(integer)``, ``map(varchar, bigint)``,
``row(x bigint)``), the same words Athena puts in a result set's metadata.
"""

from __future__ import annotations

from typing import Any

from sqlglot import exp

_LEAVES = {
    "BOOLEAN": "boolean",
    "TINYINT": "tinyint",
    "SMALLINT": "smallint",
    "INTEGER": "integer",
    "BIGINT": "bigint",
    "HUGEINT": "decimal(38,0)",
    "UTINYINT": "smallint",
    "USMALLINT": "integer",
    "UINTEGER": "bigint",
    "UBIGINT": "decimal(20,0)",
    "FLOAT": "real",
    "DOUBLE": "double",
    "VARCHAR": "varchar",
    "JSON": "json",
    "BLOB": "varbinary",
    "DATE": "date",
    "TIME": "time(3)",
    "TIME WITH TIME ZONE": "time(3) with time zone",
    "TIMESTAMP_S": "timestamp(0)",
    "TIMESTAMP_MS": "timestamp(3)",
    "TIMESTAMP": "timestamp(6)",
    "TIMESTAMP_NS": "timestamp(9)",
    "TIMESTAMP WITH TIME ZONE": "timestamp(3) with time zone",
    "INTERVAL": "interval day to second",
    "UUID": "uuid",
    '"NULL"': "unknown",
    "NULL": "unknown",
}


def from_duckdb(duck: Any) -> str:
    """The Trino name of a DuckDB result type (a ``DuckDBPyType``)."""
    kind = str(duck.id)
    if kind in ("list", "array"):
        return f"array({from_duckdb(dict(duck.children)['child'])})"
    if kind == "map":
        children = dict(duck.children)
        return f"map({from_duckdb(children['key'])}, {from_duckdb(children['value'])})"
    if kind == "struct":
        return "row(" + ", ".join(f"{name} {from_duckdb(t)}" for name, t in duck.children) + ")"
    if kind == "tuple":
        return "row(" + ", ".join(from_duckdb(t) for _, t in duck.children) + ")"
    if kind == "decimal":
        children = dict(duck.children)
        return f"decimal({children['precision']},{children['scale']})"
    return _LEAVES.get(str(duck), str(duck).lower())


_SQLGLOT_LEAVES = {
    exp.DType.BOOLEAN: "boolean",
    exp.DType.TINYINT: "tinyint",
    exp.DType.SMALLINT: "smallint",
    exp.DType.INT: "integer",
    exp.DType.BIGINT: "bigint",
    exp.DType.FLOAT: "real",
    exp.DType.DOUBLE: "double",
    exp.DType.TEXT: "varchar",
    exp.DType.JSON: "json",
    exp.DType.VARBINARY: "varbinary",
    exp.DType.BINARY: "varbinary",
    exp.DType.DATE: "date",
    exp.DType.UUID: "uuid",
    exp.DType.INTERVAL: "interval day to second",
    exp.DType.NULL: "unknown",
}


def _params(dt: exp.DataType) -> list[str]:
    return [p.name for p in dt.expressions if isinstance(p, exp.DataTypeParam)]


def _temporal(dt: exp.DataType) -> str | None:
    params = _params(dt)
    precision = params[0] if params else "3"
    names = {
        exp.DType.TIMESTAMP: f"timestamp({precision})",
        exp.DType.TIMESTAMPTZ: f"timestamp({precision}) with time zone",
        exp.DType.TIME: f"time({precision})",
        exp.DType.TIMETZ: f"time({precision}) with time zone",
    }
    return names.get(dt.this)


def from_sqlglot(dt: exp.DataType | None) -> str | None:
    """The Trino name of a sqlglot type, None when sqlglot does not know it."""
    if dt is None or dt.this in (exp.DType.UNKNOWN, exp.DType.USERDEFINED):
        return None
    if dt.this in _SQLGLOT_LEAVES:
        return _SQLGLOT_LEAVES[dt.this]
    if dt.this in (exp.DType.VARCHAR, exp.DType.CHAR):
        params = _params(dt)
        word = "char" if dt.this == exp.DType.CHAR else "varchar"
        return f"{word}({params[0]})" if params else word
    if dt.this == exp.DType.DECIMAL:
        params = _params(dt) or ["38", "0"]
        return f"decimal({params[0]},{params[1] if len(params) > 1 else 0})"
    temporal = _temporal(dt)
    if temporal:
        return temporal
    return _nested(dt)


def _nested(dt: exp.DataType) -> str | None:
    inner = [from_sqlglot(e) if isinstance(e, exp.DataType) else None for e in dt.expressions]
    if dt.this == exp.DType.ARRAY and inner and inner[0]:
        return f"array({inner[0]})"
    if dt.this == exp.DType.MAP and len(inner) == 2 and all(inner):
        return f"map({inner[0]}, {inner[1]})"
    if dt.this == exp.DType.STRUCT:
        fields = []
        for field in dt.expressions:
            if isinstance(field, exp.ColumnDef):
                fields.append(f"{field.name} {from_sqlglot(field.args.get('kind'))}")
            elif isinstance(field, exp.DataType):
                fields.append(str(from_sqlglot(field)))
        return "row(" + ", ".join(fields) + ")" if fields else None
    return None
