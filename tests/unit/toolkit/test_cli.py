"""The CLI as a newcomer meets it, with no lake running: messages, tables, contracts, ports, paths."""

from __future__ import annotations

import shutil
import socket
from pathlib import Path

import pytest
import yaml

from cornlake_toolkit import cli, target
from cornlake_toolkit.errors import UsageError
from cornlake_toolkit.local import LocalLake
from cornlake_toolkit.output import table_text
from helpers import DATASETS


def test_tables_are_aligned_show_no_none_and_right_align_numbers() -> None:
    text = table_text(["dataset", "rows", "error"], [["erp/vendas", 38, None], ["ref/lojas", 1200, "x"]])
    lines = text.splitlines()
    assert "None" not in text
    assert lines[2].split() == ["erp/vendas", "38"] and lines[3].split() == ["ref/lojas", "1200", "x"]
    assert lines[2].index("38") + 2 == lines[3].index("1200") + 4  # numbers end in one column
    assert len({len(line) for line in lines[:2]}) == 1


def test_describe_shows_everything_that_decides_how_a_file_is_read(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert cli.main(["describe", "erp/vendas"]) == 0
    text = capsys.readouterr().out
    for fragment in (
        "delimiter ';'",
        "decimal mark ','",
        "thousands '.'",
        "'NULL'",
        "'-'",
        "'%d/%m/%Y'",
        "'%d/%m/%Y %H:%M:%S'",
        "America/Sao_Paulo",
        "encoding latin-1",
        "Município",
        "decimal(14,2)",
        "NOT NULL",
        "PII",
        'ColumnValues "quantidade" between 1 and 10000 (error)',
        'ColumnValues "uf" in ["AC", "AL",',
        "quality rules (check after publish)",
    ):
        assert fragment in text, fragment


def test_one_broken_contract_leaves_the_others_working(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # GIVEN the shipped contracts plus one with a mistake
    shutil.copytree(DATASETS, tmp_path / "datasets")
    (tmp_path / "datasets" / "shop").mkdir()
    (tmp_path / "datasets" / "shop" / "orders.yaml").write_text(
        yaml.safe_dump({"source": "shop", "dataset": "orders"})
    )
    monkeypatch.setenv("CORNLAKE_DATASETS_DIR", str(tmp_path / "datasets"))
    # WHEN a user lists and describes datasets
    code = cli.main(["datasets"])
    listing = capsys.readouterr().out
    # THEN every good one is listed, the broken one with its error, and describing a good one works
    assert code == 1
    assert all(name in listing for name in ("app/events", "erp/vendas", "ref/lojas"))
    assert "shop/orders" in listing and "BROKEN" in listing and "field 'columns'" in listing
    assert cli.main(["describe", "ref/lojas"]) == 0
    assert cli.main(["describe", "shop/orders"]) == 2
    assert "orders.yaml" in capsys.readouterr().err


def test_a_busy_port_is_one_line_naming_the_flag(capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        with pytest.raises(UsageError, match=f"port {port} is already in use") as caught:
            LocalLake(api_port=port)
        assert "--api-port" in caught.value.hint
        assert cli.main(["local", "start", "--moto-port", str(port)]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and "--moto-port" in err


def test_the_default_ports_are_not_localstacks() -> None:
    start = cli.build_parser().parse_args(["local", "start"])
    assert start.moto_port != 4566 and start.api_port == 3000


def test_the_state_file_is_found_from_anywhere_in_the_project(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = tmp_path / "lake"
    (project / "datasets" / "erp").mkdir(parents=True)
    (project / "template.yaml").write_text("Resources: {}\n")
    monkeypatch.delenv("CORNLAKE_HOME", raising=False)
    monkeypatch.chdir(project / "datasets" / "erp")
    assert target.state_file() == project / ".cornlake" / "local.json"
    monkeypatch.setenv("CORNLAKE_HOME", str(tmp_path / "elsewhere"))
    assert target.state_file() == tmp_path / "elsewhere" / ".cornlake" / "local.json"


def test_no_running_lake_is_a_message_with_what_to_do(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("CORNLAKE_HOME", str(tmp_path))
    assert cli.main(["query", "SELECT 1"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: no local lake is running") and "cornlake local start" in err
