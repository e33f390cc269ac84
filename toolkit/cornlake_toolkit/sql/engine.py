"""The local engine: Athena SQL on DuckDB over the local lake's catalog and objects.

A query is parsed as Athena SQL (``dialect``); a statement Athena answers from the
catalog (SHOW, DESCRIBE) is answered from Glue (``statements``); anything that would
change the catalog or the data is refused. For a query, each table it names is looked up
in Glue (``catalog``), only the partitions its filters can match are kept (``pruning``,
over the registered or projected partitions), their objects are read through a cache
keyed by ETag (``scan``), and a DuckDB view with the Glue schema is put over them; the
query is then translated by the compatibility layer (``compat``) and run, and the answer
is given back in Athena's shapes (``fetch``).
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Any

import duckdb
from sqlglot import exp

from cornlake_toolkit.errors import QueryError
from cornlake_toolkit.sql import statements
from cornlake_toolkit.sql.catalog import Catalog
from cornlake_toolkit.sql.compat import generate, to_duckdb
from cornlake_toolkit.sql.dialect import parse
from cornlake_toolkit.sql.fetch import fetch
from cornlake_toolkit.sql.register import Registrar
from cornlake_toolkit.sql.result import QueryResult
from cornlake_toolkit.sql.scan import ObjectCache

ENGINE_NAME = "duckdb (local)"


def connect() -> duckdb.DuckDBPyConnection:
    """A DuckDB connection set up as Athena's sessions are: UTC, and Athena's rounding of casts."""
    con = duckdb.connect()
    con.execute("SET TimeZone='UTC'")
    return con


class Translator:
    """Athena trees to DuckDB SQL, remembering what sqlglot could not carry over (as notes)."""

    def __init__(self, notes: list[str]) -> None:
        self.notes = notes

    def __call__(self, tree: exp.Expr, schema: dict[str, Any] | None, database: str | None) -> str:
        sql, warnings = generate(to_duckdb(tree, schema, database))
        self.notes.extend(
            f"the DuckDB translation may differ from Athena here: {w}"
            for w in warnings
            if f"the DuckDB translation may differ from Athena here: {w}" not in self.notes
        )
        return sql


def translate(sql: str, schema: dict[str, Any] | None = None, database: str | None = None) -> str:
    """The DuckDB SQL the local engine runs for the Athena query ``sql`` (no tables are read)."""
    statements.refuse_changes(sql)
    tree = parse(sql)
    statements.check_query(tree)
    return Translator([])(tree, schema, database)


class LocalSqlEngine:
    """Run Athena SQL on DuckDB over tables registered in a Glue catalog and stored in S3.

    Without a catalog (``glue`` and ``s3`` None) it runs queries that name no table. Each
    object is downloaded at most once per engine (``cache_dir`` keeps them across engines)."""

    def __init__(self, glue: Any, s3: Any, default_database: str, *, cache_dir: Path | None = None) -> None:
        self.glue, self.s3, self.default_database = glue, s3, default_database
        self._scratch = Path(tempfile.mkdtemp(prefix="cornlake-sql-"))
        self.cache = ObjectCache(s3, cache_dir or self._scratch / "objects")

    def close(self) -> None:
        shutil.rmtree(self._scratch, ignore_errors=True)

    def __enter__(self) -> LocalSqlEngine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def query(self, sql: str) -> QueryResult:
        statements.refuse_changes(sql)
        tree = parse(sql)
        notes: list[str] = []
        catalog = Catalog(self.glue, self.default_database, notes) if self.glue is not None else None
        answered = statements.answer(tree, catalog)
        if answered is not None:
            columns, rows, types = answered
            return QueryResult(columns, rows, ENGINE_NAME, sql, tuple(notes), types)
        translator = Translator(notes)
        con = connect()
        try:
            schema = Registrar(con, catalog, self.cache, translator).register_query(
                tree, self.default_database
            )
            executed = translator(tree, schema, self.default_database)
            columns, rows, types = self._run(con, executed)
        finally:
            con.close()
        return QueryResult(columns, rows, ENGINE_NAME, executed, tuple(notes), types)

    @staticmethod
    def _run(
        con: duckdb.DuckDBPyConnection, executed: str
    ) -> tuple[list[str], list[tuple[Any, ...]], tuple[str, ...]]:
        try:
            relation = con.sql(executed)
            if relation is None:
                raise QueryError("the statement returned no result")
            return fetch(relation)
        except duckdb.Error as err:
            raise QueryError(f"{err}\n(ran on DuckDB as: {executed})") from None
