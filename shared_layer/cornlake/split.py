"""Raw objects too big for one transform invocation, split at record boundaries.

An uncompressed JSON-lines or CSV object larger than the split size is cut into byte ranges
that each end a record. Each range goes back on the transform queue as its own message and
is converted by its own invocation, in parallel, writing outputs keyed by the ingest id and
the range number (``part-<ingest_id>-r003...``), so ranges never overwrite each other and a
retried range replaces only its own files. The run record of the split ties them together.

JSON lines end at any newline, so the planner reads a small window after each cut point.
In CSV a quoted field may hold a newline, so the planner reads the object once from the
start, counting quote characters, and cuts only at a newline outside quotes; ranges after
the first read the header from the object's first line. Compressed objects are not split:
they cannot be read from the middle.
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
    if size <= split_bytes or contract.format.type not in ("jsonl", "csv"):
        return False
    head = s3.get_object(Bucket=bucket, Key=key, Range="bytes=0-3")["Body"].read()
    return compression_of(head, contract.format) == "none"


def plan(
    s3: S3Client,
    contract: Contract,
    *,
    bucket: str,
    key: str,
    size: int,
    split_bytes: int,
    run_id: str,
) -> list[ByteRange]:
    """Cut [0, size) into ranges of about ``split_bytes`` that each end a record."""
    step = max(split_bytes, -(-size // MAX_RANGES))
    if contract.format.type == "csv":
        body = s3.get_object(Bucket=bucket, Key=key)["Body"]
        bounds = csv_bounds(body, size=size, step=step, quote=contract.format.quote.encode("latin-1"))
    else:
        bounds = _line_bounds(s3, bucket=bucket, key=key, size=size, step=step)
    pairs = list(itertools.pairwise(bounds))
    return [ByteRange(bucket, key, start, end, n, len(pairs), run_id) for n, (start, end) in enumerate(pairs)]


def _line_bounds(s3: S3Client, *, bucket: str, key: str, size: int, step: int) -> list[int]:
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
    return bounds


def csv_bounds(body: Any, *, size: int, step: int, quote: bytes, chunk_bytes: int = 8 << 20) -> list[int]:
    """Cut points of a CSV stream: the first newline outside quotes at or after every ``step``
    bytes. A quote character toggles "inside quotes"; a doubled quote toggles twice."""
    bounds, target, position, inside = [0], step, 0, 0
    for chunk in iter(lambda: body.read(chunk_bytes), b""):
        end = position + len(chunk)
        while target < size and target < end:
            newline = chunk.find(b"\n", max(target - position, 0))
            if newline < 0:
                break  # no newline left in this chunk: keep looking in the next one
            if inside ^ (chunk.count(quote, 0, newline) % 2):
                target = position + newline + 1  # a newline inside a quoted field: try the next one
                continue
            boundary = position + newline + 1
            if boundary < size:
                bounds.append(boundary)
            target = boundary + step
        inside ^= chunk.count(quote) % 2
        position = end
    bounds.append(size)
    return bounds


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
    ranges = plan(s3, contract, bucket=bucket, key=key, size=size, split_bytes=split_bytes, run_id=run.run_id)
    for start in range(0, len(ranges), 10):
        entries = [{"Id": str(r.part), "MessageBody": r.to_message()} for r in ranges[start : start + 10]]
        failed = sqs.send_message_batch(QueueUrl=queue_url, Entries=entries).get("Failed", [])
        if failed:
            raise RuntimeError(
                f"could not queue {len(failed)} byte ranges of {key}: {failed[0].get('Message')}"
            )
    run.details = {"parts": len(ranges), "ranges": [[r.start, r.end] for r in ranges]}
    return run.finish("split")
