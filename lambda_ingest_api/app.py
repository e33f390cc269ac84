"""Ingest API: ``POST /v1/ingest/{source}/{dataset}`` lands the body unchanged in raw
(cornlake.ingest.api). API Gateway routes only that route here, so the handler reads the
REST event itself rather than loading a router (~50 ms of cold start)."""

from typing import Any

from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from cornlake.ingest.api import ApiRequest, answer
from cornlake.observability import logger, metrics


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return answer(ApiRequest.from_rest_event(event)).to_rest()
