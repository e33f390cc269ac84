"""The API channel: records POSTed to ``/v1/ingest/{source}/{dataset}``, landed unchanged.

``answer`` turns one request into one response, and is the one place where CornLake's
errors become HTTP statuses and JSON bodies (``{"error", "message", "hint"}``): a valid
body lands in raw (202, with the ingest id, the raw key and the record count); a refused
body is kept in the quarantine bucket with why it was refused, so nothing sent is lost.
Both write a run record.
"""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from cornlake import aws, keys
from cornlake.contracts import ContractRegistry, registry
from cornlake.errors import CornLakeError
from cornlake.ingest.body import check_request, count_records
from cornlake.ingest.raw import object_metadata
from cornlake.observability import logger, metrics
from cornlake.ops import RunRecord, write_run_record
from cornlake.settings import Settings, settings_for

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

STAGE = "ingest_api"
REQUIRED = ("raw_bucket", "quarantine_bucket", "ops_bucket")
ROUTE = "/v1/ingest/{source}/{dataset}"


@dataclass(frozen=True)
class Landed:
    ingest_id: str
    key: str
    records: int | None
    sha256: str
    size: int


@dataclass(frozen=True)
class ApiRequest:
    """What the ingest API needs from an HTTP request, independent of API Gateway's shape."""

    path: str
    source: str
    dataset: str
    body: bytes
    content_type: str | None
    producer: str
    idempotency_key: str = ""
    method: str = "POST"

    @classmethod
    def from_rest_event(cls, event: dict[str, Any]) -> ApiRequest:
        """Read an API Gateway REST (payload v1) proxy event."""
        raw = event.get("body") or ""
        body = base64.b64decode(raw) if event.get("isBase64Encoded") else raw.encode("utf-8", "surrogatepass")
        headers = event.get("headers") or {}
        params = event.get("pathParameters") or {}
        return cls(
            path=str(event.get("path") or ""),
            source=str(params.get("source", "")),
            dataset=str(params.get("dataset", "")),
            body=body,
            content_type=_header(headers, "Content-Type") or None,
            producer=_producer(event.get("requestContext") or {}),
            idempotency_key=_header(headers, "Idempotency-Key"),
            method=str(event.get("httpMethod") or ""),
        )


@dataclass(frozen=True)
class ApiResponse:
    status: int
    body: dict[str, Any] = field(default_factory=dict)

    def to_rest(self) -> dict[str, Any]:
        """The response as API Gateway's Lambda proxy integration expects it."""
        return {
            "statusCode": self.status,
            "headers": {"Content-Type": "application/json"},
            "body": json.dumps(self.body),
        }


def _header(headers: dict[str, str], name: str) -> str:
    lowered = name.lower()
    return next((v for k, v in headers.items() if k.lower() == lowered), "")


def _producer(context: dict[str, Any]) -> str:
    """Who sent the request: the IAM caller, the Cognito subject, the API key or the address."""
    identity = context.get("identity") or {}
    claims = (context.get("authorizer") or {}).get("claims") or {}
    producer = (
        identity.get("userArn")
        or (f"cognito:{claims['sub']}" if claims.get("sub") else "")  # ApiAuth=COGNITO_JWT
        or identity.get("apiKeyId")
        or identity.get("sourceIp")
        or ""
    )
    return str(producer)


def land_api_payload(
    s3: S3Client,
    contracts: ContractRegistry,
    *,
    raw_bucket: str,
    source: str,
    dataset: str,
    body: bytes,
    content_type: str | None,
    producer: str,
    limit: int,
    received: datetime,
    idempotency_key: str = "",
) -> Landed:
    """Validate an API request and land its body unchanged as one raw object."""
    contracts.get(source, dataset)  # unsafe names → 400, unknown dataset → 404
    check_request(content_type, len(body), limit)
    records, extension = count_records(body)
    if idempotency_key:
        ingest_id = keys.derived_ingest_id(
            received.replace(minute=0, second=0), source, dataset, idempotency_key
        )
    else:
        ingest_id = keys.new_ingest_id(received)
    key = str(keys.raw_key(source, dataset, ingest_id, f"api.{extension}"))
    digest = hashlib.sha256(body)
    s3.put_object(
        Bucket=raw_bucket,
        Key=key,
        Body=body,
        ContentType=content_type or "application/json",
        ChecksumSHA256=base64.b64encode(digest.digest()).decode(),
        Metadata=object_metadata(
            ingest_id, received, digest.hexdigest(), producer, records=str(records), channel="api"
        ),
    )
    return Landed(ingest_id, key, records, digest.hexdigest(), len(body))


def keep_rejected_api_payload(
    s3: S3Client,
    *,
    quarantine_bucket: str,
    body: bytes,
    error: CornLakeError,
    path: str,
    producer: str,
    received: datetime,
) -> str:
    """Keep a refused request body, with why it was refused, so nothing sent is lost."""
    ingest_id = keys.new_ingest_id(received)
    key = keys.api_rejected_key(ingest_id)
    s3.put_object(
        Bucket=quarantine_bucket,
        Key=key,
        Body=body,
        Metadata=object_metadata(
            ingest_id, received, hashlib.sha256(body).hexdigest(), producer, error=error.code, path=path[:512]
        ),
    )
    return key


def answer(
    request: ApiRequest,
    *,
    settings: Settings | None = None,
    session: Any = None,
    contracts: ContractRegistry | None = None,
) -> ApiResponse:
    """Land one request's body, or refuse it; every CornLake error becomes its status here."""
    if request.method != "POST" or not (request.source and request.dataset):
        return ApiResponse(
            404,
            {
                "error": "not_found",
                "message": f"no route for {request.method} {request.path}",
                "hint": f"POST to {ROUTE}",
            },
        )
    settings = settings or settings_for(*REQUIRED)
    s3 = aws.s3(session)
    try:
        body = accept(s3, contracts or registry(), request, settings)
    except CornLakeError as error:
        return refuse(s3, request, error, settings)
    logger.info("landed", extra={"source": request.source, "dataset": request.dataset, **body})
    metrics.add_metric(name="RecordsIngested", unit="Count", value=body["records"] or 0)
    return ApiResponse(202, body)


def accept(
    s3: S3Client, contracts: ContractRegistry, request: ApiRequest, settings: Settings
) -> dict[str, Any]:
    """Land an API request's body and record the run; return the 202 response body."""
    run = RunRecord(
        stage=STAGE,
        source=request.source,
        dataset=request.dataset,
        input_key=request.path,
        bytes_in=len(request.body),
    )
    landed = land_api_payload(
        s3,
        contracts,
        raw_bucket=settings.raw_bucket,
        source=request.source,
        dataset=request.dataset,
        body=request.body,
        content_type=request.content_type,
        producer=request.producer,
        limit=settings.max_body_bytes,
        received=datetime.now(UTC),
        idempotency_key=request.idempotency_key,
    )
    run.rows_in = run.rows_out = landed.records or 0
    run.output_keys = [landed.key]
    run.details = {"ingest_id": landed.ingest_id, "sha256": landed.sha256, "producer": request.producer}
    write_run_record(s3, settings.ops_bucket, run.finish())
    return {"ingest_id": landed.ingest_id, "key": landed.key, "records": landed.records}


def refuse(s3: S3Client, request: ApiRequest, error: CornLakeError, settings: Settings) -> ApiResponse:
    """Keep a refused body in quarantine, record the rejection; return the error response."""
    body = error.to_dict()
    if request.body:
        kept = keep_rejected_api_payload(
            s3,
            quarantine_bucket=settings.quarantine_bucket,
            body=request.body,
            error=error,
            path=request.path,
            producer=request.producer,
            received=datetime.now(UTC),
        )
        body["kept"] = f"s3://{settings.quarantine_bucket}/{kept}"
        run = RunRecord(
            stage=STAGE,
            source=request.source if keys.NAME_RE.match(request.source) else "",
            dataset=request.dataset if keys.NAME_RE.match(request.dataset) else "",
            input_key=request.path[:512],
            bytes_in=len(request.body),
            output_keys=[kept],
        )
        write_run_record(s3, settings.ops_bucket, run.finish("rejected", f"{error.code}: {error.message}"))
    logger.warning(
        "refused", extra={"status": error.status, "error": error.code, "kept": body.get("kept", "")}
    )
    metrics.add_metric(name="RequestsRefused", unit="Count", value=1)
    return ApiResponse(error.status, body)
