"""What the ingest API accepts, and the exact error for what it does not."""

from __future__ import annotations

import pytest

from cornlake.errors import (
    EmptyBodyError,
    MalformedBodyError,
    PayloadTooLargeError,
    UnsupportedMediaTypeError,
)
from cornlake.ingest.body import check_request, count_records


@pytest.mark.parametrize(
    ("body", "records", "extension"),
    [
        (b'[{"a": 1}, {"a": 2}]', 2, "json"),
        (b'{"a": 1}', 1, "jsonl"),  # one object on one line is a JSON line
        (b'{"a": 1}\n{"a": 2}\n\n{"a": 3}\n', 3, "jsonl"),
        (b'\xef\xbb\xbf{"a": 1}', 1, "jsonl"),
        (b'{\n "a": 1\n}', 1, "json"),  # one document over several lines
    ],
)
def test_arrays_objects_and_ndjson_are_counted(body: bytes, records: int, extension: str) -> None:
    assert count_records(body) == (records, extension)


def test_ndjson_error_names_the_line() -> None:
    with pytest.raises(MalformedBodyError) as caught:
        count_records(b'{"a": 1}\n{"a": 2}\n{"a": oops}\n')
    assert caught.value.line == 3
    assert "line 3" in caught.value.message


def test_single_document_error_names_the_offset() -> None:
    with pytest.raises(MalformedBodyError, match="offset 6"):
        count_records(b'[{"a" 1}]')


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"[1, 2]", "array item 0 is int"),
        (b'"text"', "a JSON str is not a record"),
        (b"\xff\xfe", "not UTF-8"),
    ],
)
def test_non_records_are_malformed(body: bytes, message: str) -> None:
    with pytest.raises(MalformedBodyError, match=message):
        count_records(body)


@pytest.mark.parametrize("body", [b"", b"   \n", b"[]"])
def test_empty_bodies_are_refused(body: bytes) -> None:
    with pytest.raises(EmptyBodyError):
        count_records(body)


def test_content_type_and_size_are_checked() -> None:
    check_request("application/json; charset=utf-8", 10, 100)
    with pytest.raises(UnsupportedMediaTypeError) as media:
        check_request("text/csv", 10, 100)
    assert media.value.status == 415 and "application/x-ndjson" in media.value.hint
    with pytest.raises(PayloadTooLargeError) as size:
        check_request("application/json", 101, 100)
    assert size.value.status == 413 and "cornlake ingest" in size.value.hint


def test_rest_events_are_read_with_any_header_case_and_base64_bodies() -> None:
    import base64

    from cornlake.ingest.api import ApiRequest

    event = {
        "path": "/v1/ingest/app/events",
        "httpMethod": "POST",
        "pathParameters": {"source": "app", "dataset": "events"},
        "headers": {"content-type": "application/json", "IDEMPOTENCY-KEY": "k1"},
        "body": base64.b64encode(b'{"a": "\xc3\xa9"}').decode(),
        "isBase64Encoded": True,
        "requestContext": {"identity": {"sourceIp": "203.0.113.9"}, "authorizer": {"claims": {"sub": "p-1"}}},
    }
    request = ApiRequest.from_rest_event(event)
    assert request.body == b'{"a": "\xc3\xa9"}'
    assert (request.content_type, request.idempotency_key) == ("application/json", "k1")
    assert request.producer == "cognito:p-1"
    event["requestContext"] = {"identity": {"sourceIp": "203.0.113.9"}}
    assert ApiRequest.from_rest_event(event).producer == "203.0.113.9"
