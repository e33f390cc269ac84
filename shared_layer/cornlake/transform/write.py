"""Writing a converted object: Parquet files and the quarantine file, then their upload.

Files are built in /tmp and uploaded whole, so no reader ever sees a half-written Parquet
file. Output keys derive from the raw object's ingest id (and byte range), so reprocessing
replaces the same objects and never duplicates rows; a reprocess that writes fewer parts
removes the extra parts it left before.
"""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from botocore.exceptions import ClientError

from cornlake import keys
from cornlake.contracts import LINEAGE_COLUMN, Contract
from cornlake.messages import CuratedObject
from cornlake.sqlquote import literal
from cornlake.transform.read import RawRecord
from cornlake.transform.rowpath import Problem
from cornlake.transform.stage import column_or_null

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

    from cornlake.transform.stage import Stage

TARGET_FILE_BYTES = 128 * 1024 * 1024  # Athena reads files of this order most efficiently
ROW_GROUP_ROWS = 122_880  # DuckDB's default; files roll over at row-group boundaries
PARQUET_CONTENT_TYPE = "application/vnd.apache.parquet"


@dataclass(frozen=True)
class OutputFile:
    partition: str
    path: Path
    rows: int


@dataclass
class Quarantine:
    """The quarantine file of one raw object: one JSON line per refused record, with its reasons."""

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


def write_parquet(
    stage: Stage, out: Path, *, default_partition: str, target_bytes: int, row_group_rows: int
) -> list[OutputFile]:
    """Write the staged rows as Parquet under ``out``, one folder per partition value.

    One partition per core at a time: as many Parquet writers are open as the function has
    cores, so memory does not grow with the number of partitions (DuckDB's PARTITION_BY keeps
    a writer per partition). Each partition reads the staged block files, sorted by partition
    in small row groups, so their statistics skip the row groups of other partitions."""
    out.mkdir(parents=True, exist_ok=True)
    contract, con = stage.contract, stage.con
    rows = stage.staged_rows()
    if not rows:
        return []
    present = stage.staged_columns()
    names = [c.name for c in contract.columns] + sorted(stage.evolved)
    columns = [column_or_null(n, present) for n in names]
    by_ingest_date = contract.partitioning.by == "ingest_date"  # one value: the object's ingest date
    part = literal(default_partition) if by_ingest_date else "_part"
    values = [str(r[0]) for r in con.execute(f"SELECT DISTINCT {part} FROM {rows} ORDER BY 1").fetchall()]
    kv = _kv_metadata(contract)

    def write(n: int, value: str) -> list[OutputFile]:
        folder = out / f"partition-{n}"
        cursor = stage.cursor() if workers > 1 else con
        where = "" if by_ingest_date else f"WHERE _part = {literal(value)}"
        cursor.execute(
            f"""COPY (
                SELECT {", ".join(columns)}, {literal(stage.ingest_id)} AS {LINEAGE_COLUMN}
                FROM {rows} {where}
            ) TO {literal(str(folder))} (FORMAT parquet, COMPRESSION zstd, FILE_SIZE_BYTES {target_bytes},
                ROW_GROUP_SIZE {row_group_rows}, FILENAME_PATTERN 'part-{{i}}', KV_METADATA {kv})"""
        )
        written = []
        for path in sorted(folder.glob("part-*.parquet"), key=lambda p: int(p.stem.split("-")[1])):
            count = cursor.execute(
                f"SELECT sum(num_rows) FROM parquet_file_metadata({literal(str(path))})"
            ).fetchone()
            written.append(OutputFile(value, path, int(count[0]) if count else 0))
        return written

    # Partitions are written side by side, one per core, each on its own cursor.
    workers = min(stage.threads, len(values))
    if workers <= 1:
        return [f for n, value in enumerate(values) for f in write(n, value)]
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="cornlake-write") as pool:
        return [f for written in pool.map(write, range(len(values)), values) for f in written]


def _kv_metadata(contract: Contract) -> str:
    """The contract each Parquet file was written under, as DuckDB's KV_METADATA."""
    metadata = {
        "cornlake.contract": contract.qualified_name,
        "cornlake.contract_version": str(contract.version),
    }
    return "{" + ", ".join(f"{literal(k)}: {literal(v)}" for k, v in metadata.items()) + "}"


@dataclass
class Uploaded:
    objects: list[CuratedObject]
    rows_replaced: int  # rows of the earlier run's files this upload replaced or removed


def upload_curated(
    s3: S3Client, contract: Contract, bucket: str, stem: str, files: list[OutputFile]
) -> Uploaded:
    """Upload the curated files under their deterministic keys; remove an earlier run's extra parts.

    Each file carries its row count in its metadata, so a reprocess knows how many rows it
    replaced. An audited dataset's files go to staging instead (cornlake.quality.publish
    moves them into the table when the batch passes, and counts what they replace then)."""
    done = Uploaded([], 0)
    by_partition: dict[str, list[OutputFile]] = {}
    for f in files:
        by_partition.setdefault(f.partition, []).append(f)
    for value, parts in sorted(by_partition.items()):
        partition = {contract.partitioning.name: value}
        earlier = earlier_parts(s3, contract, bucket, partition, stem=stem)  # one LIST; none the first time
        kept = set()
        for n, f in enumerate(parts):
            key = keys.curated_key(
                contract.source, contract.dataset, partition, stem, n, staged=contract.audited
            )
            done.rows_replaced += 0 if contract.audited or key not in earlier else rows_of(s3, bucket, key)
            extra = {"ContentType": PARQUET_CONTENT_TYPE, "Metadata": {"rows": str(f.rows)}}
            put_file(s3, f.path, bucket, key, extra)
            done.objects.append(CuratedObject(key, partition, f.rows))
            kept.add(key)
        removed = delete_parts(s3, bucket, [k for k in earlier if k not in kept])
        done.rows_replaced += 0 if contract.audited else removed
    return done


SINGLE_PUT_BYTES = 64 * 1024 * 1024  # smaller files go in one PUT; bigger ones in parts (s3transfer)


def put_file(s3: S3Client, path: Path, bucket: str, key: str, extra: dict[str, Any]) -> None:
    """Upload a local file: one PUT when it is small (no transfer threads), in parts otherwise."""
    if path.stat().st_size > SINGLE_PUT_BYTES:
        s3.upload_file(str(path), bucket, key, ExtraArgs=extra)
        return
    with path.open("rb") as body:
        s3.put_object(Bucket=bucket, Key=key, Body=body, **extra)


def rows_of(s3: S3Client, bucket: str, key: str) -> int:
    """The row count a curated file was written with (0 when there is no such file)."""
    try:
        head = s3.head_object(Bucket=bucket, Key=key)
    except ClientError as err:
        if err.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
            return 0
        raise
    return int(head.get("Metadata", {}).get("rows", 0))


def earlier_parts(
    s3: S3Client,
    contract: Contract,
    bucket: str,
    partition: dict[str, str],
    *,
    stem: str,
    staged: bool | None = None,
) -> list[str]:
    """The keys of the files an earlier run of this batch wrote to the partition. ``staged``
    (default: whether the dataset is audited) picks the table or its staging area."""
    staged = contract.audited if staged is None else staged
    folder = keys.staging_prefix if staged else keys.table_prefix
    prefix = folder(contract.source, contract.dataset) + keys.partition_path(partition) + f"part-{stem}"
    return [o["Key"] for o in s3.list_objects_v2(Bucket=bucket, Prefix=prefix).get("Contents", [])]


def delete_parts(s3: S3Client, bucket: str, stale: list[str]) -> int:
    """Delete an earlier run's extra parts (a reprocess that writes fewer files must not leave
    them behind); return the rows they held."""
    removed = 0
    for key in stale:
        removed += rows_of(s3, bucket, key)
        s3.delete_object(Bucket=bucket, Key=key)
    return removed


def remove_stale_parts(
    s3: S3Client,
    contract: Contract,
    bucket: str,
    partition: dict[str, str],
    *,
    stem: str,
    kept: set[str],
    staged: bool | None = None,
) -> int:
    """Delete the batch's files in the partition other than ``kept``; return the rows they held."""
    earlier = earlier_parts(s3, contract, bucket, partition, stem=stem, staged=staged)
    return delete_parts(s3, bucket, [k for k in earlier if k not in kept])


def upload_quarantine(s3: S3Client, bucket: str, key: str, path: Path, entries: int) -> str:
    """Upload the quarantine file (or remove an earlier one a reprocess has fixed); return its key or ''."""
    if entries:
        extra = {"ContentType": "application/x-ndjson", "Metadata": {"rows": str(entries)}}
        put_file(s3, path, bucket, key, extra)  # the rows, for reconciliation
        return key
    s3.delete_object(Bucket=bucket, Key=key)
    return ""
