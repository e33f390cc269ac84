"""The transform's staging area: every converted row passes through it on its way to Parquet.

Each input format's fast path loads blocks of raw records here as set-based SQL
(``insert``). A block's typed rows go straight to a Parquet file of their own on /tmp,
sorted by partition, with small row groups; the staging database keeps only what must be
looked up: the records the fast path was not sure of, with their raw text (``flagged``),
for the row path, whose typed rows come back as canonical JSON lines (``add_row``) and join
the files at the end. Duplicates by primary key are then found exactly over the files' key
columns (DuckDB spills to disk past its memory limit), and cornlake.transform.write writes
each partition from the block files, whose row-group statistics let every partition read
little more than its own rows.

Staging rows in files rather than in a database table costs no checkpoints (an in-memory
table copies its row groups every 16 MB appended) and no sort before the partitioned write.
Memory stays flat: blocks are written as they load, and DuckDB works within ``memory_limit``.
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb

from cornlake.contracts import Contract
from cornlake.datatypes import duckdb_type
from cornlake.sqlquote import ident, literal, string_list

MEMORY_LIMIT_MB = 160  # DuckDB's working memory; beyond it, it spills to /tmp
ROW_CHUNK_BYTES = 8 * 1024 * 1024  # the row path's rows are staged in files of about this much JSON
PLAIN_STAGED_BYTES = 1 << 30  # staged files are compressed once they hold this much
BLOCK_ROW_GROUP_ROWS = 16_384  # a block file's row groups: small, so a partition's read skips most
MAX_LINE_BYTES = 9 * 1024 * 1024  # longer lines fail the block, which then goes to the row path
# Errors DuckDB raises for data it cannot read (bad bytes, malformed JSON, ragged CSV): the
# block goes to the row path, which says what is wrong record by record.
DATA_ERRORS = (duckdb.InvalidInputException, duckdb.ConversionException)


@dataclass(frozen=True)
class Flagged:
    """A record the fast path left to the row path: its number, raw text (JSON) or fields (CSV),
    and the first contract column whose value the fast path was not sure of ('' when it was the
    record as a whole: a key outside the contract, a repeated key, JSON it could not check)."""

    number: int
    line: str
    fields: list[str] | None
    column: str = ""


def column_or_null(name: str, present: set[str]) -> str:
    """A staged column by name, or a NULL text in its place where no staged file holds it (a
    new column only the quarantined records brought)."""
    return ident(name) if name in present else f"NULL::VARCHAR AS {ident(name)}"


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
        self.threads = threads  # the cores this function has: blocks may load on that many cursors
        self._cursors = threading.local()
        self.con.execute(
            f"SET threads={threads}; SET memory_limit='{memory_limit_mb}MB'; "
            f"SET temp_directory={literal(str(tmp / 'spill'))}; SET preserve_insertion_order=false; "
            "SET TimeZone='UTC'; "
            # Everything the transform uses is built in: never look for extensions or write to $HOME.
            f"SET autoinstall_known_extensions=false; SET home_directory={literal(str(tmp))}"
        )
        self.evolved: list[str] = []
        types = {c.name: duckdb_type(c.type) for c in contract.columns}
        columns = ", ".join(f"{ident(name)} {t}" for name, t in types.items())
        # Flagged records only: the rows the fast path accepted are in the block files.
        self.con.execute(
            f"CREATE TABLE stage (_n BIGINT, {columns}, _part VARCHAR, _ok BOOLEAN, "
            "_raw VARCHAR, _fields VARCHAR[], _extra VARCHAR[], _off VARCHAR)"
        )
        self._key = [ident(c) for c in contract.primary_key]
        self._blocks = tmp / "staged"
        self._blocks.mkdir(parents=True, exist_ok=True)
        self._files: dict[Path, int] = {}  # each block file → the number of its first record now
        self._files_lock = threading.Lock()
        self._dups = False  # a table of duplicate record numbers exists
        self._staged_bytes = 0  # the block files' size so far
        self._rows_file = tmp / "row-path.jsonl"  # the row path's rows since the last chunk file
        self._rows_handle = self._rows_file.open("w", encoding="utf-8")
        self._rows_bytes = 0
        self._row_chunks = 0
        self.load_seconds = 0.0  # wall time with a block loading: typing, checking, staging
        self._loading = 0  # blocks loading now (side by side on several cores)
        self._loading_since = 0.0
        self._load_lock = threading.Lock()

    # -- the fast path ---------------------------------------------------------------

    def partition_sql(self, values: dict[str, str]) -> str:
        """The partition value as SQL over the typed columns (``values``: column → expression)."""
        part = self.contract.partitioning
        if part.by == "ingest_date":
            return "NULL"  # filled in when writing: one value for the whole object
        moment = values[part.column]
        if part.timezone != "UTC":  # the partition follows the local calendar of the contract
            moment = f"timezone({literal(part.timezone)}, {moment})"
        return f"strftime({moment}, {literal(part.value_format)})"

    def insert(self, select: str, *, first: int, parallel: bool = False) -> int:
        """Load one block: ``select`` (built by a format's fast path) gives its rows, the first
        numbered ``first``. They are written to the block's file, sorted by partition, and its
        flagged records come into the database. Returns how many rows the block gave. On any
        error nothing of the block stays. ``parallel``: on this thread's own cursor, so blocks
        load side by side (DuckDB appends from several connections to one table without
        conflict)."""
        con = self._cursor() if parallel else self.con
        path = self._blocks / f"block-{first}.parquet"
        self._loads(+1)
        try:
            row = con.execute(
                f"COPY ({self._by_partition(f'SELECT * FROM ({select})')}) TO {literal(str(path))} "
                f"({self._file_options()})"
            ).fetchone()
            self._index(con, path)
        except BaseException:
            path.unlink(missing_ok=True)
            raise
        finally:
            self._loads(-1)
        with self._files_lock:
            self._files[path] = first
            self._staged_bytes += path.stat().st_size
        return int(row[0]) if row else 0

    def _by_partition(self, select: str) -> str:
        """``select`` sorted by partition, so a partition's read skips the other row groups
        (with one partition per object, by ingest date, there is nothing to sort)."""
        return select if self.contract.partitioning.by == "ingest_date" else f"{select} ORDER BY _part"

    def _file_options(self) -> str:
        """How a staged file is written: uncompressed (the fastest) while the files hold less than
        ``PLAIN_STAGED_BYTES``, snappy (about half the size) after, so a big object's files fit /tmp.
        Parquet's version 2 encodings (delta-encoded numbers and string lengths) make the files
        about 38% smaller than version 1's, and the run 1-3% faster (docs/PERFORMANCE.md)."""
        codec = "uncompressed" if self._staged_bytes < PLAIN_STAGED_BYTES else "snappy"
        return (
            f"FORMAT parquet, COMPRESSION {codec}, ROW_GROUP_SIZE {BLOCK_ROW_GROUP_ROWS}, PARQUET_VERSION V2"
        )

    @staticmethod
    def _index(con: duckdb.DuckDBPyConnection, path: Path) -> None:
        """A block file's flagged records into the database."""
        src = f"read_parquet({literal(str(path))})"
        con.execute(f"INSERT INTO stage BY NAME SELECT * FROM {src} WHERE NOT _ok")

    def _loads(self, change: int) -> None:
        """Count the time any block loads once, however many overlap, so the phases of a run
        still add up to its wall time."""
        with self._load_lock:
            now = time.perf_counter()
            if self._loading == 0:
                self._loading_since = now
            self._loading += change
            if self._loading == 0:
                self.load_seconds += now - self._loading_since

    def cursor(self) -> duckdb.DuckDBPyConnection:
        """This thread's own cursor on the staging database (for work done side by side)."""
        return self._cursor()

    def _cursor(self) -> duckdb.DuckDBPyConnection:
        cursor = getattr(self._cursors, "con", None)
        if cursor is None:
            cursor = self._cursors.con = self.con.cursor()
        return cursor

    def discard(self, first: int, records: int, *, parallel: bool = False) -> None:
        """Forget the records numbered ``first`` to ``first + records - 1`` (one block's), so the
        row path can read that block again."""
        con = self._cursor() if parallel else self.con
        path = self._blocks / f"block-{first}.parquet"
        with self._files_lock:
            self._files.pop(path, None)
        path.unlink(missing_ok=True)
        con.execute("DELETE FROM stage WHERE _n BETWEEN ? AND ?", [first, first + records - 1])

    def renumber(self, first: int, by: int) -> None:
        """Move the records numbered ``first`` and on ``by`` numbers up: a block before them,
        read by the row path, held more records than its cut counted. Block files from there
        on are written again with their new numbers (rare: a line break DuckDB refuses)."""
        self.con.execute("UPDATE stage SET _n = _n + ? WHERE _n >= ?", [by, first])
        with self._files_lock:
            moved = [(path, start) for path, start in self._files.items() if start >= first]
            for path, start in moved:
                again = path.with_suffix(".renumbered")
                moved_rows = (
                    f"SELECT * REPLACE (_n + {int(by)} AS _n) FROM read_parquet({literal(str(path))})"
                )
                target = f"{literal(str(again))} ({self._file_options()})"
                self.con.execute(f"COPY ({self._by_partition(moved_rows)}) TO {target}")
                again.replace(path)
                self._files[path] = start + by

    def flagged(self) -> Iterator[Flagged]:
        """Records the fast path did not accept, in file order, for the row path to decide."""
        cursor = self.con.execute("SELECT _n, _raw, _fields, _off FROM stage WHERE NOT _ok ORDER BY _n")
        while batch := cursor.fetchmany(10_000):
            for number, raw, fields, column in batch:
                yield Flagged(int(number), raw or "", fields, column or "")

    def new_fields(self, first_number: int) -> set[str]:
        """Fields outside the contract in the records loaded from ``first_number`` on. Unless
        new fields are discarded, a record with one is flagged: it is in the database."""
        rows = self.con.execute(
            "SELECT DISTINCT unnest(_extra) FROM stage WHERE _n >= ? AND _extra IS NOT NULL", [first_number]
        )
        return {str(r[0]) for r in rows.fetchall()}

    def unexpected_columns(self) -> set[str]:
        """Fields outside the contract in any record loaded (accepted ones are in the files)."""
        files = "_extra" in self.staged_columns()  # every block file has it, the row path's not
        accepted = f" UNION ALL SELECT _extra FROM {self._all_files()}" if files else ""
        everything = f"(SELECT _extra FROM stage{accepted})"
        rows = self.con.execute(f"SELECT DISTINCT unnest(_extra) FROM {everything} WHERE _extra IS NOT NULL")
        return {str(r[0]) for r in rows.fetchall()}

    # -- the row path ---------------------------------------------------------------

    def add_row(self, number: int, row: dict[str, Any], partition: str) -> None:
        """A row typed by the row path (cornlake.transform.rowpath). Every ``ROW_CHUNK_BYTES``
        of them become a file like a block's, so no sort ever holds more than that."""
        line = json.dumps({"_n": number, "_part": partition, **row}, default=_canonical, ensure_ascii=False)
        self._rows_bytes += self._rows_handle.write(line + "\n")
        if self._rows_bytes >= ROW_CHUNK_BYTES:
            self._row_chunk()

    def _row_chunk(self) -> None:
        """The row path's rows so far as one more staged file (their numbers are final)."""
        self._rows_handle.close()
        if self._rows_bytes:
            types = {"_n": "BIGINT", "_part": "VARCHAR"}
            types |= {c.name: duckdb_type(c.type) for c in self.contract.columns}
            types |= dict.fromkeys(self.evolved, "VARCHAR")
            columns = "{" + ", ".join(f"{literal(k)}: {literal(v)}" for k, v in types.items()) + "}"
            path = self._blocks / f"row-path-{self._row_chunks}.parquet"
            rows = (
                f"SELECT *, true AS _ok FROM read_json({literal(str(self._rows_file))}, "
                f"format='newline_delimited', columns={columns}, maximum_object_size={MAX_LINE_BYTES * 2})"
            )
            self.con.execute(
                f"COPY ({self._by_partition(rows)}) TO {literal(str(path))} ({self._file_options()})"
            )
            with self._files_lock:
                self._files[path] = 0  # never renumbered: the row path numbered them as they are
                self._staged_bytes += path.stat().st_size
            self._row_chunks += 1
        self._rows_handle = self._rows_file.open("w", encoding="utf-8")
        self._rows_bytes = 0

    def evolve(self, names: Sequence[str]) -> None:
        """Columns schema evolution added (text columns)."""
        for name in names:
            if name not in self.evolved:
                self.con.execute(f"ALTER TABLE stage ADD COLUMN {ident(name)} VARCHAR")
                self.evolved.append(name)

    def _load_row_path(self) -> None:
        """The row path's last rows become a file; the flagged records they decided go."""
        self._row_chunk()
        self._rows_handle.close()
        self.con.execute("DELETE FROM stage")  # flagged records only, every one decided by now

    # -- finishing ------------------------------------------------------------------

    def duplicates(self) -> list[tuple[int, list[Any], str]]:
        """Rows whose primary key an earlier record of the same object already had:
        (record number, key, the row as JSON). The first occurrence stays."""
        self._load_row_path()
        key = self.contract.primary_key
        if not key or not self._files:
            return []
        cols = ", ".join(self._key)
        by_key = ", ".join("s." + k for k in self._key)
        self.con.execute(
            f"""CREATE TABLE dups AS
            WITH keys AS (SELECT _n, {cols} FROM {self._all_files()} WHERE _ok),
            repeated AS (SELECT {cols} FROM keys GROUP BY ALL HAVING count(*) > 1)
            SELECT _n FROM (
                SELECT s._n, row_number() OVER (PARTITION BY {by_key} ORDER BY s._n) AS k
                FROM keys s SEMI JOIN repeated r USING ({cols})
            ) WHERE k > 1"""
        )
        self._dups = True
        # the row as the staging table holds it: its number, columns, partition and markers
        shape = ["_n", *(c.name for c in self.contract.columns), "_part", "_ok", "_raw", "_fields"]
        shape += ["_extra", "_off", *self.evolved]
        present = self.staged_columns()
        row = ", ".join(column_or_null(name, present) for name in shape)
        staged = f"(SELECT {row} FROM {self._all_files()} WHERE _ok)"
        rows = self.con.execute(
            f"SELECT s._n, [{', '.join(f'CAST(s.{ident(c)} AS VARCHAR)' for c in key)}], to_json(s) "
            f"FROM {staged} s SEMI JOIN dups USING (_n) ORDER BY s._n"
        ).fetchall()
        return [(int(n), list(k), str(j)) for n, k, j in rows]

    def _all_files(self) -> str:
        files = sorted(str(p) for p in self._files)
        return f"read_parquet({string_list(files)}, union_by_name=true)"

    def staged_columns(self) -> set[str]:
        """The columns the staged rows have (a new column only where some file holds it)."""
        if not self._files:
            return set()
        described = self.con.execute(f"DESCRIBE SELECT * FROM {self._all_files()}").fetchall()
        return {str(r[0]) for r in described}

    def staged_rows(self) -> str:
        """The rows to write, as a subquery: every accepted row but the duplicates; empty
        (no columns) when nothing was staged."""
        if not self._files:
            return ""
        dups = " AND _n NOT IN (SELECT _n FROM dups)" if self._dups else ""
        return f"(SELECT * FROM {self._all_files()} WHERE _ok{dups})"

    def close(self) -> None:
        if not self._rows_handle.closed:
            self._rows_handle.close()
        self.con.close()
