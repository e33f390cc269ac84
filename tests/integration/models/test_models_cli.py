"""``cornlake models list | graph | run`` against the local lake, and a bad model said plainly."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from models_lake import land_samples, query

from cornlake.modeling.project import default_models_dir
from cornlake.settings import MODELS_DIR_ENV
from cornlake_toolkit import cli, target
from cornlake_toolkit.local import LocalLake


def test_list_and_graph_show_each_model_and_what_it_reads(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["models", "list"]) == 0
    listed = capsys.readouterr().out
    assert "vendas_diarias_uf" in listed and "incremental" in listed and "erp_vendas" in listed
    assert cli.main(["models", "graph", "--format", "dot"]) == 0
    dot = capsys.readouterr().out
    assert (
        '"erp_vendas" -> "vendas_diarias_uf";' in dot and '"vendas_diarias_uf" -> "anomalias_vendas";' in dot
    )
    assert '"ref_lojas_latest" [shape=box];' in dot


def test_describe_shows_a_models_inputs_readers_columns_rules_and_sql(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert cli.main(["models", "describe", "vendas_diarias_uf"]) == 0
    text = capsys.readouterr().out
    for fragment in (
        "vendas_diarias_uf (sql model",
        "materialization: incremental, partitioned by mes",
        "reads: erp_vendas",
        "read by: anomalias_vendas, receita_mensal_uf",
        "decimal(38,2)",
        'IsComplete "dia" (error)',
        "FROM erp_vendas",
    ):
        assert fragment in text, fragment
    assert cli.main(["models", "describe", "nope"]) == 2
    assert "no such model" in capsys.readouterr().err


def test_a_broken_model_is_an_error_with_its_file_and_a_hint(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "m.sql").write_text("SELECT uf FROM m", encoding="utf-8")
    (tmp_path / "m.yml").write_text("description: d\nowner: o\n", encoding="utf-8")
    monkeypatch.setenv(MODELS_DIR_ENV, str(tmp_path))
    assert cli.main(["models", "list"]) == 2
    err = capsys.readouterr().err
    assert f"error: {tmp_path / 'm.sql'}: models form a cycle: m -> m" in err and "hint:" in err


def test_run_builds_the_selected_models_on_the_local_lake(
    stack: LocalLake,
    names: dict[str, Any],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    land_samples(stack, names)
    monkeypatch.setenv("CORNLAKE_HOME", str(tmp_path))
    target.write_local_state(stack.describe())
    assert default_models_dir().is_dir()
    assert cli.main(["models", "run", "--select", "vendas_diarias_uf+"]) == 0
    out = capsys.readouterr().out
    assert "vendas_diarias_uf" in out and "anomalias_vendas" in out and "succeeded" in out
    assert "vendas_por_uf" not in out  # not downstream of the selection
    assert query(stack, names, "SELECT count(*) AS n FROM anomalias_vendas")[0]["n"] > 0
    assert cli.main(["models", "run", "--select", "vendas_diarias_uf", "--full-refresh"]) == 0
    assert "2026-10, 2026-11" in capsys.readouterr().out
