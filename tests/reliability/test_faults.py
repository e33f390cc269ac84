"""Faults, through the whole local lake: S3 503 SlowDown, 500s, reset connections and answers
lost after a write succeeded, at 5% and 20% of the functions' S3 calls; handlers killed after
writing their output and before acknowledging; every S3 event delivered twice and out of order;
and a poison file that waits in the dead-letter queue until it is redriven after the fix. In
each, every record sent ends up curated once or quarantined: nothing lost, nothing doubled."""

from __future__ import annotations

import random
from typing import Any

import pytest
from lakeside import Books, Faults, books, injected, push

from cornlake_toolkit import cli
from cornlake_toolkit.local import LocalLake
from cornlake_toolkit.reliability import Ledger, Scenario
from cornlake_toolkit.samples import event_lines
from helpers import run_records

PUSHES, PER_PUSH, FILES, PER_FILE, BAD_EVERY = 6, 40, 2, 60, 9


LAKE_LOG_LEVEL = "CRITICAL"


def send(lake: LocalLake, seed: int) -> int:
    """Pushes through the API (retried with their Idempotency-Key) and files dropped in landing;
    every ninth record is invalid. Returns how many records were sent."""
    sent = 0
    for n in range(PUSHES):
        lines = event_lines(PER_PUSH, seed=seed * 100 + n, bad_every=BAD_EVERY)
        answer = push(lake, "/v1/ingest/app/events", "\n".join(lines).encode() + b"\n", f"k-{seed}-{n}")
        assert answer.status == 202, answer
        sent += len(lines)
    s3 = lake.client("s3")
    for n in range(FILES):
        lines = event_lines(PER_FILE, seed=seed * 100 + 50 + n, bad_every=BAD_EVERY)
        body = "\n".join(lines).encode() + b"\n"
        s3.put_object(
            Bucket=lake.describe()["landing_bucket"], Key=f"app/events/drop-{seed}-{n}.jsonl", Body=body
        )
        sent += len(lines)
    return sent


def settle(lake: LocalLake, sent: int) -> Books:
    lake.wait_until_idle(timeout=300)
    return books(lake, "app_events", "event_id", source="app", dataset="events")


def check(ledger: Ledger, name: str, sent: int, found: Books, outcome: str) -> None:
    ledger.record(
        Scenario(
            "faults",
            name,
            sent=sent,
            curated=found.distinct,
            quarantined=found.quarantined,
            lost=found.lost(sent),
            duplicated=found.duplicated,
            outcome=outcome,
        )
    )
    assert (found.lost(sent), found.duplicated) == (0, 0), found
    assert found.distinct + found.quarantined == sent


FAULTS = [
    pytest.param("slowdown", 0.05, id="s3-503-slowdown-5pct"),
    pytest.param("slowdown", 0.20, id="s3-503-slowdown-20pct", marks=pytest.mark.long),
    pytest.param("error500", 0.05, id="s3-500-5pct", marks=pytest.mark.long),
    pytest.param("error500", 0.20, id="s3-500-20pct", marks=pytest.mark.long),
    pytest.param("reset", 0.05, id="s3-connection-reset-5pct", marks=pytest.mark.long),
    pytest.param("reset", 0.20, id="s3-connection-reset-20pct"),
    pytest.param("lost_answer", 0.05, id="s3-answer-lost-after-write-5pct"),
    pytest.param("lost_answer", 0.20, id="s3-answer-lost-after-write-20pct", marks=pytest.mark.long),
]


@pytest.mark.parametrize(("kind", "rate"), FAULTS)
def test_s3_faults_lose_and_double_nothing(fresh: LocalLake, ledger: Ledger, kind: str, rate: float) -> None:
    faults = Faults({kind: rate}, seed=int(rate * 100))
    with injected(faults):
        sent = send(fresh, seed=int(rate * 100) + len(kind))
        fresh.wait_until_idle(timeout=300)
    assert faults.total > 0, "no fault was injected"
    found = settle(fresh, sent)
    check(ledger, f"S3 {kind} on {rate:.0%} of calls", sent, found, f"{faults.total} faults injected")


def test_handlers_killed_after_writing_are_delivered_again_and_double_nothing(
    fresh: LocalLake, ledger: Ledger, monkeypatch: pytest.MonkeyPatch
) -> None:
    killed: dict[str, int] = {}
    seen: set[str] = set()
    for logical_id in ("TransformFunction", "CatalogFunction", "QualityFunction"):
        function = fresh.functions[logical_id]
        original = function.invoke

        def after_output(event: dict[str, Any], original: Any = original, name: str = logical_id) -> Any:
            result = original(event)
            ids = [r["messageId"] for r in event.get("Records", [])]
            if any(i not in seen for i in ids):  # the first delivery: killed before acknowledging
                seen.update(ids)
                killed[name] = killed.get(name, 0) + 1
                raise TimeoutError(f"{name} was stopped after its output, before acknowledging")
            return result

        monkeypatch.setattr(function, "invoke", after_output)
    sent = send(fresh, seed=7)
    found = settle(fresh, sent)
    assert set(killed) == {"TransformFunction", "CatalogFunction", "QualityFunction"}
    transforms = run_records(fresh, fresh.describe()["ops_bucket"], "transform")
    assert len({r["input_key"] for r in transforms}) == PUSHES + FILES
    check(ledger, "handlers killed after their output, before acknowledging", sent, found, f"killed {killed}")


def test_every_s3_event_twice_and_out_of_order(fresh: LocalLake, ledger: Ledger) -> None:
    names = fresh.describe()
    sqs = fresh.client("sqs")
    fresh.events.pause()
    try:
        sent = send(fresh, seed=11)
        moved = 0
        for queue in ("ingest-copy", "transform"):
            url = sqs.get_queue_url(QueueName=f"{names['stack_name']}-{queue}")["QueueUrl"]
            messages = drain(sqs, url)
            twice = [m["Body"] for m in messages] * 2
            random.Random(3).shuffle(twice)
            for body in twice:
                sqs.send_message(QueueUrl=url, MessageBody=body)
            moved += len(twice)
    finally:
        fresh.events.resume()
    assert moved >= 2 * FILES
    found = settle(fresh, sent)
    check(ledger, "every S3 event delivered twice, shuffled", sent, found, f"{moved} event deliveries")


def drain(sqs: Any, url: str) -> list[dict[str, Any]]:
    taken: list[dict[str, Any]] = []
    while True:
        got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=0).get("Messages", [])
        if not got:
            return taken
        taken += got
        sqs.delete_message_batch(
            QueueUrl=url,
            Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(got)],
        )


def test_a_poison_file_waits_in_the_dlq_and_is_redriven_after_the_fix(
    fresh: LocalLake, ledger: Ledger, capsys: pytest.CaptureFixture[str]
) -> None:
    names = fresh.describe()
    lines = event_lines(30, seed=21)
    body = "\n".join(lines).encode() + b"\n"
    # GIVEN a raw object the transform can never read (S3 answers 500 to every read of it)
    faults = Faults({"error500": 1.0}, only=("GetObject",), keys=(names["raw_bucket"], "poison.jsonl"))
    with injected(faults):
        fresh.client("s3").put_object(
            Bucket=names["landing_bucket"], Key="app/events/poison.jsonl", Body=body
        )
        fresh.wait_until_idle(timeout=120)
    # THEN it waits in the transform's DLQ, and the run records say why, each time it was tried
    failed = [r for r in run_records(fresh, names["ops_bucket"], "transform") if r["status"] == "failed"]
    assert len(failed) == 3 and all("InternalError" in r["error"] for r in failed), failed
    # WHEN the cause is fixed and the DLQ redriven, every record is curated once
    capsys.readouterr()
    assert cli.main(["redrive", "transform"]) == 0
    assert "moved 1 messages" in capsys.readouterr().out
    found = settle(fresh, len(lines))
    check(ledger, "a poison file: DLQ after 3 tries, redriven after the fix", len(lines), found, "redriven")
