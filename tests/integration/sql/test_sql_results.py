"""Results as Athena gives them: column names, timestamps written with their precision and
zone, and the CLI's outputs (table, CSV, JSON on stdout; .csv, .json, .parquet files)."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from sql_lake import Lake

from cornlake_toolkit.cli.query import report_time, show, write_output
from cornlake_toolkit.errors import UsageError

QUERY = (
    "SELECT uf, count(*), sum(valor_total) AS total, min(registrada_em), "
    "min(registrada_em) AT TIME ZONE 'America/Sao_Paulo' AS local FROM erp_vendas "
    "WHERE mes_venda = '2026-11' GROUP BY uf ORDER BY uf"
)


def test_unnamed_columns_are_named_as_athena_names_them(vendas: Lake) -> None:
    with vendas.engine() as engine:
        result = engine.query(QUERY)
        star = engine.query(
            "SELECT * FROM (SELECT count(*), max(uf) m FROM erp_vendas WHERE mes_venda = '2026-01')"
        )
    assert result.columns == ["uf", "_col1", "total", "_col3", "local"]
    assert star.columns == ["_col0", "m"]


def test_tables_and_csv_write_values_as_athena_does(vendas: Lake, capsys: pytest.CaptureFixture[str]) -> None:
    with vendas.engine() as engine:
        result = engine.query(QUERY)
    show(result, "csv")
    rows = list(csv.reader(capsys.readouterr().out.splitlines()))
    assert rows[0] == ["uf", "_col1", "total", "_col3", "local"]
    # a Glue timestamp has no zone (Athena reads Parquet's UTC-adjusted ones as their UTC clock)
    assert rows[1] == [
        "PE",
        "1",
        "10.50",
        "2026-11-05 13:30:00.000",
        "2026-11-05 10:30:00.000 America/Sao_Paulo",
    ]
    show(result, "table")
    table = capsys.readouterr().out
    assert "2026-11-05 13:30:00.000  " in table and "(2 rows, duckdb (local))" in table


def test_output_files_by_extension(vendas: Lake, tmp_path: Path) -> None:
    with vendas.engine() as engine:
        result = engine.query(QUERY)
    write_output(result, tmp_path / "r.csv")
    write_output(result, tmp_path / "r.json")
    write_output(result, tmp_path / "r.parquet")
    assert (tmp_path / "r.csv").read_text().splitlines()[2].startswith("SP,2,21.00,")
    data = json.loads((tmp_path / "r.json").read_text())
    assert data[0] == {
        "uf": "PE",
        "_col1": 1,
        "total": "10.50",
        "_col3": "2026-11-05 13:30:00.000",
        "local": "2026-11-05 10:30:00.000 America/Sao_Paulo",
    }
    table = pq.read_table(tmp_path / "r.parquet")
    assert table.column_names == result.columns and table.num_rows == 2
    assert table.column("_col1").to_pylist() == [1, 2]
    with pytest.raises(UsageError):
        write_output(result, tmp_path / "r.xlsx")


def test_slow_queries_say_how_long_they_took(capsys: pytest.CaptureFixture[str]) -> None:
    report_time(0.5)
    assert capsys.readouterr().err == ""
    report_time(2.5)
    assert capsys.readouterr().err.strip() == "(2.5s)"
