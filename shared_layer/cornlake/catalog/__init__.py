"""The Glue catalog, built from the contracts: no crawlers.

tables       the curated table of each dataset and the ops tables
partitions   partitions registered as batches arrive
sync         the catalog stage (lambda_catalog_sync): one curated batch at a time
"""

from cornlake.catalog.partitions import add_partitions
from cornlake.catalog.sync import REQUIRED, STAGE, run_sync, start_sync, sync_batch
from cornlake.catalog.tables import (
    EVOLVED_COMMENT,
    ensure_database,
    ensure_ops_tables,
    ops_table_input,
    table_input,
    upsert_table,
)
from cornlake.consumer import SqsStage
from cornlake.messages import parse_curated_batch

__all__ = [
    "CATALOG",
    "EVOLVED_COMMENT",
    "add_partitions",
    "ensure_database",
    "ensure_ops_tables",
    "ops_table_input",
    "sync_batch",
    "table_input",
    "upsert_table",
]

CATALOG = SqsStage(
    name=STAGE, required=REQUIRED, parse=parse_curated_batch, start=start_sync, handle=run_sync
)
