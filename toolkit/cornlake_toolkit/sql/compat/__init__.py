"""The Athena → DuckDB compatibility layer, on top of sqlglot's own translation.

sqlglot turns Athena (Trino) SQL into DuckDB SQL; where that translation gives another
answer than Athena (NULL handling, ordering, types, time zones, formats) or no answer at
all, a rewrite in one of the family modules here replaces the node, on the sqlglot tree,
before DuckDB SQL is generated. Each rewrite's docstring says what differs; ``ENTRIES``
lists them all (docs/SQL.md is written from it). Functions the local engine cannot run
are refused with a QueryError that names them and the nearest alternative.

``to_duckdb(tree)`` is the entry: annotate types (with the tables' schemas), rewrite
bottom-up, name unnamed result columns as Athena does (``_col0``), and mark result
columns whose Athena type DuckDB cannot hold (a time zone per value, a timestamp
precision) so the engine can give the values back as Athena would.
"""

from __future__ import annotations

import contextlib
from typing import Any

from sqlglot import exp
from sqlglot.dialects.duckdb import DuckDB
from sqlglot.errors import ErrorLevel
from sqlglot.optimizer.annotate_types import annotate_types
from sqlglot.optimizer.qualify import qualify

from cornlake_toolkit.sql.compat import (  # noqa: F401 - each module registers its rewrites
    aggregates,
    arrays,
    binary,
    dates,
    formats,
    jsonfn,
    maps,
    numbers,
    regexp,
    strings,
    typesfn,
    unnest,
    urls,
    zones,
)
from cornlake_toolkit.sql.compat.core import ENTRIES, Entry, rewrites_for
from cornlake_toolkit.sql.compat.output import mark_outputs, name_outputs, outer_selects
from cornlake_toolkit.sql.compat.retyping import retype
from cornlake_toolkit.sql.dialect import DIALECT

__all__ = ["ENTRIES", "Entry", "generate", "to_duckdb"]


def _unnamed(tree: exp.Expr) -> list[int]:
    """Positions of the result columns the query leaves unnamed (Athena names them ``_col<i>``)."""
    selects = outer_selects(tree)
    if not selects:
        return []
    return [
        i
        for i, p in enumerate(selects[0].expressions)
        if not isinstance(p, exp.Alias | exp.Column | exp.Star | exp.Dot)
    ]


def _annotate(tree: exp.Expr, schema: dict[str, Any] | None, database: str | None) -> exp.Expr:
    user_aliases = {a.alias for a in tree.find_all(exp.Alias)}
    unnamed = _unnamed(tree)
    with contextlib.suppress(Exception):  # qualifying only improves typing; the query runs without it
        tree = qualify(
            tree,
            dialect=DIALECT,
            db=database,
            schema=schema,
            expand_alias_refs=False,
            expand_stars=False,
            validate_qualify_columns=False,
            quote_identifiers=False,
            identify=False,
            allow_partial_qualification=True,
        )
    for alias in tree.find_all(exp.Alias):
        if alias.alias.startswith("_col_") and alias.alias not in user_aliases:
            alias.set("alias", exp.to_identifier("_col" + alias.alias.removeprefix("_col_")))
    for select in outer_selects(tree)[:1]:
        for i in unnamed:
            projection = select.expressions[i]
            if isinstance(projection, exp.Alias):
                projection.set("alias", exp.to_identifier(f"_col{i}"))
    for column in tree.find_all(exp.Column):
        if column.name.startswith("_col_") and not column.table and column.name not in user_aliases:
            column.set("this", exp.to_identifier("_col" + column.name.removeprefix("_col_")))
    try:
        return retype(annotate_types(tree, schema=schema, dialect=DIALECT), schema, DIALECT)
    except Exception:  # noqa: BLE001 - as above: types are a help, not a requirement
        return tree


def _rewrite(node: exp.Expr) -> exp.Expr:
    for child in list(node.iter_expressions()):
        new = _rewrite(child)
        if new is not child:
            child.replace(new)
    for rewrite in rewrites_for(node):
        rewritten = rewrite(node)
        if rewritten is not None:
            if rewritten.type is None or rewritten.type.this == exp.DType.UNKNOWN:
                rewritten.type = node.type
            for key, value in node.meta.items():
                rewritten.meta.setdefault(key, value)
            return rewritten
    return node


def to_duckdb(tree: exp.Expr, schema: dict[str, Any] | None = None, database: str | None = None) -> exp.Expr:
    """The DuckDB tree that gives Athena's answer to the Athena tree ``tree``."""
    annotated = _annotate(tree.copy(), schema, database)
    out = _rewrite(annotated)
    name_outputs(out)
    mark_outputs(out)
    return out


def generate(tree: exp.Expr) -> tuple[str, list[str]]:
    """DuckDB SQL text for a DuckDB tree, and what sqlglot says it could not carry over."""
    generator = DuckDB().generator(unsupported_level=ErrorLevel.IGNORE)
    return generator.generate(tree), list(generator.unsupported_messages)
