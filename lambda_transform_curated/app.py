"""Raw → curated: each new raw object becomes typed, partitioned Parquet plus quarantine
(cornlake.transform); big objects come back through the same queue as byte ranges.

No X-Ray SDK here (about 110 ms of every cold start): Lambda's active tracing records each
invocation, and each run record's ``details.phase_ms`` says where its time went."""

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from cornlake.consumer import consume
from cornlake.observability import logger, metrics
from cornlake.transform import TRANSFORM


@logger.inject_lambda_context
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return consume(event, context, TRANSFORM)
