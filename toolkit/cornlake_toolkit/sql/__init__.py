"""Athena SQL, the same text everywhere: Athena on AWS, DuckDB over the local lake.

``LocalSqlEngine`` runs Athena (Trino) SQL on DuckDB over the local lake; ``AthenaEngine``
runs it on Athena. Both answer with a ``QueryResult``. See docs/SQL.md.
"""

from cornlake_toolkit.sql.athena import AthenaEngine
from cornlake_toolkit.sql.catalog import duckdb_type
from cornlake_toolkit.sql.engine import LocalSqlEngine, translate
from cornlake_toolkit.sql.result import QueryResult

ATHENA_DIALECT = "athena"  # the SQL both engines take: Athena engine v3 (Trino)

__all__ = ["ATHENA_DIALECT", "AthenaEngine", "LocalSqlEngine", "QueryResult", "duckdb_type", "translate"]
