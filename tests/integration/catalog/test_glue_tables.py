"""Glue tables that describe themselves, kept right under concurrent batches: parameters, versions,
row counts, partition projection, and optimistic updates that lose nothing."""

from __future__ import annotations

import dataclasses
import json
import threading
from typing import Any

from cornlake import aws, catalog
from cornlake.contracts import Freshness, registry
from cornlake.messages import CuratedBatch, CuratedObject
from cornlake_toolkit.local import LocalLake
from helpers import sample, transform_key

LOJAS = "source=ref/dataset=lojas/ingest_date=2026-11-20/20261120T120000Z-{}-lojas.json"


def lojas_batch(stack: LocalLake, names: dict[str, Any], stem: str = "000000000001") -> CuratedBatch:
    key = LOJAS.format(stem)
    stack.client("s3").put_object(
        Bucket=names["raw_bucket"], Key=key, Body=sample("ref/samples/lojas.json").read_bytes()
    )
    return transform_key(key)[1].batch  # type: ignore[no-any-return]


def sync(names: dict[str, Any], batch: CuratedBatch, contract: Any = None) -> dict[str, Any]:
    contract = contract or registry().get(batch.source, batch.dataset)
    return catalog.sync_batch(
        aws.glue(), contract, batch, database=names["glue_database"], bucket=names["curated_bucket"]
    )


def table(stack: LocalLake, names: dict[str, Any], name: str = "ref_lojas") -> dict[str, Any]:
    return stack.client("glue").get_table(DatabaseName=names["glue_database"], Name=name)["Table"]  # type: ignore[no-any-return]


def test_a_table_carries_its_owner_source_versions_pii_freshness_and_statistics(
    stack: LocalLake, names: dict[str, Any]
) -> None:
    contract = dataclasses.replace(registry().get("ref", "lojas"), freshness=Freshness("1d", "6h"))
    sync(names, lojas_batch(stack, names), contract)
    params = table(stack, names)["Parameters"]
    assert params["cornlake.owner"] == "cadastro@cornlake.example" and params["cornlake.source"] == "ref"
    assert params["cornlake.description"].startswith("Cadastro de lojas")
    assert params["cornlake.contract_version"] == "1" and len(params["cornlake.schema_version"]) == 12
    assert params["cornlake.expected_update_interval"] == "1d" and params["cornlake.grace"] == "6h"
    assert params["cornlake.row_count"] == "12" and params["cornlake.last_update"].startswith("20")
    without = dataclasses.replace(registry().get("ref", "lojas"), freshness=Freshness())
    events = sync(names, lojas_batch(stack, names, "000000000002"), without)  # a second file
    assert events["table_state"] == "updated"  # the contract's freshness is gone: a structural change
    assert table(stack, names)["Parameters"]["cornlake.row_count"] == "24"


def test_statistics_replace_the_version_and_structure_changes_keep_one(
    stack: LocalLake, names: dict[str, Any]
) -> None:
    glue = stack.client("glue")
    contract = registry().get("ref", "lojas")
    sync(names, lojas_batch(stack, names, "000000000001"), contract)
    assert sync(names, lojas_batch(stack, names, "000000000002"), contract)["table_state"] == "statistics"
    versions = glue.get_table_versions(DatabaseName=names["glue_database"], TableName="ref_lojas")[
        "TableVersions"
    ]
    assert len(versions) == 1
    renamed = dataclasses.replace(contract, description="Lojas (revisado)", version=2)
    assert sync(names, lojas_batch(stack, names, "000000000003"), renamed)["table_state"] == "updated"
    versions = glue.get_table_versions(DatabaseName=names["glue_database"], TableName="ref_lojas")[
        "TableVersions"
    ]
    assert sorted(v["Table"]["Description"] for v in versions) == [
        "Cadastro de lojas (tabela de referência), um registro por loja.",
        "Lojas (revisado)",
    ]


def test_row_counts_survive_reprocessing_and_redelivery(stack: LocalLake, names: dict[str, Any]) -> None:
    first = lojas_batch(stack, names)
    sync(names, first)
    sync(names, first)  # SQS delivered the batch twice
    assert table(stack, names)["Parameters"]["cornlake.row_count"] == "12"
    again = lojas_batch(stack, names)  # a reprocess of the same raw object rewrites its 12 rows
    assert again.rows_replaced == 12
    sync(names, again)
    assert table(stack, names)["Parameters"]["cornlake.row_count"] == "12"


def test_partition_projection_is_a_contract_option(stack: LocalLake, names: dict[str, Any]) -> None:
    contract = registry().get("ref", "lojas")
    projected = dataclasses.replace(
        contract,
        partitioning=dataclasses.replace(
            contract.partitioning, projection=True, projection_start="2024-01-01"
        ),
    )
    result = sync(names, lojas_batch(stack, names), projected)
    params = table(stack, names)["Parameters"]
    assert params["projection.enabled"] == "true" and params["projection.ingest_date.type"] == "date"
    assert (
        params["projection.ingest_date.range"] == "2024-01-01,NOW"
        and params["projection.ingest_date.interval.unit"] == "DAYS"
    )
    assert params["storage.location.template"].endswith("/tables/ref/lojas/ingest_date=${ingest_date}/")
    assert result["partitions_created"] == 0
    glue = stack.client("glue")
    assert glue.get_partitions(DatabaseName=names["glue_database"], TableName="ref_lojas")["Partitions"] == []


def test_a_column_that_left_the_contract_is_dropped_with_a_warning(
    stack: LocalLake, names: dict[str, Any]
) -> None:
    contract = registry().get("ref", "lojas")
    sync(names, lojas_batch(stack, names), contract)
    renamed = dataclasses.replace(
        contract,
        version=2,
        columns=tuple(
            dataclasses.replace(c, name="area") if c.name == "area_m2" else c for c in contract.columns
        ),
    )
    result = sync(names, lojas_batch(stack, names, "000000000002"), renamed)
    [warning] = result["warnings"]
    assert "column area_m2 is no longer in contract v2" in warning and "reprocess" in warning
    columns = [c["Name"] for c in table(stack, names)["StorageDescriptor"]["Columns"]]
    assert "area" in columns and "area_m2" not in columns


def test_concurrent_batches_lose_no_partition_column_or_row(stack: LocalLake, names: dict[str, Any]) -> None:
    # GIVEN twelve batches of app/events at once: ten new partitions, two with new evolved columns each
    contract = registry().get("app", "events")
    batches = [
        CuratedBatch(
            "app",
            "events",
            f"run-{n}",
            f"20261120T1200{n:02d}Z-0123456789ab",
            f"raw-{n}",
            names["curated_bucket"],
            (
                CuratedObject(
                    f"tables/app/events/event_date=2026-11-{n + 1:02d}/part-{n}.parquet",
                    {"event_date": f"2026-11-{n + 1:02d}"},
                    10,
                ),
            ),
            added_columns=(f"new_field_{n}",) if n >= 10 else (),
        )
        for n in range(12)
    ]
    errors: list[BaseException] = []

    def one(batch: CuratedBatch) -> None:
        try:
            sync(names, batch, contract)
        except BaseException as err:  # noqa: BLE001 - reported by the assertion below
            errors.append(err)

    threads = [threading.Thread(target=one, args=(b,)) for b in batches]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # THEN every partition, both new columns and every row are there
    assert not errors
    glue = stack.client("glue")
    parts = glue.get_partitions(DatabaseName=names["glue_database"], TableName="app_events")["Partitions"]
    assert sorted(p["Values"][0] for p in parts) == [f"2026-11-{n + 1:02d}" for n in range(12)]
    found = table(stack, names, "app_events")
    columns = {c["Name"] for c in found["StorageDescriptor"]["Columns"]}
    assert {"new_field_10", "new_field_11"} <= columns
    assert found["Parameters"]["cornlake.row_count"] == "120"
    assert len(found["Parameters"]["cornlake.recent_batches"].split(",")) == 12
    assert json.dumps(found, default=str)  # the table is still well formed
