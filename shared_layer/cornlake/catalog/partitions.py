"""Partitions of curated tables, registered through the Glue API as batches arrive.

``BatchCreatePartition`` is idempotent here: a partition that already exists is left as
it is, so a repeated batch or a reprocess registers nothing twice. Any other refusal is
transient (the batch is retried, then waits in the catalog DLQ). An existing partition that
compaction pointed at a merged generation is pointed back at its batch files (``repoint``):
they hold every row, the new batch's too, and the next compaction merges them again.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from cornlake import keys
from cornlake.errors import TransientError
from cornlake.messages import CuratedBatch

if TYPE_CHECKING:
    from mypy_boto3_glue import GlueClient

# What compaction marks on a partition it pointed at a generation (cornlake.monitor.compact).
COMPACTION_MARKS = ("cornlake.compacted_generation", "cornlake.compacted_files", "cornlake.compacted_digest")


def add_partitions(glue: GlueClient, database: str, table: dict[str, Any], batch: CuratedBatch) -> int:
    """Register the batch's partitions; existing ones are left alone. Returns how many were new."""
    location = table["StorageDescriptor"]["Location"]
    names = [k["Name"] for k in table["PartitionKeys"]]
    wanted = {tuple(o.partition[n] for n in names) for o in batch.objects}
    inputs = [
        {
            "Values": list(values),
            "StorageDescriptor": {
                **table["StorageDescriptor"],
                "Location": location + keys.partition_path(dict(zip(names, values, strict=True))),
            },
        }
        for values in sorted(wanted)
    ]
    created, existing = 0, []
    for start in range(0, len(inputs), 100):  # BatchCreatePartition takes at most 100
        chunk = inputs[start : start + 100]
        result = glue.batch_create_partition(
            DatabaseName=database,
            TableName=table["Name"],
            PartitionInputList=chunk,  # type: ignore[arg-type]
        )
        errors = result.get("Errors", [])
        hard = [e for e in errors if e.get("ErrorDetail", {}).get("ErrorCode") != "AlreadyExistsException"]
        if hard:
            detail = hard[0].get("ErrorDetail", {})
            raise TransientError(
                f"Glue refused partition {hard[0].get('PartitionValues')} of {table['Name']}: "
                f"{detail.get('ErrorCode')}: {detail.get('ErrorMessage')}",
                hint="retried automatically; after the last try the batch waits in the catalog DLQ",
            )
        created += len(chunk) - len(errors)
        existing += [e["PartitionValues"] for e in errors if e.get("PartitionValues")]
    repoint(glue, database, table["Name"], {tuple(i["Values"]): i for i in inputs}, existing)
    return created


def repoint(
    glue: GlueClient, database: str, table: str, wanted: dict[tuple[str, ...], Any], existing: list[Any]
) -> int:
    """Point existing partitions that compaction moved back at their batch files; how many moved."""
    moved = 0
    for start in range(0, len(existing), 100):  # BatchGetPartition takes at most 100
        found = glue.batch_get_partition(
            DatabaseName=database,
            TableName=table,
            PartitionsToGet=[{"Values": list(v)} for v in existing[start : start + 100]],
        )
        for partition in found.get("Partitions", []):
            expected = wanted[tuple(partition["Values"])]["StorageDescriptor"]["Location"]
            if partition["StorageDescriptor"]["Location"].rstrip("/") != expected.rstrip("/"):
                point(glue, database, table, dict(partition), location=expected, marks={})
                moved += 1
    return moved


def point(
    glue: GlueClient,
    database: str,
    table: str,
    partition: dict[str, Any],
    *,
    location: str,
    marks: dict[str, str],
) -> None:
    """Point the partition at ``location`` in one update, keeping everything else it holds;
    ``marks`` replace the compaction marks."""
    params = {k: v for k, v in partition.get("Parameters", {}).items() if k not in COMPACTION_MARKS}
    glue.update_partition(
        DatabaseName=database,
        TableName=table,
        PartitionValueList=partition["Values"],
        PartitionInput={
            "Values": partition["Values"],
            "StorageDescriptor": {**partition["StorageDescriptor"], "Location": location},  # type: ignore[misc,typeddict-item]
            "Parameters": params | marks,
        },
    )
