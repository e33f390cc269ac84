"""Raw objects too big for one transform invocation, split at record boundaries.

An uncompressed JSON-lines object larger than the split size is cut into byte ranges that
each end at a newline. Each range goes back on the transform queue as its own message and is
converted by its own invocation, in parallel, writing outputs keyed by the ingest id and the
range number (``part-<ingest_id>-r003...``), so ranges never overwrite each other and a
retried range replaces only its own files. The run record of the split ties them together.
CSV is not split (a quoted field may hold a newline, so a byte offset cannot be trusted to
start a row), nor are compressed objects (they cannot be read from the middle).
"""

from __future__ import annotations

import itertools
import json
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

from cornlake.contracts import Contract
from cornlake.formats import MAX_RECORD_BYTES, compression_of

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

DEFAULT_SPLIT_BYTES = 2 * 1024**3  # about 3 minutes of conversion per range today
MAX_PARTS = 999
MESSAGE_KEY = "cornlake_range"


@dataclass(frozen=True)
class ByteRange:
    bucket: str
    key: str
    start: int
    end: int  # exclusive
    part: int
    parts: int
    parent_run_id: str

    def to_message(self) -> str:
        return json.dumps({MESSAGE_KEY: asdict(self)})

    @classmethod
    def from_message(cls, body: dict[str, Any]) -> ByteRange:
        return cls(**body[MESSAGE_KEY])


def splittable(
    s3: S3Client, contract: Contract, *, bucket: str, key: str, size: int, split_bytes: int
) -> bool:
    if size <= split_bytes or contract.format.type != "jsonl":
        return False
    head = s3.get_object(Bucket=bucket, Key=key, Range="bytes=0-3")["Body"].read()
    return compression_of(head, contract.format) == "none"


def plan(s3: S3Client, *, bucket: str, key: str, size: int, split_bytes: int, run_id: str) -> list[ByteRange]:
    """Cut [0, size) into ranges of about ``split_bytes`` that each end just after a newline."""
    step = max(split_bytes, -(-size // MAX_PARTS))
    bounds = [0]
    for offset in range(step, size, step):
        if offset <= bounds[-1]:
            continue
        window = s3.get_object(Bucket=bucket, Key=key, Range=f"bytes={offset}-{offset + MAX_RECORD_BYTES}")
        newline = window["Body"].read().find(b"\n")
        if newline < 0:
            continue  # an over-long record spans the window: it stays in the current range
        boundary = offset + newline + 1
        if bounds[-1] < boundary < size:
            bounds.append(boundary)
    bounds.append(size)
    pairs = list(itertools.pairwise(bounds))
    return [ByteRange(bucket, key, start, end, n, len(pairs), run_id) for n, (start, end) in enumerate(pairs)]
