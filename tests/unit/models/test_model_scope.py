"""Which incremental models may read only the input partitions a batch changed: the output
partition passes a dataset's partition column through and each output row comes from rows
of that partition. Anything else reads everything (the answer must never depend on it)."""

from __future__ import annotations

from pathlib import Path

import pytest

from cornlake.modeling import load_project
from cornlake.modeling.sqlcheck import scoped_sql

SIDECAR = "description: d\nowner: o\nmaterialization: incremental\npartitioned_by: mes\n"


def source_of(tmp_path: Path, sql: str, sidecar: str = SIDECAR) -> tuple[str, ...]:
    (tmp_path / "m.sql").write_text(sql)
    (tmp_path / "m.yml").write_text(sidecar)
    return tuple(load_project(tmp_path).get("m").partition_source)


def test_the_daily_sample_reads_only_the_changed_months() -> None:
    assert load_project().get("vendas_diarias_uf").partition_source == ("erp_vendas", "mes_venda")
    assert load_project().get("vendas_por_uf").partition_source == ()  # by uf: not the input's partition


def test_a_grouped_passthrough_of_the_partition_column_is_scoped(tmp_path: Path) -> None:
    sql = (
        "SELECT uf, sum(valor_total) AS receita, v.mes_venda AS mes FROM erp_vendas AS v "
        "GROUP BY uf, v.mes_venda"
    )
    assert source_of(tmp_path, sql) == ("erp_vendas", "mes_venda")


@pytest.mark.parametrize(
    "sql",
    [
        # a window over every month: another month's rows change this one's answer
        "SELECT uf, sum(valor_total) OVER (PARTITION BY uf) AS total, mes_venda AS mes FROM erp_vendas",
        # the top rows of all months
        "SELECT uf, mes_venda AS mes FROM erp_vendas ORDER BY valor_total DESC LIMIT 10",
        # a second read of the table (a scalar subquery over every month)
        "SELECT uf, mes_venda AS mes FROM erp_vendas "
        "WHERE valor_total > (SELECT avg(valor_total) FROM erp_vendas)",
        # a join brings another table
        "SELECT v.uf, v.mes_venda AS mes FROM erp_vendas AS v JOIN ref_lojas AS l ON v.uf = l.uf",
        # the partition computed, not passed through
        "SELECT uf, substr(mes_venda, 1, 4) AS mes FROM erp_vendas",
        # another column named like the partition
        "SELECT uf, CAST(data_venda AS varchar) AS mes FROM erp_vendas",
    ],
)
def test_anything_else_reads_every_partition(tmp_path: Path, sql: str) -> None:
    assert source_of(tmp_path, sql) == ()


def test_the_scoped_select_filters_the_input_where_it_is_read() -> None:
    model = load_project().get("vendas_diarias_uf")
    scoped = scoped_sql(model.sql, model.path, ("erp_vendas", "mes_venda"), ["2026-10", "2026-11"])
    assert "FROM erp_vendas WHERE \"erp_vendas\".\"mes_venda\" IN ('2026-10', '2026-11') GROUP BY" in scoped
