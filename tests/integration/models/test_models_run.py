"""The sample models over the sample datasets on the local lake: each output equals the same
aggregate computed here from the curated files, and reads as a dataset's table does."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from typing import Any

import pytest
from models_lake import curated_rows, land_samples, query, run

from cornlake.modeling import load_project
from cornlake_toolkit.local import LocalLake
from helpers import list_keys, read_jsonl


@pytest.fixture
def built(stack: LocalLake, names: dict[str, Any]) -> dict[str, Any]:
    land_samples(stack, names)
    return run(stack, names)


def test_every_sample_model_builds(built: dict[str, Any]) -> None:
    assert {n: r.status for n, r in built.items()} == dict.fromkeys(
        [
            "vendas_diarias_uf",
            "anomalias_vendas",
            "receita_mensal_uf",
            "receita_por_municipio",
            "vendas_por_uf",
        ],
        "succeeded",
    )


def test_the_daily_aggregate_is_revenue_by_day_and_state(
    stack: LocalLake, names: dict[str, Any], built: dict[str, Any]
) -> None:
    expected: dict[tuple[str, str], list[Any]] = defaultdict(lambda: [Decimal(0), 0])
    for row in curated_rows(stack, names, "erp", "vendas"):
        key = (row["data_venda"].isoformat(), row["uf"])
        expected[key][0] += row["valor_total"]
        expected[key][1] += 1
    got = query(
        stack, names, "SELECT CAST(dia AS varchar) AS dia, uf, receita, vendas, mes FROM vendas_diarias_uf"
    )
    assert {(r["dia"], r["uf"]): [r["receita"], r["vendas"]] for r in got} == dict(expected)
    assert all(r["mes"] == r["dia"][:7] for r in got)


def test_the_join_puts_each_municipality_next_to_its_active_stores(
    stack: LocalLake, names: dict[str, Any], built: dict[str, Any]
) -> None:
    stores: dict[tuple[str, str], list[float]] = defaultdict(list)
    for row in curated_rows(stack, names, "ref", "lojas"):
        if row["ativa"]:
            stores[(row["municipio"], row["uf"])].append(row["area_m2"])
    revenue: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    for row in curated_rows(stack, names, "erp", "vendas"):
        revenue[(row["municipio"], row["uf"])] += row["valor_total"]
    got = query(
        stack, names, "SELECT municipio, uf, receita, lojas_ativas, area_m2 FROM receita_por_municipio"
    )
    assert {(r["municipio"], r["uf"]): r["receita"] for r in got} == dict(revenue)
    for r in got:
        areas = stores.get((r["municipio"], r["uf"]), [])
        assert r["lojas_ativas"] == (len(areas) or None)
        assert r["area_m2"] == (pytest.approx(sum(areas)) if areas else None)


def test_the_separation_model_gives_each_state_a_partition_of_its_own(
    stack: LocalLake, names: dict[str, Any], built: dict[str, Any]
) -> None:
    sales = curated_rows(stack, names, "erp", "vendas")
    glue = stack.client("glue")
    parts = glue.get_partitions(DatabaseName=names["glue_database"], TableName="vendas_por_uf")["Partitions"]
    assert sorted(p["Values"][0] for p in parts) == sorted({r["uf"] for r in sales})
    for part in parts:
        uf = part["Values"][0]
        assert part["StorageDescriptor"]["Location"].startswith(
            f"s3://{names['curated_bucket']}/tables/models/vendas_por_uf/_gen/uf={uf}/"
        )
        got = query(stack, names, f"SELECT id_venda FROM vendas_por_uf WHERE uf = '{uf}'")
        assert sorted(r["id_venda"] for r in got) == sorted(r["id_venda"] for r in sales if r["uf"] == uf)
    columns = [
        c["Name"]
        for c in glue.get_table(DatabaseName=names["glue_database"], Name="vendas_por_uf")["Table"][
            "StorageDescriptor"
        ]["Columns"]
    ]
    assert "cliente" not in columns
    # columns passed through keep the description the dataset's contract gives them
    table = glue.get_table(DatabaseName=names["glue_database"], Name="vendas_por_uf")["Table"]
    comments = {c["Name"]: c["Comment"] for c in table["StorageDescriptor"]["Columns"]}
    assert comments["data_venda"] == "Data da venda" and comments["produto"] == "Descrição do produto"
    assert table["Parameters"]["cornlake.pii_columns"] == ""


def test_the_view_sums_the_daily_model_by_month(
    stack: LocalLake, names: dict[str, Any], built: dict[str, Any]
) -> None:
    monthly: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    for row in curated_rows(stack, names, "erp", "vendas"):
        monthly[(row["data_venda"].isoformat()[:7], row["uf"])] += row["valor_total"]
    got = query(stack, names, "SELECT mes, uf, receita FROM receita_mensal_uf")
    assert {(r["mes"], r["uf"]): r["receita"] for r in got} == dict(monthly)
    table = stack.client("glue").get_table(DatabaseName=names["glue_database"], Name="receita_mensal_uf")[
        "Table"
    ]
    assert table["TableType"] == "VIRTUAL_VIEW"


def test_the_ml_model_writes_scores_and_its_metadata(
    stack: LocalLake, names: dict[str, Any], built: dict[str, Any]
) -> None:
    daily = query(stack, names, "SELECT CAST(dia AS varchar) AS dia, uf, receita FROM vendas_diarias_uf")
    scores = query(
        stack,
        names,
        "SELECT CAST(dia AS varchar) AS dia, uf, receita, esperado, score, anomalia FROM anomalias_vendas",
    )
    assert {(r["dia"], r["uf"]) for r in scores} == {(r["dia"], r["uf"]) for r in daily}
    by_state: dict[str, list[float]] = defaultdict(list)
    for r in daily:
        by_state[r["uf"]].append(float(r["receita"]))
    for r in scores:
        values = sorted(by_state[r["uf"]])
        n = len(values)
        median = (values[(n - 1) // 2] + values[n // 2]) / 2
        assert r["esperado"] == pytest.approx(median)
        assert r["anomalia"] == (abs(r["score"]) > 3.5)
    params = stack.client("glue").get_table(DatabaseName=names["glue_database"], Name="anomalias_vendas")[
        "Table"
    ]["Parameters"]
    days = sorted(r["dia"] for r in daily)
    assert (
        params["cornlake.model.training_from"] == days[0] and params["cornlake.model.training_to"] == days[-1]
    )
    assert params["cornlake.model.threshold"] == "3.5" and float(params["cornlake.model.mape"]) >= 0
    assert params["cornlake.model.anomalies"] == str(sum(r["anomalia"] for r in scores))
    assert built["anomalias_vendas"].details["metadata"]["training_rows"] == str(len(daily))


def test_a_model_table_describes_itself_like_a_dataset_table(
    stack: LocalLake, names: dict[str, Any], built: dict[str, Any]
) -> None:
    table = stack.client("glue").get_table(DatabaseName=names["glue_database"], Name="vendas_diarias_uf")[
        "Table"
    ]
    model = load_project().get("vendas_diarias_uf")
    assert table["Description"] == model.description and table["Owner"] == model.owner
    params = table["Parameters"]
    assert params["classification"] == "parquet" and params["cornlake.owner"] == model.owner
    assert params["cornlake.source"] == "models" and params["cornlake.depends_on"] == "erp_vendas"
    assert params["cornlake.materialization"] == "incremental" and params["cornlake.row_count"] == str(
        built["vendas_diarias_uf"].rows_out
    )
    columns = {c["Name"]: c for c in table["StorageDescriptor"]["Columns"]}
    assert columns["receita"]["Comment"] == "Soma de valor_total das vendas do dia, em reais"
    assert columns["receita"]["Parameters"]["cornlake.pii"] == "false"
    assert {n: c["Type"] for n, c in columns.items()} == {
        "dia": "date",
        "uf": "string",
        "receita": "decimal(38,2)",
        "vendas": "bigint",
        "itens": "bigint",
    }  # fmt: skip  (Athena's types for sum and count)
    assert [k["Name"] for k in table["PartitionKeys"]] == ["mes"]


def test_each_model_run_leaves_a_run_record_with_inputs_outputs_and_quality(
    stack: LocalLake, names: dict[str, Any], built: dict[str, Any]
) -> None:
    records = [
        r
        for key in list_keys(stack, names["ops_bucket"], "runs/")
        for r in read_jsonl(stack, names["ops_bucket"], key)
    ]
    daily = next(r for r in records if r["stage"] == "model" and r["dataset"] == "vendas_diarias_uf")
    assert daily["source"] == "models" and daily["status"] == "succeeded"
    assert daily["input_key"] == f"{names['glue_database']}.erp_vendas"
    assert daily["output_keys"] and all(
        k.startswith("tables/models/vendas_diarias_uf/_gen/") for k in daily["output_keys"]
    )
    assert '"partitions_rebuilt"' in daily["details"] and '"row_count": "' in daily["details"]
    results = [
        r
        for key in list_keys(stack, names["ops_bucket"], "quality_results/")
        for r in read_jsonl(stack, names["ops_bucket"], key)
    ]
    mine = [r for r in results if r["dataset"] == "vendas_diarias_uf"]
    assert {r["rule_id"] for r in mine} >= {'IsComplete "dia"', "RowCount >= 1"} and all(
        r["passed"] for r in mine
    )
