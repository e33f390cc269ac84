"""Data quality: check every new curated batch against its contract's rules (cornlake.quality)."""

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from cornlake.consumer import consume
from cornlake.observability import logger, metrics, tracer
from cornlake.quality import QUALITY


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return consume(event, context, QUALITY)
