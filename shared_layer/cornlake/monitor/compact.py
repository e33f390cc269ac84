"""Compaction: a partition's many small files merged into a few, without a reader seeing both.

The small files (``part-<ingest_id>….parquet``, one or more per batch) stay where the transform
wrote them: they are the record of each batch, the files a reprocess rewrites and the
reconciler counts. Compaction writes a *generation*, the same rows in files of the target size,
under ``tables/<s>/<d>/_gen/<partition>/<generation>/``, checks that it holds as many rows as
the small files, and points the Glue partition at it in one ``UpdatePartition``. A query reads
the partition's location, so it sees either the small files or the generation, never both.

New data never hides behind a generation. The catalog points a compacted partition back at its
small files whenever a batch lands in it (``cornlake.catalog.partitions.repoint``), and
compaction lists the small files again after its swap and undoes it if any arrived or changed
meanwhile. A generation no partition points at any more is deleted once it is older than the
grace period, so queries that started on it finish first.

Tables with partition projection register no partitions, so there is nothing to repoint:
compaction refuses them.
"""

from __future__ import annotations

import hashlib
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb

from cornlake import keys
from cornlake.catalog.partitions import point
from cornlake.contracts import Contract
from cornlake.errors import TerminalError, TransientError
from cornlake.observability import logger
from cornlake.sqlquote import literal

if TYPE_CHECKING:
    from mypy_boto3_glue import GlueClient
    from mypy_boto3_s3 import S3Client

TARGET_FILE_BYTES = 128 * 1024 * 1024
MIN_FILES = 8  # a partition with fewer small files is left alone
MAX_INPUT_BYTES = 1536 * 1024 * 1024  # what one run downloads and rewrites (the function's /tmp)
GRACE = timedelta(hours=1)  # an unused generation is kept this long (queries on it finish)
MEMORY_MB = 256


@dataclass(frozen=True)
class SmallFile:
    key: str
    etag: str
    size: int


@dataclass
class Compaction:
    """What compaction did to one partition: state is compacted, skipped or undone."""

    partition: str
    state: str
    files_before: int
    files_after: int = 0
    rows: int = 0
    generation: str = ""
    reason: str = ""

    def row(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Settings:
    bucket: str
    database: str
    min_files: int = MIN_FILES
    target_bytes: int = TARGET_FILE_BYTES
    max_input_bytes: int = MAX_INPUT_BYTES
    grace: timedelta = GRACE


def compact_dataset(
    s3: S3Client,
    glue: GlueClient,
    contract: Contract,
    settings: Settings,
    *,
    only: list[str] | None = None,
    now: datetime | None = None,
    each: Callable[[Compaction, int], None] | None = None,
) -> list[Compaction]:
    """Compact each registered partition of the dataset's table (or the values in ``only``) that
    has enough small files, then delete generations no partition uses any more."""
    if contract.partitioning.projection:
        raise TerminalError(
            f"{contract.qualified_name} uses partition projection: Glue holds no partition to repoint",
            hint="compaction works on registered partitions; turn projection off to compact this table",
        )
    partitions = table_partitions(glue, settings.database, contract.table_name)
    if only is not None:
        missing = sorted(set(only) - {p["Values"][0] for p in partitions})
        if missing:
            raise TerminalError(
                f"{contract.table_name} has no partition {', '.join(missing)}",
                hint=f"registered partitions of {contract.partitioning.name}: cornlake describe shows them",
            )
        partitions = [p for p in partitions if p["Values"][0] in only]
    done = []
    for partition in partitions:
        done.append(compact_partition(s3, glue, contract, settings, partition))
        if each:
            each(done[-1], len(partitions))
    delete_unused(s3, contract, settings, table_partitions(glue, settings.database, contract.table_name), now)
    return done


def table_partitions(glue: GlueClient, database: str, table: str) -> list[dict[str, Any]]:
    pages = glue.get_paginator("get_partitions").paginate(DatabaseName=database, TableName=table)
    return [dict(p) for page in pages for p in page.get("Partitions", [])]


def small_files(s3: S3Client, bucket: str, prefix: str) -> list[SmallFile]:
    """The batch files directly in a partition's folder, by key."""
    found = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        for obj in page.get("Contents", []):
            name = obj["Key"][len(prefix) :]
            if "/" not in name and name.startswith("part-") and name.endswith(".parquet") and obj["Size"]:
                found.append(SmallFile(obj["Key"], str(obj["ETag"]).strip('"'), int(obj["Size"])))
    return sorted(found, key=lambda f: f.key)


def digest(files: list[SmallFile]) -> str:
    """One value for a set of files and their versions: a generation is current while it holds."""
    return hashlib.sha256("\n".join(f"{f.key}\0{f.etag}" for f in files).encode()).hexdigest()


def base_location(contract: Contract, bucket: str, value: str) -> str:
    table = keys.table_prefix(contract.source, contract.dataset)
    return f"s3://{bucket}/{table}{keys.partition_path({contract.partitioning.name: value})}"


def compact_partition(
    s3: S3Client, glue: GlueClient, contract: Contract, settings: Settings, partition: dict[str, Any]
) -> Compaction:
    value = partition["Values"][0]
    base = base_location(contract, settings.bucket, value)
    files = small_files(s3, settings.bucket, base.split("/", 3)[3])
    done = Compaction(f"{contract.partitioning.name}={value}", "skipped", len(files))
    params = partition.get("Parameters", {})
    at_base = partition["StorageDescriptor"]["Location"].rstrip("/") == base.rstrip("/")
    if not at_base and params.get("cornlake.compacted_digest") == digest(files):
        done.reason = f"already compacted (generation {params.get('cornlake.compacted_generation')})"
    elif len(files) < settings.min_files:
        done.reason = f"{len(files)} small files, fewer than {settings.min_files}"
    elif sum(f.size for f in files) > settings.max_input_bytes:
        done.reason = (
            f"{sum(f.size for f in files) / 2**20:.0f} MiB of small files, over the "
            f"{settings.max_input_bytes / 2**20:.0f} MiB one run rewrites"
        )
    else:
        swap(s3, glue, contract, settings, partition, files=files, done=done)
    logger.info("compaction", extra={"dataset": contract.qualified_name, **done.row()})
    return done


def swap(
    s3: S3Client,
    glue: GlueClient,
    contract: Contract,
    settings: Settings,
    partition: dict[str, Any],
    *,
    files: list[SmallFile],
    done: Compaction,
) -> None:
    """Write the generation, point the partition at it, and undo that if the files changed."""
    value = partition["Values"][0]
    generation = keys.new_generation_id(datetime.now(UTC))
    prefix = keys.generation_prefix(
        contract.source, contract.dataset, {contract.partitioning.name: value}, generation
    )
    done.rows, written = write_generation(s3, contract, settings, files, prefix)
    done.files_after, done.generation = len(written), generation
    marks = {
        "cornlake.compacted_generation": generation,
        "cornlake.compacted_files": str(len(files)),
        "cornlake.compacted_digest": digest(files),
    }
    database, table = settings.database, contract.table_name
    point(glue, database, table, partition, location=f"s3://{settings.bucket}/{prefix}", marks=marks)
    base = base_location(contract, settings.bucket, value)
    if digest(small_files(s3, settings.bucket, base.split("/", 3)[3])) != digest(files):
        point(glue, database, table, partition, location=base, marks={})
        done.state, done.files_after = "undone", 0
        done.reason = "new or rewritten batch files arrived during compaction; the partition reads them"
        return
    done.state = "compacted"


def write_generation(
    s3: S3Client, contract: Contract, settings: Settings, files: list[SmallFile], prefix: str
) -> tuple[int, list[str]]:
    """Merge the small files into files of the target size under ``prefix``; (rows, keys)."""
    work = Path(tempfile.mkdtemp(prefix="cornlake-compact-"))
    try:
        local = []
        for n, f in enumerate(files):
            path = work / f"in-{n:06d}.parquet"
            s3.download_file(settings.bucket, f.key, str(path))
            local.append(path)
        rows_in, outputs = merge(local, work / "out", contract, settings.target_bytes)
        rows_out = sum(rows for _, rows in outputs)
        if rows_out != rows_in:
            raise TransientError(
                f"compacting {prefix} wrote {rows_out} rows from {rows_in}; nothing was swapped",
                hint="the small files are untouched; the next compaction tries again",
            )
        written = []
        for n, (path, rows) in enumerate(outputs):
            key = f"{prefix}compacted-{n:04d}.parquet"
            s3.upload_file(
                str(path),
                settings.bucket,
                key,
                ExtraArgs={"ContentType": "application/vnd.apache.parquet", "Metadata": {"rows": str(rows)}},
            )
            written.append(key)
        return rows_in, written
    finally:
        shutil.rmtree(work, ignore_errors=True)


def merge(
    inputs: list[Path], out: Path, contract: Contract, target_bytes: int
) -> tuple[int, list[tuple[Path, int]]]:
    """One streaming COPY in bounded memory, columns by name (older files lack evolved columns);
    the rows in, and each output file with its rows."""
    con = duckdb.connect(config={"threads": 1, "memory_limit": f"{MEMORY_MB}MB"})
    try:
        spill = out.parent / "spill"
        spill.mkdir(parents=True, exist_ok=True)
        con.execute(f"SET temp_directory={literal(str(spill))}; SET TimeZone='UTC'")
        paths = "[" + ", ".join(literal(str(p)) for p in inputs) + "]"
        counted = con.execute(f"SELECT sum(num_rows) FROM parquet_file_metadata({paths})").fetchone()
        kv = f"{{'cornlake.contract': {literal(contract.qualified_name)}, 'cornlake.compacted': 'true'}}"
        con.execute(
            f"COPY (SELECT * FROM read_parquet({paths}, union_by_name=true, hive_partitioning=false)) "
            f"TO {literal(str(out))} (FORMAT parquet, COMPRESSION zstd, FILE_SIZE_BYTES {target_bytes}, "
            f"FILENAME_PATTERN 'compacted-{{i}}', KV_METADATA {kv})"
        )
        outputs = []
        for path in sorted(out.glob("compacted-*.parquet"), key=lambda p: int(p.stem.split("-")[1])):
            rows = con.execute(f"SELECT sum(num_rows) FROM parquet_file_metadata({literal(str(path))})")
            outputs.append((path, int((rows.fetchone() or [0])[0] or 0)))
        return int((counted or [0])[0] or 0), outputs
    finally:
        con.close()


def delete_unused(
    s3: S3Client,
    contract: Contract,
    settings: Settings,
    partitions: list[dict[str, Any]],
    now: datetime | None = None,
) -> list[str]:
    """Delete the generations no partition points at that are older than the grace period."""
    now = now or datetime.now(UTC)
    used = {p["StorageDescriptor"]["Location"].rstrip("/") + "/" for p in partitions}
    root = keys.generations_prefix(contract.source, contract.dataset)
    old: dict[str, list[str]] = {}
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=settings.bucket, Prefix=root):
        for obj in page.get("Contents", []):
            folder, _, _ = obj["Key"].rpartition("/")
            generation = folder.rsplit("/", 1)[-1]
            if not keys.GENERATION_RE.match(generation):
                continue
            young = now - keys.generation_time(generation) < settings.grace
            if young or f"s3://{settings.bucket}/{folder}/" in used:
                continue
            old.setdefault(folder, []).append(obj["Key"])
    for folder, gone in old.items():
        for start in range(0, len(gone), 1000):
            s3.delete_objects(
                Bucket=settings.bucket,
                Delete={"Objects": [{"Key": k} for k in gone[start : start + 1000]], "Quiet": True},
            )
        logger.info("compaction generation deleted", extra={"generation": folder, "files": len(gone)})
    return sorted(old)
