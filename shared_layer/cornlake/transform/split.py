"""Raw objects too big for one transform invocation, split at record boundaries.

An uncompressed object of a splittable format (JSON lines, CSV) larger than the split
size is cut into byte ranges that each end a record (the format finds the cut points).
Each range goes back on the transform queue as its own message and is converted by its
own invocation, in parallel, writing outputs keyed by the ingest id and the range number
(``part-<ingest_id>-r003...``), so ranges never overwrite each other and a retried range
replaces only its own files. The ``split`` run record ties them together. Compressed
objects are not split: they cannot be read from the middle.
"""

from __future__ import annotations

import itertools
from typing import TYPE_CHECKING, Any

from cornlake.errors import TransientError
from cornlake.messages import ByteRange
from cornlake.transform.formats import InputFormat
from cornlake.transform.read import compression_of

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

MAX_RANGES = 999  # range numbers are three digits in output names (-rNNN)


def splittable(s3: S3Client, fmt: InputFormat, *, bucket: str, key: str, size: int, split_bytes: int) -> bool:
    if size <= split_bytes or not fmt.splittable:
        return False
    head = s3.get_object(Bucket=bucket, Key=key, Range="bytes=0-3")["Body"].read()
    return compression_of(head, fmt.spec) == "none"


def plan(
    s3: S3Client, fmt: InputFormat, *, bucket: str, key: str, size: int, split_bytes: int, run_id: str
) -> list[ByteRange]:
    """Cut [0, size) into ranges of about ``split_bytes`` that each end a record."""
    step = max(split_bytes, -(-size // MAX_RANGES))
    bounds = fmt.split_bounds(s3, bucket=bucket, key=key, size=size, step=step)
    pairs = list(itertools.pairwise(bounds))
    return [ByteRange(bucket, key, start, end, n, len(pairs), run_id) for n, (start, end) in enumerate(pairs)]


def queue_ranges(sqs: Any, queue_url: str, ranges: list[ByteRange]) -> None:
    """Put every range on the transform queue; a refusal is transient (the whole split is retried,
    and re-queued ranges convert to the same keys)."""
    for start in range(0, len(ranges), 10):
        entries = [{"Id": str(r.part), "MessageBody": r.to_message()} for r in ranges[start : start + 10]]
        failed = sqs.send_message_batch(QueueUrl=queue_url, Entries=entries).get("Failed", [])
        if failed:
            raise TransientError(
                f"the transform queue refused {len(failed)} byte ranges of {ranges[0].key}: "
                f"{failed[0].get('Message')}",
                hint="retried automatically",
            )
