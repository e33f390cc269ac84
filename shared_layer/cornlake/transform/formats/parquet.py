"""Parquet: a columnar file, re-typed to the contract value by value.

Parquet needs random access, so the object is landed in /tmp whole and read with DuckDB;
each row goes through the row path, which types it to the contract (a Parquet file's own
types are the producer's, not the contract's). There is no fast path and no split.
"""

from __future__ import annotations

import io
import json
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb

from cornlake.errors import BadFileError
from cornlake.transform.formats.base import InputFormat
from cornlake.transform.read import RAW_SNIPPET, RawRecord, buffered


class Parquet(InputFormat):
    name = "parquet"
    text = False

    def open(self, body: Any, size: int) -> io.BufferedReader:
        return buffered(body)  # Parquet compresses inside the file: never decompress it whole

    def records(
        self, stream: io.BufferedReader, *, header: list[str] | None = None, first_number: int = 1
    ) -> Iterator[RawRecord]:
        with tempfile.TemporaryDirectory(prefix="cornlake-parquet-") as tmp:
            path = Path(tmp) / "input.parquet"
            with path.open("wb") as handle:
                for chunk in iter(lambda: stream.read(1 << 20), b""):
                    handle.write(chunk)
            self.empty_is_a_batch = True  # a readable Parquet file with no rows is an empty batch
            yield from parquet_records(path)


def parquet_records(path: Path) -> Iterator[RawRecord]:
    """A Parquet file's rows as Python values, which the row path re-types to the contract."""
    con = duckdb.connect()
    try:
        cursor = con.execute("SELECT * FROM read_parquet(?)", [str(path)])
    except duckdb.Error as err:
        raise BadFileError(
            f"not a readable Parquet file ({str(err).splitlines()[0]})", hint="upload the complete file again"
        ) from None
    names = [d[0] for d in cursor.description or []]
    number = 0
    while batch := cursor.fetchmany(10_000):
        for values in batch:
            number += 1
            row = dict(zip(names, values, strict=True))
            yield RawRecord(number, row, json.dumps(row, default=str, ensure_ascii=False)[:RAW_SNIPPET])
    con.close()
