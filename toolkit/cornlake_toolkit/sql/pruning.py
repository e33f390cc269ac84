"""Partition pruning: the partitions a query can read are those its filters on partition
columns keep, decided the way Athena decides them.

For each reference to a table, the conjuncts of the WHERE of the query block that reads
it that use only the table's partition columns (and constants) are evaluated, by DuckDB,
over the candidate partitions' values; a reference without such a filter needs every
partition. ``=``/``IN`` filters also give the values of injected projected columns.
"""

from __future__ import annotations

from typing import Any

import duckdb
from sqlglot import exp

from cornlake.sqlquote import ident
from cornlake_toolkit.sql.catalog import Partition, TableSpec, duckdb_type


def _conjuncts(where: exp.Expr | None) -> list[exp.Expr]:
    if where is None:
        return []
    node = where.this if isinstance(where, exp.Where) else where
    if isinstance(node, exp.And):
        return _conjuncts(node.left) + _conjuncts(node.right)
    if isinstance(node, exp.Paren):
        return _conjuncts(node.this)
    return [node]


def _names(table: exp.Table) -> set[str]:
    return {table.alias_or_name.lower(), table.name.lower()}


def partition_filters(table: exp.Table, spec: TableSpec) -> list[exp.Expr] | None:
    """The WHERE conjuncts over only this table's partition columns; None: no block reads it."""
    select = table.find_ancestor(exp.Select)
    if select is None:
        return None
    keys = {k.lower() for k in spec.key_names}
    names = _names(table)
    kept = []
    for conjunct in _conjuncts(select.args.get("where")):
        if conjunct.find(exp.Select, exp.Subquery, exp.Exists) is not None:
            continue
        columns = list(conjunct.find_all(exp.Column))
        if columns and all(
            c.name.lower() in keys and (not c.table or c.table.lower() in names) for c in columns
        ):
            kept.append(conjunct)
    return kept


def injected_values(filters: list[exp.Expr], column: str) -> list[str] | None:
    """The values an ``=`` or ``IN`` filter gives a column (for injected projection)."""
    for conjunct in filters:
        if isinstance(conjunct, exp.EQ):
            sides = (conjunct.this, conjunct.expression)
            for a, b in (sides, sides[::-1]):
                if (
                    isinstance(a, exp.Column)
                    and a.name.lower() == column.lower()
                    and isinstance(b, exp.Literal)
                ):
                    return [b.name]
        target = conjunct.this if isinstance(conjunct, exp.In) else None
        if isinstance(target, exp.Column) and target.name.lower() == column.lower():
            values = [v.name for v in conjunct.expressions if isinstance(v, exp.Literal)]
            if len(values) == len(conjunct.expressions):
                return values
    return None


def _unqualified(conjunct: exp.Expr) -> exp.Expr:
    def strip(node: exp.Expr) -> exp.Expr:
        if isinstance(node, exp.Column):
            return exp.column(node.name)
        return node

    return conjunct.copy().transform(strip, copy=False)


def keep(
    partitions: list[Partition], spec: TableSpec, filters: list[exp.Expr], translate: Any
) -> list[Partition]:
    """The partitions whose values pass every filter (all of them when DuckDB cannot tell)."""
    if not filters or not partitions:
        return partitions
    condition = exp.and_(*[_unqualified(f) for f in filters])
    query = exp.select("cornlake_index").from_("cornlake_partitions").where(condition)
    try:
        with duckdb.connect() as con:
            con.execute("SET TimeZone='UTC'")
            # the candidates as columns, one list parameter each: one call whatever their number
            lists = [list(range(len(partitions)))] + [
                [p.values[j] for p in partitions] for j in range(len(spec.partition_keys))
            ]
            unnested = ", ".join(
                ["unnest($1::INTEGER[]) AS cornlake_index"]
                + [
                    f"CAST(unnest(${j + 2}::VARCHAR[]) AS {duckdb_type(t)}) AS {ident(k)}"
                    for j, (k, t, _) in enumerate(spec.partition_keys)
                ]
            )
            con.execute(f"CREATE TABLE cornlake_partitions AS SELECT {unnested}", lists)
            chosen = {row[0] for row in con.sql(translate(query)).fetchall()}
    except duckdb.Error:
        return partitions
    return [p for i, p in enumerate(partitions) if i in chosen]
