"""The partial batch response every SQS consumer returns (cornlake.consumer.consume), on real
SQS messages and S3 on moto: one failed message is reported alone; when every message fails,
the invocation fails, naming each message, after each one's run record says why."""

from __future__ import annotations

import json
from typing import Any
from unittest import mock

import pytest

from cornlake.consumer import BatchFailed
from cornlake.transform import job
from cornlake_toolkit.local import LocalLake
from helpers import invoke, run_records, sample, sqs_event_from_queue

KEY = "source=ref/dataset=lojas/ingest_date=2026-11-20/20261120T120000Z-00000000000{}-lojas.json"


def _queued(stack: LocalLake, names: dict[str, Any], count: int) -> dict[str, Any]:
    for n in range(count):
        stack.client("s3").put_object(
            Bucket=names["raw_bucket"], Key=KEY.format(n), Body=sample("ref/samples/lojas.json").read_bytes()
        )
    event = sqs_event_from_queue(stack, "cornlake-local-transform")
    assert len(event["Records"]) == count
    return event


def test_when_every_message_fails_the_invocation_fails_after_recording_each(
    stack: LocalLake, names: dict[str, Any]
) -> None:
    event = _queued(stack, names, 2)
    for record in event["Records"]:
        record["attributes"]["ApproximateReceiveCount"] = "3"
    reset = ConnectionResetError("connection reset by peer")
    with mock.patch.object(job, "transform_object", side_effect=reset), pytest.raises(BatchFailed) as failed:
        invoke("lambda_transform_curated", event)
    assert str(failed.value).startswith("all 2 messages failed")
    assert all(r["messageId"] in str(failed.value) for r in event["Records"])
    assert "ConnectionResetError: connection reset by peer" in str(failed.value)
    runs = run_records(stack, names["ops_bucket"], "transform")
    assert len(runs) == 2 and all(r["status"] == "failed" for r in runs)
    details = [json.loads(r["details"]) for r in runs]
    assert all(d["attempt"] == 3 and d["retried"] for d in details)
    assert {d["message_id"] for d in details} == {r["messageId"] for r in event["Records"]}


def test_a_batch_where_every_message_succeeds_reports_no_failures(
    stack: LocalLake, names: dict[str, Any]
) -> None:
    event = _queued(stack, names, 2)
    assert invoke("lambda_transform_curated", event) == {"batchItemFailures": []}
    runs = run_records(stack, names["ops_bucket"], "transform")
    assert [r["status"] for r in runs] == ["succeeded", "succeeded"]


@pytest.mark.parametrize(
    ("event", "message"),
    [
        ({"detail": {}}, "not an SQS event: it has no Records list"),
        ({"Records": [{"body": "{}"}]}, "not an SQS record (no messageId)"),
    ],
)
def test_an_event_that_is_not_an_sqs_batch_is_refused_before_any_work(
    stack: LocalLake, names: dict[str, Any], event: dict[str, Any], message: str
) -> None:
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        invoke("lambda_transform_curated", event)
    assert run_records(stack, names["ops_bucket"]) == []
