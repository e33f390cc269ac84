"""Raw → curated: each new raw object becomes typed, partitioned Parquet plus quarantine.

S3 ``ObjectCreated`` events arrive through SQS (DLQ after repeated failures). Bad rows
never fail the batch: they are quarantined and counted. Only transient failures raise, so
SQS retries them. When a raw object is done, its batch is announced on the curated topic.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from cornlake import aws
from cornlake.contracts import registry
from cornlake.errors import TerminalError
from cornlake.events import process_sqs_batch, s3_objects
from cornlake.observability import logger, metrics, tracer
from cornlake.runs import RunRecord, write_run_record
from cornlake.settings import settings_for
from cornlake.transform import run_transform

REQUIRED = ("raw_bucket", "curated_bucket", "quarantine_bucket", "ops_bucket", "curated_topic_arn")


def transform_record(record: SQSRecord) -> None:
    settings = settings_for(*REQUIRED)
    s3 = aws.s3()
    for obj in s3_objects(record):
        try:
            run, outcome = run_transform(
                s3,
                registry(),
                raw_bucket=obj.bucket,
                key=obj.key,
                curated_bucket=settings.curated_bucket,
                quarantine_bucket=settings.quarantine_bucket,
            )
        except TerminalError as err:  # a key or dataset CornLake cannot place: record it, never retry
            run = RunRecord(stage="transform", input_key=obj.key).finish("rejected", err.message)
            write_run_record(s3, settings.ops_bucket, run)
            logger.error("raw object rejected", extra={"key": obj.key, "error": err.message})
            continue
        write_run_record(s3, settings.ops_bucket, run)
        if outcome.batch.objects:
            aws.sns().publish(
                TopicArn=settings.curated_topic_arn,
                Message=outcome.batch.to_json(),
                MessageAttributes={
                    "dataset": {"DataType": "String", "StringValue": f"{run.source}.{run.dataset}"}
                },
            )
        metrics.add_metric(name="RowsCurated", unit="Count", value=run.rows_out)
        metrics.add_metric(name="RowsQuarantined", unit="Count", value=run.rows_quarantined)
        logger.info(
            "transformed",
            extra={
                "key": obj.key,
                "status": run.status,
                "rows_in": run.rows_in,
                "rows_out": run.rows_out,
                "rows_quarantined": run.rows_quarantined,
            },
        )


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return process_sqs_batch(event, context, transform_record)
