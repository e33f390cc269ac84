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
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from cornlake import aws, keys, lineage
from cornlake.contracts import Contract, ContractRegistry, registry
from cornlake.errors import CornLakeError, IdempotencyConflictError, ProducerNotAllowedError
from cornlake.ingest.body import check_idempotency_key, check_request, check_shape, read_body
from cornlake.ingest.raw import claim, digest, object_metadata, put_once
from cornlake.observability import count, logger
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
    identity: dict[str, Any] = field(default_factory=dict)  # arn, groups, api_key: what contracts admit

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
            identity=_identity(event.get("requestContext") or {}),
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


def _identity(context: dict[str, Any]) -> dict[str, Any]:
    identity = context.get("identity") or {}
    claims = (context.get("authorizer") or {}).get("claims") or {}
    groups = claims.get("cognito:groups") or []
    return {
        "arn": identity.get("userArn") or "",
        "groups": [g for g in (groups.split(",") if isinstance(groups, str) else groups) if g],
        "api_key": identity.get("apiKeyId") or "",
    }


def check_producer(contract: Contract, request: ApiRequest) -> None:
    """A contract that names its producers admits only them."""
    if contract.producers and not any(p.admits(request.identity) for p in contract.producers):
        raise ProducerNotAllowedError(request.producer, f"{contract.source}/{contract.dataset}")


def land_api_payload(
    s3: S3Client,
    contracts: ContractRegistry,
    request: ApiRequest,
    *,
    settings: Settings,
    received: datetime,
    run_id: str = "",
) -> Landed:
    """Validate an API request and land its body unchanged as one raw object, written once.

    With an ``Idempotency-Key`` the first answer for (producer, key) is claimed in the ops
    bucket: the same body again gets that answer back, another body gets 409."""
    contract = contracts.get(request.source, request.dataset)  # unsafe names → 400, unknown → 404
    check_producer(contract, request)
    check_request(request.content_type, len(request.body), settings.max_body_bytes)
    check_idempotency_key(request.idempotency_key)
    found = read_body(request.body)
    check_shape(found, contract.format.type, f"{request.source}/{request.dataset}")
    sha = hashlib.sha256(request.body)
    ingest_id = keys.new_ingest_id(received)
    landed = Landed(
        ingest_id,
        str(keys.raw_key(request.source, request.dataset, ingest_id, f"api.{found.extension}")),
        found.records,
        sha.hexdigest(),
        len(request.body),
    )
    if request.idempotency_key:
        landed = _first_answer(s3, request, landed, settings.ops_bucket)
    put_once(  # False only when a retry of a claimed request finds its body landed already
        s3,
        bucket=settings.raw_bucket,
        key=landed.key,
        Body=request.body,
        ContentType=request.content_type or "application/json",
        ChecksumSHA256=base64.b64encode(sha.digest()).decode(),
        Metadata=object_metadata(
            landed.ingest_id,
            received,
            landed.sha256,
            request.producer,
            records=str(landed.records),
            channel="api",
            **{"run-id": run_id},
        ),
    )
    return landed


def _first_answer(s3: S3Client, request: ApiRequest, landed: Landed, ops_bucket: str) -> Landed:
    key = keys.claim_key(
        "api", request.source, request.dataset, digest(request.producer, request.idempotency_key)
    )
    held = claim(s3, bucket=ops_bucket, key=key, facts=asdict(landed) | {"producer": request.producer})
    if held["sha256"] != landed.sha256:
        raise IdempotencyConflictError(request.idempotency_key, held["key"])
    return Landed(held["ingest_id"], held["key"], held["records"], held["sha256"], held["size"])


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
            ingest_id, received, hashlib.sha256(body).hexdigest(), producer, error=error.code, path=path
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
    """Land one request's body, or refuse it; every error becomes its status and JSON body here."""
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
    except Exception:  # noqa: BLE001 - the producer gets an answer it can act on, never a bare 502
        logger.exception("ingest failed", extra={"source": request.source, "dataset": request.dataset})
        return ApiResponse(
            500,
            {
                "error": "internal_error",
                "message": "CornLake could not land this request; nothing was landed",
                "hint": "retry the request (with the same Idempotency-Key, if you sent one)",
            },
        )
    logger.info("landed", extra={"source": request.source, "dataset": request.dataset, **body})
    dataset = f"{request.source}.{request.dataset}"
    count("RecordsIngested", body["records"] or 0, stage=STAGE, dataset=dataset)
    count("BytesIngested", len(request.body), stage=STAGE, dataset=dataset, unit="Bytes")
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
        s3, contracts, request, settings=settings, received=datetime.now(UTC), run_id=run.run_id
    )
    run.rows_in = run.rows_out = landed.records or 0
    run.output_keys = [landed.key]
    run.details = {"ingest_id": landed.ingest_id, "sha256": landed.sha256, "producer": request.producer}
    write_run_record(s3, settings.ops_bucket, run.finish())
    lineage.emit(run, "START", settings)
    lineage.emit(run, "COMPLETE", settings)
    return {"ingest_id": landed.ingest_id, "key": landed.key, "records": landed.records}


def refuse(s3: S3Client, request: ApiRequest, error: CornLakeError, settings: Settings) -> ApiResponse:
    """Keep a refused body in quarantine, record the rejection; return the error response."""
    body = error.to_dict()
    if request.body and not error.retryable:
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
        lineage.emit(run, "START", settings)
        lineage.emit(run, "FAIL", settings)
    logger.warning(
        "refused", extra={"status": error.status, "error": error.code, "kept": body.get("kept", "")}
    )
    count("RequestsRefused", stage=STAGE)
    return ApiResponse(error.status, body)
