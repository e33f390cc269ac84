"""The catalog stage: each curated batch's table and partitions, registered in Glue.

Batches arrive from the curated topic through SQS. The table is created or updated from
the dataset contract, plus the text columns schema evolution added (columns are only ever
added: older files still hold earlier evolutions); partitions are added through the Glue
API. The ops tables are ensured on every batch. Bucket names come from the function's own
settings, never from the message.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from cornlake import aws
from cornlake.catalog.partitions import add_partitions
from cornlake.catalog.tables import ensure_database, ensure_ops_tables, table_input, upsert_table
from cornlake.catalog.views import view_input
from cornlake.contracts import LINEAGE_COLUMN, Contract, ContractRegistry, registry
from cornlake.messages import CuratedBatch
from cornlake.observability import logger, metrics
from cornlake.ops import RunRecord
from cornlake.settings import Settings

if TYPE_CHECKING:
    from mypy_boto3_glue import GlueClient

STAGE = "catalog"
REQUIRED = ("glue_database", "ops_glue_database", "curated_bucket")


def start_sync(batch: CuratedBatch) -> RunRecord:
    return batch.run_record(STAGE)


def run_sync(
    batch: CuratedBatch,
    run: RunRecord,
    settings: Settings,
    *,
    session: Any = None,
    contracts: ContractRegistry | None = None,
) -> None:
    """Register one batch in Glue, filling in ``run``."""
    glue = aws.glue(session)
    # Two GetTable calls per batch keep the ops tables present even if someone dropped them.
    ensure_ops_tables(glue, database=settings.ops_glue_database, bucket=settings.ops_bucket)
    contract = (contracts or registry()).get(batch.source, batch.dataset)
    result = sync_batch(
        glue, contract, batch, database=settings.glue_database, bucket=settings.curated_bucket
    )
    run.details = result
    run.output_keys = [result["table"]]
    run.finish("succeeded")
    metrics.add_metric(name="PartitionsCreated", unit="Count", value=result["partitions_created"])
    logger.info("catalog synced", extra=result)


def sync_batch(
    glue: GlueClient, contract: Contract, batch: CuratedBatch, *, database: str, bucket: str
) -> dict[str, Any]:
    """Create or update the dataset's table from its contract and register the batch's partitions."""
    ensure_database(glue, database, "CornLake curated datasets (one table per dataset contract)")
    known = {c.name for c in contract.columns} | {LINEAGE_COLUMN}
    evolved = set(batch.added_columns) | {
        c["Name"] for c in _current_columns(glue, database, contract.table_name) if c["Name"] not in known
    }  # columns are only ever added: older files still hold earlier evolutions
    table = table_input(contract, bucket, evolved)
    table_state = upsert_table(glue, database, table)
    created = add_partitions(glue, database, table, batch) if batch.objects else 0
    result = {
        "table": f"{database}.{table['Name']}",
        "table_state": table_state,
        "partitions_created": created,
        "columns_added": sorted(set(batch.added_columns) - known),
    }
    if contract.across_files == "latest_view":
        view = view_input(contract, database, table)
        result["view"] = f"{database}.{view['Name']}:{upsert_table(glue, database, view)}"
    return result


def _current_columns(glue: GlueClient, database: str, name: str) -> list[dict[str, Any]]:
    try:
        table = glue.get_table(DatabaseName=database, Name=name)["Table"]
    except glue.exceptions.EntityNotFoundException:
        return []
    return [dict(c) for c in table.get("StorageDescriptor", {}).get("Columns", [])]
