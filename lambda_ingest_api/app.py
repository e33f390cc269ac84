"""Ingest API: ``POST /v1/ingest/{source}/{dataset}`` lands the body unchanged in raw.

Accepts a JSON array, one JSON object or NDJSON. Answers 202 with the ingest id, the raw
key and the record count; errors are ``{"error", "message", "hint"}`` with their status,
mapped from CornLake's exceptions in one place.
"""

from __future__ import annotations

import base64
import json
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response, content_types
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from cornlake import aws, ingest
from cornlake.contracts import registry
from cornlake.errors import CornLakeError
from cornlake.observability import logger, metrics, tracer
from cornlake.settings import settings_for

app = APIGatewayRestResolver()
REQUIRED = ("raw_bucket", "quarantine_bucket", "ops_bucket")


def _request() -> ingest.ApiRequest:
    event = app.current_event
    raw = event.body or ""
    body = base64.b64decode(raw) if event.is_base64_encoded else raw.encode("utf-8")
    identity = event.request_context.identity
    params = event.path_parameters or {}
    return ingest.ApiRequest(
        path=event.path,
        source=params.get("source", ""),
        dataset=params.get("dataset", ""),
        body=body,
        content_type=event.headers.get("content-type") or event.headers.get("Content-Type"),
        producer=identity.user_arn or _jwt_subject() or identity.api_key_id or identity.source_ip or "",
        idempotency_key=event.headers.get("idempotency-key") or event.headers.get("Idempotency-Key") or "",
    )


def _jwt_subject() -> str:
    """The token's subject when the API authorizes with Cognito JWTs (ApiAuth=COGNITO_JWT)."""
    claims = (
        (app.current_event.request_context.authorizer.claims or {})
        if app.current_event.request_context
        else {}
    )
    subject = claims.get("sub", "")
    return f"cognito:{subject}" if subject else ""


def _json(status: int, body: dict[str, Any]) -> Response[str]:
    return Response(status_code=status, content_type=content_types.APPLICATION_JSON, body=json.dumps(body))


@app.post("/v1/ingest/<source>/<dataset>")
def post_records(source: str, dataset: str) -> Response[str]:
    settings = settings_for(*REQUIRED)
    result = ingest.accept_api_request(
        aws.s3(),
        registry(),
        _request(),
        raw_bucket=settings.raw_bucket,
        ops_bucket=settings.ops_bucket,
        limit=settings.max_body_bytes,
    )
    logger.info("landed", extra={"source": source, "dataset": dataset, **result})
    metrics.add_metric(name="RecordsIngested", unit="Count", value=result["records"] or 0)
    return _json(202, result)


@app.exception_handler(CornLakeError)
def refuse(error: CornLakeError) -> Response[str]:
    settings = settings_for(*REQUIRED)
    body = ingest.refuse_api_request(
        aws.s3(),
        _request(),
        error,
        quarantine_bucket=settings.quarantine_bucket,
        ops_bucket=settings.ops_bucket,
    )
    logger.warning(
        "refused", extra={"status": error.status, "error": error.code, "kept": body.get("kept", "")}
    )
    metrics.add_metric(name="RequestsRefused", unit="Count", value=1)
    return _json(error.status, body)


@app.not_found
def not_found(_: Exception) -> Response[str]:
    return _json(
        404,
        {
            "error": "not_found",
            "message": f"no route for {app.current_event.http_method} {app.current_event.path}",
            "hint": "POST to /v1/ingest/{source}/{dataset}",
        },
    )


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
