"""Small JSON documents in S3 changed under optimistic concurrency: state, holds and locks.

``update`` reads a document and its ETag, applies a change, and writes it back only if
nobody wrote in between (``If-Match``; ``If-None-Match: *`` for a new one). On a conflict it
reads again and reapplies the change, so concurrent writers (at-least-once deliveries,
parallel batches) never lose each other's changes.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from cornlake.errors import ConflictError

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

ATTEMPTS = 8
_MISSING = ("404", "NoSuchKey", "NotFound")
_CONFLICT = ("PreconditionFailed", "412", "ConditionalRequestConflict", "409")


def error_code(err: ClientError) -> str:
    return str(err.response.get("Error", {}).get("Code", ""))


def read(s3: S3Client, bucket: str, key: str) -> tuple[Any, str]:
    """The document and its ETag; (None, '') when there is none."""
    try:
        response = s3.get_object(Bucket=bucket, Key=key)
    except ClientError as err:
        if error_code(err) in _MISSING:
            return None, ""
        raise
    return json.loads(response["Body"].read()), str(response["ETag"])


def write(s3: S3Client, bucket: str, key: str, data: Any, etag: str = "") -> bool:
    """Write the document if it is still at ``etag`` ('' = if there is none); False on a conflict."""
    condition: dict[str, str] = {"IfMatch": etag} if etag else {"IfNoneMatch": "*"}
    try:
        s3.put_object(
            Bucket=bucket,
            Key=key,
            Body=json.dumps(data, sort_keys=True, default=str).encode(),
            ContentType="application/json",
            **condition,  # type: ignore[arg-type]
        )
    except ClientError as err:
        if error_code(err) in _CONFLICT or (etag and error_code(err) in _MISSING):
            return False
        raise
    return True


def update(s3: S3Client, bucket: str, key: str, change: Callable[[Any], Any]) -> Any:
    """Apply ``change`` (old document or None -> new document) until it lands; the new document."""
    for _ in range(ATTEMPTS):
        current, etag = read(s3, bucket, key)
        new = change(current)
        if write(s3, bucket, key, new, etag):
            return new
    raise ConflictError(f"s3://{bucket}/{key}", f"{ATTEMPTS} attempts")


def delete(s3: S3Client, bucket: str, key: str) -> None:
    s3.delete_object(Bucket=bucket, Key=key)
