"""``cornlake try``: a sample converted under a contract with no lake running, its report and files."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import duckdb
import pytest

from cornlake_toolkit import cli
from helpers import DATASETS, sample

SAMPLES = [
    ("erp/samples/vendas.csv", "erp/vendas.yaml", 40, 38),
    ("app/samples/events.jsonl", "app/events.yaml", 60, 57),
    ("ref/samples/lojas.json", "ref/lojas.yaml", 12, 12),
]


@pytest.mark.parametrize(("file", "contract", "rows_in", "curated"), SAMPLES, ids=[s[1] for s in SAMPLES])
def test_each_sample_converts_with_counts_reasons_and_files(
    file: str, contract: str, rows_in: int, curated: int, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    code = cli.main(
        [
            "try",
            str(sample(file)),
            "--contract",
            str(DATASETS / contract),
            "--out",
            str(out),
            "--format",
            "json",
        ]
    )
    report = json.loads(capsys.readouterr().out)
    assert code == 0
    assert (report["rows_in"], report["rows_curated"]) == (rows_in, curated)
    assert report["rows_in"] == report["rows_curated"] + report["rows_quarantined"]
    assert sum(r["count"] for r in report["reasons"]) >= report["rows_quarantined"]
    assert all(r["example_record"] >= 1 and r["reason"] for r in report["reasons"])
    parquet = [p for p in report["outputs"] if p.endswith(".parquet")]
    rows = duckdb.connect().execute(f"SELECT count(*) FROM read_parquet({parquet!r})").fetchall()
    assert rows == [(curated,)]
    assert (out / "quarantine.jsonl").exists() == bool(report["rows_quarantined"])
    assert report["seconds"] > 0 and report["mib_per_second"] > 0
    assert 0 <= report["fast_path_share"] <= 1


def test_a_contract_outside_datasets_is_used_as_it_is(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # GIVEN a user's draft contract in their own folder: shop/orders.yaml
    (tmp_path / "shop").mkdir()
    draft = (DATASETS / "ref" / "lojas.yaml").read_text().replace("source: ref", "source: shop")
    (tmp_path / "shop" / "orders.yaml").write_text(draft.replace("dataset: lojas", "dataset: orders"))
    shutil.copy(sample("ref/samples/lojas.json"), tmp_path / "orders.json")
    # WHEN they try a file under it, as text
    code = cli.main(
        [
            "try",
            str(tmp_path / "orders.json"),
            "--contract",
            str(tmp_path / "shop" / "orders.yaml"),
            "--out",
            str(tmp_path / "o"),
        ]
    )
    text = capsys.readouterr().out
    # THEN the folder and file name gave source and dataset, and the report reads as a person expects
    assert code == 0
    assert "under shop/orders" in text and "curated" in text and "12" in text
    assert list((tmp_path / "o").glob("ingest_date=*/part-0000.parquet"))


def test_a_bad_sample_shows_reasons_grouped_with_an_example(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "bad.jsonl").write_text(
        '{"event_id": "a", "event_type": "click", "event_time": "2026-11-20T10:00:00Z"}\n'
        '{"event_id": "b", "event_type": "click", "event_time": "yesterday"}\n'
        '{"event_id": "c", "event_type": "click", "event_time": "tomorrow"}\n'
        "not json\n"
    )
    cli.main(
        [
            "try",
            str(tmp_path / "bad.jsonl"),
            "--contract",
            str(DATASETS / "app/events.yaml"),
            "--out",
            str(tmp_path / "o"),
            "--format",
            "json",
        ]
    )
    report = json.loads(capsys.readouterr().out)
    assert (report["rows_in"], report["rows_curated"], report["rows_quarantined"]) == (4, 1, 3)
    first = report["reasons"][0]
    assert first["count"] == 2 and first["reason"].startswith("event_time: expected a timestamp")
    assert first["example_record"] == 2 and '"yesterday"' in first["example"]


def test_a_missing_file_or_contract_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["try", str(tmp_path / "nope.csv"), "--contract", str(DATASETS / "erp/vendas.yaml")]) == 2
    assert "no file" in capsys.readouterr().err
    (tmp_path / "x.csv").write_text("a\n1\n")
    assert cli.main(["try", str(tmp_path / "x.csv"), "--contract", str(tmp_path / "shop" / "x.yaml")]) == 2
    assert "no contract" in capsys.readouterr().err
