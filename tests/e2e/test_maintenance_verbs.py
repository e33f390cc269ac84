"""The verbs that look after the lake, through the local lake: quarantine by reason (and a contract
fix turning refused records into rows), status, reconcile, and redrive of a dead-letter queue."""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml

from cornlake_toolkit import cli
from cornlake_toolkit.local import LocalLake
from cornlake_toolkit.samples import vendas_csv
from helpers import DATASETS, list_keys, run_records, sample

pytestmark = pytest.mark.e2e


def out_of(capsys: pytest.CaptureFixture[str], argv: list[str], code: int = 0) -> str:
    capsys.readouterr()
    assert cli.main(argv) == code
    return capsys.readouterr().out


def test_quarantine_by_reason_and_a_contract_fix_that_recovers_the_records(
    fresh: LocalLake, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    names = fresh.describe()
    folder = tmp_path / "datasets"
    shutil.copytree(DATASETS, folder)
    monkeypatch.setenv("CORNLAKE_DATASETS_DIR", str(folder))
    # GIVEN sales whose registration time is sometimes 'n/d' (not available), which the contract refuses
    lines = vendas_csv(40, seed=11).splitlines()
    for n in (3, 9, 15):
        fields = lines[n].split(";")
        fields[2] = "n/d"
        lines[n] = ";".join(fields)
    data = "\n".join(lines) + "\n"
    path = tmp_path / "vendas.csv"
    path.write_bytes(data.encode("latin-1"))
    assert cli.main(["ingest", str(path), "--source", "erp", "--dataset", "vendas"]) == 0
    fresh.wait_until_idle(timeout=60)
    [transform] = run_records(fresh, names["ops_bucket"], "transform")
    assert transform["rows_quarantined"] == 3
    # THEN `cornlake quarantine` counts them by column and reason, with an example
    shown = out_of(capsys, ["quarantine", "erp/vendas", "--format", "json"])
    [reason] = json.loads(shown)
    assert (reason["column"], reason["records"], reason["example"]) == ("registrada_em", 3, "n/d")
    assert reason["raw_object"].startswith("source=erp/dataset=vendas/")
    # WHEN the contract learns that 'n/d' means no value, and the raw object is reprocessed
    contract = yaml.safe_load((folder / "erp" / "vendas.yaml").read_text(encoding="utf-8"))
    contract["format"]["null_values"].append("n/d")
    (folder / "erp" / "vendas.yaml").write_text(
        yaml.safe_dump(contract, allow_unicode=True), encoding="utf-8"
    )
    today = datetime.now(UTC).date().isoformat()
    assert cli.main(["reprocess", "--source", "erp", "--dataset", "vendas", "--from", today]) == 0
    fresh.wait_until_idle(timeout=60)
    # THEN every record is a curated row, once, and nothing is left in quarantine
    rows = json.loads(
        out_of(
            capsys,
            [
                "query",
                "SELECT count(*) AS n, count(DISTINCT id_venda) AS ids FROM erp_vendas",
                "--format",
                "json",
            ],
        )
    )
    assert rows == [{"n": 40, "ids": 40}]
    assert "nothing quarantined for erp/vendas" in out_of(capsys, ["quarantine", "erp/vendas"])
    assert list_keys(fresh, names["quarantine_bucket"], "source=erp/") == []


def test_quarantine_never_shows_a_pii_columns_values(
    fresh: LocalLake, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    names = fresh.describe()
    folder = tmp_path / "datasets"
    shutil.copytree(DATASETS, folder)
    monkeypatch.setenv("CORNLAKE_DATASETS_DIR", str(folder))
    contract = yaml.safe_load((folder / "erp" / "vendas.yaml").read_text(encoding="utf-8"))
    next(c for c in contract["columns"] if c["name"] == "quantidade")["pii"] = True
    (folder / "erp" / "vendas.yaml").write_text(
        yaml.safe_dump(contract, allow_unicode=True), encoding="utf-8"
    )
    # the sample has a quantity written 'dez' (ten), refused as not an integer
    fresh.client("s3").put_object(
        Bucket=names["landing_bucket"],
        Key="erp/vendas/v.csv",
        Body=sample("erp/samples/vendas.csv").read_bytes(),
    )
    fresh.wait_until_idle(timeout=60)
    shown = json.loads(out_of(capsys, ["quarantine", "erp/vendas", "--format", "json"]))
    by_column = {r["column"]: r for r in shown}
    assert by_column["quantidade"]["example"] == "(PII, not shown)" and "dez" not in json.dumps(shown)


def test_status_reconcile_and_redrive(fresh: LocalLake, capsys: pytest.CaptureFixture[str]) -> None:
    names = fresh.describe()
    s3, sqs = fresh.client("s3"), fresh.client("sqs")
    s3.put_object(
        Bucket=names["landing_bucket"],
        Key="ref/lojas/l.json",
        Body=sample("ref/samples/lojas.json").read_bytes(),
    )
    fresh.wait_until_idle(timeout=60)
    status = json.loads(out_of(capsys, ["status", "--format", "json"]))
    lojas = next(r for r in status if r["dataset"] == "ref/lojas")
    assert lojas["freshness"].startswith("on_time (due ") and lojas["last quality"] == "succeeded"
    assert next(r for r in status if r["dataset"] == "app/events")["freshness"] == "no_expectation"
    assert "every raw object ingested since" in out_of(capsys, ["reconcile", "--dry-run"])
    # an empty dead-letter queue says so
    assert "is empty: nothing to redrive" in out_of(capsys, ["redrive", "transform"])
    # WHEN a message for a raw object sits in the transform DLQ (it failed every retry, since fixed)
    raw_key = "source=ref/dataset=lojas/ingest_date=2026-11-20/20261120T120000Z-0000000f13ed-lojas.json"
    s3.put_object(Bucket=names["raw_bucket"], Key=raw_key, Body=sample("ref/samples/lojas.json").read_bytes())
    fresh.wait_until_idle(timeout=60)  # its own S3 event is processed: remove that run to see the redrive's
    from cornlake.messages import s3_event_body

    dlq = sqs.get_queue_url(QueueName=f"{names['stack_name']}-transform-dlq")["QueueUrl"]
    body = s3_event_body(
        names["raw_bucket"], raw_key, size=1, etag="x", event_name="ObjectCreated:Put", principal="p"
    )
    sqs.send_message(QueueUrl=dlq, MessageBody=body)
    before = len(
        [r for r in run_records(fresh, names["ops_bucket"], "transform") if r["input_key"] == raw_key]
    )
    assert "moved 1 messages" in out_of(capsys, ["redrive", "transform"])
    fresh.wait_until_idle(timeout=60)
    after = [r for r in run_records(fresh, names["ops_bucket"], "transform") if r["input_key"] == raw_key]
    assert len(after) == before + 1 and after[-1]["status"] == "succeeded", after[-1]["error"]
    assert (
        int(
            sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["ApproximateNumberOfMessages"])[
                "Attributes"
            ]["ApproximateNumberOfMessages"]
        )
        == 0
    )
