"""Reprocess raw → curated for a date range, by sending the transform what S3 would have.

Each raw object under ``source=<s>/dataset=<d>/ingest_date=<day>/`` for the chosen days is
announced on the transform queue as an S3 ``ObjectCreated`` event. The transform's outputs
are keyed by the raw object's ingest id, so this replaces curated and quarantine objects
instead of adding rows, and the catalog and quality stages run again on the new batches.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from cornlake import keys
from cornlake.messages import s3_event_body
from cornlake_toolkit.errors import ToolkitError, UsageError
from cornlake_toolkit.progress import Progress


def raw_keys(
    s3: Any, bucket: str, *, source: str, dataset: str, first: date, last: date
) -> list[dict[str, Any]]:
    objects = []
    day = first
    while day <= last:
        prefix = f"{keys.hive_prefix(source, dataset)}ingest_date={day.isoformat()}/"
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
            objects += page.get("Contents", [])
        day += timedelta(days=1)
    return objects


def s3_event(bucket: str, obj: dict[str, Any]) -> str:
    return s3_event_body(
        bucket,
        obj["Key"],
        size=obj["Size"],
        etag=obj.get("ETag", ""),
        event_name="ObjectCreated:Reprocess",
        principal="cornlake-reprocess",
    )


def reprocess(
    s3: Any, sqs: Any, *, raw_bucket: str, queue: str, source: str, dataset: str, first: date, last: date
) -> int:
    """Queue every raw object of the dataset ingested between ``first`` and ``last``; return how many."""
    if last < first:
        raise UsageError(f"--to {last} is before --from {first}", hint="give the first ingest date first")
    url = queue if queue.startswith("http") else sqs.get_queue_url(QueueName=queue)["QueueUrl"]
    objects = raw_keys(s3, raw_bucket, source=source, dataset=dataset, first=first, last=last)
    with Progress(f"reprocess {source}/{dataset}", len(objects)) as bar:
        _send(sqs, url, raw_bucket, objects, bar)
    return len(objects)


def _send(sqs: Any, url: str, raw_bucket: str, objects: list[dict[str, Any]], bar: Progress) -> None:
    for start in range(0, len(objects), 10):
        entries = [
            {"Id": str(i), "MessageBody": s3_event(raw_bucket, obj)}
            for i, obj in enumerate(objects[start : start + 10])
        ]
        failed = sqs.send_message_batch(QueueUrl=url, Entries=entries).get("Failed", [])
        if failed:
            raise ToolkitError(
                f"the transform queue refused {len(failed)} messages: {failed[0].get('Message')}",
                hint="run the same reprocess again: it is idempotent",
            )
        bar.advance(len(entries))
