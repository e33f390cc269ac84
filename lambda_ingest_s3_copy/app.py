"""Landing → raw: copy each new landing object byte for byte under the standard raw key
(cornlake.ingest.landing). No X-Ray SDK: it costs a byte-landing cold start ~110 ms."""

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from cornlake.consumer import consume
from cornlake.ingest.landing import LANDING_COPY
from cornlake.observability import logger, metrics


@logger.inject_lambda_context
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return consume(event, context, LANDING_COPY)
