"""The transform's staging area: an in-memory DuckDB database (spilling to /tmp) that every
converted row passes through.

Blocks of raw records are loaded by the fast path (cornlake.fastpath) as set-based SQL;
records it is not sure of are kept aside with their raw text for the row path, whose typed
rows come back as canonical JSON lines. When the whole object is read, duplicates by
primary key are found (exactly, however large the file: DuckDB spills to disk), and the
rows are written as partitioned, zstd-compressed Parquet files of about the target size,
one partition at a time.

Memory stays flat: DuckDB works within ``memory_limit`` and spills to /tmp beyond it.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb

from cornlake.contracts import Contract
from cornlake.fastpath import CsvPlan, JsonPlan, duckdb_type, ident, literal

LINEAGE_COLUMN = "_ingest_id"
MEMORY_LIMIT_MB = 160  # DuckDB's working memory; beyond it, it spills to /tmp
MAX_LINE_BYTES = 9 * 1024 * 1024  # longer lines fail the block, which then goes to the row path
_PART_FORMATS = {"day": "%Y-%m-%d", "month": "%Y-%m", "hour": "%Y-%m-%d-%H"}


@dataclass(frozen=True)
class Flagged:
    """A record the fast path left to the row path: its number and raw text (JSON) or fields (CSV)."""

    number: int
    line: str
    fields: list[str] | None


@dataclass(frozen=True)
class OutputFile:
    partition: str
    path: Path
    rows: int


def _canonical(value: Any) -> Any:
    if isinstance(value, Decimal | date | datetime):
        return value.isoformat() if not isinstance(value, Decimal) else str(value)
    raise TypeError(type(value).__name__)


class Stage:
    """One raw object's rows on their way to Parquet."""

    def __init__(
        self,
        contract: Contract,
        tmp: Path,
        *,
        ingest_id: str,
        memory_limit_mb: int = MEMORY_LIMIT_MB,
    ) -> None:
        self.contract, self.tmp, self.ingest_id = contract, tmp, ingest_id
        # An in-memory database (no write-ahead log to pay for) that spills to /tmp past the limit.
        self.con = duckdb.connect(":memory:")
        threads = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
        self.con.execute(
            f"SET threads={threads}; SET memory_limit='{memory_limit_mb}MB'; "
            f"SET temp_directory={literal(str(tmp / 'spill'))}; SET preserve_insertion_order=false; "
            "SET TimeZone='UTC'; "
            # Everything the transform uses is built in: never look for extensions or write to $HOME.
            f"SET autoinstall_known_extensions=false; SET home_directory={literal(str(tmp))}"
        )
        self.evolved: list[str] = []
        columns = ", ".join(f"{ident(c.name)} {duckdb_type(c.type)}" for c in contract.columns)
        self.con.execute(
            f"CREATE TABLE stage (_n BIGINT, {columns}, _part VARCHAR, _ok BOOLEAN, "
            "_raw VARCHAR, _fields VARCHAR[], _extra VARCHAR[])"
        )
        self._rows_file = tmp / "row-path.jsonl"
        self._rows_handle = self._rows_file.open("w", encoding="utf-8")
        self._row_path_rows = 0

    # -- the fast path ---------------------------------------------------------------

    def _partition_sql(self, values: dict[str, str]) -> str:
        part = self.contract.partitioning
        if part.by == "ingest_date":
            return "NULL"  # filled in when writing: one value for the whole object
        return f"strftime({values[part.column]}, {literal(_PART_FORMATS[part.granularity])})"

    def load_json_lines(self, path: Path, first_number: int, encoding: str, *, guarded: bool = False) -> int:
        """Load one block of JSON lines; return how many records it held.

        ``guarded`` checks each line is valid JSON first: slower, but a malformed line is
        flagged instead of failing the block."""
        contract = self.contract
        plan = JsonPlan(contract.format)
        refs = {c.name: f"__c{i}" for i, c in enumerate(contract.columns)}
        nulls = {c.name: f"__n{i}" for i, c in enumerate(contract.columns)}
        built = [(c, *plan.column(c, nulls[c.name])) for c in contract.columns]
        evolved = {name: plan.evolved(name) for name in self.evolved}
        paths = "[" + ", ".join(literal(p) for p in plan.paths) + "]"
        names = [c.input_name for c in contract.columns] + self.evolved
        known = "[" + ", ".join(literal(n) for n in names) + "]::VARCHAR[]"
        doc = "CASE WHEN json_valid(line) THEN line ELSE '{}' END" if guarded else "line"
        # Each key is a distinct contract column exactly when there are as many keys as
        # columns found: no repeated key, no unknown one. Only other rows pay for list checks.
        present = " + ".join(f"({t} IS NOT NULL)::INTEGER" for t in plan.top_types)
        clean = f"len(k) = {present}"
        unknown = f"list_filter(k, lambda x: NOT list_contains({known}, x))"
        no_repeats = "len(list_distinct(k)) = len(k)" if contract.new_columns == "discard" else "false"
        checks = ["left(line, 1) = '{'", f"CASE WHEN {clean} THEN true ELSE {no_repeats} END"]
        checks += ["json_valid(line)"] if guarded else []
        checks += [ok(refs[c.name]) for c, _, _, ok in built]
        checks += [ok for _, ok in evolved.values()]
        part = self._partition_sql(refs)
        if part != "NULL":
            checks.append(f"{part} IS NOT NULL")
        null_tests = ", ".join(f"{test} AS {nulls[c.name]}" for c, test, _, _ in built)
        typed = ", ".join(f"{value} AS {refs[c.name]}" for c, _, value, _ in built)
        final = ", ".join(
            [f"{refs[c.name]} AS {ident(c.name)}" for c in contract.columns]
            + [f"{value} AS {ident(name)}" for name, (value, _) in evolved.items()]
        )
        read = (
            f"read_csv({literal(str(path))}, columns={{'line': 'VARCHAR'}}, header=false, delim='\\x01', "
            f"quote='', escape='', auto_detect=false, new_line='\\n', encoding={literal(encoding)}, "
            f"max_line_size={MAX_LINE_BYTES}, buffer_size={2 * MAX_LINE_BYTES})"
        )
        return self._insert(
            f"""
            INSERT INTO stage BY NAME
            WITH src AS (SELECT {first_number - 1} + row_number() OVER () AS _n, line FROM {read}),
            docs AS (SELECT _n, line, {doc} AS doc FROM src WHERE line IS NOT NULL),
            parsed AS (SELECT _n, line, json_extract_string(doc, {paths}) AS s, json_type(doc, {paths}) AS t,
                       json_keys(doc) AS k FROM docs),
            unpacked AS (SELECT _n, line, k, {plan.unpack()} FROM parsed),
            tested AS (SELECT *, {null_tests} FROM unpacked),
            typed AS (SELECT *, {typed} FROM tested),
            checked AS (SELECT _n, line, {final}, {part} AS _part, {" AND ".join(checks)} AS _ok,
                CASE WHEN {clean} THEN NULL ELSE {unknown} END AS _extra
                FROM typed)
            SELECT * EXCLUDE (line), CASE WHEN _ok THEN NULL ELSE line END AS _raw FROM checked
            """
        )

    def load_csv(self, path: Path, first_number: int, header: Sequence[str], encoding: str) -> int:
        """Load one block of CSV records (no header line); return how many records it held."""
        contract, spec = self.contract, self.contract.format
        plan = CsvPlan(spec)
        fields = [f"f{i}" for i in range(len(header))]
        by_name = dict(zip(header, fields, strict=True))
        refs = {c.name: f"__c{i}" for i, c in enumerate(contract.columns)}
        nulls = {c.name: f"__n{i}" for i, c in enumerate(contract.columns)}
        preps = {c.name: f"__p{i}" for i, c in enumerate(contract.columns)}
        built = [
            (c, *plan.column(by_name.get(c.input_name, "NULL::VARCHAR"), c, nulls[c.name], preps[c.name]))
            for c in contract.columns
        ]
        extra = [h for h in header if h not in {c.input_name for c in contract.columns}]
        checks = ["false"] if extra and contract.new_columns != "discard" else []
        checks += [ok(refs[c.name]) for c, _, _, _, ok in built]
        part = self._partition_sql(refs)
        if part != "NULL":
            checks.append(f"{part} IS NOT NULL")
        null_tests = ", ".join(
            f"{test} AS {nulls[c.name]}, {cleaned} AS {preps[c.name]}" for c, test, cleaned, _, _ in built
        )
        typed = ", ".join(f"{value} AS {refs[c.name]}" for c, _, _, value, _ in built)
        final = ", ".join(f"{refs[c.name]} AS {ident(c.name)}" for c in contract.columns)
        columns = "{" + ", ".join(f"'{f}': 'VARCHAR'" for f in fields) + "}"
        read = (
            f"read_csv({literal(str(path))}, columns={columns}, header=false, "
            f"delim={literal(spec.delimiter)}, quote={literal(spec.quote)}, escape={literal(spec.quote)}, "
            f"auto_detect=false, nullstr='\\x00\\x01', strict_mode=true, encoding={literal(encoding)}, "
            f"max_line_size={MAX_LINE_BYTES}, buffer_size={2 * MAX_LINE_BYTES})"
        )
        extra_sql = f"[{', '.join(literal(e) for e in extra)}]::VARCHAR[]" if extra else "NULL::VARCHAR[]"
        return self._insert(
            f"""
            INSERT INTO stage BY NAME
            WITH src AS (SELECT {first_number - 1} + row_number() OVER () AS _n, * FROM {read}),
            tested AS (SELECT *, {null_tests} FROM src),
            typed AS (SELECT *, {typed} FROM tested),
            checked AS (SELECT *, {part} AS _part, {" AND ".join(checks) or "true"} AS _ok FROM typed)
            SELECT _n, {final}, _part, _ok, CASE WHEN _ok THEN NULL ELSE [{", ".join(fields)}] END AS _fields,
                   {extra_sql} AS _extra FROM checked
            """
        )

    def _insert(self, sql: str) -> int:
        """Run an INSERT; return how many rows it added."""
        row = self.con.execute(sql).fetchone()
        return int(row[0]) if row else 0

    def flagged(self) -> Iterator[Flagged]:
        """Records the fast path did not accept, in file order, for the row path to decide."""
        cursor = self.con.execute("SELECT _n, _raw, _fields FROM stage WHERE NOT _ok ORDER BY _n")
        while batch := cursor.fetchmany(10_000):
            for number, raw, fields in batch:
                yield Flagged(int(number), raw or "", fields)

    def new_fields(self, first_number: int) -> set[str]:
        """Fields outside the contract in the records loaded from ``first_number`` on."""
        rows = self.con.execute(
            "SELECT DISTINCT unnest(_extra) FROM stage WHERE _n >= ? AND _extra IS NOT NULL", [first_number]
        )
        return {str(r[0]) for r in rows.fetchall()}

    def unexpected_columns(self) -> set[str]:
        rows = self.con.execute("SELECT DISTINCT unnest(_extra) FROM stage WHERE _extra IS NOT NULL")
        return {str(r[0]) for r in rows.fetchall()}

    # -- the row path ---------------------------------------------------------------

    def add_row(self, number: int, row: dict[str, Any], partition: str) -> None:
        """A row typed by the row path (cornlake.convert)."""
        self._rows_handle.write(
            json.dumps({"_n": number, "_part": partition, **row}, default=_canonical, ensure_ascii=False)
            + "\n"
        )
        self._row_path_rows += 1

    def evolve(self, names: Sequence[str]) -> None:
        """Columns schema evolution added (text columns)."""
        for name in names:
            if name not in self.evolved:
                self.con.execute(f"ALTER TABLE stage ADD COLUMN {ident(name)} VARCHAR")
                self.evolved.append(name)

    def _load_row_path(self) -> None:
        self._rows_handle.close()
        self.con.execute("DELETE FROM stage WHERE NOT _ok")
        if not self._row_path_rows:
            return
        types = {"_n": "BIGINT", "_part": "VARCHAR"}
        types |= {c.name: duckdb_type(c.type) for c in self.contract.columns}
        types |= dict.fromkeys(self.evolved, "VARCHAR")
        columns = "{" + ", ".join(f"{literal(k)}: {literal(v)}" for k, v in types.items()) + "}"
        self.con.execute(
            "INSERT INTO stage BY NAME SELECT *, true AS _ok FROM "
            f"read_json({literal(str(self._rows_file))}, format='newline_delimited', "
            f"columns={columns}, maximum_object_size={MAX_LINE_BYTES * 2})"
        )

    # -- finishing ------------------------------------------------------------------

    def duplicates(self) -> list[tuple[int, list[Any], str]]:
        """Rows whose primary key an earlier record of the same object already had:
        (record number, key, the row as JSON). The first occurrence stays."""
        self._load_row_path()
        key = self.contract.primary_key
        if not key:
            return []
        cols = ", ".join(ident(c) for c in key)
        by_key = ", ".join("s." + ident(c) for c in key)
        self.con.execute(
            f"""CREATE TEMP TABLE dups AS
            WITH repeated AS (SELECT {cols} FROM stage GROUP BY ALL HAVING count(*) > 1)
            SELECT _n FROM (
                SELECT s._n, row_number() OVER (PARTITION BY {by_key} ORDER BY s._n) AS k
                FROM stage s SEMI JOIN repeated r USING ({cols})
            ) WHERE k > 1"""
        )
        rows = self.con.execute(
            f"SELECT s._n, [{', '.join(f'CAST(s.{ident(c)} AS VARCHAR)' for c in key)}], "
            f"to_json(s) FROM stage s SEMI JOIN dups USING (_n) ORDER BY s._n"
        ).fetchall()
        self.con.execute("DELETE FROM stage WHERE _n IN (SELECT _n FROM dups)")
        return [(int(n), list(k), str(j)) for n, k, j in rows]

    def write(
        self, out: Path, *, default_partition: str, target_bytes: int, row_group_rows: int
    ) -> list[OutputFile]:
        """Write the staged rows as Parquet under ``out``, one folder per partition value.

        One partition at a time: a single Parquet writer is open, so memory does not grow
        with the number of partitions (DuckDB's PARTITION_BY keeps a writer per partition).
        With several partitions the rows are first sorted by partition, so each partition's
        rows are read once instead of every partition rescanning (and unspilling) them all."""
        out.mkdir(parents=True, exist_ok=True)
        columns = [ident(c.name) for c in self.contract.columns] + [ident(n) for n in sorted(self.evolved)]
        part = f"coalesce(_part, {literal(default_partition)})"
        values = [
            str(r[0]) for r in self.con.execute(f"SELECT DISTINCT {part} FROM stage ORDER BY 1").fetchall()
        ]
        table = "stage"
        if len(values) > 1:
            self.con.execute(
                f"CREATE TABLE by_partition AS SELECT {', '.join(columns)}, {part} AS _part "
                f"FROM stage ORDER BY _part; DROP TABLE stage"
            )
            table, part = "by_partition", "_part"
        metadata = {
            "cornlake.contract": self.contract.qualified_name,
            "cornlake.contract_version": str(self.contract.version),
        }
        kv = "{" + ", ".join(f"{literal(k)}: {literal(v)}" for k, v in metadata.items()) + "}"
        files = []
        for n, value in enumerate(values):
            folder = out / f"partition-{n}"
            self.con.execute(
                f"""COPY (
                    SELECT {", ".join(columns)}, {literal(self.ingest_id)} AS {LINEAGE_COLUMN}
                    FROM {table} WHERE {part} = {literal(value)}
                ) TO {literal(str(folder))} (FORMAT parquet, COMPRESSION zstd, FILE_SIZE_BYTES {target_bytes},
                    ROW_GROUP_SIZE {row_group_rows}, FILENAME_PATTERN 'part-{{i}}', KV_METADATA {kv})"""
            )
            for path in sorted(folder.glob("part-*.parquet"), key=lambda p: int(p.stem.split("-")[1])):
                count = self.con.execute(
                    f"SELECT sum(num_rows) FROM parquet_file_metadata({literal(str(path))})"
                ).fetchone()
                files.append(OutputFile(value, path, int(count[0]) if count else 0))
        return files

    def close(self) -> None:
        if not self._rows_handle.closed:
            self._rows_handle.close()
        self.con.close()
