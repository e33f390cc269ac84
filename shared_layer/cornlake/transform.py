"""Raw → curated: stream a raw object, type every row per its contract, write Parquet.

Rows that convert go to partitioned, zstd-compressed Parquet; rows that do not go to the
quarantine zone as JSON lines with the column, the value and the reason. Two paths share
the work (cornlake.feed): the fast path (cornlake.fastpath) checks blocks of records as
DuckDB column expressions, and the row path (cornlake.convert) decides every record the
fast path is not sure of, record by record. Both feed one staging database
(cornlake.stage), which removes duplicates by primary key and writes the files.

Output keys are derived from the raw object's ingest id, so reprocessing replaces the same
objects and never duplicates rows. Files are built in /tmp and uploaded whole, so no
reader ever sees a half-written Parquet file.
"""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cornlake import keys
from cornlake.contracts import Contract, ContractRegistry
from cornlake.convert import Problem
from cornlake.errors import BadFileError
from cornlake.feed import Feeder, Quarantine, RowPath, bytes_stream
from cornlake.formats import MAX_RECORD_BYTES, RAW_SNIPPET, RawRecord, clean_header, csv_rows
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


@dataclass
class TransformOutcome:
    batch: CuratedBatch
    quarantine_key: str = ""
    file_error: str = ""
    unexpected_columns: list[str] = field(default_factory=list)
    bytes_in: int = 0
    duplicates: int = 0
    fast_path_rows: int = 0


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
            quarantine = Quarantine(handle, str(raw))
            rows = RowPath(contract, raw, stage, quarantine)
            reader = Feeder(contract, tmp, stage, rows, header)
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
    contract: Contract, quarantine: Quarantine, duplicates: list[tuple[int, list[Any], str]]
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
    return clean_header(next(csv_rows(bytes_stream(head), contract.format), []))


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
