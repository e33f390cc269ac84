"""The landing channel: files dropped in the landing bucket, copied byte for byte into raw.

A partner drops ``<source>/<dataset>/<file name>`` in the landing bucket; S3 notifies the
copy function through SQS. The copy never reads the file: S3 copies it server-side (with
UploadPartCopy beyond S3's 5 GB single-request limit), from the exact version the event
names, and computes its SHA-256. Raw is written once (cornlake.ingest.raw): the first
delivery of a file's content under a name claims its raw key; a repeated event, or the
same bytes dropped again under the same name, is recorded as a repeated delivery and
lands nothing. The same name with other bytes is a new file and lands beside the first.
A file for an unknown dataset or with an unsafe name is moved to the landing bucket's
``_rejected/`` prefix with a ``.reason.json`` beside it, so nothing sent is lost.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from cornlake import aws, keys
from cornlake.consumer import SqsStage
from cornlake.contracts import ContractRegistry, registry
from cornlake.errors import CornLakeError, UnknownDatasetError, UnsafeNameError
from cornlake.ingest.raw import claim, copy_once, digest, object_metadata
from cornlake.messages import S3ObjectRef, parse_s3_event
from cornlake.observability import count, logger
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
    repeated: bool = False  # the file was landed before: nothing was copied


@dataclass(frozen=True)
class Source:
    """The exact landing object an event names."""

    bucket: str
    key: str
    version_id: str
    etag: str
    size: int
    content_type: str

    def copy_source(self) -> dict[str, str]:
        found = {"Bucket": self.bucket, "Key": self.key}
        return found | ({"VersionId": self.version_id} if self.version_id else {})


def copy_landing_object(
    s3: S3Client,
    contracts: ContractRegistry,
    *,
    landing_bucket: str,
    key: str,
    raw_bucket: str,
    ops_bucket: str,
    event_time: datetime,
    producer: str = "",
    version_id: str = "",
    run_id: str = "",
) -> CopyOutcome:
    """Copy one landing object (the version the event names) into raw once, or move it to ``_rejected/``."""
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
    source = _head(s3, landing_bucket, key, version_id)
    content = digest(landing.file_name, source.etag, str(source.size))  # the same bytes, the same name
    ingest_id = keys.derived_ingest_id(event_time, content)
    held = claim(
        s3,
        bucket=ops_bucket,
        key=keys.claim_key("landing", landing.source, landing.dataset, content),
        facts={
            "raw_key": str(keys.raw_key(landing.source, landing.dataset, ingest_id, landing.file_name)),
            "landing_key": key,
            "version_id": source.version_id,
            "etag": source.etag,
            "size": source.size,
            "claimed_at": datetime.now(UTC).isoformat(timespec="seconds"),
        },
    )
    target = str(held["raw_key"])
    metadata = _raw_metadata(source, target, event_time, producer, run_id)
    written = _copy(s3, source, raw_bucket, target, metadata=metadata)
    return CopyOutcome(key, raw_key=target, size=source.size, repeated=not written)


def _raw_metadata(
    source: Source, target: str, event_time: datetime, producer: str, run_id: str
) -> dict[str, str]:
    """The raw copy's metadata: where it came from (key, ETag, version) and the run that copied it."""
    return object_metadata(
        keys.parse_raw_key(target).ingest_id,
        event_time,
        "",
        producer,
        channel="landing",
        **{
            "source-key": source.key,
            "source-etag": source.etag,
            "source-version": source.version_id,
            "run-id": run_id,
        },
    )


def _head(s3: S3Client, bucket: str, key: str, version_id: str) -> Source:
    head = s3.head_object(Bucket=bucket, Key=key, **({"VersionId": version_id} if version_id else {}))  # type: ignore[arg-type]
    return Source(
        bucket,
        key,
        version_id or str(head.get("VersionId") or ""),
        str(head["ETag"]).strip('"'),
        int(head["ContentLength"]),
        head.get("ContentType", "application/octet-stream"),
    )


def _copy(s3: S3Client, source: Source, bucket: str, key: str, *, metadata: dict[str, str]) -> bool:
    """Copy server-side, once: one request up to S3's 5 GB limit, UploadPartCopy beyond it.
    S3 computes the SHA-256 of the copy itself (ChecksumAlgorithm); no need to read the bytes."""
    if source.size > MULTIPART_THRESHOLD:
        return multipart_copy(s3, source=source, bucket=bucket, key=key, metadata=metadata)
    return copy_once(
        s3,
        bucket=bucket,
        key=key,
        CopySource=source.copy_source(),
        MetadataDirective="REPLACE",
        Metadata=metadata,
        ContentType=source.content_type,
        ChecksumAlgorithm="SHA256",
    )


def part_size_for(size: int, preferred: int = PART_SIZE) -> int:
    """The preferred part size, grown when needed so no copy takes more than S3's 10,000 parts."""
    return max(preferred, -(-size // MAX_PARTS))


def multipart_copy(
    s3: S3Client,
    *,
    source: Source,
    bucket: str,
    key: str,
    metadata: dict[str, str],
    part_size: int = PART_SIZE,
) -> bool:
    """Copy an object over 5 GB with UploadPartCopy, completed only where no object is; abort the
    upload on any failure. False when the key was already taken."""
    part_size = part_size_for(source.size, part_size)
    upload = s3.create_multipart_upload(Bucket=bucket, Key=key, Metadata=metadata, ChecksumAlgorithm="SHA256")
    try:
        parts = [
            _copy_part(
                s3,
                source,
                bucket,
                key,
                upload["UploadId"],
                number=n,
                start=start,
                end=min(start + part_size, source.size),
            )
            for n, start in enumerate(range(0, source.size, part_size), start=1)
        ]
        s3.complete_multipart_upload(
            Bucket=bucket,
            Key=key,
            UploadId=upload["UploadId"],
            MultipartUpload={"Parts": parts},  # type: ignore[typeddict-item]
            IfNoneMatch="*",
        )
    except ClientError as err:
        s3.abort_multipart_upload(Bucket=bucket, Key=key, UploadId=upload["UploadId"])
        if err.response.get("Error", {}).get("Code") == "PreconditionFailed":
            return False
        raise
    except Exception:
        s3.abort_multipart_upload(Bucket=bucket, Key=key, UploadId=upload["UploadId"])
        raise
    return True


def _copy_part(
    s3: S3Client, source: Source, bucket: str, key: str, upload_id: str, *, number: int, start: int, end: int
) -> dict[str, Any]:
    result = s3.upload_part_copy(
        Bucket=bucket,
        Key=key,
        UploadId=upload_id,
        PartNumber=number,
        CopySource=source.copy_source(),  # type: ignore[arg-type]
        CopySourceRange=f"bytes={start}-{end - 1}",
    )
    part: dict[str, Any] = {"PartNumber": number, "ETag": result["CopyPartResult"]["ETag"]}
    checksum = result["CopyPartResult"].get("ChecksumSHA256")
    if checksum:
        part["ChecksumSHA256"] = checksum
    return part


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


def _dataset(run: RunRecord) -> str:
    return f"{run.source}.{run.dataset}" if run.source and run.dataset else ""


def run_copy(
    ref: S3ObjectRef,
    run: RunRecord,
    settings: Settings,
    *,
    session: Any = None,
    contracts: ContractRegistry | None = None,
) -> None:
    """Copy one landing object into raw (or refuse it, or record a repeated delivery), filling in ``run``."""
    outcome = copy_landing_object(
        aws.s3(session),
        contracts or registry(),
        landing_bucket=ref.bucket,
        key=ref.key,
        raw_bucket=settings.raw_bucket,
        ops_bucket=settings.ops_bucket,
        event_time=ref.event_time,
        producer=ref.principal,
        version_id=ref.version_id,
        run_id=run.run_id,
    )
    run.output_keys = [outcome.raw_key or outcome.rejected_key]
    run.details = {"version_id": ref.version_id}
    if outcome.rejected_key:
        run.finish("rejected", outcome.reason)
        count("FilesRejected", stage=STAGE, dataset=_dataset(run))
    elif outcome.repeated:
        run.details["first_landed_as"] = outcome.raw_key  # this content, under this name, is there already
        run.finish("repeated")
        count("RepeatedDeliveries", stage=STAGE, dataset=_dataset(run))
    else:
        run.finish("succeeded")
        count("BytesIngested", ref.size, stage=STAGE, dataset=_dataset(run), unit="Bytes")
    logger.info(
        "landing object handled", extra={"key": ref.key, "status": run.status, "raw_key": outcome.raw_key}
    )


LANDING_COPY = SqsStage(
    name=STAGE, required=REQUIRED, parse=parse_landing_event, start=start_copy, handle=run_copy
)
