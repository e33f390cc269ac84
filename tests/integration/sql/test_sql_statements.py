"""SHOW and DESCRIBE answered from Glue as Athena answers them; statements that would change
the lake refused; empty queries, comments and syntax errors told apart."""

from __future__ import annotations

import pytest
from sql_lake import MONTHS, Lake

from cornlake.catalog.tables import ensure_ops_tables
from cornlake_toolkit.errors import QueryError


def test_show_tables_lists_the_database_and_filters_with_like(vendas: Lake) -> None:
    ensure_ops_tables(
        vendas.glue, database=vendas.names["ops_glue_database"], bucket=vendas.names["ops_bucket"]
    )
    with vendas.engine() as engine:
        assert engine.query("SHOW TABLES").rows == [("erp_vendas",)]
        ops = engine.query(f"SHOW TABLES IN {vendas.names['ops_glue_database']}")
        liked = engine.query(f"SHOW TABLES FROM {vendas.names['ops_glue_database']} LIKE 'ru%'").rows
        databases = engine.query("SHOW DATABASES").rows
    assert ops.columns == ["tab_name"] and {("quality_results",), ("runs",)} <= set(ops.rows)
    assert ops.rows == sorted(ops.rows)
    assert liked == [("runs",)]
    assert (vendas.database,) in databases


def test_show_columns_and_describe_give_the_glue_schema_with_partitions(vendas: Lake) -> None:
    with vendas.engine() as engine:
        fields = engine.query("SHOW COLUMNS FROM erp_vendas")
        described = engine.query(f"DESCRIBE {vendas.database}.erp_vendas")
    assert (
        fields.columns == ["field"] and fields.rows[0] == ("id_venda",) and fields.rows[-1] == ("mes_venda",)
    )
    assert described.columns == ["col_name", "data_type", "comment"]
    assert described.rows[0][:2] == ("id_venda", "bigint")
    marker = described.rows.index(("# Partition Information", "", ""))
    assert described.rows[marker + 3][:2] == ("mes_venda", "string")


def test_show_partitions_lists_the_registered_partitions(vendas: Lake) -> None:
    with vendas.engine() as engine:
        result = engine.query("SHOW PARTITIONS erp_vendas")
    assert result.columns == ["partition"]
    assert result.rows == [(f"mes_venda={m}",) for m in sorted(MONTHS)]


@pytest.mark.parametrize(
    "statement",
    [
        "DROP TABLE erp_vendas",
        "INSERT INTO erp_vendas SELECT * FROM erp_vendas",
        "CREATE TABLE x AS SELECT 1",
        "DELETE FROM erp_vendas",
        "ALTER TABLE erp_vendas ADD COLUMNS (x int)",
        "MERGE INTO erp_vendas t USING erp_vendas s ON t.id_venda = s.id_venda WHEN MATCHED THEN DELETE",
        "MSCK REPAIR TABLE erp_vendas",
        "UNLOAD (SELECT 1) TO 's3://x/' WITH (format = 'JSON')",
        "  -- a comment first\n  update erp_vendas set uf = 'SP'",
    ],
)
def test_statements_that_change_the_lake_are_refused(vendas: Lake, statement: str) -> None:
    with vendas.engine() as engine, pytest.raises(QueryError) as err:
        engine.query(statement)
    assert "is not run by the local engine" in err.value.message and "read-only" in err.value.message
    assert vendas.glue.get_table(DatabaseName=vendas.database, Name="erp_vendas")  # still there


@pytest.mark.parametrize(
    ("sql", "said"),
    [
        ("", "the query is empty"),
        ("   \n ", "the query is empty"),
        ("-- just a comment", "the query is only a comment"),
        ("/* a\nblock */ ;", "the query is only a comment"),
        ("SELECT 1; SELECT 2", "2 statements"),
        ("SELECT uf\nFROM erp_vendas\nWHERE (uf = ", "syntax error at line 3, column"),
    ],
)
def test_empty_queries_comments_and_syntax_errors_are_told_apart(vendas: Lake, sql: str, said: str) -> None:
    with vendas.engine() as engine, pytest.raises(QueryError) as err:
        engine.query(sql)
    assert said in err.value.message


def test_a_syntax_error_shows_the_line_with_a_caret(vendas: Lake) -> None:
    with vendas.engine() as engine, pytest.raises(QueryError) as err:
        engine.query("SELECT uf,\n  count(* FROM erp_vendas")
    assert err.value.message.startswith("syntax error at line 2, column")
    assert "count(* FROM erp_vendas\n" in (err.value.hint or "") and "^" in (err.value.hint or "")


def test_functions_the_engine_cannot_run_are_refused_by_name_with_an_alternative(vendas: Lake) -> None:
    with vendas.engine() as engine, pytest.raises(QueryError) as err:
        engine.query("SELECT xxhash64(to_utf8(uf)) FROM erp_vendas")
    assert err.value.message.startswith("xxhash64() cannot run on the local engine")
    assert "sha256()" in (err.value.hint or "")
