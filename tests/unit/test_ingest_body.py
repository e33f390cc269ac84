"""What the ingest API accepts, and the exact error for what it does not."""

from __future__ import annotations

import pytest

from cornlake.errors import (
    EmptyBodyError,
    MalformedBodyError,
    PayloadTooLargeError,
    UnsupportedMediaTypeError,
)
from cornlake.ingest import check_request, count_records


@pytest.mark.parametrize(
    ("body", "records", "extension"),
    [
        (b'[{"a": 1}, {"a": 2}]', 2, "json"),
        (b'{"a": 1}', 1, "json"),
        (b'{"a": 1}\n{"a": 2}\n\n{"a": 3}\n', 3, "jsonl"),
        (b'\xef\xbb\xbf{"a": 1}', 1, "json"),
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
