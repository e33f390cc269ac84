"""Landing → raw: copy each new landing object byte for byte under the standard raw key.

S3 ``ObjectCreated`` events arrive through SQS. A file for an unknown dataset or with an
unsafe name is moved to the landing bucket's ``_rejected/`` prefix with its reason.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from cornlake import aws, ingest
from cornlake.contracts import registry
from cornlake.events import process_sqs_batch, s3_objects
from cornlake.observability import logger, metrics
from cornlake.runs import RunRecord, write_run_record
from cornlake.settings import settings_for

REQUIRED = ("raw_bucket", "ops_bucket")


def copy_record(record: SQSRecord) -> None:
    settings = settings_for(*REQUIRED)
    s3 = aws.s3()
    for obj in s3_objects(record):
        run = RunRecord(stage="ingest_s3_copy", input_key=f"s3://{obj.bucket}/{obj.key}", bytes_in=obj.size)
        outcome = ingest.copy_landing_object(
            s3,
            registry(),
            landing_bucket=obj.bucket,
            key=obj.key,
            raw_bucket=settings.raw_bucket,
            event_time=obj.event_time,
            producer=obj.principal,
        )
        if not (outcome.raw_key or outcome.rejected_key):
            continue  # a folder marker or an object under _rejected/
        if outcome.raw_key:
            landed = ingest.keys.parse_raw_key(outcome.raw_key)
            run.source, run.dataset, run.output_keys = landed.source, landed.dataset, [outcome.raw_key]
            run.finish("succeeded")
        else:
            run.output_keys = [outcome.rejected_key]
            run.finish("rejected", outcome.reason)
            metrics.add_metric(name="FilesRejected", unit="Count", value=1)
        write_run_record(s3, settings.ops_bucket, run)
        logger.info(
            "landing object handled",
            extra={"key": obj.key, "raw_key": outcome.raw_key, "rejected_key": outcome.rejected_key},
        )


@logger.inject_lambda_context
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return process_sqs_batch(event, context, copy_record)
