"""The local SQS pollers against moto server: a poller outlives the emulator's reset."""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any
from unittest import mock

from botocore.exceptions import ClientError

from cornlake_toolkit.local import LocalLake
from cornlake_toolkit.local.events import EventSources
from cornlake_toolkit.local.functions import LocalFunction

HANDLER = """
import json, pathlib

def handler(event, context):
    seen = pathlib.Path(__file__).with_name("seen.jsonl")
    with seen.open("a") as out:
        for record in event["Records"]:
            out.write(record["body"] + "\\n")
    return {"batchItemFailures": []}
"""


def recorder(tmp_path: Path, queue_arn: str) -> LocalFunction:
    (tmp_path / "app.py").write_text(HANDLER)
    return LocalFunction(
        "RecorderFunction",
        "recorder",
        tmp_path,
        "app.handler",
        128,
        30,
        {},
        {"Queue": {"Type": "SQS", "Properties": {"Queue": queue_arn, "BatchSize": 10}}},
    )


def test_a_poller_whose_queue_vanishes_at_start_retries_and_delivers(
    provisioned: LocalLake, tmp_path: Path
) -> None:
    # GIVEN a queue that a reset removes just as the poller starts: its first lookup fails
    sqs = provisioned.session().client("sqs", endpoint_url=provisioned.endpoint)
    url = sqs.create_queue(QueueName="cornlake-test-recorder")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    missing = ClientError(
        {
            "Error": {
                "Code": "AWS.SimpleQueueService.NonExistentQueue",
                "Message": "The specified queue does not exist.",
            }
        },
        "GetQueueUrl",
    )
    real_lookup = sqs.get_queue_url
    failed = threading.Event()

    def lookup(**kwargs: Any) -> Any:  # the poller's first lookup fails, not the idle wait's
        if threading.current_thread().name.startswith("poller-") and not failed.is_set():
            failed.set()
            raise missing
        return real_lookup(**kwargs)

    events = EventSources(
        lambda _service: sqs, {"RecorderFunction": recorder(tmp_path, arn)}, region="us-east-1"
    )
    with mock.patch.object(sqs, "get_queue_url", side_effect=lookup):
        events.start()
        try:
            # WHEN a message arrives
            sqs.send_message(QueueUrl=url, MessageBody=json.dumps({"n": 1}))
            events.wait_until_idle(timeout=30)
        finally:
            events.stop()
    # THEN the poller survived the failed lookup, reported it, and delivered the message once
    assert [json.loads(line) for line in (tmp_path / "seen.jsonl").read_text().splitlines()] == [{"n": 1}]
    assert events.errors == [
        "RecorderFunction: ClientError: An error occurred (AWS.SimpleQueueService.NonExistentQueue) "
        "when calling the GetQueueUrl operation: The specified queue does not exist."
    ]


def test_the_idle_wait_names_a_poller_that_stopped(provisioned: LocalLake, tmp_path: Path) -> None:
    # GIVEN a poller whose thread has ended while the lake runs, and a message it will never read
    sqs = provisioned.session().client("sqs", endpoint_url=provisioned.endpoint)
    url = sqs.create_queue(QueueName="cornlake-test-orphan")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    events = EventSources(
        lambda _service: sqs, {"RecorderFunction": recorder(tmp_path, arn)}, region="us-east-1"
    )
    with mock.patch.object(events, "_poll", side_effect=lambda *_: None):
        events.start()
    for thread in events._threads:
        thread.join(timeout=5)
    sqs.send_message(QueueUrl=url, MessageBody="{}")
    # WHEN the idle wait gives up
    try:
        events.wait_until_idle(timeout=1)
    except TimeoutError as err:
        message = str(err)
    else:
        raise AssertionError("the idle wait returned with a message pending")
    # THEN it says which queue is pending and which poller stopped
    assert "messages pending: {'cornlake-test-orphan': 1}" in message
    assert "pollers stopped: ['poller-RecorderFunction-0']" in message
