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
    source: str, dataset: str, body: bytes, content_type: str = "application/x-ndjson", **headers: str
) -> Any:
    event = load_event("ingest_api_post.json")
    event["path"] = f"/v1/ingest/{source}/{dataset}"
    event["pathParameters"] = {"source": source, "dataset": dataset}
    event["headers"] = {"Content-Type": content_type, **headers}
    event["body"] = body.decode("utf-8", "replace")
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


def test_idempotency_key_lands_a_retry_on_the_same_key(stack: LocalLake, names: dict[str, Any]) -> None:
    first = post("app", "events", b'{"event_id": "1"}', "application/json", **{"Idempotency-Key": "batch-42"})
    again = post("app", "events", b'{"event_id": "1"}', "application/json", **{"Idempotency-Key": "batch-42"})
    assert first[0] == again[0] == 202
    assert first[1]["key"] == again[1]["key"]
    assert len(list_keys(stack, names["raw_bucket"])) == 1


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
