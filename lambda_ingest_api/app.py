"""Ingest API: ``POST /v1/ingest/{source}/{dataset}`` lands the body unchanged in raw.

Accepts a JSON array, one JSON object or NDJSON. Answers 202 with the ingest id, the raw
key and the record count; errors are ``{"error", "message", "hint"}`` with their status,
mapped from CornLake's exceptions in one place (``refuse``).

API Gateway routes only the one declared route here, so the handler reads API Gateway's
REST event directly instead of loading a router (which would add ~50 ms to a cold start).
"""

from __future__ import annotations

import json
from typing import Any

from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from cornlake import aws, ingest
from cornlake.contracts import registry
from cornlake.errors import CornLakeError
from cornlake.observability import logger, metrics
from cornlake.settings import settings_for

REQUIRED = ("raw_bucket", "quarantine_bucket", "ops_bucket")


def _respond(status: int, body: dict[str, Any]) -> dict[str, Any]:
    return {"statusCode": status, "headers": {"Content-Type": "application/json"}, "body": json.dumps(body)}


def accept(request: ingest.ApiRequest) -> dict[str, Any]:
    settings = settings_for(*REQUIRED)
    result = ingest.accept_api_request(
        aws.s3(),
        registry(),
        request,
        raw_bucket=settings.raw_bucket,
        ops_bucket=settings.ops_bucket,
        limit=settings.max_body_bytes,
    )
    logger.info("landed", extra={"source": request.source, "dataset": request.dataset, **result})
    metrics.add_metric(name="RecordsIngested", unit="Count", value=result["records"] or 0)
    return _respond(202, result)


def refuse(request: ingest.ApiRequest, error: CornLakeError) -> dict[str, Any]:
    settings = settings_for(*REQUIRED)
    body = ingest.refuse_api_request(
        aws.s3(), request, error, quarantine_bucket=settings.quarantine_bucket, ops_bucket=settings.ops_bucket
    )
    logger.warning(
        "refused", extra={"status": error.status, "error": error.code, "kept": body.get("kept", "")}
    )
    metrics.add_metric(name="RequestsRefused", unit="Count", value=1)
    return _respond(error.status, body)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    request = ingest.request_from_rest_event(event)
    if event.get("httpMethod") != "POST" or not (request.source and request.dataset):
        return _respond(
            404,
            {
                "error": "not_found",
                "message": f"no route for {event.get('httpMethod')} {request.path}",
                "hint": "POST to /v1/ingest/{source}/{dataset}",
            },
        )
    try:
        return accept(request)
    except CornLakeError as error:
        return refuse(request, error)
