"""A model's rows as Parquet files on local disk, handled with DuckDB alone (no pyarrow).

The same on AWS and locally: the engine (Athena's ``UNLOAD``, or DuckDB over the local lake)
leaves the model's rows as Parquet files; here they are typed the way every reader of the
lake takes them, counted, checked, split by the partition column, hashed per partition and
written as the Parquet objects of a generation. Nothing here holds the rows in memory:
DuckDB streams them from file to file and spills to the scratch folder when it must.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from cornlake.sqlquote import ident, literal

NULL_PARTITION = "__HIVE_DEFAULT_PARTITION__"  # Hive's name for a null partition value
INTEGRAL = ("tinyint", "smallint", "int", "bigint")
_SIMPLE = {
    "boolean": "boolean",
    "tinyint": "tinyint",
    "smallint": "smallint",
    "integer": "int",
    "bigint": "bigint",
    "double": "double",
    "date": "date",
    "timestamp": "timestamp",
    "varchar": "string",
    "blob": "binary",
}


def glue_type(kind: Any) -> str:
    """The Glue type a column of this DuckDB type is registered with."""
    name = kind.id
    if name in _SIMPLE:
        return _SIMPLE[name]
    if name == "decimal":
        precision, scale = (int(str(v)) for _, v in kind.children)
        return f"decimal({precision},{scale})"
    if name == "list":
        return f"array<{glue_type(kind.children[0][1])}>"
    if name == "struct":
        return "struct<" + ",".join(f"{n}:{glue_type(t)}" for n, t in kind.children) + ">"
    return "string"


def typed(name: str, kind: Any, expected: str) -> str:
    """The select item that gives one column a type every reader takes (Athena's, not DuckDB's):
    unsigned, 128-bit and float numbers widened or narrowed, timestamps to microseconds in UTC.
    An integral ``expected`` type turns DuckDB's HUGEINT sums (or decimal(38,0)) into bigint."""
    column, t = ident(name), kind.id
    integral = expected in INTEGRAL
    if t in ("utinyint", "usmallint", "uinteger", "ubigint"):
        return f"CAST({column} AS BIGINT) AS {column}"
    if t in ("hugeint", "uhugeint") or (t == "decimal" and str(kind.children[1][1]) == "0" and integral):
        return f"CAST({column} AS {'BIGINT' if integral else 'DECIMAL(38,0)'}) AS {column}"
    if t == "float":
        return f"CAST({column} AS DOUBLE) AS {column}"
    if t.startswith("timestamp") and t != "timestamp":
        return f"CAST({column} AS TIMESTAMP) AS {column}"
    if t in _SIMPLE or t in ("decimal", "list", "struct"):
        return column
    return f"CAST({column} AS VARCHAR) AS {column}"


@dataclass
class Rows:
    """A model's typed rows: the view ``rows`` on a DuckDB connection, over Parquet files."""

    con: duckdb.DuckDBPyConnection
    columns: list[tuple[str, str]]  # (name, Glue type), in the model's order
    count: int

    def close(self) -> None:
        self.con.close()


def connect(scratch: Path) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(config={"autoinstall_known_extensions": False})  # none on Lambda: no ICU, UTC
    con.execute(f"SET temp_directory = {literal(str(scratch / 'spill'))}")
    return con


def open_rows(
    paths: list[Path], declared: Sequence[tuple[str, str]], scratch: Path, *, ordered: bool = False
) -> Rows:
    """The rows in ``paths``, typed; with no files (a query that found no rows writes none),
    no rows with the columns the model declares. ``ordered``: in the declared columns' order
    when the files hold exactly those columns (a Python model's table)."""
    con = connect(scratch)
    if paths:
        files = "[" + ", ".join(literal(str(p)) for p in paths) + "]"
        source = con.sql(f"SELECT * FROM read_parquet({files})")  # noqa: S608 - quoted paths
        expected = dict(declared)
        found = list(zip(source.columns, source.types, strict=True))
        if ordered and sorted(source.columns) == sorted(expected):
            order = list(expected)
            found.sort(key=lambda c: order.index(c[0]))
        items = [typed(n, k, expected.get(n, "")) for n, k in found]
        con.execute(f"CREATE VIEW rows AS SELECT {', '.join(items)} FROM read_parquet({files})")  # noqa: S608
    else:
        items = [f"CAST(NULL AS {duck_type(t)}) AS {ident(n)}" for n, t in declared]
        con.execute(f"CREATE VIEW rows AS SELECT {', '.join(items) or '1 AS _'} WHERE false")
    relation = con.sql("SELECT * FROM rows")
    columns = [(n, glue_type(k)) for n, k in zip(relation.columns, relation.types, strict=True)]
    counted = con.execute("SELECT count(*) FROM rows").fetchone()
    return Rows(con, columns, int(counted[0]) if counted else 0)


def duck_type(glue: str) -> str:
    """The DuckDB type for a declared Glue type (for a model's columns when it found no rows)."""
    from cornlake.datatypes import duckdb_type, parse_type

    return duckdb_type(parse_type(glue or "string")).replace("TIMESTAMPTZ", "TIMESTAMP")


def write(rows: Rows, path: Path, *, where: str = "", exclude: str = "") -> None:
    """The rows (those matching ``where``, without column ``exclude``) as one ZSTD Parquet file."""
    select = f"SELECT * EXCLUDE ({ident(exclude)})" if exclude else "SELECT *"
    query = f"{select} FROM rows{f' WHERE {where}' if where else ''}"
    rows.con.execute(f"COPY ({query}) TO {literal(str(path))} (FORMAT parquet, COMPRESSION zstd)")


def partition_values(rows: Rows, column: str) -> list[str]:
    """The partition values the rows hold, as Hive writes them, nulls as Hive's null partition."""
    query = f"SELECT DISTINCT CAST({ident(column)} AS VARCHAR) FROM rows"  # noqa: S608 - a quoted name
    found = rows.con.execute(query).fetchall()
    values = sorted((v for (v,) in found), key=lambda v: (v is None, str(v)))
    return [NULL_PARTITION if v is None else str(v) for v in values]


def value_filter(column: str, value: str) -> str:
    if value == NULL_PARTITION:
        return f"{ident(column)} IS NULL"
    return f"CAST({ident(column)} AS VARCHAR) = {literal(value)}"


def content_hash(rows: Rows, *, where: str = "", exclude: str = "") -> str:
    """The same rows hash the same, in any order (a sum of row hashes, so repeats count)."""
    names = [n for n, _ in rows.columns if n != exclude]
    schema = ",".join(f"{n}:{t}" for n, t in rows.columns if n != exclude)
    row = f"hash({', '.join(ident(n) for n in names)})" if names else "0"
    query = f"SELECT count(*), CAST(sum(CAST({row} AS HUGEINT)) AS VARCHAR) FROM rows"  # noqa: S608
    found = rows.con.execute(query + (f" WHERE {where}" if where else "")).fetchone()
    digest = hashlib.sha256(f"{schema}|{found}".encode())
    return digest.hexdigest()[:32]


def split_files(rows: Rows, column: str, folder: Path) -> dict[str, tuple[Path, str, int]]:
    """One Parquet file per partition value (the partition column left out of the files), with
    its content hash and row count; {'': (all rows, hash, count)} when the model is not partitioned."""
    folder.mkdir(parents=True, exist_ok=True)
    if not column:
        write(rows, folder / "part-all.parquet")
        return {"": (folder / "part-all.parquet", content_hash(rows), rows.count)}
    counts = dict(
        rows.con.execute(f"SELECT CAST({ident(column)} AS VARCHAR), count(*) FROM rows GROUP BY 1").fetchall()  # noqa: S608
    )
    parts = {}
    for n, value in enumerate(partition_values(rows, column)):
        where = value_filter(column, value)
        path = folder / f"part-{n:05d}.parquet"
        write(rows, path, where=where, exclude=column)
        count = int(counts.get(None if value == NULL_PARTITION else value, 0))
        parts[value] = (path, content_hash(rows, where=where, exclude=column), count)
    return parts


NUMPY_FORMS = {("timestamp", "date"), ("double", "decimal")}  # how numpy holds a date, a decimal


def relation_of(con: duckdb.DuckDBPyConnection, paths: list[Path], columns: list[tuple[str, str]]) -> Any:
    """An input table as a DuckDB relation over its Parquet files (no rows: its Glue columns)."""
    if paths:
        return con.read_parquet([str(p) for p in paths])
    items = [f"CAST(NULL AS {duck_type(t)}) AS {ident(n)}" for n, t in columns]
    return con.sql(f"SELECT {', '.join(items) or '1 AS _'} WHERE false")


def answer_relation(con: duckdb.DuckDBPyConnection, answer: Any) -> Any:
    """What a Python model returned as a relation: a DuckDB relation, a dict of columns (numpy
    arrays), or a pyarrow Table; None for anything else."""
    if isinstance(answer, duckdb.DuckDBPyRelation):
        return answer
    if isinstance(answer, dict) or type(answer).__module__.startswith("pyarrow"):
        _model_answer = answer  # DuckDB scans the Python object this name holds
        return con.sql("SELECT * FROM _model_answer")
    return None


def conform(relation: Any, declared: list[tuple[str, str]]) -> tuple[str, list[str]]:
    """The SELECT list that puts a Python model's columns in the sidecar's order and types, and
    the problems that stop it (a missing or extra column, a type numpy does not explain)."""
    found = {n: glue_type(t) for n, t in zip(relation.columns, relation.types, strict=True)}
    names = [n for n, _ in declared]
    if sorted(found) != sorted(names):
        return "", [f"model() returned columns {list(found)}, the sidecar declares {names}"]
    items, problems = [], []
    for name, wanted in declared:
        got = found[name]
        if got == wanted:
            items.append(ident(name))
        elif (got, wanted.split("(")[0]) in NUMPY_FORMS or (got.startswith("timestamp") and wanted == "date"):
            items.append(f"CAST({ident(name)} AS {duck_type(wanted)}) AS {ident(name)}")
        else:
            problems.append(f"model() returned column {name} as {got}, the sidecar says {wanted}")
    return ", ".join(items), problems
