"""Every SQS consumer applies the same error policy (cornlake.consumer), through the local runtime's
real event source mappings:

* a terminal error (the input is wrong) is recorded as ``rejected`` and acknowledged, once;
* a transient error is recorded as ``failed`` on every attempt, retried, and after
  ``maxReceiveCount`` attempts the message is in the stage's DLQ;
* an unexpected exception behaves like a transient one.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any
from unittest import mock

import pytest

from cornlake.errors import TransientError
from cornlake_toolkit.local import LocalLake
from helpers import run_records

RAW = "source=ref/dataset=lojas/ingest_date=2026-11-20/20261120T120000Z-{}-lojas.json"


LAKE_LOG_LEVEL = "CRITICAL"


def s3_event(bucket: str, key: str) -> str:
    when = datetime.now(UTC).isoformat().replace("+00:00", "Z")
    record = {
        "eventVersion": "2.1",
        "eventSource": "aws:s3",
        "eventName": "ObjectCreated:Put",
        "eventTime": when,
        "s3": {"bucket": {"name": bucket}, "object": {"key": key, "size": 100, "eTag": "e"}},
    }
    return json.dumps({"Records": [record]})


def batch(names: dict[str, Any], raw_key: str, dataset: str = "lojas") -> str:
    return json.dumps(
        {
            "source": "ref",
            "dataset": dataset,
            "run_id": "r",
            "ingest_id": raw_key.rsplit("/", 1)[1][:30],
            "raw_key": raw_key,
            "curated_bucket": names["curated_bucket"],
            "objects": [],
        }
    )


def cases(names: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Per stage: its queue, the patched step, and (terminal, transient, unexpected) message bodies
    with the input key each run record will carry."""
    landing = names["landing_bucket"]
    raws = {
        kind: RAW.format(f"00000000000{i}") for i, kind in enumerate(("terminal", "transient", "unexpected"))
    }
    return {
        "ingest_s3_copy": {
            "queue": "cornlake-local-ingest-copy",
            "step": "cornlake.ingest.landing.copy_landing_object",
            "key": lambda args, kwargs: kwargs["key"],
            "messages": {
                "terminal": ('{"not": "an S3 event"}', ""),
                "transient": (
                    s3_event(landing, "ref/lojas/transient.json"),
                    f"s3://{landing}/ref/lojas/transient.json",
                ),
                "unexpected": (
                    s3_event(landing, "ref/lojas/unexpected.json"),
                    f"s3://{landing}/ref/lojas/unexpected.json",
                ),
            },
            "fault_keys": {
                "transient": "ref/lojas/transient.json",
                "unexpected": "ref/lojas/unexpected.json",
            },
        },
        "transform": {
            "queue": "cornlake-local-transform",
            "step": "cornlake.transform.job.transform_object",
            "key": lambda args, kwargs: kwargs["key"],
            "messages": {
                "terminal": (
                    s3_event(names["raw_bucket"], raws["terminal"].replace("lojas/", "nope/")),
                    "nope",
                ),
                "transient": (s3_event(names["raw_bucket"], raws["transient"]), raws["transient"]),
                "unexpected": (s3_event(names["raw_bucket"], raws["unexpected"]), raws["unexpected"]),
            },
            "fault_keys": {"transient": raws["transient"], "unexpected": raws["unexpected"]},
        },
        **{
            stage: {
                "queue": f"cornlake-local-{stage}",
                "step": step,
                "key": lambda args, kwargs: args[2].raw_key,
                "messages": {
                    "terminal": (batch(names, raws["terminal"], dataset="nope"), raws["terminal"]),
                    "transient": (batch(names, raws["transient"]), raws["transient"]),
                    "unexpected": (batch(names, raws["unexpected"]), raws["unexpected"]),
                },
                "fault_keys": {"transient": raws["transient"], "unexpected": raws["unexpected"]},
            }
            for stage, step in (
                ("catalog", "cornlake.catalog.sync.sync_batch"),
                ("quality", "cornlake.quality.check.run_quality"),
            )
        },
        "models": {
            "queue": "cornlake-local-models",
            "step": "cornlake.modeling.stage.affected",
            "key": lambda args, kwargs: ",".join(args[1]),
            "messages": {
                "terminal": ('{"not": "changed tables"}', ""),
                "transient": (json.dumps({"tables": ["transient_table"]}), "transient_table"),
                "unexpected": (json.dumps({"tables": ["unexpected_table"]}), "unexpected_table"),
            },
            "fault_keys": {"transient": "transient_table", "unexpected": "unexpected_table"},
        },
    }


@pytest.mark.parametrize("stage", ["ingest_s3_copy", "transform", "catalog", "quality", "models"])
def test_each_consumer_acknowledges_terminal_errors_and_retries_the_rest_into_its_dlq(
    fresh: LocalLake, stage: str
) -> None:
    names = fresh.describe()
    case = cases(names)[stage]
    sqs = fresh.client("sqs")
    url = sqs.get_queue_url(QueueName=case["queue"])["QueueUrl"]
    dlq = sqs.get_queue_url(QueueName=case["queue"] + "-dlq")["QueueUrl"]
    redrive = json.loads(
        sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["RedrivePolicy"])["Attributes"][
            "RedrivePolicy"
        ]
    )
    faults = {
        case["fault_keys"]["transient"]: TransientError("S3 said SlowDown"),
        case["fault_keys"]["unexpected"]: ConnectionResetError("reset by peer"),
    }

    def step(*args: Any, **kwargs: Any) -> Any:
        raise faults[case["key"](args, kwargs)]

    # GIVEN a bad input and two inputs whose processing fails, the second with no CornLake error
    with mock.patch(case["step"], side_effect=step):
        for body, _ in case["messages"].values():
            sqs.send_message(QueueUrl=url, MessageBody=body)
        fresh.wait_until_idle(timeout=120)

    runs = [r for r in run_records(fresh, names["ops_bucket"]) if r["stage"] == stage]
    by_key: dict[str, list[dict[str, Any]]] = {}
    for run in runs:
        by_key.setdefault(run["input_key"], []).append(run)
    # THEN the bad input was recorded once, as rejected, and never retried
    [rejected] = [r for r in runs if r["status"] == "rejected"]
    assert json.loads(rejected["details"])["retried"] is False and rejected["error"]
    # ... every failing attempt was recorded, with its number, until SQS moved the message to the DLQ
    for kind, fragment in (
        ("transient", "unavailable: S3 said SlowDown"),
        ("unexpected", "ConnectionResetError: reset by peer"),
    ):
        attempts = by_key[case["messages"][kind][1]]
        assert all(a["status"] == "failed" and fragment in a["error"] for a in attempts)
        assert sorted(json.loads(a["details"])["attempt"] for a in attempts) == list(
            range(1, redrive["maxReceiveCount"] + 1)
        )
    in_dlq = sqs.receive_message(QueueUrl=dlq, MaxNumberOfMessages=10).get("Messages", [])
    assert sorted(m["Body"] for m in in_dlq) == sorted(
        case["messages"][k][0] for k in ("transient", "unexpected")
    )
