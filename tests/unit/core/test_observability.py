"""Metrics go out as CloudWatch EMF records by stage, and by stage and dataset; locally, not at all."""

from __future__ import annotations

import json

import pytest

from cornlake.observability import count


def test_a_count_is_one_emf_record_by_stage_and_by_stage_and_dataset(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("POWERTOOLS_METRICS_DISABLED", "false")
    count("RowsCurated", 12, stage="transform", dataset="erp.vendas")
    count("RequestsRefused", stage="ingest_api")
    rows, refused = (json.loads(line) for line in capsys.readouterr().out.splitlines())
    [directive] = rows["_aws"]["CloudWatchMetrics"]
    assert directive["Namespace"] == "CornLake" and directive["Dimensions"] == [
        ["stage"],
        ["stage", "dataset"],
    ]
    assert directive["Metrics"] == [{"Name": "RowsCurated", "Unit": "Count"}]
    assert (rows["RowsCurated"], rows["stage"], rows["dataset"]) == (12, "transform", "erp.vendas")
    assert refused["_aws"]["CloudWatchMetrics"][0]["Dimensions"] == [["stage"]] and "dataset" not in refused


def test_disabled_metrics_print_nothing(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("POWERTOOLS_METRICS_DISABLED", "true")
    count("RowsCurated", 12, stage="transform", dataset="erp.vendas")
    assert capsys.readouterr().out == ""
