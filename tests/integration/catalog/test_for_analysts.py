"""What the catalog sets up beyond the curated table: raw tables for engineers, named queries for
analysts, and Lake Formation tags on PII columns when the stack governs with Lake Formation."""

from __future__ import annotations

import itertools
import json
from typing import Any

import pytest

from cornlake.messages import CuratedBatch
from cornlake_toolkit.local import LocalLake
from helpers import invoke, sample, transform_key

_STEMS = itertools.count(1)


def batch_event(batch: CuratedBatch) -> dict[str, Any]:
    return {
        "Records": [
            {
                "messageId": "m1",
                "receiptHandle": "r",
                "body": batch.to_json(),
                "attributes": {"ApproximateReceiveCount": "1"},
                "messageAttributes": {},
                "md5OfBody": "",
                "eventSource": "aws:sqs",
                "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:cornlake-local-catalog",
                "awsRegion": "us-east-1",
            }
        ]
    }


def catalog(
    stack: LocalLake, names: dict[str, Any], source: str, dataset: str, sample_path: str, name: str
) -> dict[str, Any]:
    stem = f"{next(_STEMS):012x}"
    key = f"source={source}/dataset={dataset}/ingest_date=2026-11-20/20261120T120000Z-{stem}-{name}"
    stack.client("s3").put_object(Bucket=names["raw_bucket"], Key=key, Body=sample(sample_path).read_bytes())
    batch = transform_key(key)[1].batch
    assert invoke("lambda_catalog_sync", batch_event(batch)) == {"batchItemFailures": []}
    from helpers import run_records

    [run] = [r for r in run_records(stack, names["ops_bucket"], "catalog") if r["input_key"] == key]
    return json.loads(run["details"])  # type: ignore[no-any-return]


def test_each_dataset_gets_a_raw_table_as_it_arrived(stack: LocalLake, names: dict[str, Any]) -> None:
    details = catalog(stack, names, "erp", "vendas", "erp/samples/vendas.csv", "v.csv")
    raw_db = "cornlake_local_raw"
    assert details["raw_table"] == f"{raw_db}.erp_vendas:created"
    table = stack.client("glue").get_table(DatabaseName=raw_db, Name="erp_vendas")["Table"]
    serde = table["StorageDescriptor"]["SerdeInfo"]
    assert (
        serde["SerializationLibrary"].endswith("OpenCSVSerde") and serde["Parameters"]["separatorChar"] == ";"
    )
    assert serde["Parameters"]["serialization.encoding"] == "ISO-8859-1"
    assert (
        table["Parameters"]["skip.header.line.count"] == "1"
        and table["Parameters"]["projection.enabled"] == "true"
    )
    assert table["StorageDescriptor"]["Location"].endswith("/source=erp/dataset=vendas/")
    assert {c["Type"] for c in table["StorageDescriptor"]["Columns"]} == {"string"}
    events = catalog(stack, names, "app", "events", "app/samples/events.jsonl", "e.jsonl")
    table = stack.client("glue").get_table(DatabaseName=raw_db, Name="app_events")["Table"]
    assert (
        table["StorageDescriptor"]["SerdeInfo"]["SerializationLibrary"]
        == "org.openx.data.jsonserde.JsonSerDe"
    )
    lojas = catalog(stack, names, "ref", "lojas", "ref/samples/lojas.json", "l.json")
    assert lojas["raw_table"].startswith("none: json_array files cannot be read as rows")
    assert events["raw_table"].endswith(":created")


def test_each_dataset_gets_its_example_queries_once(stack: LocalLake, names: dict[str, Any]) -> None:
    import cornlake.catalog.analysts as analysts

    analysts._known.clear()  # the emulator was emptied since an earlier test: a new workgroup
    first = catalog(stack, names, "ref", "lojas", "ref/samples/lojas.json", "l.json")
    assert first["named_queries_created"] == [
        "ref_lojas: recent rows",
        "ref_lojas: rows per partition",
        "ref_lojas: latest per key",
    ]
    analysts._known.clear()  # a new execution environment finds them in the workgroup
    again = catalog(stack, names, "ref", "lojas", "ref/samples/lojas.json", "l.json")
    assert again["named_queries_created"] == []
    athena = stack.client("athena")
    ids = athena.list_named_queries(WorkGroup=names["workgroup"])["NamedQueryIds"]
    queries = [athena.get_named_query(NamedQueryId=i)["NamedQuery"] for i in ids]
    recent = next(q for q in queries if q["Name"] == "ref_lojas: recent rows")
    assert (
        '"cornlake_local"."ref_lojas"' in recent["QueryString"]
        and '"ingest_date" >=' in recent["QueryString"]
    )


def test_the_saved_example_queries_leave_pii_columns_out(stack: LocalLake, names: dict[str, Any]) -> None:
    import cornlake.catalog.analysts as analysts

    analysts._known.clear()
    # GIVEN app/events, whose contract flags user_email as PII
    details = catalog(stack, names, "app", "events", "app/samples/events.jsonl", "e.jsonl")
    assert details["named_queries_created"] == ["app_events: recent rows", "app_events: rows per partition"]
    athena = stack.client("athena")
    ids = athena.list_named_queries(WorkGroup=names["workgroup"])["NamedQueryIds"]
    saved = {
        q["Name"]: q
        for q in (athena.get_named_query(NamedQueryId=i)["NamedQuery"] for i in ids)
        if q["Name"].startswith("app_events: ")
    }
    # THEN no saved query names the PII column, and the preview lists the others instead of *
    assert len(saved) == 2 and all("user_email" not in q["QueryString"] for q in saved.values())
    recent = saved["app_events: recent rows"]
    assert recent["QueryString"].startswith('SELECT "event_id", "event_type", "event_time", "user_id",')
    assert '"tags", "event_date"\nFROM "cornlake_local"."app_events"' in recent["QueryString"]
    assert "*" not in recent["QueryString"] and "PII columns are left out" in recent["Description"]


def test_with_lake_formation_pii_columns_are_tagged(
    stack: LocalLake, names: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    from cornlake.settings import settings_for

    monkeypatch.setenv("LAKE_FORMATION_TAGS", "true")
    settings_for.cache_clear()
    lf = stack.client("lakeformation")
    lf.create_lf_tag(TagKey="cornlake_pii", TagValues=["true", "false"])
    details = catalog(stack, names, "app", "events", "app/samples/events.jsonl", "e.jsonl")
    assert details["pii_columns_tagged"] == ["user_email"]
    tags = lf.get_resource_lf_tags(
        Resource={
            "TableWithColumns": {
                "DatabaseName": names["glue_database"],
                "Name": "app_events",
                "ColumnNames": ["user_email"],
            }
        }
    )
    assert tags["LFTagsOnColumns"][0]["LFTags"] == [
        {"CatalogId": "123456789012", "TagKey": "cornlake_pii", "TagValues": ["true"]}
    ]
    settings_for.cache_clear()
