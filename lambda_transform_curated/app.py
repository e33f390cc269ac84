"""Raw → curated: each new raw object becomes typed, partitioned Parquet plus quarantine.

S3 ``ObjectCreated`` events arrive through SQS (DLQ after repeated failures). Bad rows
never fail the batch: they are quarantined and counted. Only transient failures raise, so
SQS retries them. When a raw object is done, its batch is announced on the curated topic.
A JSON-lines object too big for one invocation is split into byte ranges that come back
through the same queue and are converted in parallel.
"""

from __future__ import annotations

import json
from typing import Any

from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from cornlake import aws, split
from cornlake.contracts import registry
from cornlake.errors import TerminalError
from cornlake.events import process_sqs_batch, s3_objects
from cornlake.observability import logger, metrics, tracer
from cornlake.runs import RunRecord, write_run_record
from cornlake.settings import Settings, settings_for
from cornlake.transform import run_transform

REQUIRED = (
    "raw_bucket",
    "curated_bucket",
    "quarantine_bucket",
    "ops_bucket",
    "curated_topic_arn",
    "glue_database",
)


def transform_record(record: SQSRecord) -> None:
    settings = settings_for(*REQUIRED)
    body = json.loads(record.body)
    if split.MESSAGE_KEY in body:
        part = split.ByteRange.from_message(body)
        transform(settings, part.bucket, part.key, size=part.end - part.start, byte_range=part)
        return
    for obj in s3_objects(record):
        transform(settings, obj.bucket, obj.key, size=obj.size)


def transform(
    settings: Settings, bucket: str, key: str, *, size: int, byte_range: split.ByteRange | None = None
) -> None:
    s3 = aws.s3()
    try:
        if byte_range is None:
            split_run = split.split_if_big(
                s3,
                aws.client("sqs"),
                registry(),
                bucket=bucket,
                key=key,
                size=size,
                split_bytes=settings.split_bytes,
                queue_url=settings.transform_queue_url,
            )
            if split_run is not None:
                write_run_record(s3, settings.ops_bucket, split_run)
                logger.info("split", extra={"key": key, "parts": split_run.details["parts"]})
                return
        run, outcome = run_transform(
            s3,
            registry(),
            raw_bucket=bucket,
            key=key,
            curated_bucket=settings.curated_bucket,
            quarantine_bucket=settings.quarantine_bucket,
            byte_range=byte_range,
            glue=aws.glue(),
            database=settings.glue_database,
            memory_mb=settings.engine_memory_mb,
            target_bytes=settings.target_file_mb * 1024 * 1024,
        )
    except TerminalError as err:  # a key or dataset CornLake cannot place: record it, never retry
        run = RunRecord(stage="transform", input_key=key).finish("rejected", err.message)
        write_run_record(s3, settings.ops_bucket, run)
        logger.error("raw object rejected", extra={"key": key, "error": err.message})
        return
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
            "key": key,
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
