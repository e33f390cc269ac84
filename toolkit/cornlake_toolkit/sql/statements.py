"""Statements other than queries: what Athena answers from the catalog, and what the local
analyst path refuses.

``SHOW TABLES [IN db] [LIKE 'x']``, ``SHOW DATABASES``/``SCHEMAS``, ``SHOW COLUMNS FROM t``,
``DESCRIBE t`` and ``SHOW PARTITIONS t`` are answered from Glue with the columns Athena
gives them (``tab_name``, ``database_name``, ``field``, ``col_name``/``data_type``/
``comment``, ``partition``). DDL, DML and session statements (``DROP``, ``INSERT``,
``CREATE``, ``DELETE``, ``ALTER``, ``MERGE``, ``MSCK``, ``UNLOAD``...) are refused: the
catalog stage owns the tables and ingestion owns the data.
"""

from __future__ import annotations

import fnmatch
import re
from typing import TYPE_CHECKING, Any

from sqlglot import exp

from cornlake_toolkit.errors import QueryError
from cornlake_toolkit.sql.dialect import DIALECT

if TYPE_CHECKING:
    from cornlake_toolkit.sql.catalog import Catalog

Answer = tuple[list[str], list[tuple[Any, ...]], tuple[str, ...]]

CHANGES = {
    "ALTER",
    "ANALYZE",
    "CALL",
    "COMMENT",
    "COMMIT",
    "CREATE",
    "DEALLOCATE",
    "DELETE",
    "DENY",
    "DROP",
    "EXECUTE",
    "GRANT",
    "INSERT",
    "MERGE",
    "MSCK",
    "OPTIMIZE",
    "PREPARE",
    "REFRESH",
    "RESET",
    "REVOKE",
    "ROLLBACK",
    "SET",
    "START",
    "TRUNCATE",
    "UNLOAD",
    "UPDATE",
    "USE",
    "VACUUM",
}
QUERIES = (exp.Query, exp.Values)
_NAME = r'("(?:[^"]|"")+"|`[^`]+`|[\w$]+)'
_TABLE = rf"(?:{_NAME}\.)?{_NAME}"
_SHOW = {
    "tables": re.compile(rf"^TABLES(?:\s+(?:IN|FROM)\s+{_NAME})?(?:\s+LIKE\s+'((?:[^']|'')*)')?$", re.I),
    "databases": re.compile(r"^(?:DATABASES|SCHEMAS)(?:\s+LIKE\s+'((?:[^']|'')*)')?$", re.I),
    "columns": re.compile(rf"^COLUMNS\s+(?:IN|FROM)\s+{_TABLE}(?:\s+(?:IN|FROM)\s+{_NAME})?$", re.I),
    "partitions": re.compile(rf"^PARTITIONS\s+{_TABLE}$", re.I),
}


def refuse_changes(sql: str) -> None:
    """Refuse DDL, DML and session statements before they are even parsed."""
    words = [t.text.upper() for t in DIALECT.tokenize(sql)[:2]] if sql.strip() else []
    if words and words[0] in CHANGES:
        statement = " ".join(words)
        raise QueryError(
            f"{statement} is not run by the local engine: `cornlake query` is read-only, as the "
            "analysts' Athena workgroup is",
            hint="tables come from the dataset contracts (the catalog stage registers them) and data "
            "from ingestion (`cornlake ingest`, `cornlake push`); query with SELECT, SHOW or DESCRIBE",
        )


def check_query(tree: exp.Expr) -> None:
    """A statement the local engine cannot run as a query gets a clear error."""
    if isinstance(tree, QUERIES):
        return
    if isinstance(tree, exp.Command) and str(tree.this).upper() == "EXPLAIN":
        raise QueryError(
            "EXPLAIN is not available locally", hint="`cornlake sql translate` shows the DuckDB SQL"
        )
    name = str(tree.this).upper() if isinstance(tree, exp.Command) else type(tree).__name__.upper()
    raise QueryError(
        f"{name} is not a query the local engine runs", hint="run SELECT, WITH, VALUES, SHOW or DESCRIBE"
    )


def _unquote(name: str | None) -> str | None:
    if name is None:
        return None
    if name[:1] in ('"', "`"):
        return name[1:-1].replace('""', '"')
    return name.lower()


def _like(names: list[str], pattern: str | None) -> list[str]:
    if pattern is None:
        return names
    glob = pattern.replace("''", "'").replace("%", "*").replace("_", "?")
    return [n for n in names if fnmatch.fnmatchcase(n, glob)]


def answer(tree: exp.Expr, catalog: Catalog | None) -> Answer | None:
    """The answer to a SHOW or DESCRIBE statement; None for a query."""
    if isinstance(tree, exp.Describe) and isinstance(tree.this, exp.Table):
        return describe(_need(catalog), tree.this.db or None, tree.this.name)
    if isinstance(tree, exp.Command) and str(tree.this).upper() == "SHOW":
        return _show(_need(catalog), str(tree.expression.name).strip())
    check_query(tree)
    return None


def _need(catalog: Catalog | None) -> Catalog:
    if catalog is None:
        raise QueryError(
            "there is no catalog to answer from", hint="start the local lake: `cornlake local start`"
        )
    return catalog


def _show(catalog: Catalog, text: str) -> Answer:
    for kind, pattern in _SHOW.items():
        match = pattern.match(text)
        if match is None:
            continue
        groups = match.groups()
        if kind == "tables":
            names = _like(catalog.table_names(_unquote(groups[0]) or catalog.default_database), groups[1])
            return ["tab_name"], [(n,) for n in names], ("varchar",)
        if kind == "databases":
            return ["database_name"], [(n,) for n in _like(catalog.database_names(), groups[0])], ("varchar",)
        if kind == "columns":
            spec = catalog.table(
                _unquote(groups[0] or groups[2]) or catalog.default_database, str(_unquote(groups[1]))
            )
            return ["field"], [(c,) for c, _ in spec.all_columns], ("varchar",)
        database = _unquote(groups[0]) or catalog.default_database
        return (
            ["partition"],
            [(p,) for p in catalog.partition_names(database, str(_unquote(groups[1])))],
            ("varchar",),
        )
    raise QueryError(
        f"SHOW {text} is not answered locally",
        hint="SHOW TABLES, SHOW DATABASES, SHOW COLUMNS FROM t, SHOW PARTITIONS t, DESCRIBE t",
    )


def describe(catalog: Catalog, database: str | None, name: str) -> Answer:
    """``DESCRIBE t`` as Athena writes it: the columns, then the partition columns again."""
    spec = catalog.table(database or catalog.default_database, name)
    rows: list[tuple[Any, ...]] = [(c, t, comment) for c, t, comment in spec.described_columns]
    if spec.partition_keys:
        rows += [
            ("", "", ""),
            ("# Partition Information", "", ""),
            ("# col_name", "data_type", "comment"),
            ("", "", ""),
        ]
        rows += [(c, t, comment) for c, t, comment in spec.described_partitions]
    return ["col_name", "data_type", "comment"], rows, ("varchar", "varchar", "varchar")
