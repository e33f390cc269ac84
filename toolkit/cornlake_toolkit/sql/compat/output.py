"""Result columns as Athena gives them: named ``_col0``, ``_col1``... when the query names
none, and marked when their Athena type is one DuckDB cannot hold.

DuckDB keeps one session time zone where Trino keeps a zone with every ``timestamp with
time zone`` value, and DuckDB has no ``timestamp(1)`` or ``timestamp(12)``. A result
column whose zone or precision is known is wrapped in ``struct_pack(cornlake_value := v,
cornlake_zone := z, cornlake_type := t)``; the engine unwraps it into the value in its
zone and the Trino type name (``cornlake_toolkit.sql.fetch``).
"""

from __future__ import annotations

from sqlglot import exp

from cornlake_toolkit.sql.compat.core import duck
from cornlake_toolkit.sql.types import from_sqlglot

ZONE_META = "cornlake_zone"  # on a node: the zone (an expression) its tz values are in
TYPE_META = "cornlake_type"  # on a node: its Trino type, where DuckDB's would say otherwise
MARKER_FIELDS = ("cornlake_value", "cornlake_zone", "cornlake_type")


def outer_selects(tree: exp.Expr) -> list[exp.Select]:
    if isinstance(tree, exp.Select):
        return [tree]
    if isinstance(tree, exp.SetOperation):
        return outer_selects(tree.this)[:1]
    if isinstance(tree, exp.Subquery | exp.Paren):
        return outer_selects(tree.this)
    return []


def name_outputs(tree: exp.Expr) -> None:
    """Unnamed result columns get Athena's names, ``_col<position>``."""
    for select in outer_selects(tree):
        for i, projection in enumerate(select.expressions):
            if isinstance(projection, exp.Alias | exp.Column | exp.Star) or projection.is_star:
                continue
            if isinstance(projection, exp.Dot):
                continue
            projection.replace(exp.alias_(projection.copy(), f"_col{i}", quoted=False))


def _precision_type(node: exp.Expr) -> str | None:
    explicit = node.meta.get(TYPE_META)
    if explicit:
        return str(explicit)
    dt = node.type
    temporal = (exp.DType.TIMESTAMP, exp.DType.TIMESTAMPTZ, exp.DType.TIME)
    if dt is None:
        return None
    if dt.this == exp.DType.ARRAY and dt.expressions and isinstance(dt.expressions[0], exp.DataType):
        inner = dt.expressions[0]
        if inner.this in temporal and inner.expressions:
            return from_sqlglot(dt)
        return None
    if dt.this in temporal and dt.expressions:
        return from_sqlglot(dt)
    return None


def _marker(value: exp.Expr, zone: exp.Expr | None, type_name: str | None) -> exp.Expr:
    template = "struct_pack(cornlake_value := {0}, cornlake_zone := {1}, cornlake_type := {2})"
    return duck(
        template,
        value,
        zone.copy() if zone is not None else exp.Null(),
        exp.Literal.string(type_name) if type_name else exp.Null(),
    )


def mark_outputs(tree: exp.Expr) -> None:
    """Wrap result columns whose zone or precision DuckDB would lose."""
    if not isinstance(tree, exp.Select):
        return
    for projection in list(tree.expressions):
        inner = projection.this if isinstance(projection, exp.Alias) else projection
        zone = inner.meta.get(ZONE_META)
        type_name = _precision_type(inner)
        if zone is None and type_name is None:
            continue
        name = projection.alias_or_name
        projection.replace(exp.alias_(_marker(inner, zone, type_name), name, quoted=True))
