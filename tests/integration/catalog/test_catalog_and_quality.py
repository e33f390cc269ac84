"""Catalog sync and data quality, invoked with the curated-batch messages SNS delivers
(events/catalog_sqs.json, events/quality_sqs.json)."""

from __future__ import annotations

import dataclasses
import io
import json
from datetime import date
from decimal import Decimal
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from cornlake import catalog
from cornlake.contracts import registry
from cornlake.messages import parse_curated_batch
from cornlake_toolkit.local import LocalLake
from helpers import invoke, list_keys, load_event, read_jsonl, run_records, sample

CURATED_KEY = "tables/erp/vendas/mes_venda=2026-11/part-20261120T120000Z-0123456789ab.parquet"


VENDAS_SCHEMA = pa.schema(
    [
        ("id_venda", pa.int64()),
        ("data_venda", pa.date32()),
        ("registrada_em", pa.timestamp("us", tz="UTC")),
        ("cliente", pa.string()),
        ("municipio", pa.string()),
        ("uf", pa.string()),
        ("produto", pa.string()),
        ("quantidade", pa.int32()),
        ("valor_unitario", pa.decimal128(12, 2)),
        ("valor_total", pa.decimal128(14, 2)),
        ("_ingest_id", pa.string()),
    ]
)


def put_vendas(stack: LocalLake, bucket: str, ids: list[int], ufs: list[str], quantities: list[int]) -> None:
    n = len(ids)
    columns = {
        "id_venda": ids,
        "data_venda": [date(2026, 11, 1)] * n,
        "registrada_em": [None] * n,
        "cliente": ["Ana"] * n,
        "municipio": ["Recife"] * n,
        "uf": ufs,
        "produto": ["Café"] * n,
        "quantidade": quantities,
        "valor_unitario": [Decimal("1.00")] * n,
        "valor_total": [Decimal("1.00")] * n,
        "_ingest_id": ["20261120T120000Z-0123456789ab"] * n,
    }
    table = pa.Table.from_pydict(columns, schema=VENDAS_SCHEMA)
    sink = io.BytesIO()
    pq.write_table(table, sink)
    stack.client("s3").put_object(Bucket=bucket, Key=CURATED_KEY, Body=sink.getvalue())


def test_catalog_registers_table_columns_and_partition(stack: LocalLake, names: dict[str, Any]) -> None:
    assert invoke("lambda_catalog_sync", load_event("catalog_sqs.json")) == {"batchItemFailures": []}
    glue = stack.client("glue")
    table = glue.get_table(DatabaseName=names["glue_database"], Name="erp_vendas")["Table"]
    assert table["Description"].startswith("Vendas diárias")
    columns = {c["Name"]: c for c in table["StorageDescriptor"]["Columns"]}
    assert columns["valor_total"]["Type"] == "decimal(14,2)"
    assert columns["cliente"]["Comment"] == "Nome do cliente [PII]"
    assert table["StorageDescriptor"]["Location"] == f"s3://{names['curated_bucket']}/tables/erp/vendas/"
    assert [k["Name"] for k in table["PartitionKeys"]] == ["mes_venda"]
    parts = glue.get_partitions(DatabaseName=names["glue_database"], TableName="erp_vendas")["Partitions"]
    assert [(p["Values"], p["StorageDescriptor"]["Location"]) for p in parts] == [
        (["2026-11"], f"s3://{names['curated_bucket']}/tables/erp/vendas/mes_venda=2026-11/")
    ]
    ops = {t["Name"]: t for t in glue.get_tables(DatabaseName=names["ops_glue_database"])["TableList"]}
    assert set(ops) == {"runs", "quality_results", "freshness", "reconciliation", "quarantine"}
    assert "vendas" in ops["quarantine"]["Parameters"]["projection.dataset.values"].split(",")
    assert ops["runs"]["Parameters"]["projection.enabled"] == "true"
    [run] = run_records(stack, names["ops_bucket"], "catalog")
    assert run["details"] and '"table_state": "created"' in run["details"]


def test_catalog_sync_is_idempotent_and_applies_contract_changes(
    stack: LocalLake, names: dict[str, Any]
) -> None:
    invoke("lambda_catalog_sync", load_event("catalog_sqs.json"))
    invoke("lambda_catalog_sync", load_event("catalog_sqs.json"))
    glue = stack.client("glue")
    parts = glue.get_partitions(DatabaseName=names["glue_database"], TableName="erp_vendas")["Partitions"]
    assert len(parts) == 1
    states = [r["details"] for r in run_records(stack, names["ops_bucket"], "catalog")]
    assert sum('"table_state": "unchanged"' in d for d in states) == 1
    contract = dataclasses.replace(registry().get("erp", "vendas"), description="Vendas (revisado)")
    [batch] = parse_curated_batch(load_event("catalog_sqs.json")["Records"][0]["body"])
    result = catalog.sync_batch(
        glue, contract, batch, database=names["glue_database"], bucket=names["curated_bucket"]
    )
    assert result["table_state"] == "updated" and result["partitions_created"] == 0
    assert glue.get_table(DatabaseName=names["glue_database"], Name="erp_vendas")["Table"]["Description"] == (
        "Vendas (revisado)"
    )


def test_quality_results_are_ops_data_and_failures_are_counted(
    stack: LocalLake, names: dict[str, Any]
) -> None:
    put_vendas(stack, names["curated_bucket"], [1, 2, 2], ["SP", "XX", "RJ"], [1, 5, 0])
    assert invoke("lambda_data_quality", load_event("quality_sqs.json")) == {"batchItemFailures": []}
    [key] = list_keys(stack, names["ops_bucket"], "quality_results/")
    results = {r["rule_id"].split(" [")[0]: r for r in read_jsonl(stack, names["ops_bucket"], key)}
    unique = results['IsUnique "id_venda"']
    assert unique["outcome"] == "failed" and unique["rows_failed"] == 2 and unique["check"] == "IsUnique"
    assert results['ColumnValues "uf" in']["rows_failed"] == 1
    assert results['ColumnValues "quantidade" between 1 and 10000']["rows_failed"] == 1
    assert results['IsComplete "id_venda"']["passed"] is True
    assert results["RowCount >= 1"]["rows_checked"] == 3 and results["RowCount >= 1"]["value"] == 3
    [run] = run_records(stack, names["ops_bucket"], "quality")
    assert run["status"] == "checks_failed"
    assert set(json.loads(run["details"])["failed"]) == {
        'IsUnique "id_venda"',
        next(r for r in results.values() if r["rule_id"].startswith('ColumnValues "uf"'))["rule_id"],
        'ColumnValues "quantidade" between 1 and 10000',
    }


def test_quality_passes_on_clean_data(stack: LocalLake, names: dict[str, Any]) -> None:
    put_vendas(stack, names["curated_bucket"], [1, 2, 3], ["SP", "MG", "RJ"], [1, 5, 9])
    invoke("lambda_data_quality", load_event("quality_sqs.json"))
    [run] = run_records(stack, names["ops_bucket"], "quality")
    assert run["status"] == "succeeded"


def test_provision_external_splits_services_like_docker_compose(stack: LocalLake) -> None:
    from cornlake_toolkit.local import provision_external
    from helpers import moto_process

    # The session's emulator plays moto (Glue); a second, separate process plays LocalStack.
    with moto_process() as localstack:
        services = {"s3": localstack, "sqs": localstack, "sns": localstack}
        provision_external(stack.endpoint, service_endpoints=services)
        facts = provision_external(stack.endpoint, service_endpoints=services)  # re-running is harmless
        assert facts["service_endpoints"] == services
        other = LocalLake(external_endpoint=localstack, run_functions=False)
        buckets = {b["Name"] for b in other.client("s3").list_buckets()["Buckets"]}
        assert {facts["raw_bucket"], facts["curated_bucket"], facts["landing_bucket"]} <= buckets
        queues = other.client("sqs").list_queues()["QueueUrls"]
        assert any(q.endswith("cornlake-local-transform-dlq") for q in queues)
        assert other.client("glue").get_databases()["DatabaseList"] == []
    dbs = {d["Name"] for d in stack.client("glue").get_databases()["DatabaseList"]}
    assert dbs == {"cornlake_local", "cornlake_local_ops", "cornlake_local_raw"}


def test_a_latest_view_keeps_each_key_from_the_file_that_came_last(
    stack: LocalLake, names: dict[str, Any]
) -> None:
    from cornlake_toolkit.sql import LocalSqlEngine
    from helpers import transform_key

    # GIVEN the store list sent twice, the second time with store 1 renamed
    lojas = json.loads(sample("ref/samples/lojas.json").read_text())
    changed = [dict(loja, nome="Loja Renomeada") if loja["loja_id"] == 1 else loja for loja in lojas]
    s3, glue = stack.client("s3"), stack.client("glue")
    contract = registry().get("ref", "lojas")
    for ingest_id, stores in (
        ("20261120T120000Z-000000000001", lojas),
        ("20261121T120000Z-000000000002", changed),
    ):
        day = f"{ingest_id[:4]}-{ingest_id[4:6]}-{ingest_id[6:8]}"
        key = f"source=ref/dataset=lojas/ingest_date={day}/{ingest_id}-l.json"
        s3.put_object(Bucket=names["raw_bucket"], Key=key, Body=json.dumps(stores).encode())
        _, outcome = transform_key(key)
        result = catalog.sync_batch(
            glue, contract, outcome.batch, database=names["glue_database"], bucket=names["curated_bucket"]
        )
    assert result["view"] == f"{names['glue_database']}.ref_lojas_latest:unchanged"
    view = glue.get_table(DatabaseName=names["glue_database"], Name="ref_lojas_latest")["Table"]
    assert view["TableType"] == "VIRTUAL_VIEW" and view["ViewOriginalText"].startswith("/* Presto View: ")
    # THEN the table keeps every copy and the view shows each store once, as last sent
    with LocalSqlEngine(glue, s3, names["glue_database"]) as engine:
        assert engine.query("SELECT count(*) FROM ref_lojas").rows == [(24,)]
        latest = engine.query("SELECT loja_id, nome, _ingest_id FROM ref_lojas_latest ORDER BY loja_id").rows
    assert len(latest) == 12 and latest[0][:2] == (1, "Loja Renomeada")
    assert {row[2] for row in latest} == {"20261121T120000Z-000000000002"}
