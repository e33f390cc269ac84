"""The monitor through the local lake's own schedules: a late dataset alerted, a lost S3 event
recovered by the reconciler, and nothing doubled."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from cornlake import keys
from cornlake.settings import settings_for
from cornlake_toolkit.local import LocalLake
from helpers import list_keys, read_jsonl, run_records, sample

pytestmark = pytest.mark.e2e


@pytest.fixture
def fresh(lake: LocalLake, monkeypatch: pytest.MonkeyPatch) -> LocalLake:
    lake.wait_until_idle(timeout=60)
    lake.reset()
    monkeypatch.setenv("RECONCILE_GRACE_MINUTES", "0")
    settings_for.cache_clear()
    yield lake
    settings_for.cache_clear()


def alerts_queue(lake: LocalLake) -> str:
    sqs, sns = lake.client("sqs"), lake.client("sns")
    url = sqs.create_queue(QueueName="test-monitor-alerts")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    topic = next(t["TopicArn"] for t in sns.list_topics()["Topics"] if t["TopicArn"].endswith("-alarms"))
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn)
    return url


def alerts(lake: LocalLake, url: str) -> list[str]:
    found = lake.client("sqs").receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1)
    return [json.loads(m["Body"])["Message"] for m in found.get("Messages", [])]


def test_a_late_dataset_is_alerted_by_the_freshness_schedule_once_and_when_it_recovers(
    fresh: LocalLake,
) -> None:
    names = fresh.describe()
    url = alerts_queue(fresh)
    s3 = fresh.client("s3")
    s3.put_object(
        Bucket=names["landing_bucket"],
        Key="ref/lojas/l.json",
        Body=sample("ref/samples/lojas.json").read_bytes(),
    )
    fresh.wait_until_idle(timeout=60)
    # ref/lojas is expected daily with 6 hours of grace (its contract): on time now
    assert fresh.schedules.fire("Freshness")["late"] == []
    # WHEN its last published batch is 31 hours old (the heartbeat moved back in time)
    beat_key = keys.heartbeat_key("ref", "lojas", "catalog")
    beat = json.loads(s3.get_object(Bucket=names["ops_bucket"], Key=beat_key)["Body"].read())
    beat["at"] = (datetime.now(UTC) - timedelta(hours=31)).isoformat(timespec="seconds")
    s3.put_object(Bucket=names["ops_bucket"], Key=beat_key, Body=json.dumps(beat).encode())
    summary = fresh.schedules.fire("Freshness")
    # THEN the schedule says so, alerts once, and writes a freshness row
    assert summary["late"] == ["ref/lojas"] and summary["alerts"] == ["ref/lojas:alarm"]
    [message] = [m for m in alerts(fresh, url) if "ref.lojas" in m]
    assert "ref.lojas: the last batch was published at" in message and "every 1d, grace 6h" in message
    assert fresh.schedules.fire("Freshness")["alerts"] == []  # still late: no second alert
    rows = [
        r
        for k in list_keys(fresh, names["ops_bucket"], "freshness/")
        for r in read_jsonl(fresh, names["ops_bucket"], k)
    ]
    late = [r for r in rows if r["dataset"] == "lojas" and r["state"] == "late"]
    assert len(late) == 2 and late[0]["lag_seconds"] >= 31 * 3600 and late[0]["expected_every"] == "1d"
    # WHEN a new batch arrives, THEN the next check says it recovered
    s3.put_object(
        Bucket=names["landing_bucket"],
        Key="ref/lojas/m.json",
        Body=sample("ref/samples/lojas.json").read_bytes(),
    )
    fresh.wait_until_idle(timeout=60)
    assert fresh.schedules.fire("Freshness")["alerts"] == ["ref/lojas:ok"]
    assert any("ref.lojas is on_time again" in m for m in alerts(fresh, url))


def test_the_reconciler_recovers_an_object_whose_event_was_lost(fresh: LocalLake) -> None:
    names = fresh.describe()
    s3, sqs = fresh.client("s3"), fresh.client("sqs")
    s3.put_object(
        Bucket=names["landing_bucket"],
        Key="ref/lojas/first.json",
        Body=sample("ref/samples/lojas.json").read_bytes(),
    )
    fresh.wait_until_idle(timeout=60)
    # WHEN a raw object lands while its S3 event is lost (deleted from the transform queue)
    fresh.events.pause()
    yesterday = datetime.now(UTC) - timedelta(days=1)
    raw_key = str(keys.raw_key("ref", "lojas", f"{yesterday:%Y%m%dT%H%M%SZ}-00000000beef", "lost.json"))
    s3.put_object(Bucket=names["raw_bucket"], Key=raw_key, Body=sample("ref/samples/lojas.json").read_bytes())
    transform_queue = sqs.get_queue_url(QueueName=names["transform_queue"])["QueueUrl"]
    sqs.purge_queue(QueueUrl=transform_queue)
    fresh.events.resume()
    fresh.wait_until_idle(timeout=60)
    assert all(r["input_key"] != raw_key for r in run_records(fresh, names["ops_bucket"], "transform"))
    # THEN the reconcile schedule finds it, re-queues it, and the pipeline takes it through
    summary = fresh.schedules.fire("Reconcile")
    assert summary["findings"] == {"missing_transform": 1} and summary["requeued"] == 1
    fresh.wait_until_idle(timeout=60)
    transformed = [
        r for r in run_records(fresh, names["ops_bucket"], "transform") if r["input_key"] == raw_key
    ]
    assert [r["status"] for r in transformed] == ["succeeded"]
    [finding] = [
        r
        for k in list_keys(fresh, names["ops_bucket"], "reconciliation/")
        for r in read_jsonl(fresh, names["ops_bucket"], k)
    ]
    assert (finding["finding"], finding["raw_key"], finding["action"]) == (
        "missing_transform",
        raw_key,
        "requeued",
    )
    # and a second pass finds everything accounted for, rows included
    assert fresh.schedules.fire("Reconcile")["findings"] == {}
    catalog = [
        r
        for r in run_records(fresh, names["ops_bucket"], "catalog")
        if r["parent_run_id"] == transformed[0]["run_id"]
    ]
    assert len(catalog) == 1


def test_the_reconciler_reports_rows_that_do_not_add_up(fresh: LocalLake) -> None:
    names = fresh.describe()
    s3 = fresh.client("s3")
    s3.put_object(
        Bucket=names["landing_bucket"],
        Key="ref/lojas/a.json",
        Body=sample("ref/samples/lojas.json").read_bytes(),
    )
    fresh.wait_until_idle(timeout=60)
    [curated] = list_keys(fresh, names["curated_bucket"], "tables/ref/lojas/")
    s3.delete_object(Bucket=names["curated_bucket"], Key=curated)  # rows lost behind the lake's back
    summary = fresh.schedules.fire("Reconcile")
    assert summary["findings"] == {"rows_unbalanced": 1} and summary["requeued"] == 0
    [row] = [
        r
        for k in list_keys(fresh, names["ops_bucket"], "reconciliation/")
        for r in read_jsonl(fresh, names["ops_bucket"], k)
    ]
    assert "12 records read, but the zones hold 0 curated + 0 quarantined" in row["detail"]


def test_a_monitor_task_that_fails_leaves_a_failed_run_record_and_raises(
    fresh: LocalLake, monkeypatch: pytest.MonkeyPatch
) -> None:
    import cornlake.monitor

    names = fresh.describe()

    def glue_down(*_args: object, **_kwargs: object) -> None:  # the fault: Glue unreachable mid-task
        raise ConnectionError("glue.us-east-1.amazonaws.com: connection reset")

    monkeypatch.setitem(cornlake.monitor.TASK_RUNNERS, "reconcile", glue_down)
    with pytest.raises(ConnectionError):
        fresh.schedules.fire("Reconcile")
    [record] = run_records(fresh, names["ops_bucket"], "reconcile")
    assert record["status"] == "failed"
    assert record["error"] == "ConnectionError: glue.us-east-1.amazonaws.com: connection reset"
    assert record["finished_at"] and record["duration_ms"] >= 0
