"""Landing bytes in the raw zone, as both ingest channels do: written once, and claimed first.

Raw objects are written with S3 conditional writes (``If-None-Match: *``): an object that
is already there is never replaced, so a repeated event or a retried request cannot
change raw. Before it lands a body or a file, a channel writes a *claim* (also
conditionally) in the ops bucket: the first answer for one producer's idempotency key
(API) or for one file's content under one name (landing). Whoever comes second reads the
claim and answers from it, so the same data is never landed twice and a different body
under a used key is refused.

Object metadata says when the data arrived, from whom, through which channel, and its
SHA-256; S3 metadata is ASCII, so other characters are percent-encoded.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from botocore.exceptions import ClientError

from cornlake.errors import ConflictError

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

_METADATA_SAFE = " !#$&'()*+,-./:;<=>?@[]^_`{|}~"


def object_metadata(
    ingest_id: str, received: datetime, sha256: str, producer: str, **extra: str
) -> dict[str, str]:
    """The S3 user metadata of a raw (or refused) object; empty values are left out."""
    meta = {
        "ingest-id": ingest_id,
        "received-at": received.astimezone(UTC).isoformat(timespec="milliseconds"),
        "content-sha256": sha256,
        "producer": producer or "unknown",
    }
    meta.update(extra)
    return {k: ascii_text(v) for k, v in meta.items() if v}


def ascii_text(value: str, limit: int = 512) -> str:
    """A metadata value S3 accepts: printable ASCII, other characters percent-encoded."""
    return quote(value, safe=_METADATA_SAFE)[:limit]


def digest(*parts: str) -> str:
    return hashlib.sha256("\x00".join(parts).encode("utf-8", "surrogatepass")).hexdigest()


def _taken(err: ClientError, where: str) -> bool:
    """True when a conditional write found the key taken; a concurrent writer is a conflict to retry."""
    code = err.response.get("Error", {}).get("Code", "")
    if code in ("PreconditionFailed", "412"):
        return True
    if code == "ConditionalRequestConflict":
        raise ConflictError(where) from None
    return False


def put_once(s3: S3Client, *, bucket: str, key: str, **kwargs: Any) -> bool:
    """Write an object only where none is; False when one is already there (it is left as it is)."""
    try:
        s3.put_object(Bucket=bucket, Key=key, IfNoneMatch="*", **kwargs)
    except ClientError as err:
        if _taken(err, f"s3://{bucket}/{key}"):
            return False
        raise
    return True


def copy_once(s3: S3Client, *, bucket: str, key: str, **kwargs: Any) -> bool:
    """Copy to a key only where no object is; False when one is already there.

    Where S3 answers a conditional copy with 501 (endpoints that predate it), the key is
    looked at first instead; raw's versioning keeps any version a race could replace."""
    try:
        s3.copy_object(Bucket=bucket, Key=key, IfNoneMatch="*", **kwargs)
    except ClientError as err:
        if _taken(err, f"s3://{bucket}/{key}"):
            return False
        if err.response.get("Error", {}).get("Code") not in ("NotImplemented", "501"):
            raise
        if _exists(s3, bucket, key):
            return False
        s3.copy_object(Bucket=bucket, Key=key, **kwargs)
    return True


def _exists(s3: S3Client, bucket: str, key: str) -> bool:
    try:
        s3.head_object(Bucket=bucket, Key=key)
    except ClientError as err:
        if err.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
            return False
        raise
    return True


def claim(s3: S3Client, *, bucket: str, key: str, facts: dict[str, Any]) -> dict[str, Any]:
    """Write ``facts`` as the claim at ``key`` unless there is one; return the claim that holds."""
    if put_once(s3, bucket=bucket, key=key, Body=json.dumps(facts).encode(), ContentType="application/json"):
        return facts
    held: dict[str, Any] = json.loads(s3.get_object(Bucket=bucket, Key=key)["Body"].read())
    return held
