"""End to end through the local runtime: HTTP POST or landing upload in, SQL answer out,
with Lambda's SQS semantics (partial failures, retries, DLQ) doing the delivery."""

from __future__ import annotations

import json
import threading
from decimal import Decimal
from pathlib import Path
from typing import Any
from unittest import mock

import pytest

from cornlake.modeling import load_project
from cornlake.transform import job
from cornlake_toolkit import cli, target
from cornlake_toolkit.local import LocalLake
from cornlake_toolkit.samples import vendas_csv
from cornlake_toolkit.sql import LocalSqlEngine
from helpers import http_post, list_keys, sample

pytestmark = pytest.mark.e2e


def sql(lake: LocalLake, text: str) -> list[tuple[Any, ...]]:
    names = lake.describe()
    with LocalSqlEngine(lake.client("glue"), lake.client("s3"), names["glue_database"]) as engine:
        return engine.query(text).rows


def test_http_post_to_sql_answer(fresh: LocalLake) -> None:
    status, body = http_post(
        fresh,
        "/v1/ingest/app/events",
        sample("app/samples/events.jsonl").read_bytes(),
        "application/x-ndjson",
    )
    assert status == 202 and body["records"] == 60
    fresh.wait_until_idle(timeout=60)
    assert sql(fresh, "SELECT count(*) FROM app_events") == [(57,)]
    by_os = dict(sql(fresh, "SELECT device.os, count(*) FROM app_events GROUP BY 1"))
    assert sum(by_os.values()) == 57 and set(by_os) == {"android", "ios", "web"}
    revenue = sql(fresh, "SELECT sum(amount) FROM app_events WHERE event_type = 'purchase'")[0][0]
    assert revenue > 0
    assert fresh.errors == []


def test_landing_upload_to_sql_answer_with_counts_that_add_up(fresh: LocalLake) -> None:
    names = fresh.describe()
    data = vendas_csv(500, seed=5, bad_every=50)
    fresh.client("s3").put_object(
        Bucket=names["landing_bucket"], Key="erp/vendas/vendas.csv", Body=data.encode("latin-1")
    )
    fresh.wait_until_idle(timeout=60)
    good = [line.split(";") for line in data.splitlines()[1:]]
    good = [f for f in good if len(f) == 10 and f[1] != "31/02/2026" and f[7] != "dez"]
    expected = sum(Decimal(f[9].replace(".", "").replace(",", ".")) for f in good)
    assert sql(fresh, "SELECT count(*), sum(valor_total) FROM erp_vendas") == [(len(good), expected)]
    counts = sql(
        fresh,
        f"SELECT sum(rows_in), sum(rows_out), sum(rows_quarantined) FROM {names['ops_glue_database']}.runs "
        "WHERE stage = 'transform'",
    )
    assert counts == [(500, len(good), 500 - len(good))]
    stages = dict(sql(fresh, f"SELECT stage, count(*) FROM {names['ops_glue_database']}.runs GROUP BY 1"))
    # the catalog's batch also ran the models reading erp_vendas (one "models" run, one "model" run each)
    models = [m for m in load_project().downstream("erp_vendas")]
    assert stages == {
        "ingest_s3_copy": 1,
        "transform": 1,
        "catalog": 1,
        "quality": 1,
        "models": 1,
        "model": len(models),
    }


@pytest.mark.parametrize(
    ("path", "body", "content_type", "status", "error"),
    [
        ("/v1/ingest/app/nope", b"{}", "application/json", 404, "unknown_dataset"),
        ("/v1/ingest/app/ev..ents", b"{}", "application/json", 400, "unsafe_name"),
        ("/v1/ingest/app/events", b"{}", "text/plain", 415, "unsupported_media_type"),
        ("/v1/ingest/app/events", b'{"a":', "application/json", 400, "malformed_body"),
    ],
)
def test_http_errors_through_the_local_api(
    fresh: LocalLake, path: str, body: bytes, content_type: str, status: int, error: str
) -> None:
    got, answer = http_post(fresh, path, body, content_type)
    assert (got, answer["error"]) == (status, error)
    assert answer["message"] and answer["hint"]


def test_unknown_route_answers_like_api_gateway(fresh: LocalLake) -> None:
    status, answer = http_post(fresh, "/v2/whatever", b"{}", "application/json")
    assert status == 403 and answer["message"] == "Missing Authentication Token"


def test_a_poison_message_is_retried_then_moved_to_the_dlq(fresh: LocalLake) -> None:
    names = fresh.describe()
    s3, sqs = fresh.client("s3"), fresh.client("sqs")
    poison = "source=ref/dataset=lojas/ingest_date=2026-11-20/20261120T120000Z-00000000dead-lojas.json"
    fine = "source=ref/dataset=lojas/ingest_date=2026-11-20/20261120T120000Z-00000000beef-lojas.json"
    real = job.transform_object
    attempts: list[str] = []

    def fail_poison(s3_client: Any, contract: Any, **kwargs: Any) -> Any:
        if kwargs["key"] == poison:
            attempts.append(kwargs["key"])
            raise ConnectionResetError("connection reset by peer")
        return real(s3_client, contract, **kwargs)

    with mock.patch.object(job, "transform_object", side_effect=fail_poison):
        for key in (poison, fine):
            s3.put_object(
                Bucket=names["raw_bucket"], Key=key, Body=sample("ref/samples/lojas.json").read_bytes()
            )
        fresh.wait_until_idle(timeout=60)
    dlq = sqs.get_queue_url(QueueName="cornlake-local-transform-dlq")["QueueUrl"]
    messages = sqs.receive_message(QueueUrl=dlq, MaxNumberOfMessages=10).get("Messages", [])
    assert len(messages) == 1 and "00000000dead" in messages[0]["Body"]
    assert len(attempts) == 3  # maxReceiveCount in template.yaml
    assert len(list_keys(fresh, names["curated_bucket"])) == 1  # the other file went through
    assert any("ConnectionResetError" in e or "connection reset" in e for e in fresh.errors)


def test_a_lake_that_does_not_go_idle_says_which_handler_is_running_and_where(fresh: LocalLake) -> None:
    """A handler that hangs (here, held on an event) is named in the idle wait's error, with the
    queue still holding its message and the handler's frames, so a stuck run can be diagnosed."""
    names = fresh.describe()
    release, real = threading.Event(), job.transform_object

    def hang(s3_client: Any, contract: Any, **kwargs: Any) -> Any:
        release.wait(timeout=60)
        return real(s3_client, contract, **kwargs)

    key = "source=ref/dataset=lojas/ingest_date=2026-11-20/20261120T120000Z-0000000000aa-lojas.json"
    with mock.patch.object(job, "transform_object", side_effect=hang):
        fresh.client("s3").put_object(
            Bucket=names["raw_bucket"], Key=key, Body=sample("ref/samples/lojas.json").read_bytes()
        )
        try:
            with pytest.raises(TimeoutError) as stuck:
                fresh.wait_until_idle(timeout=3)
        finally:
            release.set()
        fresh.wait_until_idle(timeout=60)
    message = str(stuck.value)
    assert "messages pending: {'cornlake-local-transform': 1}" in message, message
    assert "TransformFunction running for" in message, message
    assert "in hang" in message and "release.wait" in message, message
    assert len(list_keys(fresh, names["curated_bucket"])) == 1  # released, it ran to the end


def test_cli_verbs_against_the_local_lake(
    fresh: LocalLake, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("CORNLAKE_HOME", str(tmp_path))
    target.write_local_state(fresh.describe())
    assert (
        cli.main(["ingest", str(sample("ref/samples/lojas.json")), "--source", "ref", "--dataset", "lojas"])
        == 0
    )
    assert (
        cli.main(["push", str(sample("app/samples/events.jsonl")), "--source", "app", "--dataset", "events"])
        == 0
    )
    fresh.wait_until_idle(timeout=60)
    capsys.readouterr()
    assert cli.main(["query", "SELECT count(*) AS lojas FROM ref_lojas", "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out) == [{"lojas": 12}]
    assert cli.main(["runs", "--format", "csv"]) == 0
    assert "transform,succeeded,ref/lojas,12,12,0" in capsys.readouterr().out
    assert cli.main(["describe", "erp/vendas"]) == 0
    assert "decimal(14,2)" in capsys.readouterr().out
    assert (
        cli.main(["push", str(sample("erp/samples/vendas.csv")), "--source", "erp", "--dataset", "nope"]) == 1
    )
    assert cli.main(["query", "SELECT * FROM missing_table"]) == 2
    assert "not in the catalog" in capsys.readouterr().err


def test_reprocess_replays_raw_objects_without_duplicating_rows(
    fresh: LocalLake, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from datetime import UTC, datetime

    names = fresh.describe()
    monkeypatch.setenv("CORNLAKE_HOME", str(tmp_path))
    target.write_local_state(names)
    assert (
        cli.main(["ingest", str(sample("ref/samples/lojas.json")), "--source", "ref", "--dataset", "lojas"])
        == 0
    )
    fresh.wait_until_idle(timeout=60)
    today = datetime.now(UTC).date().isoformat()
    assert cli.main(["reprocess", "--source", "ref", "--dataset", "lojas", "--from", today]) == 0
    assert "queued 1 raw objects" in capsys.readouterr().out
    fresh.wait_until_idle(timeout=60)
    assert sql(fresh, "SELECT count(*) FROM ref_lojas") == [(12,)]
    runs = sql(fresh, f"SELECT count(*) FROM {names['ops_glue_database']}.runs WHERE stage = 'transform'")
    assert runs == [(2,)]
    assert len(list_keys(fresh, names["curated_bucket"])) == 1
    assert (
        cli.main(
            ["reprocess", "--source", "ref", "--dataset", "lojas", "--from", today, "--to", "2000-01-01"]
        )
        == 2
    )
