"""Partitions of curated tables, registered through the Glue API as batches arrive.

``BatchCreatePartition`` is idempotent here: a partition that already exists is left as
it is, so a repeated batch or a reprocess registers nothing twice. Any other refusal is
transient (the batch is retried, then waits in the catalog DLQ).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from cornlake import keys
from cornlake.errors import TransientError
from cornlake.messages import CuratedBatch

if TYPE_CHECKING:
    from mypy_boto3_glue import GlueClient


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
    created = 0
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
    return created
