"""raw → curated through the transform handler (events/transform_sqs.json and real S3
notifications), with Parquet, quarantine, run records and the batch announcement checked."""

from __future__ import annotations

import gzip
import io
import itertools
import json
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any
from unittest import mock

import pyarrow.parquet as pq

from cornlake.transform import convert_object, job
from cornlake_toolkit.local import LocalLake
from helpers import invoke, list_keys, load_event, read_jsonl, run_records, sample, sqs_event_from_queue

RAW_KEY = "source=erp/dataset=vendas/ingest_date=2026-11-20/20261120T120000Z-0123456789ab-vendas.csv"


def curated_rows(stack: LocalLake, bucket: str, prefix: str = "") -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for key in list_keys(stack, bucket, prefix):
        data = stack.client("s3").get_object(Bucket=bucket, Key=key)["Body"].read()
        rows += pq.read_table(io.BytesIO(data)).to_pylist()
    return rows


def drain(stack: LocalLake, queue: str) -> list[dict[str, Any]]:
    sqs = stack.client("sqs")
    url = sqs.get_queue_url(QueueName=queue)["QueueUrl"]
    return [
        json.loads(m["Body"])
        for m in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
    ]


def test_csv_becomes_typed_partitioned_parquet_and_quarantine(
    stack: LocalLake, names: dict[str, Any]
) -> None:
    s3 = stack.client("s3")
    s3.put_object(Bucket=names["raw_bucket"], Key=RAW_KEY, Body=sample("erp/samples/vendas.csv").read_bytes())
    assert invoke("lambda_transform_curated", load_event("transform_sqs.json")) == {"batchItemFailures": []}

    keys = list_keys(stack, names["curated_bucket"])
    assert keys == [
        "tables/erp/vendas/mes_venda=2026-10/part-20261120T120000Z-0123456789ab.parquet",
        "tables/erp/vendas/mes_venda=2026-11/part-20261120T120000Z-0123456789ab.parquet",
    ]
    rows = curated_rows(stack, names["curated_bucket"])
    assert len(rows) == 38
    first = next(r for r in rows if r["id_venda"] == 100000)
    assert first["data_venda"] == date(2026, 10, 16)
    assert first["registrada_em"] == datetime(2026, 10, 16, 23, 29, tzinfo=UTC)  # 20:29 in São Paulo
    assert first["municipio"] == "Goiânia"
    assert first["valor_unitario"] == Decimal("2424.26") and first["valor_total"] == Decimal("67879.28")
    assert first["_ingest_id"] == "20261120T120000Z-0123456789ab"

    [qkey] = list_keys(stack, names["quarantine_bucket"])
    bad = read_jsonl(stack, names["quarantine_bucket"], qkey)
    assert [(b["record"], b["errors"][0]["column"], b["errors"][0]["value"]) for b in bad] == [
        (16, "data_venda", "31/02/2026"),
        (31, "quantidade", "dez"),
    ]
    assert "expected an integer" in bad[1]["errors"][0]["reason"] and bad[1]["raw_key"] == RAW_KEY

    [run] = run_records(stack, names["ops_bucket"], "transform")
    assert (run["rows_in"], run["rows_out"], run["rows_quarantined"], run["status"]) == (40, 38, 2, "partial")
    assert run["bytes_in"] == len(sample("erp/samples/vendas.csv").read_bytes())

    for queue in ("cornlake-local-catalog", "cornlake-local-quality"):
        [batch] = drain(stack, queue)
        assert batch["raw_key"] == RAW_KEY and sum(o["rows"] for o in batch["objects"]) == 38


def test_reprocessing_the_same_raw_object_does_not_duplicate_rows(
    stack: LocalLake, names: dict[str, Any]
) -> None:
    stack.client("s3").put_object(
        Bucket=names["raw_bucket"], Key=RAW_KEY, Body=sample("erp/samples/vendas.csv").read_bytes()
    )
    for _ in range(3):
        invoke("lambda_transform_curated", load_event("transform_sqs.json"))
    assert len(list_keys(stack, names["curated_bucket"])) == 2
    assert len(curated_rows(stack, names["curated_bucket"])) == 38
    assert len(list_keys(stack, names["quarantine_bucket"])) == 1


def test_a_first_write_costs_one_list_and_one_put_per_partition_and_a_rerun_counts_what_it_replaced(
    stack: LocalLake, names: dict[str, Any]
) -> None:
    import botocore.client

    stack.client("s3").put_object(
        Bucket=names["raw_bucket"], Key=RAW_KEY, Body=sample("erp/samples/vendas.csv").read_bytes()
    )
    calls: list[tuple[str, str]] = []
    real = botocore.client.BaseClient._make_api_call

    def spy(client: Any, operation: str, params: dict[str, Any]) -> Any:
        calls.append((operation, str(params.get("Key") or params.get("Prefix") or "")))
        return real(client, operation, params)

    with mock.patch.object(botocore.client.BaseClient, "_make_api_call", spy):
        invoke("lambda_transform_curated", load_event("transform_sqs.json"))
    on_table = [op for op, key in calls if key.startswith("tables/erp/vendas/")]
    # two partitions (October and November): one LIST and one PUT each, no HEAD, no transfer threads
    assert sorted(on_table) == ["ListObjectsV2", "ListObjectsV2", "PutObject", "PutObject"]
    invoke("lambda_transform_curated", load_event("transform_sqs.json"))
    # the batch announcements tell the catalog what each run replaced: nothing, then the 38 rows
    assert sorted(b["rows_replaced"] for b in drain(stack, "cornlake-local-catalog")) == [0, 38]


def test_json_lines_through_a_real_notification(stack: LocalLake, names: dict[str, Any]) -> None:
    key = "source=app/dataset=events/ingest_date=2026-11-26/20261126T100000Z-aaaaaaaaaaaa-api.jsonl"
    stack.client("s3").put_object(
        Bucket=names["raw_bucket"],
        Key=key,
        Body=gzip.compress(sample("app/samples/events.jsonl").read_bytes()),
    )
    event = sqs_event_from_queue(stack, "cornlake-local-transform")
    assert invoke("lambda_transform_curated", event) == {"batchItemFailures": []}
    rows = curated_rows(stack, names["curated_bucket"])
    assert len(rows) == 57
    row = next(r for r in rows if r["event_id"] == "evt-7-00000000")
    assert row["device"] == {"os": "android", "app_version": "3.8.0", "screen_width": 390}
    assert row["amount"] == Decimal("587.59")
    partitions = {k.split("/")[3] for k in list_keys(stack, names["curated_bucket"])}
    assert partitions == {
        "event_date=2026-11-20",
        "event_date=2026-11-21",
        "event_date=2026-11-22",
        "event_date=2026-11-23",
    }
    [run] = run_records(stack, names["ops_bucket"], "transform")
    assert run["rows_in"] == run["rows_out"] + run["rows_quarantined"] == 60


def test_a_truncated_gzip_is_quarantined_whole(stack: LocalLake, names: dict[str, Any]) -> None:
    data = gzip.compress(sample("erp/samples/vendas.csv").read_bytes())
    stack.client("s3").put_object(Bucket=names["raw_bucket"], Key=RAW_KEY, Body=data[: len(data) // 2])
    assert invoke("lambda_transform_curated", load_event("transform_sqs.json")) == {"batchItemFailures": []}
    assert list_keys(stack, names["curated_bucket"]) == []
    [qkey] = list_keys(stack, names["quarantine_bucket"])
    entries = read_jsonl(stack, names["quarantine_bucket"], qkey)
    assert "damaged or truncated" in entries[-1]["errors"][0]["reason"]
    [run] = run_records(stack, names["ops_bucket"], "transform")
    assert run["status"] == "rejected" and run["rows_out"] == 0
    assert run["rows_in"] == run["rows_quarantined"]
    assert drain(stack, "cornlake-local-catalog") == []


def test_a_raw_key_for_an_unknown_dataset_is_recorded_not_retried(
    stack: LocalLake, names: dict[str, Any]
) -> None:
    key = "source=erp/dataset=notas/ingest_date=2026-11-20/20261120T120000Z-0123456789ab-n.csv"
    stack.client("s3").put_object(Bucket=names["raw_bucket"], Key=key, Body=b"x")
    event = sqs_event_from_queue(stack, "cornlake-local-transform")
    assert invoke("lambda_transform_curated", event) == {"batchItemFailures": []}
    [run] = run_records(stack, names["ops_bucket"], "transform")
    assert run["status"] == "rejected" and "notas" in run["error"]


def test_a_transient_failure_fails_only_its_own_message(stack: LocalLake, names: dict[str, Any]) -> None:
    s3 = stack.client("s3")
    good = "source=ref/dataset=lojas/ingest_date=2026-11-20/20261120T120000Z-000000000001-lojas.json"
    flaky = "source=ref/dataset=lojas/ingest_date=2026-11-20/20261120T120000Z-000000000002-lojas.json"
    for key in (good, flaky):
        s3.put_object(Bucket=names["raw_bucket"], Key=key, Body=sample("ref/samples/lojas.json").read_bytes())
    event = sqs_event_from_queue(stack, "cornlake-local-transform")
    real = job.transform_object

    def fail_for_flaky(s3_client: Any, contract: Any, **kwargs: Any) -> Any:
        if kwargs["key"] == flaky:
            raise ConnectionResetError("connection reset by peer")
        return real(s3_client, contract, **kwargs)

    with mock.patch.object(job, "transform_object", side_effect=fail_for_flaky):
        result = invoke("lambda_transform_curated", event)
    flaky_id = next(r["messageId"] for r in event["Records"] if "000000000002" in r["body"])
    assert result == {"batchItemFailures": [{"itemIdentifier": flaky_id}]}
    assert len(curated_rows(stack, names["curated_bucket"])) == 12


def test_a_big_json_lines_object_is_split_into_ranges_that_add_up(
    stack: LocalLake, names: dict[str, Any], monkeypatch: Any
) -> None:
    from cornlake.settings import settings_for

    monkeypatch.setenv("TRANSFORM_SPLIT_BYTES", "4000")
    settings_for.cache_clear()
    key = "source=app/dataset=events/ingest_date=2026-11-26/20261126T100000Z-bbbbbbbbbbbb-api.jsonl"
    data = sample("app/samples/events.jsonl").read_bytes()
    stack.client("s3").put_object(Bucket=names["raw_bucket"], Key=key, Body=data)
    assert invoke("lambda_transform_curated", sqs_event_from_queue(stack, "cornlake-local-transform")) == {
        "batchItemFailures": []
    }
    [split_run] = run_records(stack, names["ops_bucket"], "transform")
    details = json.loads(split_run["details"])
    assert split_run["status"] == "split" and details["parts"] >= 3
    ranges = details["ranges"]
    assert ranges[0][0] == 0 and ranges[-1][1] == len(data)
    assert all(data[end - 1 : end] == b"\n" for _, end in ranges)  # every range ends a record
    assert all(a[1] == b[0] for a, b in itertools.pairwise(ranges))
    range_event = sqs_event_from_queue(stack, "cornlake-local-transform")
    assert len(range_event["Records"]) == details["parts"]
    for _ in range(2):  # a redelivered range replaces its own outputs
        assert invoke("lambda_transform_curated", range_event) == {"batchItemFailures": []}
    parts = [r for r in run_records(stack, names["ops_bucket"], "transform") if r["status"] != "split"]
    assert len(parts) == 2 * details["parts"]
    assert sum(r["rows_in"] for r in parts) == 2 * 60
    assert sum(r["rows_in"] - r["rows_out"] - r["rows_quarantined"] for r in parts) == 0
    rows = curated_rows(stack, names["curated_bucket"])
    assert len(rows) == 57 and len({r["event_id"] for r in rows}) == 57
    assert all("-r00" in k for k in list_keys(stack, names["curated_bucket"]))
    settings_for.cache_clear()


def test_a_big_csv_object_is_split_at_records_and_ranges_read_the_header(
    stack: LocalLake, names: dict[str, Any], monkeypatch: Any, tmp_path: Any
) -> None:
    from cornlake.contracts import registry
    from cornlake.keys import parse_raw_key
    from cornlake.settings import settings_for

    # GIVEN the sample CSV with a quoted line break in every fifth record, over the split size
    lines = sample("erp/samples/vendas.csv").read_bytes().decode("latin-1").splitlines()
    fields = [line.split(";") for line in lines[1:]]
    for n, f in enumerate(fields):
        if n % 5 == 0 and len(f) == 10:
            f[3] = f'"{f[3]}\r\nlinha 2"'
    data = ("\r\n".join([lines[0], *(";".join(f) for f in fields)]) + "\r\n").encode("latin-1")
    monkeypatch.setenv("TRANSFORM_SPLIT_BYTES", "700")
    settings_for.cache_clear()
    key = "source=erp/dataset=vendas/ingest_date=2026-11-26/20261126T100000Z-dddddddddddd-vendas.csv"
    stack.client("s3").put_object(Bucket=names["raw_bucket"], Key=key, Body=data)
    # WHEN the transform sees it, then the ranges it queued
    invoke("lambda_transform_curated", sqs_event_from_queue(stack, "cornlake-local-transform"))
    [split_run] = run_records(stack, names["ops_bucket"], "transform")
    ranges = json.loads(split_run["details"])["ranges"]
    assert split_run["status"] == "split" and len(ranges) >= 4
    assert invoke("lambda_transform_curated", sqs_event_from_queue(stack, "cornlake-local-transform")) == {
        "batchItemFailures": []
    }
    # THEN the ranges, typed with the header of the first line, give what the whole file gives
    parts = [r for r in run_records(stack, names["ops_bucket"], "transform") if r["status"] != "split"]
    assert len(parts) == len(ranges)
    whole = convert_object(
        io.BytesIO(data), registry().get("erp", "vendas"), parse_raw_key(key), tmp_path, size=len(data)
    )
    assert sum(r["rows_in"] for r in parts) == whole.rows_in
    assert sum(r["rows_out"] for r in parts) == whole.rows_out
    assert sum(r["rows_quarantined"] for r in parts) == whole.quarantined
    curated = curated_rows(stack, names["curated_bucket"])
    assert len(curated) == whole.rows_out and len({r["id_venda"] for r in curated}) == whole.rows_out
    assert sum(r["cliente"].endswith("\r\nlinha 2") for r in curated) >= 5
    settings_for.cache_clear()


def test_compressed_objects_are_not_split(stack: LocalLake, names: dict[str, Any], monkeypatch: Any) -> None:
    from cornlake.settings import settings_for

    monkeypatch.setenv("TRANSFORM_SPLIT_BYTES", "100")
    settings_for.cache_clear()
    key = "source=app/dataset=events/ingest_date=2026-11-26/20261126T100000Z-cccccccccccc-api.jsonl.gz"
    stack.client("s3").put_object(
        Bucket=names["raw_bucket"],
        Key=key,
        Body=gzip.compress(sample("app/samples/events.jsonl").read_bytes()),
    )
    invoke("lambda_transform_curated", sqs_event_from_queue(stack, "cornlake-local-transform"))
    [run] = run_records(stack, names["ops_bucket"], "transform")
    assert run["status"] == "partial" and run["rows_out"] == 57
    settings_for.cache_clear()
