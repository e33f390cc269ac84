"""The tables a query names, put into DuckDB as Athena would read them.

Each table becomes a DuckDB view ``<database>.<table>`` with the Glue schema (a column the
files lack reads as NULL, partition columns as Glue types them) over the cached objects of
the partitions the query reads (``pruning``, over registered or projected partitions,
``scan`` for the objects). A Glue view (Presto view text) becomes a DuckDB view over its
own tables. The schemas are handed to the compatibility layer for its types.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import duckdb
from sqlglot import exp

from cornlake.sqlquote import ident, literal
from cornlake_toolkit.errors import QueryError
from cornlake_toolkit.sql import projection, pruning
from cornlake_toolkit.sql.catalog import Catalog, Partition, TableSpec, duckdb_type
from cornlake_toolkit.sql.dialect import parse
from cornlake_toolkit.sql.formats import FILE_COLUMN, format_of, read_type
from cornlake_toolkit.sql.scan import ObjectCache

Translate = Callable[[exp.Expr, dict[str, Any] | None, str | None], str]


def table_references(tree: exp.Expr) -> list[exp.Table]:
    """The tables a statement reads (not its CTEs, not UNNEST or VALUES)."""
    ctes = {cte.alias_or_name.lower() for cte in tree.find_all(exp.CTE)}
    return [t for t in tree.find_all(exp.Table) if t.name and (t.db or t.name.lower() not in ctes)]


class Registrar:
    """Registers a query's tables in one DuckDB connection; returns their schemas."""

    def __init__(
        self,
        con: duckdb.DuckDBPyConnection,
        catalog: Catalog | None,
        cache: ObjectCache,
        translate: Translate,
    ) -> None:
        self.con, self.catalog, self.cache, self.translate = con, catalog, cache, translate
        self.schema: dict[str, dict[str, dict[str, exp.DataType]]] = {}
        self._done: set[tuple[str, str]] = set()

    def register_query(self, tree: exp.Expr, default: str | None = None) -> dict[str, Any]:
        references = table_references(tree)
        if references and self.catalog is None:
            raise QueryError(
                "this query names tables, and the engine has no catalog to find them in",
                hint="run it against the local lake (`cornlake local start`)",
            )
        if self.catalog is None:
            return {}
        groups: dict[tuple[str, str], list[exp.Table]] = {}
        for table in references:
            database = (table.db or default or self.catalog.default_database).lower()
            table.set("db", exp.to_identifier(database))
            groups.setdefault((database, table.name.lower()), []).append(table)
        for (database, name), tables in groups.items():
            self._register(database, name, tables)
        return self.schema

    def _register(self, database: str, name: str, references: list[exp.Table]) -> None:
        assert self.catalog is not None
        if (database, name) in self._done:
            return
        self._done.add((database, name))
        spec = self.catalog.table(database, name)
        self.schema.setdefault(database, {})[name] = spec.schema()
        self.con.execute(f"CREATE SCHEMA IF NOT EXISTS {ident(database)}")
        if spec.view_sql:
            self._register_view(spec)
            return
        partitions = self._partitions(spec, references)
        objects = self.cache.objects(spec.location, partitions)
        files = [(str(self.cache.path(o)), p) for i, p in enumerate(partitions) for o in objects[i]]
        self.con.execute(table_sql(self.con, spec, files))

    def _register_view(self, spec: TableSpec) -> None:
        tree = parse(spec.view_sql)
        schema = self.register_query(tree, spec.database)
        body = self.translate(tree, schema, spec.database)
        self.con.execute(f"CREATE VIEW {ident(spec.database)}.{ident(spec.name)} AS {body}")

    def _partitions(self, spec: TableSpec, references: list[exp.Table]) -> list[Partition | None]:
        """The partitions the references read; [None] for an unpartitioned table."""
        assert self.catalog is not None
        if not spec.partition_keys:
            return [None] if spec.present else []
        filters = [pruning.partition_filters(t, spec) for t in references]
        if spec.projected:
            candidates = projection.projected_partitions(
                spec,
                {
                    k: v
                    for k in spec.key_names
                    for f in filters
                    if f and (v := pruning.injected_values(f, k)) is not None
                },
            )
        else:
            candidates = self.catalog.registered_partitions(spec)
        chosen: dict[tuple[str, ...], Partition] = {}
        for found in filters:
            for partition in pruning.keep(candidates, spec, found or [], self._translate_filter):
                chosen[partition.values] = partition
        return list(chosen.values())

    def _translate_filter(self, query: exp.Expr) -> str:
        return self.translate(query, None, None)


def _partition_values(spec: TableSpec, files: list[tuple[str, Partition | None]]) -> str:
    keys = [(k, duckdb_type(t)) for k, t, _ in spec.partition_keys]
    rows = [
        "("
        + ", ".join(
            [literal(path)] + [f"CAST({literal(v)} AS {t})" for (_, t), v in zip(keys, p.values, strict=True)]
        )
        + ")"
        for path, p in files
        if p is not None
    ]
    names = ", ".join([FILE_COLUMN] + [ident(k) for k, _ in keys])
    return f"(VALUES {', '.join(rows)}) AS cornlake_partitions({names})"


def table_sql(
    con: duckdb.DuckDBPyConnection, spec: TableSpec, files: list[tuple[str, Partition | None]]
) -> str:
    """The DuckDB statement that makes ``spec`` a relation over ``files`` (or an empty table)."""
    target = f"{ident(spec.database)}.{ident(spec.name)}"
    if not files:
        defs = [f"{ident(c)} {read_type(t)}" for c, t, _ in spec.columns + spec.partition_keys]
        return f"CREATE TABLE {target} ({', '.join(defs)})"
    reader = format_of(spec)
    paths = [path for path, _ in files]
    columns = reader.columns(con, paths)
    source = f"{reader.source(paths)} AS cornlake_files"
    if not spec.partition_keys:
        return f"CREATE VIEW {target} AS SELECT {', '.join(columns)} FROM {source}"
    columns += [f"cornlake_partitions.{ident(k)}" for k in spec.key_names]
    return (
        f"CREATE VIEW {target} AS SELECT {', '.join(columns)} FROM {source} "
        f"JOIN {_partition_values(spec, files)} USING ({FILE_COLUMN})"
    )
