"""Models triggered by data, through the local runtime: a file dropped in the landing bucket goes
copy → transform → catalog, the catalog announces the changed tables on the models queue, and
the model function builds the models reading them, each run record chained to the catalog's."""

from __future__ import annotations

import json
from collections import defaultdict
from decimal import Decimal
from typing import Any

import pytest

from cornlake_toolkit.local import LocalLake
from cornlake_toolkit.sql import LocalSqlEngine
from helpers import list_keys, openlineage_problems, run_records, sample

pytestmark = pytest.mark.e2e


def rows(lake: LocalLake, sql: str) -> list[dict[str, Any]]:
    names = lake.describe()
    with LocalSqlEngine(lake.client("glue"), lake.client("s3"), names["glue_database"]) as engine:
        result = engine.query(sql)
    return [dict(zip(result.columns, row, strict=True)) for row in result.rows]


def drop(lake: LocalLake, key: str, body: bytes) -> None:
    lake.client("s3").put_object(Bucket=lake.describe()["landing_bucket"], Key=key, Body=body)
    lake.wait_until_idle(timeout=120)


def sale(id_venda: int, day: str, uf: str, city: str, total: str) -> bytes:
    header = sample("erp/samples/vendas.csv").read_bytes().decode("latin-1").splitlines()[0]
    return f"{header}\n{id_venda};{day};{day} 09:00:00;Ana;{city};{uf};Café;1;{total};{total}\n".encode(
        "latin-1"
    )


def test_new_data_runs_the_models_that_read_it_through_the_queue(fresh: LocalLake) -> None:
    names = fresh.describe()
    # WHEN the store list and then the sales arrive through the landing bucket
    drop(fresh, "ref/lojas/lojas.json", sample("ref/samples/lojas.json").read_bytes())
    drop(fresh, "erp/vendas/vendas.csv", sample("erp/samples/vendas.csv").read_bytes())
    # THEN the models reading them were built by the model function, with no handler errors
    assert fresh.errors == []
    expected: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    for r in rows(fresh, "SELECT data_venda, uf, valor_total FROM erp_vendas"):
        expected[(r["data_venda"].isoformat(), r["uf"])] += r["valor_total"]
    got = rows(fresh, "SELECT CAST(dia AS varchar) AS dia, uf, receita FROM vendas_diarias_uf")
    assert {(r["dia"], r["uf"]): r["receita"] for r in got} == dict(expected)
    scores = rows(fresh, "SELECT count(*) AS n FROM anomalias_vendas")
    assert scores == [{"n": len(got)}]
    assert rows(fresh, "SELECT count(*) AS n FROM receita_por_municipio")[0]["n"] > 0
    # AND each model run hangs under a models run, which hangs under the catalog run of the batch
    runs = run_records(fresh, names["ops_bucket"])
    catalog = {r["run_id"]: r for r in runs if r["stage"] == "catalog"}
    triggers = {r["run_id"]: r for r in runs if r["stage"] == "models"}
    assert triggers and all(t["parent_run_id"] in catalog for t in triggers.values())
    built = [r for r in runs if r["stage"] == "model" and r["status"] == "succeeded"]
    assert {r["dataset"] for r in built} >= {"vendas_diarias_uf", "anomalias_vendas", "receita_por_municipio"}
    assert all(r["parent_run_id"] in triggers for r in built)
    # AND they ran as Athena UNLOADs in the models workgroup (the emulated Athena ran them on
    # DuckDB), whose Parquet the function fetched and deleted
    athena = fresh.client("athena")
    workgroup = f"{names['stack_name']}-models"
    ids = athena.list_query_executions(WorkGroup=workgroup)["QueryExecutionIds"]
    queries = [athena.get_query_execution(QueryExecutionId=i)["QueryExecution"] for i in ids]
    assert queries and all(q["Status"]["State"] == "SUCCEEDED" for q in queries)
    assert any(
        q["Query"].startswith("UNLOAD (SELECT") and "vendas_diarias_uf/_unload/" in q["Query"]
        for q in queries
    )
    assert not [k for k in list_keys(fresh, names["curated_bucket"], "tables/models/") if "/_unload/" in k]
    # AND each model run is an OpenLineage job: its input tables in, its own table out
    events = [
        json.loads(fresh.client("s3").get_object(Bucket=names["ops_bucket"], Key=k)["Body"].read())
        for k in list_keys(fresh, names["ops_bucket"], "lineage/")
    ]
    daily = [e for e in events if e["job"]["name"] == "models.vendas_diarias_uf.model"]
    assert {e["eventType"] for e in daily} == {"START", "COMPLETE"}
    complete = next(e for e in daily if e["eventType"] == "COMPLETE")
    database = names["glue_database"]
    assert [d["name"] for d in complete["inputs"]] == [f"table/{database}/erp_vendas"]
    assert [d["name"] for d in complete["outputs"]] == [f"table/{database}/vendas_diarias_uf"]
    assert complete["run"]["facets"]["parent"]["job"]["name"] == "erp.vendas.models"
    assert all(openlineage_problems(e) == [] for e in daily)


def test_a_new_sale_rebuilds_only_its_month_through_the_trigger(fresh: LocalLake) -> None:
    names = fresh.describe()
    drop(fresh, "erp/vendas/vendas.csv", sample("erp/samples/vendas.csv").read_bytes())
    before = {r["run_id"] for r in run_records(fresh, names["ops_bucket"], "model")}
    drop(fresh, "erp/vendas/mais-uma.csv", sale(990010, "25/11/2026", "MG", "Belo Horizonte", "10,00"))
    assert fresh.errors == []
    latest = [
        r
        for r in run_records(fresh, names["ops_bucket"], "model")
        if r["run_id"] not in before and r["dataset"] == "vendas_diarias_uf"
    ]
    [details] = [json.loads(r["details"]) for r in latest]
    # the batch wrote November only: the model read November only (Athena was asked for it) and
    # rebuilt it, and October's partition stayed where it was
    assert details["scope"] == ["2026-11"] and details["partitions_rebuilt"] == ["2026-11"]
    assert details["partitions_removed"] == [] and details["partitions_kept"] == []
    athena = fresh.client("athena")
    ids = athena.list_query_executions(WorkGroup=f"{names['stack_name']}-models")["QueryExecutionIds"]
    scoped = [
        q["Query"]
        for q in (athena.get_query_execution(QueryExecutionId=i)["QueryExecution"] for i in ids)
        if "vendas_diarias_uf/_unload/" in q["Query"] and "IN ('2026-11')" in q["Query"]
    ]
    assert len(scoped) == 1 and '"erp_vendas"."mes_venda" IN (\'2026-11\')' in scoped[0]
    got = rows(fresh, "SELECT receita FROM vendas_diarias_uf WHERE dia = DATE '2026-11-25' AND uf = 'MG'")
    expected = rows(
        fresh,
        "SELECT sum(valor_total) AS s FROM erp_vendas WHERE data_venda = DATE '2026-11-25' AND uf = 'MG'",
    )
    assert got == [{"receita": expected[0]["s"]}]
    # AND the whole table still answers like the dataset, October included
    everything = rows(fresh, "SELECT count(*) AS n, sum(receita) AS r FROM vendas_diarias_uf")
    total = rows(fresh, "SELECT sum(valor_total) AS r FROM erp_vendas")
    assert everything[0]["r"] == total[0]["r"]
    table = fresh.client("glue").get_table(DatabaseName=names["glue_database"], Name="vendas_diarias_uf")
    assert table["Table"]["Parameters"]["cornlake.row_count"] == str(everything[0]["n"])


def test_the_daily_schedule_runs_every_model(fresh: LocalLake) -> None:
    names = fresh.describe()
    drop(fresh, "erp/vendas/vendas.csv", sample("erp/samples/vendas.csv").read_bytes())
    answer = fresh.schedules.fire("Daily")
    assert answer["status"] == "succeeded"
    assert answer["models"]["vendas_diarias_uf"] == "succeeded"
    assert answer["models"]["receita_por_municipio"] == "skipped"  # no store list has arrived yet
    [scheduled] = [
        r for r in run_records(fresh, names["ops_bucket"], "models") if r["run_id"] == answer["run_id"]
    ]
    assert scheduled["parent_run_id"] == ""
