"""``cornlake sql translate``: the DuckDB SQL the engine runs, with no lake running (tables
typed from the dataset contracts), and the errors a query gets before it runs."""

from __future__ import annotations

import pytest

from cornlake_toolkit import cli
from cornlake_toolkit.errors import QueryError
from cornlake_toolkit.sql import LocalSqlEngine, translate


def test_translate_needs_no_lake_for_a_query_without_tables(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["sql", "translate", "SELECT array_distinct(ARRAY[1, NULL, 1])"]) == 0
    out = capsys.readouterr().out
    assert "LIST_FILTER" in out.upper() and "_col0" in out


def test_translate_types_tables_from_their_contracts(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # GIVEN no local lake (no state file where the CLI looks for one)
    monkeypatch.setenv("CORNLAKE_HOME", "/nonexistent-cornlake-home")
    # WHEN a query divides two integer columns of a dataset's table
    assert cli.main(["sql", "translate", "SELECT quantidade / 2 FROM erp_vendas"]) == 0
    out = capsys.readouterr().out
    # THEN the division is an integer division (the contract says quantidade is an int), over
    # the table in the local lake's database
    assert "TRUNC(erp_vendas.quantidade / 2)" in out and "cornlake_local.erp_vendas" in out


def test_translate_refuses_what_the_engine_refuses(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["sql", "translate", "DROP TABLE erp_vendas"]) == 2
    assert "read-only" in capsys.readouterr().err
    assert cli.main(["sql", "translate", "SELECT (1"]) == 2
    assert "syntax error at line 1, column" in capsys.readouterr().err


def test_translate_is_what_the_engine_runs() -> None:
    sql = "SELECT regexp_replace('2024-01-15', '(\\d+)-(\\d+)-(\\d+)', '$3/$2/$1')"
    with LocalSqlEngine(None, None, "default") as engine:
        result = engine.query(sql)
    assert result.executed_sql == translate(sql) and result.rows == [("15/01/2024",)]


def test_an_engine_without_catalog_says_so_when_a_query_names_a_table() -> None:
    with LocalSqlEngine(None, None, "default") as engine, pytest.raises(QueryError) as err:
        engine.query("SELECT * FROM erp_vendas")
    assert "no catalog" in err.value.message
