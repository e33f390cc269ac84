"""Event plumbing shared by the SQS-triggered functions.

S3 notifications reach the functions through SQS, so one SQS message holds an S3 event
(or S3's ``s3:TestEvent``, which is skipped). Batches are processed with powertools'
BatchProcessor and partial batch responses: one bad message is retried alone, and after
``maxReceiveCount`` tries SQS moves it to the DLQ.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from aws_lambda_powertools.utilities.batch import (
    BatchProcessor,
    EventType,
    process_partial_response,
)
from aws_lambda_powertools.utilities.data_classes import S3Event
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from cornlake.keys import decode_event_key


@dataclass(frozen=True)
class S3ObjectRef:
    bucket: str
    key: str
    size: int
    etag: str
    event_time: datetime
    principal: str


def s3_objects(record: SQSRecord) -> list[S3ObjectRef]:
    """The objects an SQS message's S3 event names; empty for S3's test event."""
    body = json.loads(record.body)
    if body.get("Event") == "s3:TestEvent" or "Records" not in body:
        return []
    refs = []
    for item in S3Event(body).records:
        when = item.event_time
        moment = datetime.fromisoformat(when.replace("Z", "+00:00")) if when else datetime.now(UTC)
        refs.append(
            S3ObjectRef(
                bucket=item.s3.bucket.name,
                key=decode_event_key(item.s3.get_object.key),
                size=int(item.s3.get_object.size or 0),
                etag=item.s3.get_object.etag or "",
                event_time=moment,
                principal=item.user_identity.principal_id if "userIdentity" in item.raw_event else "",
            )
        )
    return refs


def process_sqs_batch(
    event: dict[str, Any], context: Any, handler: Callable[[SQSRecord], Any]
) -> dict[str, Any]:
    """Run ``handler`` on each message; report failures so only they are retried."""
    processor = BatchProcessor(event_type=EventType.SQS)
    response = process_partial_response(
        event=event, record_handler=handler, processor=processor, context=context
    )
    return dict(response)
