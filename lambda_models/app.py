"""Models: run the models that read the tables the catalog just registered (cornlake.modeling)."""

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from cornlake.modeling.stage import handle
from cornlake.observability import logger, metrics, tracer


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return handle(event, context)
