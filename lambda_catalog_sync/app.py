"""Catalog sync: register each curated batch's table and partitions in Glue.

Batches arrive from the curated topic through SQS. Tables are created or updated from the
dataset contract (types, column comments, description); partitions are added through the
Glue API. The ops tables (runs, quality results) are ensured on every batch.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from cornlake import aws, catalog
from cornlake.contracts import registry
from cornlake.events import process_sqs_batch
from cornlake.messages import CuratedBatch
from cornlake.observability import logger, metrics, tracer
from cornlake.runs import write_run_record
from cornlake.settings import settings_for

REQUIRED = ("glue_database", "ops_glue_database", "ops_bucket")


def sync_record(record: SQSRecord) -> None:
    settings = settings_for(*REQUIRED)
    # Two GetTable calls per batch keep the ops tables present even if someone dropped them.
    catalog.ensure_ops_tables(aws.glue(), database=settings.ops_glue_database, bucket=settings.ops_bucket)
    batch = CuratedBatch.from_json(record.body)
    contract = registry().get(batch.source, batch.dataset)
    run = batch.run_record("catalog")
    result = catalog.sync_batch(aws.glue(), contract, batch, database=settings.glue_database)
    run.details = result
    run.output_keys = [result["table"]]
    write_run_record(aws.s3(), settings.ops_bucket, run.finish("succeeded"))
    metrics.add_metric(name="PartitionsCreated", unit="Count", value=result["partitions_created"])
    logger.info("catalog synced", extra=result)


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return process_sqs_batch(event, context, sync_record)
