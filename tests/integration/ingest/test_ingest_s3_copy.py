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


def test_a_repeated_event_lands_once_and_is_recorded_as_repeated(
    stack: LocalLake, names: dict[str, Any]
) -> None:
    stack.client("s3").put_object(
        Bucket=names["landing_bucket"], Key="erp/vendas/vendas-2026-11-20.csv", Body=b"x"
    )
    invoke("lambda_ingest_s3_copy", load_event("ingest_s3_copy_sqs.json"))
    [key] = list_keys(stack, names["raw_bucket"])
    first = stack.client("s3").head_object(Bucket=names["raw_bucket"], Key=key)
    invoke("lambda_ingest_s3_copy", load_event("ingest_s3_copy_sqs.json"))
    assert list_keys(stack, names["raw_bucket"]) == [key]
    again = stack.client("s3").head_object(Bucket=names["raw_bucket"], Key=key)
    assert again["LastModified"] == first["LastModified"] and again.get("VersionId") == first.get("VersionId")
    runs = run_records(stack, names["ops_bucket"], "ingest_s3_copy")
    assert sorted(r["status"] for r in runs) == ["repeated", "succeeded"]
    [repeated] = [r for r in runs if r["status"] == "repeated"]
    assert json.loads(repeated["details"])["first_landed_as"] == key


def deliver(stack: LocalLake) -> None:
    """Hand every notification waiting on the copy queue to the copy handler, as Lambda would."""
    while (event := sqs_event_from_queue(stack, QUEUE))["Records"]:
        assert invoke("lambda_ingest_s3_copy", event) == {"batchItemFailures": []}


def test_the_same_bytes_dropped_again_under_the_same_name_land_once(
    stack: LocalLake, names: dict[str, Any]
) -> None:
    s3 = stack.client("s3")
    body = sample("erp/samples/vendas.csv").read_bytes()
    s3.put_object(Bucket=names["landing_bucket"], Key="erp/vendas/vendas.csv", Body=body)
    deliver(stack)
    s3.put_object(Bucket=names["landing_bucket"], Key="erp/vendas/vendas.csv", Body=body)  # a partner's retry
    deliver(stack)
    assert len(list_keys(stack, names["raw_bucket"])) == 1
    statuses = [r["status"] for r in run_records(stack, names["ops_bucket"], "ingest_s3_copy")]
    assert sorted(statuses) == ["repeated", "succeeded"]


def test_the_same_name_with_other_bytes_lands_beside_the_first_and_changes_nothing(
    stack: LocalLake, names: dict[str, Any]
) -> None:
    s3 = stack.client("s3")
    s3.put_object(Bucket=names["landing_bucket"], Key="ref/lojas/lojas.json", Body=b'[{"loja_id": 1}]')
    deliver(stack)
    [first] = list_keys(stack, names["raw_bucket"])
    s3.put_object(Bucket=names["landing_bucket"], Key="ref/lojas/lojas.json", Body=b'[{"loja_id": 2}]')
    deliver(stack)
    keys = list_keys(stack, names["raw_bucket"])
    assert len(keys) == 2 and first in keys
    bodies = {s3.get_object(Bucket=names["raw_bucket"], Key=k)["Body"].read() for k in keys}
    assert bodies == {b'[{"loja_id": 1}]', b'[{"loja_id": 2}]'}


def test_a_landing_object_overwritten_before_its_copy_runs_copies_each_version(
    stack: LocalLake, names: dict[str, Any]
) -> None:
    # GIVEN two uploads under one name before the copy function has run at all
    s3 = stack.client("s3")
    s3.put_object(Bucket=names["landing_bucket"], Key="ref/lojas/lojas.json", Body=b'[{"loja_id": 1}]')
    s3.put_object(Bucket=names["landing_bucket"], Key="ref/lojas/lojas.json", Body=b'[{"loja_id": 2}]')
    # WHEN both notifications are delivered
    deliver(stack)
    # THEN each version named by its event is in raw: the first is not lost to the second
    keys = list_keys(stack, names["raw_bucket"])
    bodies = sorted(s3.get_object(Bucket=names["raw_bucket"], Key=k)["Body"].read() for k in keys)
    assert bodies == [b'[{"loja_id": 1}]', b'[{"loja_id": 2}]']
    versions = {s3.head_object(Bucket=names["raw_bucket"], Key=k)["Metadata"]["source-version"] for k in keys}
    assert len(versions) == 2


def test_a_multipart_upload_is_one_event_and_one_copy(
    stack: LocalLake, names: dict[str, Any], tmp_path: Any
) -> None:
    path = tmp_path / "big.csv"
    path.write_bytes(
        b"id_venda;data_venda\n" + b"1;20/11/2026\n" * 900_000
    )  # 12 MB: boto3 uploads it in parts
    stack.client("s3").upload_file(str(path), names["landing_bucket"], "erp/vendas/big.csv")
    event = sqs_event_from_queue(stack, QUEUE)
    names_of = [json.loads(r["body"])["Records"][0]["eventName"] for r in event["Records"]]
    assert names_of == ["ObjectCreated:CompleteMultipartUpload"]


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


def test_where_s3_cannot_copy_conditionally_the_key_is_looked_at_first(
    stack: LocalLake, names: dict[str, Any]
) -> None:
    from botocore.exceptions import ClientError

    from cornlake.ingest.raw import copy_once

    s3 = stack.client("s3")
    s3.put_object(Bucket=names["landing_bucket"], Key="ref/lojas/a.json", Body=b"[]")
    s3.put_object(Bucket=names["raw_bucket"], Key="source=ref/dataset=lojas/taken.json", Body=b"first")
    real = s3.copy_object

    def old_endpoint(**kwargs: Any) -> Any:
        if "IfNoneMatch" in kwargs:
            raise ClientError(
                {
                    "Error": {
                        "Code": "NotImplemented",
                        "Message": "A header you provided implies functionality that is not implemented",
                    }
                },
                "CopyObject",
            )
        return real(**kwargs)

    source = {"Bucket": names["landing_bucket"], "Key": "ref/lojas/a.json"}
    with mock.patch.object(s3, "copy_object", side_effect=old_endpoint):
        assert (
            copy_once(
                s3, bucket=names["raw_bucket"], key="source=ref/dataset=lojas/taken.json", CopySource=source
            )
            is False
        )
        assert (
            copy_once(
                s3, bucket=names["raw_bucket"], key="source=ref/dataset=lojas/free.json", CopySource=source
            )
            is True
        )
    assert (
        s3.get_object(Bucket=names["raw_bucket"], Key="source=ref/dataset=lojas/taken.json")["Body"].read()
        == b"first"
    )
    assert (
        s3.get_object(Bucket=names["raw_bucket"], Key="source=ref/dataset=lojas/free.json")["Body"].read()
        == b"[]"
    )
