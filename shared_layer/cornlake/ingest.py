"""Ingestion: land bytes in the raw zone exactly as they arrived, with metadata.

Two ways in: records POSTed to the ingest API (``land_api_payload``) and files dropped in
the landing bucket (``copy_landing_object``). Neither parses more than it must: the API
checks the body is JSON so a producer learns at once that it sent garbage; the copy never
reads the file. Everything rejected is kept (quarantine bucket, or the landing bucket's
``_rejected/`` prefix) with its reason.
"""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from cornlake import keys
from cornlake.contracts import ContractRegistry
from cornlake.errors import (
    CornLakeError,
    EmptyBodyError,
    MalformedBodyError,
    PayloadTooLargeError,
    UnknownDatasetError,
    UnsafeNameError,
    UnsupportedMediaTypeError,
)

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

JSON_TYPES = ("application/json", "application/x-ndjson", "application/jsonl", "application/json-seq")
MULTIPART_THRESHOLD = 5 * 1024**3  # S3's single-request CopyObject limit
PART_SIZE = 512 * 1024**2
MAX_PARTS = 10_000
_DECODER = json.JSONDecoder()


@dataclass(frozen=True)
class Landed:
    ingest_id: str
    key: str
    records: int | None
    sha256: str
    size: int


def count_records(body: bytes) -> tuple[int, str]:
    """Validate a JSON array, a single object or NDJSON; return (records, file extension).

    Errors name the line (NDJSON) or character offset (a single document).
    """
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise MalformedBodyError(f"not UTF-8 ({err.reason})", offset=err.start) from None
    stripped = text.strip()
    if not stripped:
        raise EmptyBodyError()
    try:
        document = json.loads(stripped)
    except json.JSONDecodeError as err:
        if stripped[0] == "{" and "\n" in stripped:
            return _count_ndjson(stripped), "jsonl"
        raise MalformedBodyError(err.msg, line=err.lineno, offset=err.pos) from None
    if isinstance(document, list):
        bad = next((i for i, item in enumerate(document) if not isinstance(item, dict)), None)
        if bad is not None:
            raise MalformedBodyError(
                f"array item {bad} is {type(document[bad]).__name__}, expected an object"
            )
        if not document:
            raise EmptyBodyError()
        return len(document), "json"
    if isinstance(document, dict):
        return 1, "json"
    raise MalformedBodyError(f"a JSON {type(document).__name__} is not a record; send objects")


def _count_ndjson(text: str) -> int:
    count = 0
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            value = json.loads(line)
        except json.JSONDecodeError as err:
            raise MalformedBodyError(err.msg, line=number, offset=err.colno - 1) from None
        if not isinstance(value, dict):
            raise MalformedBodyError(f"a JSON {type(value).__name__} is not a record", line=number)
        count += 1
    return count


def check_request(content_type: str | None, size: int, limit: int) -> None:
    media = (content_type or "").split(";")[0].strip().lower()
    if media not in JSON_TYPES:
        raise UnsupportedMediaTypeError(content_type or "", list(JSON_TYPES))
    if size > limit:
        raise PayloadTooLargeError(size, limit)


def _metadata(ingest_id: str, received: datetime, sha256: str, producer: str, **extra: str) -> dict[str, str]:
    meta = {
        "ingest-id": ingest_id,
        "received-at": received.astimezone(UTC).isoformat(timespec="milliseconds"),
        "content-sha256": sha256,
        "producer": producer or "unknown",
    }
    meta.update(extra)
    return {k: v for k, v in meta.items() if v}


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
        Metadata=_metadata(
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
        Metadata=_metadata(
            ingest_id, received, hashlib.sha256(body).hexdigest(), producer, error=error.code, path=path[:512]
        ),
    )
    return key


@dataclass(frozen=True)
class CopyOutcome:
    landing_key: str
    raw_key: str = ""
    rejected_key: str = ""
    reason: str = ""
    size: int = 0


def copy_landing_object(
    s3: S3Client,
    contracts: ContractRegistry,
    *,
    landing_bucket: str,
    key: str,
    raw_bucket: str,
    event_time: datetime,
    producer: str = "",
) -> CopyOutcome:
    """Copy one landing object byte for byte into raw, or move it to ``_rejected/``."""
    if key.startswith(keys.REJECTED_PREFIX + "/") or key.endswith("/"):
        return CopyOutcome(key, reason="ignored: rejected prefix or folder marker")
    try:
        landing = keys.parse_landing_key(key)
        contracts.get(landing.source, landing.dataset)
    except (UnsafeNameError, UnknownDatasetError) as err:
        return _reject_landing(s3, landing_bucket, key, err, event_time)
    head = s3.head_object(Bucket=landing_bucket, Key=key)
    size, etag = int(head["ContentLength"]), str(head["ETag"]).strip('"')
    ingest_id = keys.derived_ingest_id(event_time, landing_bucket, key, head.get("VersionId") or etag)
    target = str(keys.raw_key(landing.source, landing.dataset, ingest_id, landing.file_name))
    # S3 computes the SHA-256 of the copy itself (ChecksumAlgorithm); no need to read the bytes.
    metadata = _metadata(
        ingest_id,
        event_time,
        "",
        producer,
        channel="landing",
        **{"source-key": key[:512], "source-etag": etag},
    )
    if size <= MULTIPART_THRESHOLD:
        s3.copy_object(
            Bucket=raw_bucket,
            Key=target,
            CopySource={"Bucket": landing_bucket, "Key": key},
            MetadataDirective="REPLACE",
            Metadata=metadata,
            ContentType=head.get("ContentType", "application/octet-stream"),
            ChecksumAlgorithm="SHA256",
        )
    else:
        multipart_copy(
            s3,
            src_bucket=landing_bucket,
            src_key=key,
            bucket=raw_bucket,
            key=target,
            size=size,
            metadata=metadata,
        )
    return CopyOutcome(key, raw_key=target, size=size)


def part_size_for(size: int, preferred: int = PART_SIZE) -> int:
    """The preferred part size, grown when needed so no copy takes more than S3's 10,000 parts."""
    return max(preferred, -(-size // MAX_PARTS))


def multipart_copy(
    s3: S3Client,
    *,
    src_bucket: str,
    src_key: str,
    bucket: str,
    key: str,
    size: int,
    metadata: dict[str, str],
    part_size: int = PART_SIZE,
) -> None:
    """Copy an object over 5 GB with UploadPartCopy; abort the upload on any failure."""
    part_size = part_size_for(size, part_size)
    upload = s3.create_multipart_upload(Bucket=bucket, Key=key, Metadata=metadata, ChecksumAlgorithm="SHA256")
    parts: list[dict[str, Any]] = []
    try:
        for number, start in enumerate(range(0, size, part_size), start=1):
            end = min(start + part_size, size) - 1
            result = s3.upload_part_copy(
                Bucket=bucket,
                Key=key,
                UploadId=upload["UploadId"],
                PartNumber=number,
                CopySource={"Bucket": src_bucket, "Key": src_key},
                CopySourceRange=f"bytes={start}-{end}",
            )
            part = {"PartNumber": number, "ETag": result["CopyPartResult"]["ETag"]}
            checksum = result["CopyPartResult"].get("ChecksumSHA256")
            if checksum:
                part["ChecksumSHA256"] = checksum
            parts.append(part)
        s3.complete_multipart_upload(
            Bucket=bucket,
            Key=key,
            UploadId=upload["UploadId"],
            MultipartUpload={"Parts": parts},  # type: ignore[typeddict-item]
        )
    except Exception:
        s3.abort_multipart_upload(Bucket=bucket, Key=key, UploadId=upload["UploadId"])
        raise


def _reject_landing(s3: S3Client, bucket: str, key: str, err: CornLakeError, when: datetime) -> CopyOutcome:
    target = keys.rejected_landing_key(key)
    s3.copy_object(Bucket=bucket, Key=target, CopySource={"Bucket": bucket, "Key": key})
    reason = {
        "key": key,
        "error": err.code,
        "message": err.message,
        "hint": err.hint,
        "rejected_at": when.astimezone(UTC).isoformat(),
    }
    s3.put_object(
        Bucket=bucket,
        Key=f"{target}.reason.json",
        Body=json.dumps(reason).encode(),
        ContentType="application/json",
    )
    s3.delete_object(Bucket=bucket, Key=key)
    return CopyOutcome(key, rejected_key=target, reason=err.message)


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


def _header(headers: dict[str, str], name: str) -> str:
    lowered = name.lower()
    return next((v for k, v in headers.items() if k.lower() == lowered), "")


def request_from_rest_event(event: dict[str, Any]) -> ApiRequest:
    """Read an API Gateway REST (payload v1) proxy event into an ApiRequest."""
    raw = event.get("body") or ""
    body = base64.b64decode(raw) if event.get("isBase64Encoded") else raw.encode("utf-8")
    headers = event.get("headers") or {}
    context = event.get("requestContext") or {}
    identity = context.get("identity") or {}
    claims = (context.get("authorizer") or {}).get("claims") or {}
    params = event.get("pathParameters") or {}
    producer = (
        identity.get("userArn")
        or (f"cognito:{claims['sub']}" if claims.get("sub") else "")  # ApiAuth=COGNITO_JWT
        or identity.get("apiKeyId")
        or identity.get("sourceIp")
        or ""
    )
    return ApiRequest(
        path=str(event.get("path") or ""),
        source=str(params.get("source", "")),
        dataset=str(params.get("dataset", "")),
        body=body,
        content_type=_header(headers, "Content-Type") or None,
        producer=str(producer),
        idempotency_key=_header(headers, "Idempotency-Key"),
    )


def accept_api_request(
    s3: S3Client,
    contracts: ContractRegistry,
    request: ApiRequest,
    *,
    raw_bucket: str,
    ops_bucket: str,
    limit: int,
) -> dict[str, Any]:
    """Land an API request's body and record the run; return the 202 response body."""
    from cornlake.runs import RunRecord, write_run_record

    run = RunRecord(
        stage="ingest_api",
        source=request.source,
        dataset=request.dataset,
        input_key=request.path,
        bytes_in=len(request.body),
    )
    landed = land_api_payload(
        s3,
        contracts,
        raw_bucket=raw_bucket,
        source=request.source,
        dataset=request.dataset,
        body=request.body,
        content_type=request.content_type,
        producer=request.producer,
        limit=limit,
        received=datetime.now(UTC),
        idempotency_key=request.idempotency_key,
    )
    run.rows_in = run.rows_out = landed.records or 0
    run.output_keys = [landed.key]
    run.details = {"ingest_id": landed.ingest_id, "sha256": landed.sha256, "producer": request.producer}
    write_run_record(s3, ops_bucket, run.finish())
    return {"ingest_id": landed.ingest_id, "key": landed.key, "records": landed.records}


def refuse_api_request(
    s3: S3Client,
    request: ApiRequest,
    error: CornLakeError,
    *,
    quarantine_bucket: str,
    ops_bucket: str,
) -> dict[str, Any]:
    """Keep a refused body in quarantine, record the rejection; return the error body."""
    from cornlake.runs import RunRecord, write_run_record

    body = error.to_dict()
    if not request.body:
        return body
    kept = keep_rejected_api_payload(
        s3,
        quarantine_bucket=quarantine_bucket,
        body=request.body,
        error=error,
        path=request.path,
        producer=request.producer,
        received=datetime.now(UTC),
    )
    body["kept"] = f"s3://{quarantine_bucket}/{kept}"
    run = RunRecord(
        stage="ingest_api",
        source=request.source if keys.NAME_RE.match(request.source) else "",
        dataset=request.dataset if keys.NAME_RE.match(request.dataset) else "",
        input_key=request.path[:512],
        bytes_in=len(request.body),
        output_keys=[kept],
    )
    write_run_record(s3, ops_bucket, run.finish("rejected", f"{error.code}: {error.message}"))
    return body
