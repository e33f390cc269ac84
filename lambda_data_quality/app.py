"""Data quality: check every new curated batch against its contract's rules.

Results become rows of the ``quality_results`` ops table; each failed rule is also a
CloudWatch metric (``QualityRuleFailed``, by dataset and severity) for alarms.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from cornlake import aws
from cornlake.contracts import registry
from cornlake.events import process_sqs_batch
from cornlake.messages import CuratedBatch
from cornlake.observability import logger, metrics, tracer
from cornlake.quality import run_quality
from cornlake.runs import write_run_record
from cornlake.settings import settings_for

REQUIRED = ("ops_bucket",)


def check_record(record: SQSRecord) -> None:
    settings = settings_for(*REQUIRED)
    batch = CuratedBatch.from_json(record.body)
    contract = registry().get(batch.source, batch.dataset)
    run = batch.run_record("quality")
    s3 = aws.s3()
    results, key = run_quality(s3, contract, batch, ops_bucket=settings.ops_bucket, run_id=run.run_id)
    failed = [r for r in results if not r.passed]
    for result in failed:
        metrics.add_metric(name="QualityRuleFailed", unit=MetricUnit.Count, value=1)
        logger.warning(
            "quality rule failed",
            extra={
                "dataset": contract.qualified_name,
                "rule": result.rule_id,
                "severity": result.severity,
                "observed": result.observed,
            },
        )
    run.output_keys = [key] if key else []
    run.details = {"rules": len(results), "failed": [r.rule_id for r in failed]}
    blocking = any(r.severity == "error" for r in failed)
    write_run_record(s3, settings.ops_bucket, run.finish("checks_failed" if blocking else "succeeded"))


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return process_sqs_batch(event, context, check_record)
