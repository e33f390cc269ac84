"""Raw → curated: stream a raw object, type every row per its contract, write Parquet.

Rows that convert go to partitioned, zstd-compressed Parquet; rows that do not go to the
quarantine zone as JSON lines with the column, the value and the reason. Two paths share
the work: the fast path (cornlake.fastpath) checks blocks of records as DuckDB column
expressions, and the row path (cornlake.convert) decides every record the fast path is
not sure of, record by record. Both feed one staging database (cornlake.stage), which
removes duplicates by primary key and writes the files.

Output keys are derived from the raw object's ingest id, so reprocessing replaces the same
objects and never duplicates rows. Files are built in /tmp and uploaded whole, so no
reader ever sees a half-written Parquet file.
"""

from __future__ import annotations

import codecs
import io
import json
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

import duckdb

from cornlake import keys
from cornlake.blocks import Block, blocks
from cornlake.contracts import Contract, ContractRegistry
from cornlake.convert import EVOLVED_NAME_RE, Problem, RowConverter
from cornlake.errors import BadFileError
from cornlake.fastpath import fast_path_gap
from cornlake.formats import (
    MAX_RECORD_BYTES,
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
from cornlake.messages import CuratedBatch, CuratedObject
from cornlake.runs import RunRecord
from cornlake.schema import incompatible_changes, registered_types
from cornlake.split import ByteRange
from cornlake.stage import LINEAGE_COLUMN, MEMORY_LIMIT_MB, OutputFile, Stage

if TYPE_CHECKING:
    from mypy_boto3_glue import GlueClient
    from mypy_boto3_s3 import S3Client

__all__ = ["LINEAGE_COLUMN", "TARGET_FILE_BYTES", "convert_stream", "run_transform", "transform_object"]

TARGET_FILE_BYTES = 128 * 1024 * 1024  # Athena reads files of this order most efficiently
ROW_GROUP_ROWS = 122_880  # DuckDB's default; files roll over at row-group boundaries
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
class _Quarantine:
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


@dataclass
class TransformOutcome:
    batch: CuratedBatch
    quarantine_key: str = ""
    file_error: str = ""
    unexpected_columns: list[str] = field(default_factory=list)
    bytes_in: int = 0
    duplicates: int = 0
    fast_path_rows: int = 0


class _RowPath:
    """The reference converter: decides one record at a time, and says why it refuses one."""

    def __init__(self, contract: Contract, raw: keys.RawKey, stage: Stage, quarantine: _Quarantine) -> None:
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


class _Reader:
    """Feeds one raw object to the fast path block by block, and to the row path where the
    fast path cannot go (contracts it does not cover, blocks DuckDB cannot read)."""

    def __init__(
        self, contract: Contract, tmp: Path, stage: Stage, rows: _RowPath, header: list[str] | None
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
                self._route(iter_json_lines(_bytes_stream(data), self.spec, first_number=number))
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
            header = clean_header(next(csv_rows(_bytes_stream(stream.readline()), self.spec), []))
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
                    _bytes_stream(item.data), self.spec, self.contract, header=header, first_number=number
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


def _bytes_stream(data: bytes) -> io.BufferedReader:
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


@dataclass
class Converted:
    """One raw object converted in a scratch folder, ready to be uploaded or inspected."""

    files: list[OutputFile]
    rows_in: int
    rows_out: int
    quarantined: int
    quarantine_entries: int  # lines in the quarantine file (a rejected file has one)
    quarantine_path: Path
    file_error: str
    duplicates: int
    fast_path_rows: int
    evolved_columns: list[str]
    unexpected_columns: list[str]


def convert_stream(
    body: Any,
    contract: Contract,
    raw: keys.RawKey,
    tmp: Path,
    *,
    size: int,
    target_bytes: int = TARGET_FILE_BYTES,
    row_group_rows: int = ROW_GROUP_ROWS,
    schema_problems: Sequence[str] = (),
    memory_mb: int = 0,
    header: list[str] | None = None,
) -> Converted:
    """Stream ``body`` (anything with ``read(n)``) through the contract into files under ``tmp``.

    ``header`` gives the CSV field names when ``body`` starts after the header line (a byte
    range of a split object)."""
    quarantine_path = tmp / "quarantine.jsonl"
    file_error = ""
    stage = Stage(contract, tmp, ingest_id=raw.ingest_id, memory_limit_mb=memory_mb or MEMORY_LIMIT_MB)
    try:
        with quarantine_path.open("w", encoding="utf-8") as handle:
            quarantine = _Quarantine(handle, str(raw))
            rows = _RowPath(contract, raw, stage, quarantine)
            reader = _Reader(contract, tmp, stage, rows, header)
            duplicates: list[tuple[int, list[Any], str]] = []
            unexpected: set[str] = set()
            try:
                if schema_problems:
                    raise BadFileError(
                        "; ".join(schema_problems), hint="fix the contract, then `cornlake reprocess`"
                    )
                reader.read(body, size)
                unexpected = stage.unexpected_columns()
                reader.flagged()
                if reader.fast_records + rows.records == 0:
                    raise BadFileError(
                        "the file holds no records", hint="send a file with at least one record"
                    )
                duplicates = stage.duplicates()
            except BadFileError as err:
                file_error = err.message
                problem = Problem("", None, f"file rejected: {err.message} ({err.hint})")
                quarantine.add(RawRecord(0, None, "", err.message), [problem])
            _quarantine_duplicates(contract, quarantine, duplicates)
        records = reader.fast_records + rows.records
        files = (
            []
            if file_error  # a damaged file is quarantined whole: its raw object is kept
            else stage.write(
                tmp / "out",
                default_partition=raw.ingest_date.isoformat(),
                target_bytes=target_bytes,
                row_group_rows=row_group_rows,
            )
        )
        return Converted(
            files=files,
            rows_in=records,
            rows_out=sum(f.rows for f in files),
            quarantined=records if file_error else quarantine.count,
            quarantine_entries=quarantine.count,
            quarantine_path=quarantine_path,
            file_error=file_error,
            duplicates=len(duplicates),
            fast_path_rows=reader.fast_records,
            evolved_columns=sorted(rows.converter.evolved_columns | set(stage.evolved)) if files else [],
            unexpected_columns=sorted(unexpected | rows.converter.unexpected_columns),
        )
    finally:
        stage.close()


def _quarantine_duplicates(
    contract: Contract, quarantine: _Quarantine, duplicates: list[tuple[int, list[Any], str]]
) -> None:
    columns = ",".join(contract.primary_key)
    reason = "duplicate primary key: an earlier record of this file has the same key"
    for number, key, row in duplicates:
        quarantine.add(RawRecord(number, None, row[:RAW_SNIPPET]), [Problem(columns, key, reason)])


def upload(
    s3: S3Client, contract: Contract, bucket: str, stem: str, files: list[OutputFile]
) -> list[CuratedObject]:
    """Upload the curated files under their deterministic keys; remove an earlier run's extra parts."""
    objects: list[CuratedObject] = []
    name = contract.partitioning.name
    by_partition: dict[str, list[OutputFile]] = {}
    for f in files:
        by_partition.setdefault(f.partition, []).append(f)
    for value, parts in sorted(by_partition.items()):
        partition = {name: value}
        kept = set()
        for n, f in enumerate(parts):
            key = keys.curated_key(contract.source, contract.dataset, partition, stem, n)
            s3.upload_file(
                str(f.path), bucket, key, ExtraArgs={"ContentType": "application/vnd.apache.parquet"}
            )
            objects.append(CuratedObject(key, partition, f.rows))
            kept.add(key)
        _remove_stale_parts(s3, contract, bucket, partition, stem=stem, kept=kept)
    return objects


def _remove_stale_parts(
    s3: S3Client, contract: Contract, bucket: str, partition: dict[str, str], *, stem: str, kept: set[str]
) -> None:
    """A reprocess that writes fewer files must not leave an earlier run's extra parts behind."""
    prefix = (
        keys.table_prefix(contract.source, contract.dataset) + keys.partition_path(partition) + f"part-{stem}"
    )
    listed = s3.list_objects_v2(Bucket=bucket, Prefix=prefix).get("Contents", [])
    for stale in [o["Key"] for o in listed if o["Key"] not in kept]:
        s3.delete_object(Bucket=bucket, Key=stale)


def transform_object(
    s3: S3Client,
    contract: Contract,
    *,
    raw_bucket: str,
    key: str,
    curated_bucket: str,
    quarantine_bucket: str,
    run_id: str,
    target_bytes: int = TARGET_FILE_BYTES,
    row_group_rows: int = ROW_GROUP_ROWS,
    byte_range: ByteRange | None = None,
    schema_problems: Sequence[str] = (),
    memory_mb: int = 0,
) -> TransformOutcome:
    """Convert one raw object (or one byte range of it); upload its curated and quarantine outputs."""
    raw = keys.parse_raw_key(key)
    stem = keys.range_stem(raw.ingest_id, byte_range.part) if byte_range else raw.ingest_id
    with tempfile.TemporaryDirectory(prefix="cornlake-") as tmp:
        if byte_range is None:
            response = s3.get_object(Bucket=raw_bucket, Key=key)
        else:
            response = s3.get_object(
                Bucket=raw_bucket, Key=key, Range=f"bytes={byte_range.start}-{byte_range.end - 1}"
            )
        size = int(response.get("ContentLength", 0))
        header = None
        if byte_range is not None and byte_range.start > 0 and contract.format.type == "csv":
            header = _csv_header(s3, contract, bucket=raw_bucket, key=key)
        done = convert_stream(
            response["Body"],
            contract,
            raw,
            Path(tmp),
            size=size,
            target_bytes=target_bytes,
            row_group_rows=row_group_rows,
            schema_problems=schema_problems,
            memory_mb=memory_mb,
            header=header,
        )
        objects = upload(s3, contract, curated_bucket, stem, done.files)
        qkey = keys.quarantine_key(contract.source, contract.dataset, raw.ingest_date, stem)
        if done.quarantine_entries:
            s3.upload_file(
                str(done.quarantine_path),
                quarantine_bucket,
                qkey,
                ExtraArgs={"ContentType": "application/x-ndjson"},
            )
        else:
            s3.delete_object(Bucket=quarantine_bucket, Key=qkey)  # a reprocess may have fixed every row
    batch = CuratedBatch(
        contract.source,
        contract.dataset,
        run_id,
        raw.ingest_id,
        key,
        curated_bucket,
        tuple(objects),
        done.rows_in,
        done.quarantined,
        tuple(done.evolved_columns),
    )
    return TransformOutcome(
        batch,
        qkey if done.quarantine_entries else "",
        done.file_error,
        done.unexpected_columns,
        size,
        done.duplicates,
        done.fast_path_rows,
    )


def _csv_header(s3: S3Client, contract: Contract, *, bucket: str, key: str) -> list[str] | None:
    """The field names of a CSV object, for a byte range that starts after its first line."""
    if not contract.format.header:
        return [c.input_name for c in contract.columns]
    head = s3.get_object(Bucket=bucket, Key=key, Range=f"bytes=0-{MAX_RECORD_BYTES - 1}")["Body"].read()
    return clean_header(next(csv_rows(_bytes_stream(head), contract.format), []))


def run_transform(
    s3: S3Client,
    contracts: ContractRegistry,
    *,
    raw_bucket: str,
    key: str,
    curated_bucket: str,
    quarantine_bucket: str,
    byte_range: ByteRange | None = None,
    glue: GlueClient | None = None,
    database: str = "",
    memory_mb: int = 0,
    target_bytes: int = TARGET_FILE_BYTES,
) -> tuple[RunRecord, TransformOutcome]:
    """Transform one raw object (or one byte range of it) and describe the run; raises only on
    transient failure."""
    raw = keys.parse_raw_key(key)
    contract = contracts.get(raw.source, raw.dataset)
    record = RunRecord(stage="transform", source=raw.source, dataset=raw.dataset, input_key=key)
    problems = (
        incompatible_changes(registered_types(glue, database, contract.table_name), contract) if glue else []
    )
    outcome = transform_object(
        s3,
        contract,
        raw_bucket=raw_bucket,
        key=key,
        curated_bucket=curated_bucket,
        quarantine_bucket=quarantine_bucket,
        run_id=record.run_id,
        byte_range=byte_range,
        schema_problems=problems,
        memory_mb=memory_mb,
        target_bytes=target_bytes,
    )
    batch = outcome.batch
    record.rows_in, record.rows_out, record.rows_quarantined = (
        batch.rows_in,
        batch.rows_out,
        batch.rows_quarantined,
    )
    record.bytes_in = outcome.bytes_in
    record.output_keys = [o.key for o in batch.objects] + (
        [outcome.quarantine_key] if outcome.quarantine_key else []
    )
    record.details = {
        "ingest_id": raw.ingest_id,
        "unexpected_columns": outcome.unexpected_columns,
        "duplicates_quarantined": outcome.duplicates,
        "fast_path_rows": outcome.fast_path_rows,
        "columns_added": list(batch.added_columns),
        "contract_version": contract.version,
        "transformed_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    if byte_range is not None:
        record.details |= {
            "range": [byte_range.start, byte_range.end],
            "part": byte_range.part,
            "parts": byte_range.parts,
            "split_run_id": byte_range.parent_run_id,
        }
    status = "rejected" if outcome.file_error else "partial" if batch.rows_quarantined else "succeeded"
    record.finish(status, outcome.file_error)
    return record, outcome
