"""Landing → raw copy, invoked with SQS-wrapped S3 events (the events/ file and real
notifications that moto's S3 sent to the template's queue)."""

from __future__ import annotations

import json
import os
from typing import Any
from unittest import mock

from cornlake.ingest import landing as ingest
from cornlake_toolkit.local import LocalLake
from helpers import invoke, list_keys, load_event, read_jsonl, run_records, sample, sqs_event_from_queue

QUEUE = "cornlake-local-ingest-copy"


def test_sample_event_copies_the_file_byte_for_byte(stack: LocalLake, names: dict[str, Any]) -> None:
    s3 = stack.client("s3")
    data = sample("erp/samples/vendas.csv").read_bytes()
    s3.put_object(Bucket=names["landing_bucket"], Key="erp/vendas/vendas-2026-11-20.csv", Body=data)
    result = invoke("lambda_ingest_s3_copy", load_event("ingest_s3_copy_sqs.json"))
    assert result == {"batchItemFailures": []}
    [key] = list_keys(stack, names["raw_bucket"])
    assert key.startswith("source=erp/dataset=vendas/ingest_date=2026-11-20/20261120T120000Z-")
    assert key.endswith("-vendas-2026-11-20.csv")
    raw = s3.get_object(Bucket=names["raw_bucket"], Key=key)
    assert raw["Body"].read() == data
    assert raw["Metadata"]["source-key"] == "erp/vendas/vendas-2026-11-20.csv"
    assert raw["Metadata"]["channel"] == "landing"
    assert raw["Metadata"]["producer"] == "AWS:AIDAPARTNERUPLOAD"
    runs = run_records(stack, names["ops_bucket"], "ingest_s3_copy")
    assert [(r["status"], r["source"], r["dataset"]) for r in runs] == [("succeeded", "erp", "vendas")]


def test_a_repeated_event_lands_the_same_raw_key(stack: LocalLake, names: dict[str, Any]) -> None:
    stack.client("s3").put_object(
        Bucket=names["landing_bucket"], Key="erp/vendas/vendas-2026-11-20.csv", Body=b"x"
    )
    invoke("lambda_ingest_s3_copy", load_event("ingest_s3_copy_sqs.json"))
    invoke("lambda_ingest_s3_copy", load_event("ingest_s3_copy_sqs.json"))
    assert len(list_keys(stack, names["raw_bucket"])) == 1


def test_real_notifications_reject_unknown_datasets_and_unsafe_names(
    stack: LocalLake, names: dict[str, Any]
) -> None:
    s3 = stack.client("s3")
    landing = names["landing_bucket"]
    s3.put_object(Bucket=landing, Key="erp/notas/n.csv", Body=b"a;b\n")
    s3.put_object(Bucket=landing, Key="erp/vendas/bad name.csv", Body=b"a;b\n")
    s3.put_object(Bucket=landing, Key="ref/lojas/lojas.json", Body=b"[]")
    event = sqs_event_from_queue(stack, QUEUE)
    assert len(event["Records"]) == 3
    assert invoke("lambda_ingest_s3_copy", event) == {"batchItemFailures": []}
    assert list_keys(stack, landing) == [
        "_rejected/erp/notas/n.csv",
        "_rejected/erp/notas/n.csv.reason.json",
        "_rejected/erp/vendas/bad name.csv",
        "_rejected/erp/vendas/bad name.csv.reason.json",
        "ref/lojas/lojas.json",
    ]
    reason = json.loads(
        s3.get_object(Bucket=landing, Key="_rejected/erp/notas/n.csv.reason.json")["Body"].read()
    )
    assert reason["error"] == "unknown_dataset" and "datasets/erp/notas.yaml" in reason["hint"]
    assert [k.split("/")[1] for k in list_keys(stack, names["raw_bucket"])] == ["dataset=lojas"]
    statuses = sorted(r["status"] for r in run_records(stack, names["ops_bucket"], "ingest_s3_copy"))
    assert statuses == ["rejected", "rejected", "succeeded"]
    # the moves themselves raise notifications for _rejected/ keys; they are ignored, not looped
    follow_up = sqs_event_from_queue(stack, QUEUE)
    assert invoke("lambda_ingest_s3_copy", follow_up) == {"batchItemFailures": []}
    assert len(list_keys(stack, landing, "_rejected/")) == 4


def test_files_over_the_copy_limit_use_multipart_copy(stack: LocalLake, names: dict[str, Any]) -> None:
    data = os.urandom(11 * 1024 * 1024)
    stack.client("s3").put_object(Bucket=names["landing_bucket"], Key="erp/vendas/big.csv", Body=data)
    # Shrink the 5 GB threshold and the part size so an 11 MB file takes the multipart path.
    with (
        mock.patch.object(ingest, "MULTIPART_THRESHOLD", 1024),
        mock.patch.object(ingest, "PART_SIZE", 5 * 1024 * 1024),
    ):
        invoke("lambda_ingest_s3_copy", sqs_event_from_queue(stack, QUEUE))
    [key] = list_keys(stack, names["raw_bucket"])
    raw = stack.client("s3").get_object(Bucket=names["raw_bucket"], Key=key)
    assert raw["Body"].read() == data
    assert raw["Metadata"]["source-key"] == "erp/vendas/big.csv"


def test_s3_test_event_is_skipped(stack: LocalLake, names: dict[str, Any]) -> None:
    event = load_event("ingest_s3_copy_sqs.json")
    event["Records"][0]["body"] = json.dumps({"Service": "Amazon S3", "Event": "s3:TestEvent"})
    assert invoke("lambda_ingest_s3_copy", event) == {"batchItemFailures": []}
    assert list_keys(stack, names["raw_bucket"]) == []
    assert read_jsonl is not None
