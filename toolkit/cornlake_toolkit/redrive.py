"""Move a dead-letter queue's messages back to the queue they failed on.

On AWS this is SQS's own message move task (``StartMessageMoveTask``), followed until it
finishes. The local emulator has no move tasks, so locally the messages are received from
the DLQ, sent to the queue with their attributes, and deleted from the DLQ, ten at a time:
the same outcome.
"""

from __future__ import annotations

import time
from typing import Any

from cornlake_toolkit.errors import ToolkitError
from cornlake_toolkit.progress import Progress

POLL_SECONDS = 2.0


def depth(sqs: Any, url: str) -> int:
    attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"])[
        "Attributes"
    ]
    return int(attrs["ApproximateNumberOfMessages"])


def arn(sqs: Any, url: str) -> str:
    return str(sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"])


def move_locally(sqs: Any, dlq_url: str, queue_url: str, bar: Progress) -> int:
    moved = 0
    while True:
        got = sqs.receive_message(
            QueueUrl=dlq_url, MaxNumberOfMessages=10, WaitTimeSeconds=0, MessageAttributeNames=["All"]
        ).get("Messages", [])
        if not got:
            return moved
        for message in got:
            attributes = message.get("MessageAttributes", {})
            sqs.send_message(QueueUrl=queue_url, MessageBody=message["Body"], MessageAttributes=attributes)
            sqs.delete_message(QueueUrl=dlq_url, ReceiptHandle=message["ReceiptHandle"])
            moved += 1
            bar.advance()


def move_on_aws(sqs: Any, dlq_url: str, queue_url: str, bar: Progress) -> int:
    handle = sqs.start_message_move_task(SourceArn=arn(sqs, dlq_url), DestinationArn=arn(sqs, queue_url))
    while True:
        tasks = sqs.list_message_move_tasks(SourceArn=arn(sqs, dlq_url), MaxResults=1)["Results"]
        task = next(
            (t for t in tasks if t.get("TaskHandle") == handle["TaskHandle"]), tasks[0] if tasks else {}
        )
        moved = int(task.get("ApproximateNumberOfMessagesMoved", 0))
        bar.advance(moved - bar.done)
        if task.get("Status") in ("COMPLETED", "CANCELLED", "FAILED"):
            if task["Status"] != "COMPLETED":
                raise ToolkitError(
                    f"the move task ended {task['Status']}: {task.get('FailureReason', 'no reason given')}",
                    hint="run `cornlake redrive` again: messages not moved are still in the DLQ",
                )
            return moved
        time.sleep(POLL_SECONDS)


def redrive(sqs: Any, *, dlq_url: str, queue_url: str, local: bool, label: str) -> int:
    """Move every message of the DLQ back; how many (0 when it was empty)."""
    waiting = depth(sqs, dlq_url)
    if not waiting:
        return 0
    with Progress(f"redrive {label}", waiting) as bar:
        return (move_locally if local else move_on_aws)(sqs, dlq_url, queue_url, bar)
