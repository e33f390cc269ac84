"""The landing channel: files dropped in the landing bucket, copied byte for byte into raw.

A partner drops ``<source>/<dataset>/<file name>`` in the landing bucket; S3 notifies the
copy function through SQS. The copy never reads the file: S3 copies it server-side (with
UploadPartCopy beyond S3's 5 GB single-request limit) and computes its SHA-256. A file for
an unknown dataset or with an unsafe name is moved to the landing bucket's ``_rejected/``
prefix with a ``.reason.json`` beside it, so nothing sent is lost.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from cornlake import aws, keys
from cornlake.consumer import SqsStage
from cornlake.contracts import ContractRegistry, registry
from cornlake.errors import CornLakeError, UnknownDatasetError, UnsafeNameError
from cornlake.ingest.raw import object_metadata
from cornlake.messages import S3ObjectRef, parse_s3_event
from cornlake.observability import logger, metrics
from cornlake.ops import RunRecord
from cornlake.settings import Settings

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

STAGE = "ingest_s3_copy"
REQUIRED = ("raw_bucket",)
MULTIPART_THRESHOLD = 5 * 1024**3  # S3's single-request CopyObject limit
PART_SIZE = 512 * 1024**2
MAX_PARTS = 10_000


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
        if not contracts.knows(
            landing.source, landing.dataset
        ):  # a broken contract still lands: raw keeps all
            raise UnknownDatasetError(landing.source, landing.dataset, contracts.names())
    except (UnsafeNameError, UnknownDatasetError) as err:
        return _reject_landing(s3, landing_bucket, key, err, event_time)
    head = s3.head_object(Bucket=landing_bucket, Key=key)
    size, etag = int(head["ContentLength"]), str(head["ETag"]).strip('"')
    ingest_id = keys.derived_ingest_id(event_time, landing_bucket, key, head.get("VersionId") or etag)
    target = str(keys.raw_key(landing.source, landing.dataset, ingest_id, landing.file_name))
    # S3 computes the SHA-256 of the copy itself (ChecksumAlgorithm); no need to read the bytes.
    metadata = object_metadata(
        ingest_id,
        event_time,
        "",
        producer,
        channel="landing",
        **{"source-key": key[:512], "source-etag": etag},
    )
    _copy(s3, landing_bucket, key, raw_bucket, target, size=size, metadata=metadata, head=head)
    return CopyOutcome(key, raw_key=target, size=size)


def _copy(
    s3: S3Client,
    src_bucket: str,
    src_key: str,
    bucket: str,
    key: str,
    *,
    size: int,
    metadata: dict[str, str],
    head: Any,
) -> None:
    """Copy server-side: one request up to S3's 5 GB limit, UploadPartCopy beyond it."""
    if size > MULTIPART_THRESHOLD:
        multipart_copy(
            s3, src_bucket=src_bucket, src_key=src_key, bucket=bucket, key=key, size=size, metadata=metadata
        )
        return
    s3.copy_object(
        Bucket=bucket,
        Key=key,
        CopySource={"Bucket": src_bucket, "Key": src_key},
        MetadataDirective="REPLACE",
        Metadata=metadata,
        ContentType=head.get("ContentType", "application/octet-stream"),
        ChecksumAlgorithm="SHA256",
    )


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


def parse_landing_event(body: str) -> list[S3ObjectRef]:
    """The landing objects an S3 notification names, minus refused files and folder markers."""
    refs = parse_s3_event(body, STAGE)
    return [r for r in refs if not (r.key.startswith(keys.REJECTED_PREFIX + "/") or r.key.endswith("/"))]


def start_copy(ref: S3ObjectRef) -> RunRecord:
    run = RunRecord(stage=STAGE, input_key=f"s3://{ref.bucket}/{ref.key}", bytes_in=ref.size)
    parts = ref.key.split("/")
    if len(parts) == 3 and all(keys.NAME_RE.match(p) for p in parts[:2]):
        run.source, run.dataset = parts[0], parts[1]
    return run


def run_copy(
    ref: S3ObjectRef,
    run: RunRecord,
    settings: Settings,
    *,
    session: Any = None,
    contracts: ContractRegistry | None = None,
) -> None:
    """Copy one landing object into raw (or refuse it), filling in ``run``."""
    outcome = copy_landing_object(
        aws.s3(session),
        contracts or registry(),
        landing_bucket=ref.bucket,
        key=ref.key,
        raw_bucket=settings.raw_bucket,
        event_time=ref.event_time,
        producer=ref.principal,
    )
    if outcome.raw_key:
        run.output_keys = [outcome.raw_key]
        run.finish("succeeded")
    else:
        run.output_keys = [outcome.rejected_key]
        run.finish("rejected", outcome.reason)
        metrics.add_metric(name="FilesRejected", unit="Count", value=1)
    logger.info(
        "landing object handled",
        extra={"key": ref.key, "raw_key": outcome.raw_key, "rejected_key": outcome.rejected_key},
    )


LANDING_COPY = SqsStage(
    name=STAGE, required=REQUIRED, parse=parse_landing_event, start=start_copy, handle=run_copy
)
