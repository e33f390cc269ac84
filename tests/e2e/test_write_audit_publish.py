"""Write-audit-publish through the local lake: a batch that fails its checks is held where no
reader sees it, listed and alerted, then released by `cornlake publish`, or replaced by a
reprocess once the contract is fixed."""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml

from cornlake_toolkit import cli
from cornlake_toolkit.local import LocalLake
from helpers import DATASETS, list_keys, run_records, sample

pytestmark = pytest.mark.e2e


def audited(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, extra_rule: str | None) -> Path:
    """The shipped contracts, with erp/vendas audited before publishing (and one more rule)."""
    folder = tmp_path / "datasets"
    if folder.exists():
        shutil.rmtree(folder)
    shutil.copytree(DATASETS, folder)
    path = folder / "erp" / "vendas.yaml"
    contract = yaml.safe_load(path.read_text(encoding="utf-8"))
    rules = contract["quality"] + ([extra_rule] if extra_rule else [])
    contract["quality"] = {"mode": "audit_before_publish", "rules": rules}
    path.write_text(yaml.safe_dump(contract, allow_unicode=True), encoding="utf-8")
    monkeypatch.setenv("CORNLAKE_DATASETS_DIR", str(folder))
    return folder


def alerts_queue(lake: LocalLake) -> str:
    """An SQS queue subscribed to the alarm topic, to read the alerts people would get."""
    sqs, sns = lake.client("sqs"), lake.client("sns")
    url = sqs.create_queue(QueueName="test-alerts")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    topic = next(t["TopicArn"] for t in sns.list_topics()["Topics"] if t["TopicArn"].endswith("-alarms"))
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn)
    return url


def query_json(capsys: pytest.CaptureFixture[str], sql: str) -> tuple[list[dict[str, Any]], str]:
    capsys.readouterr()
    assert cli.main(["query", sql, "--format", "json"]) == 0
    out = capsys.readouterr()
    return json.loads(out.out), out.err


def test_a_held_batch_is_invisible_until_it_is_published(
    fresh: LocalLake, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    names = fresh.describe()
    audited(tmp_path, monkeypatch, "RowCount >= 100000")
    alerts = alerts_queue(fresh)
    # WHEN a file of the audited dataset fails an error rule
    assert (
        cli.main(["ingest", str(sample("erp/samples/vendas.csv")), "--source", "erp", "--dataset", "vendas"])
        == 0
    )
    fresh.wait_until_idle(timeout=60)
    # THEN the batch is held: in staging only, recorded, alerted, listed, and no reader sees it
    [quality] = run_records(fresh, names["ops_bucket"], "quality")
    assert quality["status"] == "held"
    [transform] = run_records(fresh, names["ops_bucket"], "transform")
    ingest_id = json.loads(transform["details"])["ingest_id"]
    assert list_keys(fresh, names["curated_bucket"], "tables/") == []
    staged = list_keys(fresh, names["curated_bucket"], "staging/erp/vendas/")
    assert staged and all(ingest_id in k for k in staged)
    assert run_records(fresh, names["ops_bucket"], "catalog") == []
    [alert] = fresh.client("sqs").receive_message(QueueUrl=alerts, WaitTimeSeconds=1)["Messages"]
    assert f"Batch {ingest_id}" in alert["Body"] and "RowCount >= 100000" in alert["Body"]
    capsys.readouterr()
    assert cli.main(["held"]) == 0
    listed = capsys.readouterr().out
    assert ingest_id in listed and "erp/vendas" in listed and "RowCount >= 100000" in listed
    rows, _ = query_json(capsys, "SELECT count(*) AS n FROM erp_vendas")
    assert rows in ([], [{"n": 0}])  # the table is not even registered yet
    # WHEN it is released as it is
    assert cli.main(["publish", ingest_id]) == 0
    assert f"published batch {ingest_id} of erp/vendas" in capsys.readouterr().out
    fresh.wait_until_idle(timeout=60)
    # THEN readers see it, staging is empty, nothing is held, and the release is a run of its own
    rows, _ = query_json(capsys, "SELECT count(*) AS n FROM erp_vendas")
    assert rows == [{"n": transform["rows_out"]}]
    assert list_keys(fresh, names["curated_bucket"], "staging/") == []
    assert cli.main(["held"]) == 0 and "no held batches" in capsys.readouterr().out
    [release] = run_records(fresh, names["ops_bucket"], "publish")
    details = json.loads(release["details"])
    assert release["parent_run_id"] == quality["run_id"] and details["failed_rules"] == ["RowCount >= 100000"]
    assert len(run_records(fresh, names["ops_bucket"], "catalog")) == 1
    assert cli.main(["publish", ingest_id]) == 2
    assert "no held batch" in capsys.readouterr().err


def test_a_reprocess_after_a_fix_replaces_the_held_batch(
    fresh: LocalLake, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    names = fresh.describe()
    audited(tmp_path, monkeypatch, "RowCount >= 100000")
    assert (
        cli.main(["ingest", str(sample("erp/samples/vendas.csv")), "--source", "erp", "--dataset", "vendas"])
        == 0
    )
    fresh.wait_until_idle(timeout=60)
    assert [r["status"] for r in run_records(fresh, names["ops_bucket"], "quality")] == ["held"]
    # WHEN the contract is fixed and the raw object transformed again
    audited(tmp_path, monkeypatch, None)
    today = datetime.now(UTC).date().isoformat()
    assert cli.main(["reprocess", "--source", "erp", "--dataset", "vendas", "--from", today]) == 0
    fresh.wait_until_idle(timeout=60)
    # THEN the new batch passes, is published once, and the hold is gone
    statuses = sorted(r["status"] for r in run_records(fresh, names["ops_bucket"], "quality"))
    assert statuses == ["held", "succeeded"]
    transformed = run_records(fresh, names["ops_bucket"], "transform")
    rows, _ = query_json(capsys, "SELECT count(*) AS n, count(DISTINCT id_venda) AS ids FROM erp_vendas")
    assert rows == [{"n": transformed[0]["rows_out"], "ids": transformed[0]["rows_out"]}]
    assert list_keys(fresh, names["curated_bucket"], "staging/") == []
    assert list_keys(fresh, names["ops_bucket"], "held/") == []
