"""Catalog sync: register each curated batch's table and partitions in Glue (cornlake.catalog)."""

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from cornlake.catalog import CATALOG
from cornlake.consumer import consume
from cornlake.observability import logger, metrics, tracer


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return consume(event, context, CATALOG)
