"""The catalog stage: each curated batch's table and partitions, registered in Glue.

Batches arrive from the curated topic through SQS. The table is created or updated from
the dataset contract, plus the text columns schema evolution added (columns are only ever
added: older files still hold earlier evolutions); partitions are added through the Glue
API. The ops tables are ensured on every batch. Bucket names come from the function's own
settings, never from the message.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from cornlake import aws
from cornlake.catalog.analysts import ensure_named_queries, tag_pii_columns
from cornlake.catalog.partitions import add_partitions
from cornlake.catalog.raw import raw_table_input
from cornlake.catalog.tables import (
    EVOLVED_COMMENT,
    UPDATE_ATTEMPTS,
    backoff,
    current_table,
    ensure_database,
    ensure_ops_tables,
    table_input,
    upsert_table,
    write_table,
)
from cornlake.catalog.views import view_input
from cornlake.contracts import LINEAGE_COLUMN, Contract, ContractRegistry, registry
from cornlake.errors import ConflictError
from cornlake.messages import CuratedBatch, TablesChanged
from cornlake.observability import count, logger
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
    contracts = contracts or registry()
    ensure_ops_tables(
        glue,
        database=settings.ops_glue_database,
        bucket=settings.ops_bucket,
        quarantine_bucket=settings.quarantine_bucket,
        contracts=contracts,
    )
    contract = contracts.get(batch.source, batch.dataset)
    result = sync_batch(
        glue, contract, batch, database=settings.glue_database, bucket=settings.curated_bucket
    )
    result |= _for_engineers_and_analysts(contract, settings, session)
    if settings.models_queue_url and batch.objects:
        result["models_told"] = announce_to_models(contract, batch, run.run_id, settings, session)
    run.details = result
    run.output_keys = [result["table"]]
    run.finish("succeeded")
    count("PartitionsCreated", result["partitions_created"], stage=STAGE, dataset=contract.qualified_name)
    logger.info("catalog synced", extra=result)


def announce_to_models(
    contract: Contract, batch: CuratedBatch, run_id: str, settings: Settings, session: Any
) -> list[str]:
    """Tell the models queue which tables' rows changed, once they are registered (the models
    reading them run next, cornlake.modeling)."""
    tables = [contract.table_name] + (
        [contract.latest_view_name] if contract.across_files == "latest_view" else []
    )
    partitions = sorted({"/".join(f"{k}={v}" for k, v in o.partition.items()) for o in batch.objects})
    at = datetime.now(UTC).isoformat(timespec="milliseconds")
    message = TablesChanged(tuple(tables), contract.source, contract.dataset, tuple(partitions), run_id, at)
    aws.client("sqs", session).send_message(QueueUrl=settings.models_queue_url, MessageBody=message.to_json())
    return tables


def _for_engineers_and_analysts(contract: Contract, settings: Settings, session: Any) -> dict[str, Any]:
    """The raw table, the named queries and the PII tags, each where the stack asks for it."""
    done: dict[str, Any] = {}
    if settings.raw_glue_database:
        raw = raw_table_input(contract, settings.raw_bucket)
        if raw is None:
            done["raw_table"] = f"none: {contract.format.type} files cannot be read as rows of text"
        else:
            glue, database = aws.glue(session), settings.raw_glue_database
            ensure_database(glue, database, "CornLake raw zone: each dataset as it arrived")
            done["raw_table"] = f"{database}.{raw['Name']}:{upsert_table(glue, database, raw)}"
    if settings.athena_workgroup:
        done["named_queries_created"] = ensure_named_queries(
            aws.client("athena", session),
            workgroup=settings.athena_workgroup,
            database=settings.glue_database,
            contract=contract,
        )
    if settings.lake_formation_tags == "true":
        done["pii_columns_tagged"] = tag_pii_columns(
            aws.client("lakeformation", session), database=settings.glue_database, contract=contract
        )
    return done


def sync_batch(
    glue: GlueClient, contract: Contract, batch: CuratedBatch, *, database: str, bucket: str
) -> dict[str, Any]:
    """Create or update the dataset's table from its contract and register the batch's partitions."""
    ensure_database(glue, database, "CornLake curated datasets (one table per dataset contract)")
    for attempt in range(UPDATE_ATTEMPTS):
        current = current_table(glue, database, contract.table_name)
        evolved, dropped = _columns_to_keep(contract, batch, current)
        table = table_input(contract, bucket, evolved, stats=next_stats(current, batch))
        try:
            state = write_table(glue, database, table, current)
            break
        except ConflictError:
            if attempt == UPDATE_ATTEMPTS - 1:
                raise
            backoff(attempt)
    projected = contract.partitioning.projection
    created = add_partitions(glue, database, table, batch) if batch.objects and not projected else 0
    result = {
        "table": f"{database}.{table['Name']}",
        "table_state": state,
        "partitions_created": created,
        "columns_added": sorted(set(batch.added_columns) - {c.name for c in contract.columns}),
        "warnings": [_dropped_warning(name, contract) for name in dropped],
    }
    if contract.across_files == "latest_view":
        view = view_input(contract, database, table)
        result["view"] = f"{database}.{view['Name']}:{upsert_table(glue, database, view)}"
    return result


def _columns_to_keep(
    contract: Contract, batch: CuratedBatch, current: dict[str, Any] | None
) -> tuple[set[str], list[str]]:
    """(evolved columns, columns the contract dropped). Evolved columns are only ever added:
    older files still hold them. A contract column that left the contract leaves the table."""
    known = {c.name for c in contract.columns} | {LINEAGE_COLUMN}
    columns = (current or {}).get("StorageDescriptor", {}).get("Columns", [])
    evolved = set(batch.added_columns) | {
        c["Name"] for c in columns if c["Name"] not in known and c.get("Comment") == EVOLVED_COMMENT
    }
    dropped = [c["Name"] for c in columns if c["Name"] not in known and c.get("Comment") != EVOLVED_COMMENT]
    return evolved, dropped


def _dropped_warning(name: str, contract: Contract) -> str:
    return (
        f"column {name} is no longer in contract v{contract.version}, so it left the table; its values "
        "stay in older files. If it was renamed, `cornlake reprocess` rewrites old files with the new name"
    )


RECENT_BATCHES = 50  # how many batch ids a table remembers, so a redelivered batch is not counted twice


def next_stats(current: dict[str, Any] | None, batch: CuratedBatch) -> dict[str, str]:
    """The table's statistics after this batch: last update, and rows (a reprocess replaces the
    rows it rewrote; a batch delivered again is not counted twice)."""
    params = (current or {}).get("Parameters", {})
    recent = [r for r in params.get("cornlake.recent_batches", "").split(",") if r]
    if batch.run_id in recent:  # delivered again: the table already counts it
        return {
            k: params[k] for k in ("cornlake.last_update", "cornlake.row_count", "cornlake.recent_batches")
        }
    rows = max(0, int(params.get("cornlake.row_count") or 0) + batch.rows_out - batch.rows_replaced)
    recent = [*recent, batch.run_id][-RECENT_BATCHES:]
    return {
        "cornlake.last_update": datetime.now(UTC).isoformat(timespec="seconds"),
        "cornlake.row_count": str(rows),
        "cornlake.recent_batches": ",".join(recent),
    }
