"""Athena SQL, the same text everywhere: Athena on AWS, DuckDB over the local lake.

Locally the query is parsed as Athena (Trino) SQL by sqlglot, every table it names is
looked up in the (emulated) Glue catalog, that table's objects are mirrored from the
(emulated) S3 into a scratch folder, and a DuckDB view with the Glue schema is put over
them (Parquet or JSON lines, hive partitions as strings, as Athena sees them). Then the
query is transpiled to DuckDB's dialect and run.
"""

from __future__ import annotations

import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import sqlglot
from sqlglot import exp

from cornlake.sqlquote import ident as _quote
from cornlake.sqlquote import literal
from cornlake_toolkit.errors import QueryError

ATHENA_DIALECT = "athena"


@dataclass(frozen=True)
class QueryResult:
    columns: list[str]
    rows: list[tuple[Any, ...]]
    engine: str
    executed_sql: str
    notes: tuple[str, ...] = ()  # for people: e.g. a table that has no data yet


def duckdb_type(glue_type: str) -> str:
    return exp.DataType.build(glue_type, dialect="hive").sql("duckdb")


class LocalSqlEngine:
    """Run Athena SQL on DuckDB over tables registered in a Glue catalog and stored in S3."""

    def __init__(self, glue: Any, s3: Any, default_database: str) -> None:
        self.glue, self.s3, self.default_database = glue, s3, default_database
        self._scratch = Path(tempfile.mkdtemp(prefix="cornlake-sql-"))
        self.notes: list[str] = []

    def close(self) -> None:
        shutil.rmtree(self._scratch, ignore_errors=True)

    def __enter__(self) -> LocalSqlEngine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def query(self, sql: str) -> QueryResult:
        try:
            tree = sqlglot.parse_one(sql, read=ATHENA_DIALECT)
        except sqlglot.errors.ParseError as err:
            raise QueryError(
                f"not valid Athena SQL: {err}", hint="check the SQL near the position shown"
            ) from None
        con = duckdb.connect()
        con.execute("SET TimeZone='UTC'")
        self._registered: set[tuple[str, str]] = set()
        self._register_tables(con, tree, self.default_database)
        executed = tree.sql(dialect="duckdb")
        try:
            cursor = con.execute(executed)
            rows = cursor.fetchall()
        except duckdb.Error as err:
            raise QueryError(f"{err}\n(ran on DuckDB as: {executed})") from None
        columns = [d[0] for d in cursor.description or []]
        return QueryResult(columns, rows, "duckdb (local)", executed, tuple(self.notes))

    def _register_tables(self, con: duckdb.DuckDBPyConnection, tree: Any, default: str) -> None:
        """Give every table the query names its database, and put it (or its view) in DuckDB."""
        ctes = {cte.alias_or_name for cte in tree.find_all(exp.CTE)}
        for table in tree.find_all(exp.Table):
            if not table.name or (not table.db and table.name in ctes):
                continue
            database = table.db or default
            table.set("db", exp.to_identifier(database))
            if (database, table.name) not in self._registered:
                self._registered.add((database, table.name))
                self._register(con, database, table.name)

    def _register_view(self, con: duckdb.DuckDBPyConnection, database: str, name: str, sql: str) -> None:
        """A Glue view (Athena's ``/* Presto View */`` text): its tables first, then the view."""
        tree = sqlglot.parse_one(sql, read=ATHENA_DIALECT)
        self._register_tables(con, tree, database)
        con.execute(f"CREATE SCHEMA IF NOT EXISTS {_quote(database)}")
        con.execute(f"CREATE VIEW {_quote(database)}.{_quote(name)} AS {tree.sql(dialect='duckdb')}")

    def _table(self, database: str, name: str) -> tuple[dict[str, Any], bool]:
        """The Glue table and True; for a dataset whose first batch is not cataloged yet, the
        table its contract describes and False."""
        try:
            return dict(self.glue.get_table(DatabaseName=database, Name=name)["Table"]), True
        except self.glue.exceptions.EntityNotFoundException:
            pass
        from cornlake.catalog.tables import table_input
        from cornlake.contracts import registry

        contract = next((c for c in registry() if c.table_name == name), None)
        if contract is not None and database == self.default_database:
            self.notes.append(
                f"{database}.{name} has no data yet: its first batch is still on its way or was never sent "
                f"(follow one with `cornlake ingest FILE --wait`)"
            )
            return table_input(contract, "no-data-yet"), False
        try:
            listed = self.glue.get_tables(DatabaseName=database).get("TableList", [])
        except self.glue.exceptions.EntityNotFoundException:
            listed = []
        tables = sorted(t["Name"] for t in listed)
        raise QueryError(
            f"table {database}.{name} is not in the catalog",
            hint=f"tables in {database}: {', '.join(tables) or 'none yet'}; "
            "`cornlake datasets` lists the datasets",
        )

    def _register(self, con: duckdb.DuckDBPyConnection, database: str, name: str) -> None:
        table, present = self._table(database, name)
        from cornlake.catalog.views import view_sql

        if view_sql(table):
            self._register_view(con, database, name, view_sql(table))
            return
        descriptor = table["StorageDescriptor"]
        columns = [(c["Name"], c["Type"]) for c in descriptor["Columns"]]
        partitions = [p["Name"] for p in table.get("PartitionKeys", [])]
        is_json = "json" in descriptor.get("SerdeInfo", {}).get("SerializationLibrary", "").lower()
        con.execute(f"CREATE SCHEMA IF NOT EXISTS {_quote(database)}")
        target = f"{_quote(database)}.{_quote(name)}"
        folder = self._mirror(descriptor["Location"], ".json" if is_json else ".parquet") if present else None
        select = ", ".join([_quote(c) for c, _ in columns] + [_quote(p) for p in partitions])
        pattern = literal(str((folder or self._scratch) / "**" / ("*.json" if is_json else "*.parquet")))
        if folder is None or not any(folder.rglob("*.json" if is_json else "*.parquet")):
            defs = [f"{_quote(c)} {duckdb_type(t)}" for c, t in columns] + [
                f"{_quote(p)} VARCHAR" for p in partitions
            ]
            con.execute(f"CREATE TABLE {target} ({', '.join(defs)})")
        elif is_json:
            spec = "{" + ", ".join(f"{literal(c)}: {literal(duckdb_type(t))}" for c, t in columns) + "}"
            con.execute(
                f"CREATE VIEW {target} AS SELECT {select} FROM read_json({pattern}, "
                f"format='newline_delimited', columns={spec}, "
                "hive_partitioning=true, hive_types_autocast=false)"
            )
        else:
            options = "hive_partitioning=true, hive_types_autocast=false, union_by_name=true"
            source = f"read_parquet({pattern}, {options})"
            found = {row[0] for row in con.execute(f"DESCRIBE SELECT * FROM {source}").fetchall()}
            # A column the catalog has but no file has yet (added to the contract, or by schema
            # evolution after these files were written) reads as NULL, as it does in Athena.
            select = ", ".join(
                [
                    _quote(c) if c in found else f"CAST(NULL AS {duckdb_type(t)}) AS {_quote(c)}"
                    for c, t in columns
                ]
                + [_quote(p) for p in partitions]
            )
            con.execute(f"CREATE VIEW {target} AS SELECT {select} FROM {source}")

    def _mirror(self, location: str, suffix: str) -> Path:
        bucket, _, prefix = location.removeprefix("s3://").partition("/")
        folder = self._scratch / bucket / prefix
        folder.mkdir(parents=True, exist_ok=True)
        paginator = self.s3.get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=bucket, Prefix=prefix):
            for obj in page.get("Contents", []):
                key = obj["Key"]
                if not key.endswith(suffix):
                    continue
                path = self._scratch / bucket / key
                if not path.exists() or path.stat().st_size != obj["Size"]:
                    path.parent.mkdir(parents=True, exist_ok=True)
                    self.s3.download_file(bucket, key, str(path))
        return folder


class AthenaEngine:
    """Run SQL on Athena in the stack's analyst workgroup and fetch every result row."""

    def __init__(self, athena: Any, workgroup: str, database: str, poll_seconds: float = 1.0) -> None:
        self.athena, self.workgroup, self.database, self.poll = athena, workgroup, database, poll_seconds

    def query(self, sql: str, timeout: float = 600) -> QueryResult:
        started = self.athena.start_query_execution(
            QueryString=sql, WorkGroup=self.workgroup, QueryExecutionContext={"Database": self.database}
        )
        query_id = started["QueryExecutionId"]
        deadline = time.monotonic() + timeout
        while True:
            status = self.athena.get_query_execution(QueryExecutionId=query_id)["QueryExecution"]["Status"]
            state = status["State"]
            if state == "SUCCEEDED":
                break
            if state in ("FAILED", "CANCELLED"):
                raise QueryError(
                    f"Athena query {query_id} {state.lower()}: {status.get('StateChangeReason', '')}"
                )
            if time.monotonic() > deadline:
                self.athena.stop_query_execution(QueryExecutionId=query_id)
                raise QueryError(f"Athena query {query_id} took longer than {timeout}s and was stopped")
            time.sleep(self.poll)
        columns: list[str] = []
        rows: list[tuple[Any, ...]] = []
        paginator = self.athena.get_paginator("get_query_results")
        for page in paginator.paginate(QueryExecutionId=query_id):
            result = page["ResultSet"]
            if not columns:
                columns = [c["Name"] for c in result.get("ResultSetMetadata", {}).get("ColumnInfo", [])]
            data = [tuple(d.get("VarCharValue") for d in r["Data"]) for r in result.get("Rows", [])]
            if not rows and data and list(data[0]) == columns:
                data = data[1:]  # Athena repeats the header as the first row
            rows.extend(data)
        return QueryResult(columns, rows, f"athena ({self.workgroup})", sql)
