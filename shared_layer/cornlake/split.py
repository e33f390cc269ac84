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

from cornlake import keys
from cornlake.contracts import Contract, ContractRegistry
from cornlake.formats import MAX_RECORD_BYTES, compression_of
from cornlake.runs import RunRecord

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

DEFAULT_SPLIT_BYTES = 2 * 1024**3  # about 3 minutes of conversion per range today
MAX_RANGES = 999  # range numbers are three digits in output names (-rNNN)
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
    step = max(split_bytes, -(-size // MAX_RANGES))
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


def split_if_big(
    s3: S3Client,
    sqs: Any,
    contracts: ContractRegistry,
    *,
    bucket: str,
    key: str,
    size: int,
    split_bytes: int,
    queue_url: str,
) -> RunRecord | None:
    """Queue the byte ranges of a raw object too big for one invocation; return the ``split``
    run record (None when the object is converted whole)."""
    raw = keys.parse_raw_key(key)
    contract = contracts.get(raw.source, raw.dataset)
    if not queue_url or not splittable(
        s3, contract, bucket=bucket, key=key, size=size, split_bytes=split_bytes
    ):
        return None
    run = RunRecord(stage="transform", source=raw.source, dataset=raw.dataset, input_key=key, bytes_in=size)
    ranges = plan(s3, bucket=bucket, key=key, size=size, split_bytes=split_bytes, run_id=run.run_id)
    for start in range(0, len(ranges), 10):
        entries = [{"Id": str(r.part), "MessageBody": r.to_message()} for r in ranges[start : start + 10]]
        failed = sqs.send_message_batch(QueueUrl=queue_url, Entries=entries).get("Failed", [])
        if failed:
            raise RuntimeError(
                f"could not queue {len(failed)} byte ranges of {key}: {failed[0].get('Message')}"
            )
    run.details = {"parts": len(ranges), "ranges": [[r.start, r.end] for r in ranges]}
    return run.finish("split")
