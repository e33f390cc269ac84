"""A model's output: Parquet in the curated bucket, a Glue table like a dataset's, swapped in.

Each run writes into a new generation folder, ``tables/models/<name>/_gen/[<col>=<v>/]<gen>/``
(``_`` folders are skipped by hive-aware readers, and no Glue location points there yet), so
nothing a reader can see changes while it is written. Then it swaps: an unpartitioned table
gets its new location in one ``UpdateTable``; a partitioned one gets the rebuilt partitions
pointed at their new folders in one ``BatchUpdatePartition`` per 100 partitions (each
partition flips whole, old or new). Each partition keeps a hash of its rows, so an
incremental run rebuilds only the partitions whose rows changed. The generation readers
were pointed at until the swap is kept for queries still reading it; older ones are deleted.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from cornlake import keys
from cornlake.catalog.tables import current_table, ensure_database, table_input, upsert_table
from cornlake.contracts import LINEAGE_COLUMN, Column, Contract, FormatSpec
from cornlake.datatypes import parse_type
from cornlake.errors import TransientError
from cornlake.modeling.rows import Rows, split_files
from cornlake.modeling.spec import MODELS_SOURCE, Model

if TYPE_CHECKING:
    from pathlib import Path

    from mypy_boto3_glue import GlueClient
    from mypy_boto3_s3 import S3Client

HASH_PARAMETER = "cornlake.content_hash"
ROWS_PARAMETER = "cornlake.row_count"
GRACE = timedelta(minutes=60)  # generations younger than this may be another run's, not swapped in yet


def value_prefix(model: Model, value: str) -> str:
    """The folder holding every generation of one partition (or of the unpartitioned table)."""
    part = keys.partition_path({model.partitioned_by: value}) if model.partitioned_by else ""
    return f"{keys.generations_prefix(MODELS_SOURCE, model.name)}{part}"


def generation_prefix(model: Model, value: str, generation: str) -> str:
    keys.generation_time(generation)
    return f"{value_prefix(model, value)}{generation}/"


def as_contract(model: Model, columns: list[tuple[str, str]]) -> Contract:
    """The model as the contract its table is built from (the dataset table builders take one)."""
    described = tuple(
        Column(n, parse_type(t), description=model.column(n).description, pii=model.column(n).pii)
        for n, t in columns
    )
    return Contract(
        MODELS_SOURCE, model.name, model.description, model.owner, FormatSpec("parquet"), described,
        quality=model.quality,
    )  # fmt: skip


def model_table(
    model: Model, columns: list[tuple[str, str]], bucket: str, parameters: dict[str, str], location: str = ""
) -> dict[str, Any]:
    """A dataset table's definition (comments, PII marks, owner, parameters) for the model's output."""
    partition = [c for c in columns if c[0] == model.partitioned_by]
    data = [c for c in columns if c[0] != model.partitioned_by]
    table = table_input(as_contract(model, data), bucket)
    descriptor = table["StorageDescriptor"]
    descriptor["Columns"] = [c for c in descriptor["Columns"] if c["Name"] != LINEAGE_COLUMN]
    if location:
        descriptor["Location"] = location
    table["Name"] = model.name
    table["PartitionKeys"] = [
        {"Name": n, "Type": t, "Comment": (model.column(n).description or f"Partition: {n}")[:255]}
        for n, t in partition
    ]
    table["Parameters"] = {
        **table["Parameters"],
        "cornlake.model": model.kind,
        "cornlake.materialization": model.materialization,
        "cornlake.depends_on": ",".join(model.depends_on),
        **parameters,
    }
    return table


@dataclass
class Swap:
    """What one run changed in the model's output."""

    written: list[str] = field(default_factory=list)  # object keys
    rebuilt: list[str] = field(default_factory=list)  # partition values ('' for an unpartitioned table)
    kept: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    deleted_objects: int = 0


def current_partitions(glue: GlueClient, database: str, name: str) -> dict[str, dict[str, Any]]:
    """Registered partitions by value: {value: {'location':..., 'hash':...}}."""
    try:
        pages = glue.get_paginator("get_partitions").paginate(DatabaseName=database, TableName=name)
        return {
            p["Values"][0]: {
                "location": p.get("StorageDescriptor", {}).get("Location", ""),
                "hash": p.get("Parameters", {}).get(HASH_PARAMETER, ""),
                "rows": p.get("Parameters", {}).get(ROWS_PARAMETER, ""),
            }
            for page in pages
            for p in page.get("Partitions", [])
        }
    except glue.exceptions.EntityNotFoundException:
        return {}


def upload(s3: S3Client, bucket: str, model: Model, parts: dict[str, Path], generation: str) -> list[str]:
    """Each part as one Parquet object in its generation folder (invisible until swapped in)."""
    from cornlake.transform.write import put_file

    written = []
    for value, path in parts.items():
        key = f"{generation_prefix(model, value, generation)}part-0000.parquet"
        put_file(s3, path, bucket, key, {"ContentType": "application/vnd.apache.parquet"})
        written.append(key)
    return written


def _partition_input(
    table: dict[str, Any], value: str, location: str, facts: tuple[str, int]
) -> dict[str, Any]:
    digest, rows = facts
    return {
        "Values": [value],
        "StorageDescriptor": {**table["StorageDescriptor"], "Location": location},
        "Parameters": {HASH_PARAMETER: digest, ROWS_PARAMETER: str(rows)},
    }


def _check(result: Any, what: str) -> None:
    errors = result.get("Errors", [])
    if errors:
        detail = errors[0].get("ErrorDetail", {})
        raise TransientError(
            f"Glue refused to {what}: {detail.get('ErrorCode')}: {detail.get('ErrorMessage')}",
            hint="the model's previous output is still in place; run the model again",
        )


def swap_partitions(
    glue: GlueClient,
    database: str,
    table: dict[str, Any],
    changes: dict[str, tuple[str, tuple[str, int]]],
    *,
    existing: set[str],
    gone: list[str],
) -> None:
    """Point each changed partition (value -> (location, (hash, rows))) at its new folder, add new ones,
    drop the ones the model no longer produces."""
    name = table["Name"]
    update = [(v, loc, h) for v, (loc, h) in sorted(changes.items()) if v in existing]
    create = [
        _partition_input(table, v, loc, h) for v, (loc, h) in sorted(changes.items()) if v not in existing
    ]
    for start in range(0, len(update), 100):
        entries = [
            {"PartitionValueList": [v], "PartitionInput": _partition_input(table, v, loc, h)}
            for v, loc, h in update[start : start + 100]
        ]
        done = glue.batch_update_partition(DatabaseName=database, TableName=name, Entries=entries)  # type: ignore[arg-type]
        _check(done, "swap partitions")
    for start in range(0, len(create), 100):
        chunk = create[start : start + 100]
        added = glue.batch_create_partition(DatabaseName=database, TableName=name, PartitionInputList=chunk)  # type: ignore[arg-type]
        _check(added, "add partitions")
    for start in range(0, len(gone), 25):
        values: Any = [{"Values": [v]} for v in gone[start : start + 25]]
        dropped = glue.batch_delete_partition(
            DatabaseName=database, TableName=name, PartitionsToDelete=values
        )
        _check(dropped, "drop partitions")


def generation_of(location: str) -> str:
    """The generation a location points into ('' for any other location)."""
    last = location.rstrip("/").rsplit("/", 1)[-1]
    return last if keys.GENERATION_RE.match(last) else ""


def collect_garbage(
    s3: S3Client, bucket: str, model: Model, keep: dict[str, set[str]], *, grace: timedelta = GRACE
) -> int:
    """Delete the generations of each value's folder but the ones to keep (the new one, and the one
    readers were pointed at until now, for queries still reading it) and any younger than ``grace``
    (another run's, not swapped in yet)."""
    deleted = 0
    cutoff = datetime.now(UTC) - grace
    for value, kept in keep.items():
        base = value_prefix(model, value)
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=base):
            for obj in page.get("Contents", []):
                generation = obj["Key"][len(base) :].split("/", 1)[0]
                old = keys.GENERATION_RE.match(generation) and keys.generation_time(generation) <= cutoff
                if old and generation not in kept:
                    s3.delete_object(Bucket=bucket, Key=obj["Key"])
                    deleted += 1
    return deleted


def _existing(glue: GlueClient, database: str, model: Model) -> dict[str, dict[str, Any]]:
    """What readers see now, by partition value ('' for an unpartitioned table): location and hash."""
    if model.partitioned_by:
        return current_partitions(glue, database, model.name)
    old = current_table(glue, database, model.name)
    if old is None:
        return {}
    return {
        "": {
            "location": old.get("StorageDescriptor", {}).get("Location", ""),
            "hash": old.get("Parameters", {}).get(HASH_PARAMETER, ""),
        }
    }


def publish(
    glue: GlueClient,
    s3: S3Client,
    *,
    database: str,
    bucket: str,
    model: Model,
    rows: Rows,
    scratch: Path,
    parameters: dict[str, str],
    incremental: bool,
    grace: timedelta = GRACE,
    scope: set[str] | None = None,
) -> Swap:
    """Write the model's rows and swap them in: only changed partitions when ``incremental``.
    ``scope``: the rows are those of these partitions only; the others stay as they are."""
    columns = rows.columns
    split = split_files(rows, model.partitioned_by, scratch)
    parts = {v: path for v, (path, _, _) in split.items()}
    hashes = {v: digest for v, (_, digest, _) in split.items()}
    counts = {v: n for v, (_, _, n) in split.items()}
    ensure_database(glue, database, "CornLake curated datasets (one table per dataset contract)")
    existing = _existing(glue, database, model)
    rebuild = [v for v in parts if not incremental or existing.get(v, {}).get("hash") != hashes[v]]
    swap = Swap(rebuilt=rebuild, kept=[v for v in parts if v not in rebuild])
    swap.removed = sorted((set(existing) if scope is None else set(existing) & scope) - set(parts))
    generation = keys.new_generation_id(datetime.now(UTC))
    swap.written = upload(s3, bucket, model, {v: parts[v] for v in rebuild}, generation)
    new = {v: f"s3://{bucket}/{generation_prefix(model, v, generation)}" for v in rebuild}
    if model.partitioned_by:
        untouched = [v for v in existing if v not in parts and v not in swap.removed]
        known = [existing[v].get("rows", "") for v in untouched]
        total = sum(counts.values()) + sum(int(n) for n in known if n.isdigit())
        stats = {**parameters, ROWS_PARAMETER: str(total) if all(n.isdigit() for n in known) else ""}
        definition = model_table(model, columns, bucket, stats)
        upsert_table(glue, database, definition)
        changes = {v: (new[v], (hashes[v], counts[v])) for v in rebuild}
        swap_partitions(glue, database, definition, changes, existing=set(existing), gone=swap.removed)
    else:
        where = new.get("", existing.get("", {}).get("location", ""))
        stats = {**parameters, HASH_PARAMETER: hashes[""]}
        upsert_table(glue, database, model_table(model, columns, bucket, stats, where))
    keep = {v: {generation, generation_of(existing.get(v, {}).get("location", ""))} for v in rebuild}
    keep |= {v: {generation_of(existing[v]["location"])} for v in swap.removed}
    swap.deleted_objects = collect_garbage(s3, bucket, model, keep, grace=grace)
    return swap
