"""Monitor: freshness and reconciliation on a schedule (cornlake.monitor)."""

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from cornlake.monitor import handle
from cornlake.observability import logger, metrics


@logger.inject_lambda_context
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return handle(event)
