"""CSV: delimited text, with the contract's delimiter, quote, header, decimal mark and nulls.

Read with Python's csv module for the row path (a ragged row or bad bytes is one refused
record); cut into blocks only at newlines outside quotes for the fast path, where DuckDB's
strict CSV reader gives every field as text and one SQL statement types and checks it.
A big object is split at newlines outside quotes, found by counting quote characters from
the start; ranges after the first read the header from the object's first line.
"""

from __future__ import annotations

import csv
import functools
import io
import re
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from cornlake.contracts import Column, Contract, FormatSpec
from cornlake.datatypes import DUCKDB_TYPES, DataType, duckdb_type
from cornlake.sqlquote import ident, literal, string_list
from cornlake.transform import read
from cornlake.transform.blocks import Block, blocks, csv_cut
from cornlake.transform.fastpath import (
    Check,
    boolean_from_text,
    date_format_gap,
    date_from_text,
    date_ok,
    decimal_from_text,
    double_from_text,
    in_list,
    integer_from_text,
    number_text,
    timestamp_from_text,
    timestamp_ok,
    verdicts,
)
from cornlake.transform.formats.base import InputFormat, SideBySide, Sink
from cornlake.transform.read import RAW_SNIPPET, RawRecord, bytes_stream
from cornlake.transform.stage import DATA_ERRORS, MAX_LINE_BYTES

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

    from cornlake.transform.stage import Flagged, Stage


def csv_rows(stream: io.BufferedReader, spec: FormatSpec) -> Iterator[list[str]]:
    reader = io.TextIOWrapper(stream, encoding=spec.encoding, errors="surrogateescape", newline="")
    return csv.reader(reader, delimiter=spec.delimiter, quotechar=spec.quote, strict=False)


def clean_header(fields: list[str]) -> list[str]:
    return [h.strip().lstrip("\ufeff") for h in fields]


def iter_csv(
    stream: io.BufferedReader,
    spec: FormatSpec,
    contract: Contract,
    *,
    header: list[str] | None = None,
    first_number: int = 1,
    on_header: Callable[[list[str]], None] | None = None,
) -> Iterator[RawRecord]:
    """CSV rows as dicts keyed by the header's names; ragged rows come out as errors.

    ``first_number`` is the first row's number (the header line, when the stream has one);
    ``header`` reads a stream that starts after the header line; ``on_header`` hears the
    header line when the stream has one."""
    rows = csv_rows(stream, spec)
    number = first_number - 1
    if header is None:
        header = [c.input_name for c in contract.columns]
        if spec.header:
            first = next(rows, None)
            if first is None:
                return
            header = clean_header(first)
            number += 1
            if on_header is not None:
                on_header(header)
    for row in rows:
        number += 1
        record = csv_record(number, row, header, spec)
        if record is not None:
            yield record


def csv_record(number: int, row: list[str], header: list[str], spec: FormatSpec) -> RawRecord | None:
    """One CSV row as a record keyed by ``header``; None for a blank line."""
    raw = spec.delimiter.join(row)
    if not row or (len(row) == 1 and not row[0].strip()):
        return None
    if _BAD_BYTES.search(raw):
        return RawRecord(
            number,
            None,
            raw.encode("utf-8", "replace").decode()[:RAW_SNIPPET],
            f"invalid {spec.encoding} bytes",
        )
    if len(row) != len(header):
        return RawRecord(number, None, raw[:RAW_SNIPPET], f"expected {len(header)} fields, got {len(row)}")
    return RawRecord(number, dict(zip(header, row, strict=True)), raw[:RAW_SNIPPET])


# Bytes the declared encoding could not decode, kept by errors="surrogateescape".
_BAD_BYTES = re.compile("[\udc80-\udcff]")


class CsvPlan:
    """One CSV contract as SQL over each field's text (NULL when the header lacks the column)."""

    def __init__(self, spec: FormatSpec) -> None:
        self.spec = spec

    def column(self, field: str, column: Column, null: str, prep: str) -> tuple[str, str, str, Check]:
        """The null test (selected once as ``null``), the field's cleaned text (selected once as
        ``prep``: trimmed, and for numbers without the thousands mark), the value and the check."""
        is_null = f"({field} IS NULL OR {field} IN {in_list(self.spec.null_values)})"
        cleaned = self.clean(field, column.type)
        value, inner_ok = self._typed(prep, column.type)
        nullable = str(column.nullable).lower()

        def ok(ref: str) -> str:
            return f"CASE WHEN {null} THEN {nullable} ELSE coalesce({inner_ok(ref)}, false) END"

        return is_null, cleaned, f"CASE WHEN {null} THEN NULL ELSE {value} END", ok

    def clean(self, field: str, dtype: DataType) -> str:
        if dtype.kind == "string":
            return field
        if dtype.kind in ("int", "bigint", "double", "decimal"):
            return number_text(field, self.spec)
        return f"trim({field})"

    def _typed(self, text: str, dtype: DataType) -> tuple[str, Check]:
        """Value (NULL when the fast path is not sure of it) and check from the cleaned text."""
        kind = dtype.kind
        if kind == "string":
            return text, lambda ref: "true"
        if kind in ("int", "bigint"):
            return integer_from_text(text, DUCKDB_TYPES[kind]), lambda ref: f"{ref} IS NOT NULL"
        if kind == "double":
            return double_from_text(text), lambda ref: f"isfinite({ref})"
        if kind == "decimal":
            return decimal_from_text(text, dtype.scale, duckdb_type(dtype)), lambda ref: f"{ref} IS NOT NULL"
        if kind == "boolean":
            return boolean_from_text(text), lambda ref: f"{ref} IS NOT NULL"
        if kind == "date":
            return date_from_text(text, self.spec, trimmed=True), date_ok
        if kind == "timestamp":
            return timestamp_from_text(text, self.spec, trimmed=True), lambda ref: timestamp_ok(
                ref, self.spec
            )
        return "NULL", lambda ref: "false"  # nested types exist only in JSON: the row path says why


class Csv(InputFormat):
    name = "csv"
    splittable = True
    has_fast_path = True

    def __init__(self, contract: Contract) -> None:
        super().__init__(contract)
        self.header: list[str] = [c.input_name for c in contract.columns]  # the fields, once read
        self.quote = self.spec.quote.encode(self.spec.encoding)

    def records(
        self, stream: io.BufferedReader, *, header: list[str] | None = None, first_number: int = 1
    ) -> Iterator[RawRecord]:
        return iter_csv(
            stream,
            self.spec,
            self.contract,
            header=header,
            first_number=first_number,
            on_header=self._saw_header,
        )

    def _saw_header(self, header: list[str]) -> None:
        self.header = header
        self.empty_is_a_batch = True  # a header with no rows: a day with no data, not a broken file

    def fast_path_gap(self) -> str:
        if self.spec.quote in ("\n", "\r") or self.spec.delimiter in ("\n", "\r"):
            return "CSV quote or delimiter is a line break"
        return date_format_gap(self.spec)

    def feed_fast(self, stream: io.BufferedReader, sink: Sink, header: list[str] | None) -> None:
        number = 0  # the number of the last record read
        if self.spec.header and header is None:
            head = stream.peek(1 << 20)[: 1 << 20]
            end = head.find(b"\n")
            if end < 0 or head.count(self.quote, 0, end) % 2:  # no plain header line: record by record
                sink.route(self.records(stream))
                return
            header = clean_header(next(csv_rows(bytes_stream(stream.readline()), self.spec), []))
            self._saw_header(header)
            number = 1
        self.header = header or self.header
        workers = self.block_workers(sink)  # one under evolve: the row path may add columns
        load = functools.partial(self._load, sink, parallel=workers > 1)
        with SideBySide(sink, workers, load, self._block_records, first_number=number + 1) as queue:
            for item in blocks(stream, functools.partial(csv_cut, quote=self.quote)):
                if not isinstance(item, Block):
                    sink.route(self.records(item.stream, header=self.header, first_number=queue.drain()))
                    return
                queue.add(item.data, csv_records(item.data, self.quote))
            queue.drain()

    def _block_records(self, data: bytes, first: int) -> Iterator[RawRecord]:
        return self.records(bytes_stream(data), header=self.header, first_number=first)

    def _load(
        self, sink: Sink, data: bytes, number: int, records: int, *, parallel: bool = False
    ) -> int | None:
        """Records of one block loaded by the fast path; None if DuckDB cannot read the block, or
        reads more records in it than its cut counted."""
        path = self.block_file(data, sink.tmp, f"block-{number}")
        if path is None:
            return None
        try:
            sql = block_sql(sink.stage, path, number, self.header, self.duckdb_encoding, records=records)
            loaded = sink.stage.insert(sql, first=number, parallel=parallel)
            if loaded < records - trailing_blank_lines(data):
                # DuckDB skips blank lines: after one, its record numbers would fall behind the
                # row converter's, so the row path reads this block instead
                sink.stage.discard(number, records, parallel=parallel)
                return None
            return loaded
        except DATA_ERRORS:
            return None
        finally:
            path.unlink(missing_ok=True)

    def flagged_record(self, item: Flagged) -> RawRecord | None:
        record = csv_record(item.number, item.fields or [], self.header, self.spec)
        return record or RawRecord(item.number, None, "", "blank record")

    def split_bounds(self, s3: S3Client, *, bucket: str, key: str, size: int, step: int) -> list[int]:
        body = s3.get_object(Bucket=bucket, Key=key)["Body"]
        return csv_bounds(body, size=size, step=step, quote=self.spec.quote.encode("latin-1"))

    def range_header(self, s3: S3Client, *, bucket: str, key: str) -> list[str] | None:
        """The field names, from the object's first line (or the contract, without a header)."""
        if not self.spec.header:
            return [c.input_name for c in self.contract.columns]
        head = s3.get_object(Bucket=bucket, Key=key, Range=f"bytes=0-{read.MAX_RECORD_BYTES - 1}")[
            "Body"
        ].read()
        return clean_header(next(csv_rows(bytes_stream(head), self.spec), []))


def csv_bounds(body: Any, *, size: int, step: int, quote: bytes, chunk_bytes: int = 8 << 20) -> list[int]:
    """Cut points of a CSV stream: the first newline outside quotes at or after every ``step``
    bytes. A quote character toggles "inside quotes"; a doubled quote toggles twice."""
    bounds, target, position, inside = [0], step, 0, 0
    for chunk in iter(lambda: body.read(chunk_bytes), b""):
        end = position + len(chunk)
        while target < size and target < end:
            newline = chunk.find(b"\n", max(target - position, 0))
            if newline < 0:
                break  # no newline left in this chunk: keep looking in the next one
            if inside ^ (chunk.count(quote, 0, newline) % 2):
                target = position + newline + 1  # a newline inside a quoted field: try the next one
                continue
            boundary = position + newline + 1
            if boundary < size:
                bounds.append(boundary)
            target = boundary + step
        inside ^= chunk.count(quote) % 2
        position = end
    bounds.append(size)
    return bounds


def csv_records(data: bytes, quote: bytes) -> int:
    """How many records a block of whole CSV records holds: its line breaks outside quoted
    fields, plus a last record without one. Quoted fields pair up from the block's start (a
    doubled quote is an empty pair), so the line breaks inside them are those of the pairs."""
    breaks = data.count(b"\n")
    if quote and quote in data:
        pairs = _quoted_fields(quote)
        breaks -= sum(field.count(b"\n") for field in pairs.findall(data) if b"\n" in field)
    return breaks + (1 if data and not data.endswith(b"\n") else 0)


def trailing_blank_lines(data: bytes) -> int:
    """The blank lines a block ends with (not records, on either path)."""
    return max(data[len(data.rstrip(b"\r\n")) :].count(b"\n") - 1, 0)


@functools.cache
def _quoted_fields(quote: bytes) -> re.Pattern[bytes]:
    q = re.escape(quote)
    return re.compile(q + b"[^" + q + b"]*" + q)


def block_sql(
    stage: Stage,
    path: Any,
    first_number: int,
    header: list[str],
    encoding: str,
    *,
    records: int | None = None,
) -> str:
    """The SELECT that types and checks one block of CSV records (no header line) for the stage. Given the
    ``records`` its cut counted, reading more fails the block (its numbers would run into the
    next block's), which then goes to the row path."""
    contract, spec = stage.contract, stage.contract.format
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
    judged, verdict_refs, off = verdicts([(c.name, ok(refs[c.name])) for c, _, _, _, ok in built])
    checks += verdict_refs
    part = stage.partition_sql(refs)
    if part != "NULL":
        checks.append(f"{part} IS NOT NULL")
    null_tests = ", ".join(
        f"{test} AS {nulls[c.name]}, {cleaned} AS {preps[c.name]}" for c, test, cleaned, _, _ in built
    )
    typed = ", ".join(f"{value} AS {refs[c.name]}" for c, _, _, value, _ in built)
    final = ", ".join(f"{refs[c.name]} AS {ident(c.name)}" for c in contract.columns)
    read = _reader(path, fields, spec, encoding)
    number = _numbered(first_number, records)
    return f"""
        WITH src AS (SELECT {first_number - 1} + row_number() OVER () AS _n, * FROM {read}),
        tested AS (SELECT *, {null_tests} FROM src),
        typed AS (SELECT *, {typed} FROM tested),
        judged AS (SELECT *, {judged} FROM typed),
        checked AS (SELECT *, {part} AS _part, {" AND ".join(checks) or "true"} AS _ok FROM judged)
        SELECT {number} AS _n, {final}, _part, _ok,
               CASE WHEN _ok THEN NULL ELSE [{", ".join(fields)}] END AS _fields,
               {string_list(extra) if extra else "NULL::VARCHAR[]"} AS _extra, {off} AS _off FROM checked
        """


def _numbered(first_number: int, records: int | None) -> str:
    """A record's number, failing the block when it reads more records than its cut counted."""
    if records is None:
        return "_n"
    last = first_number + records - 1
    return f"CASE WHEN _n > {last} THEN error('more records than the block was cut with') ELSE _n END"


def _reader(path: Any, fields: list[str], spec: FormatSpec, encoding: str) -> str:
    columns = "{" + ", ".join(f"'{f}': 'VARCHAR'" for f in fields) + "}"
    return (
        f"read_csv({literal(str(path))}, columns={columns}, header=false, "
        f"delim={literal(spec.delimiter)}, quote={literal(spec.quote)}, escape={literal(spec.quote)}, "
        f"auto_detect=false, nullstr='\\x00\\x01', strict_mode=true, encoding={literal(encoding)}, "
        f"max_line_size={MAX_LINE_BYTES}, buffer_size={2 * MAX_LINE_BYTES})"
    )
