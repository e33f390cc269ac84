"""The machinery of the compatibility layer: the registry of rewrites, DuckDB templates and
type questions about the (annotated) Athena tree.

A rewrite takes one node of the Athena tree, whose children are already rewritten and
still carry the types sqlglot inferred for them, and returns the DuckDB expression that
gives Athena's answer (or None: the node stays as it is, for sqlglot's own translation).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

import sqlglot
from sqlglot import exp

from cornlake_toolkit.errors import QueryError

Rewrite = Callable[[exp.Expr], "exp.Expr | None"]
Target = type[exp.Expr] | str


@dataclass(frozen=True)
class Entry:
    """One registered rewrite: what it targets, the function, and its docstring (what differs)."""

    targets: tuple[str, ...]
    rewrite: Rewrite
    family: str

    @property
    def doc(self) -> str:
        return " ".join((self.rewrite.__doc__ or "").split())


REGISTRY: dict[Target, list[Rewrite]] = {}
ENTRIES: list[Entry] = []


def _key(target: Target) -> Target:
    return target.upper() if isinstance(target, str) else target


def rewrites(*targets: Target) -> Callable[[Rewrite], Rewrite]:
    """Register a rewrite for sqlglot node classes or (unparsed, ``Anonymous``) function names."""

    def register(rewrite: Rewrite) -> Rewrite:
        for target in targets:
            REGISTRY.setdefault(_key(target), []).append(rewrite)
        names = tuple(t if isinstance(t, str) else t.__name__ for t in targets)
        ENTRIES.append(Entry(names, rewrite, rewrite.__module__.rsplit(".", 1)[-1]))
        return rewrite

    return register


def rewrites_for(node: exp.Expr) -> list[Rewrite]:
    if isinstance(node, exp.Anonymous):
        return REGISTRY.get(str(node.name).upper(), [])
    return REGISTRY.get(type(node), [])


# --- DuckDB templates ---------------------------------------------------------------------

_PLACEHOLDER = "__cl_arg{}__"


@lru_cache(maxsize=512)
def _template(text: str) -> exp.Expr:
    marked = text
    for i in range(10):
        marked = marked.replace("{" + str(i) + "}", _PLACEHOLDER.format(i))
    return sqlglot.parse_one(marked, read="duckdb")


def duck(template: str, *args: exp.Expr | str | int) -> exp.Expr:
    """DuckDB SQL with ``{0}``, ``{1}``... standing for the arguments (copied where repeated)."""
    values = [a if isinstance(a, exp.Expr) else _literal(a) for a in args]
    names = {_PLACEHOLDER.format(i): v for i, v in enumerate(values)}

    def fill(node: exp.Expr) -> exp.Expr:
        if isinstance(node, exp.Column) and not node.table and node.name in names:
            return names[node.name].copy()
        if isinstance(node, exp.Column) and node.table in names and not node.args.get("db"):
            return exp.Dot(this=exp.Paren(this=names[node.table].copy()), expression=node.this.copy())
        return node

    return _template(template).copy().transform(fill, copy=False)


def _literal(value: str | int) -> exp.Expr:
    return exp.Literal.string(value) if isinstance(value, str) else exp.Literal.number(value)


def call(name: str, *args: exp.Expr) -> exp.Expr:
    """A DuckDB function call by name, as written."""
    return exp.Anonymous(this=name, expressions=list(args))


def args_of(node: exp.Expr) -> list[exp.Expr]:
    """A function node's arguments in call order (``this`` first, then the rest)."""
    if isinstance(node, exp.Anonymous):
        return list(node.expressions)
    found: list[exp.Expr] = []
    for key in node.arg_types:
        value = node.args.get(key)
        if isinstance(value, list):
            found.extend(v for v in value if isinstance(v, exp.Expr))
        elif isinstance(value, exp.Expr):
            found.append(value)
    return found


def refuse(function: str, why: str, instead: str) -> QueryError:
    """The error for a function (``name(...)``) the local engine cannot run, and what to use."""
    return QueryError(f"{function} cannot run on the local engine: {why}", hint=f"use {instead}")


# --- types --------------------------------------------------------------------------------


def type_of(node: exp.Expr | None) -> exp.DataType | None:
    if node is None:
        return None
    dt = node.type
    if dt is None or dt.this in (exp.DType.UNKNOWN, exp.DType.NULL):
        return None
    return dt


def is_kind(node: exp.Expr | None, *kinds: exp.DType) -> bool:
    dt = type_of(node)
    return dt is not None and dt.this in kinds


INTEGERS = (exp.DType.TINYINT, exp.DType.SMALLINT, exp.DType.INT, exp.DType.BIGINT)
STRINGS = (exp.DType.VARCHAR, exp.DType.CHAR, exp.DType.TEXT)
BINARIES = (exp.DType.VARBINARY, exp.DType.BINARY, exp.DType.BLOB)
TEMPORALS = (exp.DType.TIMESTAMP, exp.DType.TIMESTAMPTZ, exp.DType.DATE, exp.DType.TIME)


def is_array(node: exp.Expr | None) -> bool:
    return isinstance(node, exp.Array) or is_kind(node, exp.DType.ARRAY)


def is_map(node: exp.Expr | None) -> bool:
    maps = exp.Map | exp.VarMap | exp.MapFromEntries | exp.StrToMap
    return isinstance(node, maps) or is_kind(node, exp.DType.MAP)


def is_binary(node: exp.Expr | None) -> bool:
    return is_kind(node, *BINARIES)


def element_type(node: exp.Expr | None) -> exp.DataType | None:
    dt = type_of(node)
    if dt is None or dt.this != exp.DType.ARRAY or not dt.expressions:
        return None
    inner = dt.expressions[0]
    return inner if isinstance(inner, exp.DataType) else None


def typed(node: exp.Expr, dt: exp.DataType | str | None) -> exp.Expr:
    """``node`` with a type, so the rewrites above it can ask."""
    if dt is not None:
        node.type = dt
    return node


# --- lambdas ------------------------------------------------------------------------------


def lambda_parts(node: exp.Expr | None) -> tuple[list[str], exp.Expr] | None:
    """A lambda's parameter names and body, None when ``node`` is not a lambda."""
    if not isinstance(node, exp.Lambda):
        return None
    return [p.name for p in node.expressions], node.this


def apply_lambda(node: exp.Expr, *values: exp.Expr) -> exp.Expr:
    """The body of the lambda ``node`` with each parameter replaced by a value: ``f(v1, v2)``."""
    parts = lambda_parts(node)
    if parts is None:
        raise QueryError("a lambda (x -> ...) was expected here", hint="see the function's documentation")
    params, body = parts
    mapping = dict(zip(params, values, strict=False))

    def value(name: str, was: exp.Expr) -> exp.Expr:
        return typed(exp.Paren(this=mapping[name].copy()), was.type)

    def put(inner: exp.Expr) -> exp.Expr:
        if isinstance(inner, exp.Column) and not inner.table and inner.name in mapping:
            return value(inner.name, inner)
        if isinstance(inner, exp.Column) and inner.table in mapping and not inner.args.get("db"):
            return exp.Dot(this=exp.Paren(this=mapping[inner.table].copy()), expression=inner.this.copy())
        if isinstance(inner, exp.Identifier) and inner.name in mapping and _is_value(inner):
            return value(inner.name, inner)
        return inner

    return body.copy().transform(put, copy=False)


def _is_value(identifier: exp.Identifier) -> bool:
    """Whether an identifier stands for a value (a lambda parameter), not a name in a path."""
    parent = identifier.parent
    if isinstance(parent, exp.Column | exp.Table | exp.Alias | exp.Lambda | exp.ColumnDef):
        return False
    return not (isinstance(parent, exp.Dot) and identifier.arg_key == "expression")


def lam(params: str, body: exp.Expr) -> exp.Expr:
    """A DuckDB lambda ``lambda a, b: body`` over the comma-separated ``params``."""
    return exp.Lambda(this=body, expressions=[exp.to_identifier(p.strip()) for p in params.split(",")])
