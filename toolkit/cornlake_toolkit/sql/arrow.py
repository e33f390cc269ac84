"""Athena SQL on the local lake, answered as typed rows: Arrow tables or a Parquet file.

The same path as ``LocalSqlEngine.query`` (tables resolved in Glue, partitions pruned,
objects cached by ETag, the compatibility layer's translation), but the rows stay typed.
It runs the local lake's emulated Athena ``UNLOAD`` (cornlake_toolkit.local.emulator), and
``cornlake models run`` against a lake without its functions running.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from cornlake.modeling import Model
from cornlake.sqlquote import ident, literal
from cornlake_toolkit.errors import QueryError
from cornlake_toolkit.sql import statements
from cornlake_toolkit.sql.catalog import Catalog
from cornlake_toolkit.sql.dialect import parse
from cornlake_toolkit.sql.engine import Translator, connect
from cornlake_toolkit.sql.register import Registrar
from cornlake_toolkit.sql.scan import ObjectCache


class LocalArrowEngine:
    """Runs a model's SELECT (or reads a whole table) on DuckDB over the local lake."""

    def __init__(self, glue: Any, s3: Any, database: str, *, cache_dir: Path | None = None) -> None:
        self.glue, self.s3, self.database = glue, s3, database
        self._scratch = Path(tempfile.mkdtemp(prefix="cornlake-models-"))
        self.cache = ObjectCache(s3, cache_dir or self._scratch / "objects")
        self.notes: list[str] = []

    def close(self) -> None:
        shutil.rmtree(self._scratch, ignore_errors=True)

    def __enter__(self) -> LocalArrowEngine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _translated(self, sql: str, con: duckdb.DuckDBPyConnection) -> str:
        """The Athena SELECT as DuckDB runs it, its tables registered on ``con``."""
        statements.refuse_changes(sql)
        tree = parse(sql)
        statements.check_query(tree)
        translator = Translator(self.notes)
        catalog = Catalog(self.glue, self.database, self.notes)
        schema = Registrar(con, catalog, self.cache, translator).register_query(tree, self.database)
        return translator(tree, schema, self.database)

    def arrow(self, sql: str) -> pa.Table:
        """The rows of one Athena SELECT as an Arrow table."""
        con = connect()
        try:
            executed = self._translated(sql, con)
            try:
                return con.sql(executed).to_arrow_table()
            except duckdb.Error as err:
                raise QueryError(f"{err}\n(ran on DuckDB as: {executed})") from None
        finally:
            con.close()

    def parquet(self, sql: str, path: Path) -> int:
        """The rows of one Athena SELECT written to one Parquet file; how many."""
        con = connect()
        try:
            executed = self._translated(sql, con)
            try:
                executed = exact_integers(con, executed)
                con.execute(f"COPY ({executed}) TO {literal(str(path))} (FORMAT parquet, COMPRESSION zstd)")
                counted = con.execute(f"SELECT count(*) FROM read_parquet({literal(str(path))})").fetchone()
            except duckdb.Error as err:
                raise QueryError(f"{err}\n(ran on DuckDB as: {executed})") from None
            return int(counted[0]) if counted else 0
        finally:
            con.close()

    def select_to(self, model: Model, folder: Path) -> list[Path]:
        folder.mkdir(parents=True, exist_ok=True)
        self.parquet(model.sql, folder / "rows.parquet")
        return [folder / "rows.parquet"]

    def read(self, table: str, folder: Path) -> list[Path]:
        folder.mkdir(parents=True, exist_ok=True)
        self.parquet(f"SELECT * FROM {ident(table)}", folder / "table.parquet")
        return [folder / "table.parquet"]


def exact_integers(con: duckdb.DuckDBPyConnection, sql: str) -> str:
    """The query with DuckDB's 128-bit integers (a ``sum`` of integers) as decimal(38,0): Parquet
    has no 128-bit integer, and DuckDB would write them as doubles."""
    relation = con.sql(sql)
    wide = [
        n for n, t in zip(relation.columns, relation.types, strict=True) if t.id in ("hugeint", "uhugeint")
    ]
    if not wide:
        return sql
    replaced = ", ".join(f"CAST({ident(n)} AS DECIMAL(38,0)) AS {ident(n)}" for n in wide)
    return f"SELECT * REPLACE ({replaced}) FROM ({sql})"
