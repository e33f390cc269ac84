"""What a newcomer does against a running local lake: follow a file with --wait, query a dataset
that has no data yet, and add or break a contract while the lake runs."""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path

import pytest
import yaml

from cornlake_toolkit import cli
from cornlake_toolkit.local import LocalLake
from helpers import DATASETS, list_keys, run_records, sample

pytestmark = pytest.mark.e2e


LAKE_LOG_LEVEL = "CRITICAL"


def test_ingest_and_push_wait_follow_every_stage_to_the_counts(
    fresh: LocalLake, capsys: pytest.CaptureFixture[str]
) -> None:
    code = cli.main(
        ["ingest", str(sample("erp/samples/vendas.csv")), "--source", "erp", "--dataset", "vendas", "--wait"]
    )
    err = capsys.readouterr().err
    assert code == 0
    for stage in ("ingest_s3_copy", "transform", "catalog", "quality"):
        assert stage in err, stage
    assert err.index("ingest_s3_copy") < err.index("transform") < err.index("quality")
    assert "done: 40 rows in, 38 curated, 2 quarantined" in err
    code = cli.main(
        ["push", str(sample("app/samples/events.jsonl")), "--source", "app", "--dataset", "events", "--wait"]
    )
    err = capsys.readouterr().err
    assert code == 0 and "done: 60 rows in, 57 curated, 3 quarantined" in err


def test_without_wait_the_cli_says_how_to_follow(
    fresh: LocalLake, capsys: pytest.CaptureFixture[str]
) -> None:
    assert (
        cli.main(["ingest", str(sample("ref/samples/lojas.json")), "--source", "ref", "--dataset", "lojas"])
        == 0
    )
    assert "--wait" in capsys.readouterr().err


def test_a_refused_file_ends_the_wait_with_its_reason(
    fresh: LocalLake, capsys: pytest.CaptureFixture[str]
) -> None:
    # GIVEN a CSV sent to a JSON-array dataset: the transform refuses it whole
    code = cli.main(
        ["ingest", str(sample("erp/samples/vendas.csv")), "--source", "ref", "--dataset", "lojas", "--wait"]
    )
    err = capsys.readouterr().err
    assert code == 1 and "refused: invalid utf-8 bytes" in err and "rejected" in err


def test_a_dataset_with_no_data_yet_answers_empty_with_its_columns(
    fresh: LocalLake, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["query", "SELECT loja_id, nome FROM ref_lojas", "--format", "json"]) == 0
    out = capsys.readouterr()
    assert json.loads(out.out) == [] and "ref_lojas has no data yet" in out.err
    assert cli.main(["query", "SELECT * FROM nothing_here"]) == 2
    err = capsys.readouterr().err
    assert "is not in the catalog" in err and "tables in cornlake_local:" in err


def test_contracts_added_or_broken_while_the_lake_runs(
    fresh: LocalLake, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    names = fresh.describe()
    shutil.copytree(DATASETS, tmp_path / "datasets")
    monkeypatch.setenv("CORNLAKE_DATASETS_DIR", str(tmp_path / "datasets"))
    s3 = fresh.client("s3")
    s3.put_object(
        Bucket=names["landing_bucket"],
        Key="ref/lojas/warmup.json",
        Body=sample("ref/samples/lojas.json").read_bytes(),
    )
    fresh.wait_until_idle(timeout=60)
    # WHEN a contract is added after the lake started, and a file for it lands
    lojas = yaml.safe_load((DATASETS / "ref" / "lojas.yaml").read_text())
    (tmp_path / "datasets" / "shop").mkdir()
    (tmp_path / "datasets" / "shop" / "stores.yaml").write_text(
        yaml.safe_dump(lojas | {"source": "shop", "dataset": "stores"})
    )
    time.sleep(0.05)  # a new mtime
    s3.put_object(
        Bucket=names["landing_bucket"],
        Key="shop/stores/s.json",
        Body=sample("ref/samples/lojas.json").read_bytes(),
    )
    fresh.wait_until_idle(timeout=60)
    # THEN it is picked up: the file is copied and transformed, not refused
    transformed = [
        r for r in run_records(fresh, names["ops_bucket"], "transform") if r["dataset"] == "stores"
    ]
    assert [r["rows_out"] for r in transformed] == [12]
    assert not list_keys(fresh, names["landing_bucket"], "_rejected/")
    assert any("contracts reloaded" in n and "shop/stores" in n for n in fresh.notices)
    # WHEN the contract is then broken, the lake says so loudly and refuses its files with the reason
    (tmp_path / "datasets" / "shop" / "stores.yaml").write_text(
        "source: shop\ndataset: stores\ncolumns: []\n"
    )
    s3.put_object(
        Bucket=names["landing_bucket"],
        Key="shop/stores/t.json",
        Body=sample("ref/samples/lojas.json").read_bytes(),
    )
    fresh.wait_until_idle(timeout=60)
    assert any("shop/stores does not load" in n and "stores.yaml" in n for n in fresh.notices)
    rejected = [r for r in run_records(fresh, names["ops_bucket"], "transform") if r["status"] == "rejected"]
    assert rejected and rejected[-1]["dataset"] == "stores" and "invalid_contract" in rejected[-1]["error"]


def test_a_landing_file_for_an_unknown_dataset_keeps_its_names_in_the_run_record(fresh: LocalLake) -> None:
    names = fresh.describe()
    fresh.client("s3").put_object(Bucket=names["landing_bucket"], Key="shop/unknown/x.csv", Body=b"a\n1\n")
    fresh.wait_until_idle(timeout=60)
    [run] = run_records(fresh, names["ops_bucket"], "ingest_s3_copy")
    assert (run["status"], run["source"], run["dataset"]) == ("rejected", "shop", "unknown")
    assert "no contract for source='shop' dataset='unknown'" in run["error"]


def test_dropping_the_same_file_again_with_wait_says_it_is_already_there(
    fresh: LocalLake, capsys: pytest.CaptureFixture[str]
) -> None:
    lojas = str(sample("ref/samples/lojas.json"))
    assert cli.main(["ingest", lojas, "--source", "ref", "--dataset", "lojas", "--wait"]) == 0
    capsys.readouterr()
    assert cli.main(["ingest", lojas, "--source", "ref", "--dataset", "lojas", "--wait"]) == 0
    err = capsys.readouterr().err
    assert "repeated" in err and "done: already in the lake as source=ref/dataset=lojas/" in err


def test_pushing_an_oversized_line_is_a_message_not_a_traceback(
    fresh: LocalLake, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    big = tmp_path / "big.jsonl"
    big.write_text('{"event_id": "' + "x" * (12 * 1024 * 1024) + '"}\n')
    code = cli.main(["push", str(big), "--source", "app", "--dataset", "events"])
    err = capsys.readouterr().err
    assert code in (1, 2) and "Traceback" not in err
    assert "413" in err or "could not send" in err
