"""Raw → curated: stream a raw object, type every row per its contract, write Parquet.

Rows that convert go to partitioned, zstd-compressed Parquet; rows that do not go to the
quarantine zone as JSON lines with the column, the value and the reason. Output keys are
derived from the raw object's ingest id, so reprocessing replaces the same objects and
never duplicates rows. Files are built in /tmp and uploaded whole, so no reader ever
sees a half-written Parquet file.
"""

from __future__ import annotations

import hashlib
import json
import tempfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

import pyarrow as pa
import pyarrow.parquet as pq

from cornlake import keys
from cornlake.contracts import Contract, ContractRegistry
from cornlake.convert import Problem, RowConverter
from cornlake.datatypes import DataType
from cornlake.errors import BadFileError
from cornlake.formats import RAW_SNIPPET, RawRecord, decompression_limit, iter_records, open_input
from cornlake.messages import EVOLVED_COMMENT, CuratedBatch, CuratedObject
from cornlake.runs import RunRecord
from cornlake.schema import incompatible_changes, registered_types
from cornlake.split import ByteRange

if TYPE_CHECKING:
    from mypy_boto3_glue import GlueClient
    from mypy_boto3_s3 import S3Client

BATCH_ROWS = 20_000
TARGET_FILE_BYTES = 128 * 1024 * 1024  # Athena reads files of this order most efficiently
MAX_TRACKED_KEYS = 500_000  # primary keys remembered per file for duplicate detection (~30 MB)
LINEAGE_COLUMN = "_ingest_id"
_SCALARS = {
    "string": pa.string(),
    "int": pa.int32(),
    "bigint": pa.int64(),
    "double": pa.float64(),
    "boolean": pa.bool_(),
    "date": pa.date32(),
    "timestamp": pa.timestamp("us", tz="UTC"),
}


def arrow_type(dtype: DataType) -> pa.DataType:
    if dtype.kind in _SCALARS:
        return _SCALARS[dtype.kind]
    if dtype.kind == "decimal":
        return pa.decimal128(dtype.precision, dtype.scale)
    if dtype.kind == "array":
        assert dtype.item is not None
        return pa.list_(arrow_type(dtype.item))
    return pa.struct([pa.field(name, arrow_type(t)) for name, t in dtype.fields])


def arrow_schema(contract: Contract, evolved: Iterable[str] = ()) -> pa.Schema:
    fields = [
        pa.field(c.name, arrow_type(c.type), nullable=c.nullable, metadata={"description": c.description})
        for c in contract.columns
    ]
    fields += [
        pa.field(name, pa.string(), metadata={"description": EVOLVED_COMMENT}) for name in sorted(evolved)
    ]
    fields.append(
        pa.field(
            LINEAGE_COLUMN,
            pa.string(),
            nullable=False,
            metadata={"description": "Ingest id of the raw object the row came from"},
        )
    )
    return pa.schema(
        fields,
        metadata={
            "cornlake.contract": contract.qualified_name,
            "cornlake.contract_version": str(contract.version),
        },
    )


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


class _PartitionWriter:
    """One partition's output: Parquet files of about ``target_bytes`` each, built in /tmp."""

    def __init__(self, stem: Path, schema: Callable[[], pa.Schema], target_bytes: int) -> None:
        self.stem, self.schema, self.target_bytes = stem, schema, target_bytes
        self.buffer: list[dict[str, Any]] = []
        self.files: list[tuple[Path, int]] = []  # finished files and their row counts
        self.writer: pq.ParquetWriter | None = None
        self.path = stem
        self.rows_in_file = 0

    @property
    def rows(self) -> int:
        return sum(n for _, n in self.files) + self.rows_in_file + len(self.buffer)

    def add(self, row: dict[str, Any]) -> None:
        self.buffer.append(row)

    def flush(self) -> None:
        if not self.buffer:
            return
        schema = self.schema()
        if self.writer is not None and self.writer.schema != schema:
            self._finish_file()  # schema evolution added a column: start a file that has it
        if self.writer is None:
            self.path = self.stem.with_name(f"{self.stem.name}-{len(self.files):04d}.parquet")
            self.writer = pq.ParquetWriter(str(self.path), schema, compression="zstd", write_statistics=True)
        self.writer.write_table(pa.Table.from_pylist(self.buffer, schema=schema))
        self.rows_in_file += len(self.buffer)
        self.buffer = []
        if self.path.stat().st_size >= self.target_bytes:
            self._finish_file()

    def _finish_file(self) -> None:
        if self.writer is not None:
            self.writer.close()
            self.files.append((self.path, self.rows_in_file))
            self.writer, self.rows_in_file = None, 0

    def close(self) -> None:
        self.flush()
        self._finish_file()


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
    keys_checked: int = 0


class _Sink:
    """Where each record of one raw object goes: a partition's Parquet file or quarantine."""

    def __init__(
        self,
        contract: Contract,
        raw: keys.RawKey,
        tmp: Path,
        quarantine: _Quarantine,
        *,
        batch_rows: int,
        target_bytes: int,
        stem: str = "",
    ):
        self.contract, self.raw, self.tmp, self.quarantine = contract, raw, tmp, quarantine
        self.stem = stem or raw.ingest_id  # output names; a byte range of a split object adds -rNNN
        self.batch_rows, self.target_bytes = batch_rows, target_bytes
        self._schemas: dict[frozenset[str], pa.Schema] = {}
        self.converter = RowConverter(contract)
        self.writers: dict[str, _PartitionWriter] = {}
        self.rows_in = 0
        self.buffered = 0
        # Primary keys seen in this file, as 8-byte digests: about 60 bytes each, so the set
        # is capped (MAX_TRACKED_KEYS) to keep memory flat; past the cap, keys go unchecked
        # and the run record says how many rows were covered.
        self.seen_keys: set[int] = set()
        self.duplicates = 0
        self.keys_checked = 0

    def schema(self) -> pa.Schema:
        """The contract's schema plus any columns schema evolution has added so far."""
        evolved = frozenset(self.converter.evolved_columns)
        if evolved not in self._schemas:
            self._schemas[evolved] = arrow_schema(self.contract, evolved)
        return self._schemas[evolved]

    def _is_duplicate(self, row: dict[str, Any]) -> bool:
        if not self.contract.primary_key:
            return False
        text = "\x1f".join(repr(row[c]) for c in self.contract.primary_key)
        digest = int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "big")
        if digest in self.seen_keys:
            return True
        if len(self.seen_keys) < MAX_TRACKED_KEYS:
            self.seen_keys.add(digest)
            self.keys_checked += 1
        return False

    def route(self, record: RawRecord) -> None:
        self.rows_in += 1
        if record.error:
            self.quarantine.add(record, [Problem("", None, record.error)])
            return
        row, problems = self.converter.convert(record.value)
        if problems:
            self.quarantine.add(record, problems)
            return
        if self._is_duplicate(row):
            self.duplicates += 1
            columns = ",".join(self.contract.primary_key)
            key = [row[c] for c in self.contract.primary_key]
            reason = "duplicate primary key: an earlier record of this file has the same key"
            self.quarantine.add(record, [Problem(columns, key, reason)])
            return
        value = partition_value(self.contract, row, self.raw.ingest_date)
        if value is None:
            column = self.contract.partitioning.column
            self.quarantine.add(record, [Problem(column, None, "partition column is null")])
            return
        writer = self.writers.get(value)
        if writer is None:
            stem = self.tmp / f"partition-{len(self.writers)}"
            writer = self.writers[value] = _PartitionWriter(stem, self.schema, self.target_bytes)
        row[LINEAGE_COLUMN] = self.raw.ingest_id
        writer.add(row)
        self.buffered += 1
        if self.buffered >= self.batch_rows:
            # Memory is bounded by rows buffered across all partitions, not per partition.
            largest = max(self.writers.values(), key=lambda w: len(w.buffer))
            self.buffered -= len(largest.buffer)
            largest.flush()

    def close(self) -> None:
        for writer in self.writers.values():
            writer.close()

    def upload(self, s3: S3Client, bucket: str) -> list[CuratedObject]:
        objects = []
        name = self.contract.partitioning.name
        for value, writer in sorted(self.writers.items()):
            partition = {name: value}
            for n, (path, rows) in enumerate(writer.files):
                key = keys.curated_key(self.contract.source, self.contract.dataset, partition, self.stem, n)
                s3.upload_file(
                    str(path), bucket, key, ExtraArgs={"ContentType": "application/vnd.apache.parquet"}
                )
                objects.append(CuratedObject(key, partition, rows))
            self._remove_stale_parts(s3, bucket, partition, {o.key for o in objects})
        return objects

    def _remove_stale_parts(
        self, s3: S3Client, bucket: str, partition: dict[str, str], kept: set[str]
    ) -> None:
        """A reprocess that writes fewer files must not leave an earlier run's extra parts behind."""
        prefix = (
            keys.table_prefix(self.contract.source, self.contract.dataset)
            + keys.partition_path(partition)
            + f"part-{self.stem}"
        )
        listed = s3.list_objects_v2(Bucket=bucket, Prefix=prefix).get("Contents", [])
        for stale in [o["Key"] for o in listed if o["Key"] not in kept]:
            s3.delete_object(Bucket=bucket, Key=stale)


@dataclass
class Converted:
    """One raw object converted in a scratch folder, ready to be uploaded or inspected."""

    sink: _Sink
    quarantine: _Quarantine
    quarantine_path: Path
    file_error: str

    @property
    def rows_quarantined(self) -> int:
        return self.sink.rows_in if self.file_error else self.quarantine.count


def convert_stream(
    body: Any,
    contract: Contract,
    raw: keys.RawKey,
    tmp: Path,
    *,
    size: int,
    batch_rows: int = BATCH_ROWS,
    target_bytes: int = TARGET_FILE_BYTES,
    stem: str = "",
    schema_problems: Sequence[str] = (),
) -> Converted:
    """Stream ``body`` (anything with ``read(n)``) through the contract into files under ``tmp``."""
    quarantine_path = tmp / "quarantine.jsonl"
    file_error = ""
    with quarantine_path.open("w", encoding="utf-8") as handle:
        quarantine = _Quarantine(handle, str(raw))
        sink = _Sink(
            contract, raw, tmp, quarantine, batch_rows=batch_rows, target_bytes=target_bytes, stem=stem
        )
        try:
            if schema_problems:
                raise BadFileError(
                    "; ".join(schema_problems), hint="fix the contract, then `cornlake reprocess`"
                )
            for record in _read(body, contract, size, tmp):
                sink.route(record)
            if sink.rows_in == 0:
                raise BadFileError("the file holds no records", hint="send a file with at least one record")
        except BadFileError as err:
            file_error = err.message
            problem = Problem("", None, f"file rejected: {err.message} ({err.hint})")
            quarantine.add(RawRecord(0, None, "", err.message), [problem])
        sink.close()
    if file_error:
        sink.writers = {}  # a damaged file is quarantined whole: its raw object is kept
    return Converted(sink, quarantine, quarantine_path, file_error)


def transform_object(
    s3: S3Client,
    contract: Contract,
    *,
    raw_bucket: str,
    key: str,
    curated_bucket: str,
    quarantine_bucket: str,
    run_id: str,
    batch_rows: int = BATCH_ROWS,
    target_bytes: int = TARGET_FILE_BYTES,
    byte_range: ByteRange | None = None,
    schema_problems: Sequence[str] = (),
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
        done = convert_stream(
            response["Body"],
            contract,
            raw,
            Path(tmp),
            size=size,
            batch_rows=batch_rows,
            target_bytes=target_bytes,
            stem=stem,
            schema_problems=schema_problems,
        )
        objects = done.sink.upload(s3, curated_bucket)
        qkey = keys.quarantine_key(contract.source, contract.dataset, raw.ingest_date, stem)
        if done.quarantine.count:
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
        done.sink.rows_in,
        done.rows_quarantined,
        tuple(sorted(done.sink.converter.evolved_columns)) if objects else (),
    )
    unexpected = sorted(done.sink.converter.unexpected_columns)
    return TransformOutcome(
        batch,
        qkey if done.quarantine.count else "",
        done.file_error,
        unexpected,
        size,
        done.sink.duplicates,
        done.sink.keys_checked,
    )


def _read(body: Any, contract: Contract, size: int, tmp: Path) -> Iterator[RawRecord]:
    if contract.format.type != "parquet":
        stream = open_input(body, contract.format, max_decompressed=decompression_limit(size))
        return iter_records(stream, contract)
    path = tmp / "input.parquet"  # Parquet needs random access: land it in /tmp first
    with path.open("wb") as handle:
        for chunk in iter(lambda: body.read(1 << 20), b""):
            handle.write(chunk)
    return _parquet_records(path)


def _parquet_records(path: Path) -> Iterator[RawRecord]:
    try:
        parquet = pq.ParquetFile(str(path))
    except (pa.ArrowInvalid, OSError) as err:
        raise BadFileError(
            f"not a readable Parquet file ({err})", hint="upload the complete file again"
        ) from None
    number = 0
    for batch in parquet.iter_batches(batch_size=BATCH_ROWS):
        for row in batch.to_pylist():
            number += 1
            yield RawRecord(number, row, json.dumps(row, default=str, ensure_ascii=False)[:RAW_SNIPPET])


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
        "primary_keys_checked": outcome.keys_checked,
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
