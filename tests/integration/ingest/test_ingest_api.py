"""The ingest API handler, invoked with API Gateway's REST event (events/ingest_api_post.json)
against the template's buckets on moto server."""

from __future__ import annotations

import hashlib
import json
from typing import Any

import pytest

from cornlake_toolkit.local import LocalLake
from helpers import invoke, list_keys, load_event, run_records


def post(
    source: str,
    dataset: str,
    body: bytes,
    content_type: str = "application/x-ndjson",
    *,
    caller: str = "",
    **headers: str,
) -> Any:
    event = load_event("ingest_api_post.json")
    event["path"] = f"/v1/ingest/{source}/{dataset}"
    event["pathParameters"] = {"source": source, "dataset": dataset}
    event["headers"] = {"Content-Type": content_type, **headers}
    event["body"] = body.decode("utf-8", "replace")
    if caller:
        event["requestContext"]["identity"]["userArn"] = caller
    response = invoke("lambda_ingest_api", event)
    return response["statusCode"], json.loads(response["body"])


def test_sample_event_lands_body_unchanged_with_metadata(stack: LocalLake, names: dict[str, Any]) -> None:
    event = load_event("ingest_api_post.json")
    response = invoke("lambda_ingest_api", event)
    assert response["statusCode"] == 202
    body = json.loads(response["body"])
    assert body["records"] == 2
    assert body["key"].startswith("source=app/dataset=events/ingest_date=")
    assert body["key"].endswith(f"{body['ingest_id']}-api.jsonl")
    raw = stack.client("s3").get_object(Bucket=names["raw_bucket"], Key=body["key"])
    stored = raw["Body"].read()
    assert stored == event["body"].encode()
    meta = raw["Metadata"]
    assert meta["ingest-id"] == body["ingest_id"] and meta["records"] == "2" and meta["channel"] == "api"
    assert meta["content-sha256"] == hashlib.sha256(stored).hexdigest()
    assert meta["producer"] == "arn:aws:iam::123456789012:role/app-producer"
    runs = run_records(stack, names["ops_bucket"], "ingest_api")
    assert [(r["status"], r["rows_in"], r["output_keys"]) for r in runs] == [("succeeded", 2, [body["key"]])]


@pytest.mark.parametrize(
    ("source", "dataset", "body", "content_type", "status", "error", "fragment"),
    [
        ("app", "nope", b'{"a": 1}', "application/json", 404, "unknown_dataset", "dataset='nope'"),
        ("App", "events", b'{"a": 1}', "application/json", 400, "unsafe_name", "not a safe name"),
        ("app", "events", b"", "application/json", 400, "empty_body", "empty"),
        ("app", "events", b'{"a": 1}\n{"a": }\n', "application/x-ndjson", 400, "malformed_body", "line 2"),
        ("app", "events", b'{"a": 1}', "text/csv", 415, "unsupported_media_type", "'text/csv'"),
        ("app", "events", b"[1, 2]", "application/json", 400, "malformed_body", "array item 0 is int"),
    ],
)
def test_bad_requests_get_status_message_hint_and_nothing_is_lost(
    stack: LocalLake,
    names: dict[str, Any],
    source: str,
    dataset: str,
    body: bytes,
    content_type: str,
    status: int,
    error: str,
    fragment: str,
) -> None:
    got_status, answer = post(source, dataset, body, content_type)
    assert (got_status, answer["error"]) == (status, error)
    assert fragment in answer["message"]
    assert answer["hint"]
    assert list_keys(stack, names["raw_bucket"]) == []
    kept = list_keys(stack, names["quarantine_bucket"], "_rejected/api/")
    if body:
        assert answer["kept"] == f"s3://{names['quarantine_bucket']}/{kept[0]}"
        obj = stack.client("s3").get_object(Bucket=names["quarantine_bucket"], Key=kept[0])
        assert obj["Body"].read() == body and obj["Metadata"]["error"] == error
        assert [r["status"] for r in run_records(stack, names["ops_bucket"])] == ["rejected"]
    else:
        assert kept == []


def test_body_over_the_limit_is_413(stack: LocalLake, monkeypatch: pytest.MonkeyPatch) -> None:
    from cornlake.settings import settings_for

    monkeypatch.setenv("MAX_BODY_BYTES", "64")
    settings_for.cache_clear()
    status, answer = post("app", "events", b'{"event_id": "' + b"x" * 100 + b'"}', "application/json")
    settings_for.cache_clear()
    assert status == 413 and answer["error"] == "payload_too_large"
    assert "over the 64-byte limit" in answer["message"]


PARTNER = "arn:aws:iam::123456789012:role/partner-app"
OTHER = "arn:aws:iam::123456789012:role/other-app"


def test_an_idempotency_key_retried_with_the_same_body_gets_the_first_answer(
    stack: LocalLake, names: dict[str, Any]
) -> None:
    body = b'{"event_id": "1"}\n{"event_id": "2"}\n'
    first = post("app", "events", body, caller=PARTNER, **{"Idempotency-Key": "batch-42"})
    again = post("app", "events", body, caller=PARTNER, **{"Idempotency-Key": "batch-42"})
    assert first[0] == again[0] == 202 and first[1] == again[1]
    [key] = list_keys(stack, names["raw_bucket"])
    assert key == first[1]["key"]


def test_a_retry_that_crosses_the_hour_still_gets_the_first_answer(
    stack: LocalLake, names: dict[str, Any]
) -> None:
    from datetime import UTC, datetime, timedelta
    from unittest import mock

    body = b'{"event_id": "1"}\n'
    first = post("app", "events", body, caller=PARTNER, **{"Idempotency-Key": "k"})
    later = datetime.now(UTC) + timedelta(hours=1, minutes=5)
    with mock.patch("cornlake.ingest.api.datetime", wraps=datetime) as clock:
        clock.now.return_value = later
        again = post("app", "events", body, caller=PARTNER, **{"Idempotency-Key": "k"})
    assert again == first and len(list_keys(stack, names["raw_bucket"])) == 1


def test_an_idempotency_key_reused_with_another_body_is_409_and_changes_nothing(
    stack: LocalLake, names: dict[str, Any]
) -> None:
    s3 = stack.client("s3")
    first = post("app", "events", b'{"event_id": "1"}\n', caller=PARTNER, **{"Idempotency-Key": "batch-42"})
    status, answer = post(
        "app", "events", b'{"event_id": "X"}\n', caller=PARTNER, **{"Idempotency-Key": "batch-42"}
    )
    assert (
        status == 409 and answer["error"] == "idempotency_conflict" and first[1]["key"] in answer["message"]
    )
    assert list_keys(stack, names["raw_bucket"]) == [first[1]["key"]]
    assert (
        s3.get_object(Bucket=names["raw_bucket"], Key=first[1]["key"])["Body"].read()
        == b'{"event_id": "1"}\n'
    )
    assert answer["kept"].startswith(
        f"s3://{names['quarantine_bucket']}/_rejected/api/"
    )  # nothing sent is lost


def test_an_idempotency_key_belongs_to_its_producer(stack: LocalLake, names: dict[str, Any]) -> None:
    mine = post("app", "events", b'{"event_id": "1"}\n', caller=PARTNER, **{"Idempotency-Key": "batch-42"})
    theirs = post("app", "events", b'{"event_id": "2"}\n', caller=OTHER, **{"Idempotency-Key": "batch-42"})
    assert mine[0] == theirs[0] == 202 and mine[1]["key"] != theirs[1]["key"]
    assert len(list_keys(stack, names["raw_bucket"])) == 2


@pytest.mark.parametrize(
    ("dataset", "body", "content_type", "fragment"),
    [
        ("app/events", b'[{"event_id": "1"}]', "application/json", "is a JSON array"),
        ("app/events", b'{\n "event_id": "1"\n}', "application/json", "one JSON document over several lines"),
        ("ref/lojas", b'{"loja_id": 1}', "application/json", "is JSON lines"),
        ("ref/lojas", b'{"loja_id": 1}\n{"loja_id": 2}\n', "application/x-ndjson", "is JSON lines"),
        ("erp/vendas", b'{"id_venda": 1}', "application/json", "reads csv files"),
    ],
)
def test_a_body_of_the_wrong_shape_for_the_dataset_is_refused(
    stack: LocalLake, dataset: str, body: bytes, content_type: str, fragment: str
) -> None:
    status, answer = post(*dataset.split("/"), body, content_type)
    assert (
        status == 400
        and answer["error"] == "wrong_shape"
        and fragment in answer["message"]
        and answer["hint"]
    )


def test_the_right_shapes_are_accepted(stack: LocalLake) -> None:
    assert post("ref", "lojas", b'[{"loja_id": 1, "nome": "a", "ativa": true}]', "application/json")[0] == 202
    assert post("app", "events", b'{"event_id": "1"}', "application/json")[0] == 202


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        (b'{"tags": ' + b"[" * 100_000 + b"]" * 100_000 + b"}", "nested too deeply"),
        (b'{"amount": ' + b"9" * 5000 + b"}", "Exceeds the limit"),
        (b'{"event_id": "\\ud800"}', "without its pair"),
        (b'{"a": 1}\n{"tags": ' + b"[" * 100_000 + b"]" * 100_000 + b"}", "nested too deeply"),
    ],
    ids=["deep", "huge-integer", "lone-surrogate", "deep-on-line-2"],
)
def test_pathological_bodies_get_a_400_with_a_message(stack: LocalLake, body: bytes, fragment: str) -> None:
    status, answer = post("app", "events", body)
    assert status == 400 and answer["error"] == "malformed_body"
    assert fragment in answer["message"] and answer["hint"] and answer["kept"]


def test_non_ascii_identities_and_paths_are_kept_in_metadata(stack: LocalLake, names: dict[str, Any]) -> None:
    event = load_event("ingest_api_post.json")
    event["requestContext"]["identity"]["userArn"] = None
    event["requestContext"]["authorizer"] = {"claims": {"sub": "joão-ção"}}
    response = invoke("lambda_ingest_api", event)
    assert response["statusCode"] == 202
    key = json.loads(response["body"])["key"]
    meta = stack.client("s3").head_object(Bucket=names["raw_bucket"], Key=key)["Metadata"]
    assert meta["producer"] == "cognito:jo%C3%A3o-%C3%A7%C3%A3o"
    refused = load_event("ingest_api_post.json")
    refused["path"] = "/v1/ingest/app/évents"
    refused["pathParameters"] = {"source": "app", "dataset": "évents"}
    response = invoke("lambda_ingest_api", refused)
    assert response["statusCode"] == 400 and json.loads(response["body"])["error"] == "unsafe_name"


def test_an_unexpected_failure_is_a_500_that_says_what_to_do(stack: LocalLake) -> None:
    from unittest import mock

    with mock.patch("cornlake.ingest.api.put_once", side_effect=ConnectionResetError("reset")):
        status, answer = post("app", "events", b'{"event_id": "1"}\n')
    assert status == 500 and answer["error"] == "internal_error"
    assert "nothing was landed" in answer["message"] and "retry" in answer["hint"]


def test_unknown_route_is_a_json_404(stack: LocalLake) -> None:
    event = load_event("ingest_api_post.json")
    event["path"] = "/v1/other"
    event["pathParameters"] = None
    response = invoke("lambda_ingest_api", event)
    assert response["statusCode"] == 404
    assert json.loads(response["body"])["error"] == "not_found"


def test_jwt_subject_is_recorded_as_the_producer(stack: LocalLake) -> None:
    event = load_event("ingest_api_post.json")
    event["requestContext"]["identity"]["userArn"] = None
    event["requestContext"]["authorizer"] = {"claims": {"sub": "partner-7"}}
    response = invoke("lambda_ingest_api", event)
    assert response["statusCode"] == 202
    key = json.loads(response["body"])["key"]
    meta = stack.client("s3").head_object(Bucket=stack.describe()["raw_bucket"], Key=key)["Metadata"]
    assert meta["producer"] == "cognito:partner-7"


def test_a_contract_that_names_its_producers_refuses_everyone_else_with_403(
    stack: LocalLake, names: dict[str, Any], tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    import shutil

    import yaml

    from helpers import DATASETS

    shutil.copytree(DATASETS, tmp_path / "datasets")
    contract = yaml.safe_load((DATASETS / "app" / "events.yaml").read_text())
    contract["producers"] = [
        {"iam": "arn:aws:iam::123456789012:role/partner-*"},
        {"cognito_group": "field-apps"},
        {"api_key": "key-7"},
    ]
    (tmp_path / "datasets" / "app" / "events.yaml").write_text(yaml.safe_dump(contract))
    monkeypatch.setenv("CORNLAKE_DATASETS_DIR", str(tmp_path / "datasets"))
    body = b'{"event_id": "1"}\n'
    assert post("app", "events", body, caller=PARTNER)[0] == 202
    status, answer = post("app", "events", body, caller=OTHER)
    assert status == 403 and answer["error"] == "producer_not_allowed" and OTHER in answer["message"]
    assert answer["kept"]  # refused, and still kept
    event = load_event("ingest_api_post.json")
    event["requestContext"]["identity"] = {"userArn": None, "apiKeyId": None, "sourceIp": "203.0.113.9"}
    event["requestContext"]["authorizer"] = {"claims": {"sub": "u1", "cognito:groups": "field-apps,other"}}
    assert invoke("lambda_ingest_api", event)["statusCode"] == 202
    event["requestContext"]["authorizer"] = {"claims": {"sub": "u2", "cognito:groups": "other"}}
    assert invoke("lambda_ingest_api", event)["statusCode"] == 403
    event["requestContext"]["authorizer"] = None
    event["requestContext"]["identity"]["apiKeyId"] = "key-7"
    assert invoke("lambda_ingest_api", event)["statusCode"] == 202
