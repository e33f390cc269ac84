"""Feeding one raw object's records to the two conversion paths.

``Feeder`` streams the object and sends blocks of records to the fast path (cornlake.stage
and cornlake.fastpath), and to the row path (``RowPath``, cornlake.convert) whatever the
fast path cannot take: contracts it does not cover, blocks DuckDB cannot read, and the
records it was not sure of. ``Quarantine`` writes the refused records with their reasons.
"""

from __future__ import annotations

import codecs
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, TextIO

import duckdb

from cornlake import keys
from cornlake.blocks import Block, blocks
from cornlake.contracts import Contract
from cornlake.convert import EVOLVED_NAME_RE, Problem, RowConverter
from cornlake.errors import BadFileError
from cornlake.fastpath import fast_path_gap
from cornlake.formats import (
    RAW_SNIPPET,
    RawRecord,
    clean_header,
    csv_record,
    csv_rows,
    decompression_limit,
    iter_csv,
    iter_json_lines,
    iter_records,
    json_record,
    open_input,
)
from cornlake.stage import Stage

# Errors DuckDB raises for data it cannot read (bad bytes, malformed JSON, ragged CSV): the
# block goes to the row path, which says what is wrong record by record.
_DATA_ERRORS = (duckdb.InvalidInputException, duckdb.ConversionException)


def partition_value(contract: Contract, row: dict[str, Any], ingest_date: date) -> str | None:
    part = contract.partitioning
    if part.by == "ingest_date":
        return ingest_date.isoformat()
    value = row.get(part.column)
    if value is None:
        return None
    if part.granularity == "month":
        return f"{value:%Y-%m}"
    if part.granularity == "hour":
        return f"{value:%Y-%m-%d-%H}"
    return f"{value:%Y-%m-%d}"


@dataclass
class Quarantine:
    handle: TextIO
    raw_key: str
    count: int = 0

    def add(self, record: RawRecord, problems: list[Problem]) -> None:
        entry = {
            "raw_key": self.raw_key,
            "record": record.number,
            "errors": [p.to_dict() for p in problems],
            "raw": record.raw,
        }
        self.handle.write(json.dumps(entry, ensure_ascii=False, default=str) + "\n")
        self.count += 1


class RowPath:
    """The reference converter: decides one record at a time, and says why it refuses one."""

    def __init__(self, contract: Contract, raw: keys.RawKey, stage: Stage, quarantine: Quarantine) -> None:
        self.contract, self.raw, self.stage, self.quarantine = contract, raw, stage, quarantine
        self.converter = RowConverter(contract)
        self.records = 0

    def route(self, record: RawRecord) -> None:
        self.records += 1
        if record.error:
            self.quarantine.add(record, [Problem("", None, record.error)])
            return
        row, problems = self.converter.convert(record.value)
        if problems:
            self.quarantine.add(record, problems)
            return
        value = partition_value(self.contract, row, self.raw.ingest_date)
        if value is None:
            column = self.contract.partitioning.column
            self.quarantine.add(record, [Problem(column, None, "partition column is null")])
            return
        if not self.converter.evolved_columns <= set(self.stage.evolved):
            self.stage.evolve(sorted(self.converter.evolved_columns))
        self.stage.add_row(record.number, row, value)


class Feeder:
    """Feeds one raw object to the fast path block by block, and to the row path where the
    fast path cannot go (contracts it does not cover, blocks DuckDB cannot read)."""

    def __init__(
        self, contract: Contract, tmp: Path, stage: Stage, rows: RowPath, header: list[str] | None
    ) -> None:
        self.contract, self.tmp, self.stage, self.rows = contract, tmp, stage, rows
        self.spec = contract.format
        self.fast_records = 0
        self.given_header = header  # CSV byte ranges after the first: the object's header line
        self.header: list[str] = []  # CSV: the field names, from the header line or the contract
        self.encoding = "latin-1" if self.spec.encoding == "latin-1" else "utf-8"  # as DuckDB reads it

    def read(self, body: Any, size: int) -> None:
        if self.spec.type == "parquet":
            self._parquet(body)
            return
        stream = open_input(body, self.spec, max_decompressed=decompression_limit(size))
        if fast_path_gap(self.contract):
            if self.given_header is not None:
                self._route(iter_csv(stream, self.spec, self.contract, header=self.given_header))
            else:
                self._route(iter_records(stream, self.contract))
        elif self.spec.type == "jsonl":
            self._json_lines(stream)
        else:
            self._csv(stream)

    def _route(self, records: Iterator[RawRecord]) -> int:
        """Send records to the row path; return the last record number seen (0 if none)."""
        number = 0
        for record in records:
            self.rows.route(record)
            number = record.number
        return number

    def _block_file(self, data: bytes) -> Path | None:
        """The block as a file DuckDB reads; None if it needs the row path."""
        if self.spec.encoding == "cp1252":
            try:
                data = data.decode("cp1252").encode("utf-8")
            except UnicodeDecodeError:
                return None
        path = self.tmp / "block"
        path.write_bytes(data)
        return path

    def _json_lines(self, stream: io.BufferedReader) -> None:
        number = 1
        for item in blocks(stream):
            if not isinstance(item, Block):
                self._route(iter_json_lines(item.stream, self.spec, first_number=number))
                return
            data = item.data
            if number == 1 and data.startswith(codecs.BOM_UTF8):
                data = data[3:]
            loaded = self._fast_json(data, number)
            if loaded is None:
                self._route(iter_json_lines(bytes_stream(data), self.spec, first_number=number))
            else:
                self.fast_records += loaded
            number += data.count(b"\n") + (0 if data.endswith(b"\n") else 1)

    def _fast_json(self, data: bytes, number: int) -> int | None:
        if b"\x01" in data:  # the line reader's column delimiter: only in invalid JSON
            return None
        path = self._block_file(data)
        if path is None:
            return None
        for guarded in (False, True):  # the unguarded query is faster; it fails on malformed JSON
            try:
                loaded = self.stage.load_json_lines(path, number, self.encoding, guarded=guarded)
            except _DATA_ERRORS:
                continue
            if self.contract.new_columns == "evolve":
                self._learn_new_fields(number)
            return loaded
        return None

    def _learn_new_fields(self, number: int) -> None:
        """New fields with usable names become columns now, so later blocks keep the fast path
        (the records that brought them are decided by the row path, which adds them too)."""
        known = {c.input_name for c in self.contract.columns} | {c.name for c in self.contract.columns}
        names = sorted(
            n for n in self.stage.new_fields(number) if EVOLVED_NAME_RE.match(n) and n not in known
        )
        if names:
            self.stage.evolve(names)

    def _csv(self, stream: io.BufferedReader) -> None:
        quote = self.spec.quote.encode(self.spec.encoding)
        header = self.given_header or [c.input_name for c in self.contract.columns]
        number = 0
        if self.spec.header and self.given_header is None:
            head = stream.peek(1 << 20)[: 1 << 20]
            end = head.find(b"\n")
            if end < 0 or head.count(quote, 0, end) % 2:  # no plain header line: record by record
                self._route(iter_csv(stream, self.spec, self.contract))
                return
            header = clean_header(next(csv_rows(bytes_stream(stream.readline()), self.spec), []))
            number = 1
        self.header = header
        for item in blocks(stream, quote=quote):
            if not isinstance(item, Block):
                self._route(
                    iter_csv(item.stream, self.spec, self.contract, header=header, first_number=number)
                )
                return
            loaded = self._fast_csv(item.data, number + 1, header)
            if loaded is None:
                records = iter_csv(
                    bytes_stream(item.data), self.spec, self.contract, header=header, first_number=number
                )
                number = max(number, self._route(records))
            else:
                self.fast_records += loaded
                number += loaded

    def _fast_csv(self, data: bytes, number: int, header: list[str]) -> int | None:
        path = self._block_file(data)
        if path is None:
            return None
        try:
            return self.stage.load_csv(path, number, header, self.encoding)
        except _DATA_ERRORS:
            return None

    def _parquet(self, body: Any) -> None:
        path = self.tmp / "input.parquet"  # Parquet needs random access: land it in /tmp first
        with path.open("wb") as handle:
            for chunk in iter(lambda: body.read(1 << 20), b""):
                handle.write(chunk)
        self._route(parquet_records(self.stage.con, path))

    def flagged(self) -> None:
        """The records the fast path left undecided: the row path decides them (and counts them)."""
        for item in self.stage.flagged():
            self.fast_records -= 1
            if item.fields is None:
                if not item.line.strip():
                    continue  # a line of blanks is not a record, as on the row path
                record = json_record(item.number, item.line)
            else:
                record = csv_record(item.number, item.fields, self.header, self.spec) or RawRecord(
                    item.number, None, "", "blank record"
                )
            self.rows.route(record)


def bytes_stream(data: bytes) -> io.BufferedReader:
    return io.BufferedReader(io.BytesIO(data))


def parquet_records(con: duckdb.DuckDBPyConnection, path: Path) -> Iterator[RawRecord]:
    """A Parquet input's rows as Python values, which the row path re-types to the contract."""
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
