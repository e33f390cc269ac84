"""The Glue catalog as the local engine needs it: tables (and Presto views), their
registered partitions, and the names SHOW lists.

A dataset whose table is not in Glue yet (its first batch is on its way) is answered from
its contract: the table the catalog stage will register, with no data, and a note.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlglot import exp

from cornlake_toolkit.errors import QueryError

Column = tuple[str, str, str]  # name, Glue (Hive) type, comment


def duckdb_type(glue_type: str) -> str:
    """The DuckDB type of a Glue (Hive) column type."""
    return exp.DataType.build(glue_type, dialect="hive").sql("duckdb")


def sqlglot_type(glue_type: str) -> exp.DataType:
    return exp.DataType.build(glue_type, dialect="hive")


@dataclass(frozen=True)
class Partition:
    values: tuple[str, ...]
    location: str

    def name(self, keys: list[str]) -> str:
        return "/".join(f"{k}={v}" for k, v in zip(keys, self.values, strict=True))


@dataclass(frozen=True)
class TableSpec:
    database: str
    name: str
    columns: list[Column]
    partition_keys: list[Column]
    location: str = ""
    serde: str = ""  # the SerDe's class (SerializationLibrary)
    view_sql: str = ""
    present: bool = True  # False: from the contract, no batch cataloged yet
    parameters: dict[str, str] = field(default_factory=dict)
    serde_parameters: dict[str, str] = field(default_factory=dict)

    @property
    def all_columns(self) -> list[tuple[str, str]]:
        return [(c, t) for c, t, _ in self.columns + self.partition_keys]

    @property
    def described_columns(self) -> list[Column]:
        return self.columns + self.partition_keys

    @property
    def described_partitions(self) -> list[Column]:
        return self.partition_keys

    @property
    def key_names(self) -> list[str]:
        return [c for c, _, _ in self.partition_keys]

    @property
    def projected(self) -> bool:
        return self.parameters.get("projection.enabled", "").lower() == "true"

    def schema(self) -> dict[str, exp.DataType]:
        return {c: sqlglot_type(t) for c, t in self.all_columns}


def spec_from_glue(database: str, table: dict[str, Any], present: bool = True) -> TableSpec:
    from cornlake.catalog.views import view_sql

    descriptor = table.get("StorageDescriptor", {})
    serde_info = descriptor.get("SerdeInfo", {}) or {}
    parameters = table.get("Parameters", {}) or {}

    def columns(items: list[dict[str, Any]]) -> list[Column]:
        return [(c["Name"], c["Type"], c.get("Comment", "")) for c in items]

    return TableSpec(
        database=database,
        name=table["Name"],
        columns=columns(descriptor.get("Columns", [])),
        partition_keys=columns(table.get("PartitionKeys", [])),
        location=descriptor.get("Location", ""),
        serde=str(serde_info.get("SerializationLibrary", "")),
        view_sql=view_sql(table),
        present=present,
        parameters=dict(parameters),
        serde_parameters=dict(serde_info.get("Parameters", {}) or {}),
    )


class Catalog:
    """Glue lookups for one query (tables are read once per query)."""

    def __init__(self, glue: Any, default_database: str, notes: list[str]) -> None:
        self.glue, self.default_database, self.notes = glue, default_database, notes
        self._tables: dict[tuple[str, str], TableSpec] = {}

    def table(self, database: str, name: str) -> TableSpec:
        key = (database.lower(), name.lower())
        if key not in self._tables:
            self._tables[key] = self._lookup(*key)
        return self._tables[key]

    def _lookup(self, database: str, name: str) -> TableSpec:
        try:
            return spec_from_glue(database, self.glue.get_table(DatabaseName=database, Name=name)["Table"])
        except self.glue.exceptions.EntityNotFoundException:
            pass
        spec = self._from_contract(database, name)
        if spec is not None:
            return spec
        tables = self.table_names(database)
        raise QueryError(
            f"table {database}.{name} is not in the catalog",
            hint=f"tables in {database}: {', '.join(tables) or 'none yet'}; `cornlake datasets` "
            f"lists the datasets",
        )

    def _from_contract(self, database: str, name: str) -> TableSpec | None:
        from cornlake.catalog.tables import table_input
        from cornlake.contracts import registry

        contract = next((c for c in registry() if c.table_name == name), None)
        if contract is None or database != self.default_database:
            return None
        self.notes.append(
            f"{database}.{name} has no data yet: its first batch is still on its way or was never sent "
            f"(follow one with `cornlake ingest FILE --wait`)"
        )
        return spec_from_glue(database, table_input(contract, "no-data-yet"), present=False)

    def table_names(self, database: str) -> list[str]:
        try:
            pages = self.glue.get_paginator("get_tables").paginate(DatabaseName=database)
            return sorted(t["Name"] for page in pages for t in page.get("TableList", []))
        except self.glue.exceptions.EntityNotFoundException:
            return []

    def database_names(self) -> list[str]:
        pages = self.glue.get_paginator("get_databases").paginate()
        return sorted(d["Name"] for page in pages for d in page.get("DatabaseList", []))

    def registered_partitions(self, spec: TableSpec) -> list[Partition]:
        """The partitions registered in Glue (GetPartitions): the only ones Athena reads."""
        if not spec.present or not spec.partition_keys:
            return []
        pages = self.glue.get_paginator("get_partitions").paginate(
            DatabaseName=spec.database, TableName=spec.name
        )
        return [
            Partition(tuple(p["Values"]), p.get("StorageDescriptor", {}).get("Location", ""))
            for page in pages
            for p in page.get("Partitions", [])
        ]

    def partition_names(self, database: str, name: str) -> list[str]:
        spec = self.table(database, name)
        if not spec.partition_keys:
            raise QueryError(
                f"{database}.{name} is not partitioned", hint="SHOW PARTITIONS needs a partitioned table"
            )
        if spec.projected:
            self.notes.append(
                f"{database}.{name} uses partition projection: as on Athena, SHOW PARTITIONS lists only "
                "partitions registered in Glue, not the projected ones"
            )
        return sorted(p.name(spec.key_names) for p in self.registered_partitions(spec))
