"""Outputs are swapped in whole: an incremental run rebuilds only the partitions whose rows
changed, and a model that fails (at run time, or by its quality rules) leaves the previous
output readable and untouched."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from models_lake import land, land_samples, new_sale, partitions, query, run

from cornlake.keys import new_generation_id
from cornlake.modeling import load_project
from cornlake.modeling.project import default_models_dir
from cornlake_toolkit.local import LocalLake
from helpers import list_keys

DAILY = "SELECT CAST(dia AS varchar) AS dia, uf, receita, vendas FROM vendas_diarias_uf ORDER BY dia, uf"


@pytest.fixture
def models(tmp_path: Path) -> Path:
    """A copy of the sample models, to break on purpose."""
    folder = tmp_path / "models"
    shutil.copytree(default_models_dir(), folder)
    return folder


def test_an_incremental_run_rebuilds_only_the_partitions_whose_rows_changed(
    stack: LocalLake, names: dict[str, Any]
) -> None:
    # GIVEN the daily and the per-state models built once
    land_samples(stack, names)
    run(stack, names, select="vendas_diarias_uf")
    run(stack, names, select="vendas_por_uf")
    daily_before, states_before = (
        partitions(stack, names, "vendas_diarias_uf"),
        partitions(stack, names, "vendas_por_uf"),
    )
    rows_before = query(stack, names, DAILY)
    # WHEN one more sale of November arrives, in SP
    land(
        stack,
        names,
        "erp",
        "vendas",
        new_sale(990001, "20/11/2026", "SP", "São Paulo", "100,00"),
        "00000000ffff",
    )
    records = run(stack, names, select="vendas_diarias_uf")
    records |= run(stack, names, select="vendas_por_uf")
    # THEN only November is rebuilt in the daily model, and only SP in the per-state one
    assert records["vendas_diarias_uf"].details["partitions_rebuilt"] == ["2026-11"]
    assert records["vendas_diarias_uf"].details["partitions_kept"] == ["2026-10"]
    assert records["vendas_por_uf"].details["partitions_rebuilt"] == ["SP"]
    daily_after, states_after = (
        partitions(stack, names, "vendas_diarias_uf"),
        partitions(stack, names, "vendas_por_uf"),
    )
    assert (
        daily_after["2026-10"] == daily_before["2026-10"]
        and daily_after["2026-11"] != daily_before["2026-11"]
    )
    assert {k: v for k, v in states_after.items() if k != "SP"} == {
        k: v for k, v in states_before.items() if k != "SP"
    }
    # AND the new sale is counted where it belongs, everything else as it was
    changed = [r for r in query(stack, names, DAILY) if r not in rows_before]
    assert [(r["dia"], r["uf"]) for r in changed] == [("2026-11-20", "SP")]
    old = next(
        (r for r in rows_before if (r["dia"], r["uf"]) == ("2026-11-20", "SP")), {"receita": 0, "vendas": 0}
    )
    assert changed[0]["receita"] == old["receita"] + 100 and changed[0]["vendas"] == old["vendas"] + 1


def test_a_run_with_nothing_new_rebuilds_nothing_and_full_refresh_rebuilds_all(
    stack: LocalLake, names: dict[str, Any]
) -> None:
    land_samples(stack, names)
    run(stack, names, select="vendas_diarias_uf")
    again = run(stack, names, select="vendas_diarias_uf")["vendas_diarias_uf"]
    assert again.details["partitions_rebuilt"] == [] and again.output_keys == []
    refreshed = run(stack, names, select="vendas_diarias_uf", full_refresh=True)["vendas_diarias_uf"]
    assert refreshed.details["partitions_rebuilt"] == ["2026-10", "2026-11"]


def test_a_model_that_fails_at_run_time_leaves_the_previous_output_readable(
    stack: LocalLake, names: dict[str, Any], models: Path
) -> None:
    # GIVEN the models built once
    land_samples(stack, names)
    run(stack, names, load_project(models))
    before, rows = partitions(stack, names, "vendas_diarias_uf"), query(stack, names, DAILY)
    objects = list_keys(stack, names["curated_bucket"], "tables/models/")
    # WHEN the daily model is changed into one that fails on DuckDB, and new data arrives
    sql = (models / "vendas_diarias_uf.sql").read_text(encoding="utf-8")
    (models / "vendas_diarias_uf.sql").write_text(
        sql.replace("count(*) AS vendas", "count(CAST(uf AS integer)) AS vendas")
    )
    land(
        stack,
        names,
        "erp",
        "vendas",
        new_sale(990002, "21/11/2026", "RJ", "Rio de Janeiro", "50,00"),
        "00000000eeee",
    )
    records = run(stack, names, load_project(models))
    # THEN its run is recorded as failed, with why, and the models reading it did not run
    assert records["vendas_diarias_uf"].status == "failed"
    assert records["vendas_diarias_uf"].error.startswith(
        "query_error: Conversion Error: Could not convert string"
    )
    assert records["anomalias_vendas"].status == "failed"
    assert (
        records["anomalias_vendas"].error == "not run: its input vendas_diarias_uf did not build in this run"
    )
    assert records["vendas_por_uf"].status == "succeeded"  # models not reading it still build
    # AND readers see the previous output, whole: same partitions, same files, same rows
    assert partitions(stack, names, "vendas_diarias_uf") == before and query(stack, names, DAILY) == rows
    assert [k for k in list_keys(stack, names["curated_bucket"], "tables/models/vendas_diarias_uf/")] == [
        k for k in objects if k.startswith("tables/models/vendas_diarias_uf/")
    ]


def test_a_failed_quality_rule_holds_the_new_output_back(
    stack: LocalLake, names: dict[str, Any], models: Path
) -> None:
    land_samples(stack, names)
    run(stack, names, load_project(models), select="receita_por_municipio")
    glue = stack.client("glue")
    location = glue.get_table(DatabaseName=names["glue_database"], Name="receita_por_municipio")["Table"][
        "StorageDescriptor"
    ]["Location"]
    rows = query(stack, names, "SELECT * FROM receita_por_municipio ORDER BY municipio")
    sidecar = models / "receita_por_municipio.yml"
    sidecar.write_text(sidecar.read_text(encoding="utf-8") + '  - ColumnValues "receita" > 100000000\n')
    land(
        stack,
        names,
        "erp",
        "vendas",
        new_sale(990003, "22/11/2026", "SP", "São Paulo", "75,00"),
        "00000000dddd",
    )
    held = run(stack, names, load_project(models), select="receita_por_municipio")["receita_por_municipio"]
    assert held.status == "held" and 'ColumnValues "receita" > 100000000' in held.error
    after = glue.get_table(DatabaseName=names["glue_database"], Name="receita_por_municipio")["Table"]
    assert after["StorageDescriptor"]["Location"] == location
    assert query(stack, names, "SELECT * FROM receita_por_municipio ORDER BY municipio") == rows


def test_an_unpartitioned_table_moves_to_its_new_files_in_one_update_and_old_generations_go(
    stack: LocalLake, names: dict[str, Any]
) -> None:
    land_samples(stack, names)
    glue = stack.client("glue")
    locations = []
    for _ in range(3):
        run(stack, names, select="receita_por_municipio", grace=timedelta(0))
        table = glue.get_table(DatabaseName=names["glue_database"], Name="receita_por_municipio")["Table"]
        locations.append(table["StorageDescriptor"]["Location"])
    assert len(set(locations)) == 3
    # the current generation and the one before it stay (queries in flight), older ones are deleted
    prefix = f"s3://{names['curated_bucket']}/"
    objects = list_keys(stack, names["curated_bucket"], "tables/models/receita_por_municipio/")
    assert {k.rsplit("/", 1)[0] + "/" for k in objects} == {loc.removeprefix(prefix) for loc in locations[1:]}
    versions = glue.get_table_versions(DatabaseName=names["glue_database"], TableName="receita_por_municipio")
    assert len(versions["TableVersions"]) >= 3


def test_a_generation_another_run_is_still_writing_is_not_collected(
    stack: LocalLake, names: dict[str, Any]
) -> None:
    # GIVEN a generation folder written moments ago by another run (not swapped in yet), and a stale one
    land_samples(stack, names)
    s3, bucket = stack.client("s3"), names["curated_bucket"]
    base = "tables/models/receita_por_municipio/_gen/"
    fresh = f"{base}{new_generation_id(datetime.now(UTC))}/part-0000.parquet"
    stale = f"{base}{new_generation_id(datetime.now(UTC) - timedelta(days=2))}/part-0000.parquet"
    for key in (fresh, stale):
        s3.put_object(Bucket=bucket, Key=key, Body=b"in flight")
    # WHEN the model runs with the default grace
    record = run(stack, names, select="receita_por_municipio")["receita_por_municipio"]
    # THEN the stale generation is gone, the fresh one kept, beside the run's own
    objects = list_keys(stack, bucket, base)
    assert fresh in objects and stale not in objects and record.output_keys[0] in objects
