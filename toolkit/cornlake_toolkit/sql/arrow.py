"""Athena SQL on the local lake, answered as Arrow tables: the engine local model runs use.

The same path as ``LocalSqlEngine.query`` (tables resolved in Glue, partitions pruned,
objects cached by ETag, the compatibility layer's translation), but the rows stay typed:
DuckDB hands back an Arrow table that the model runner writes as Parquet.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from cornlake.modeling import Model
from cornlake.sqlquote import ident
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

    def arrow(self, sql: str) -> pa.Table:
        """The rows of one Athena SELECT as an Arrow table."""
        statements.refuse_changes(sql)
        tree = parse(sql)
        statements.check_query(tree)
        translator = Translator(self.notes)
        con = connect()
        try:
            catalog = Catalog(self.glue, self.database, self.notes)
            schema = Registrar(con, catalog, self.cache, translator).register_query(tree, self.database)
            executed = translator(tree, schema, self.database)
            try:
                return con.sql(executed).to_arrow_table()
            except duckdb.Error as err:
                raise QueryError(f"{err}\n(ran on DuckDB as: {executed})") from None
        finally:
            con.close()

    def select(self, model: Model) -> pa.Table:
        return self.arrow(model.sql)

    def read(self, table: str) -> pa.Table:
        return self.arrow(f"SELECT * FROM {ident(table)}")


def local_engine(settings: Any) -> LocalArrowEngine:
    """The engine the local runtime gives the model function: DuckDB over the local lake."""
    from cornlake import aws

    return LocalArrowEngine(aws.glue(), aws.s3(), settings.glue_database)
