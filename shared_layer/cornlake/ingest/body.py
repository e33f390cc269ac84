"""What an ingest API body must be: JSON records, of an accepted media type and size.

The API parses no more than it must: it checks that the body is a JSON array of objects,
one object, or NDJSON, so a producer learns at once that it sent garbage (with the line or
offset), and counts the records for the run record. The bytes land unchanged.
"""

from __future__ import annotations

import json

from cornlake.errors import (
    EmptyBodyError,
    MalformedBodyError,
    PayloadTooLargeError,
    UnsupportedMediaTypeError,
)

JSON_TYPES = ("application/json", "application/x-ndjson", "application/jsonl", "application/json-seq")


def count_records(body: bytes) -> tuple[int, str]:
    """Validate a JSON array, a single object or NDJSON; return (records, file extension).

    Errors name the line (NDJSON) or character offset (a single document).
    """
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise MalformedBodyError(f"not UTF-8 ({err.reason})", offset=err.start) from None
    stripped = text.strip()
    if not stripped:
        raise EmptyBodyError()
    try:
        document = json.loads(stripped)
    except json.JSONDecodeError as err:
        if stripped[0] == "{" and "\n" in stripped:
            return _count_ndjson(stripped), "jsonl"
        raise MalformedBodyError(err.msg, line=err.lineno, offset=err.pos) from None
    if isinstance(document, list):
        bad = next((i for i, item in enumerate(document) if not isinstance(item, dict)), None)
        if bad is not None:
            raise MalformedBodyError(
                f"array item {bad} is {type(document[bad]).__name__}, expected an object"
            )
        if not document:
            raise EmptyBodyError()
        return len(document), "json"
    if isinstance(document, dict):
        return 1, "json"
    raise MalformedBodyError(f"a JSON {type(document).__name__} is not a record; send objects")


def _count_ndjson(text: str) -> int:
    count = 0
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            value = json.loads(line)
        except json.JSONDecodeError as err:
            raise MalformedBodyError(err.msg, line=number, offset=err.colno - 1) from None
        if not isinstance(value, dict):
            raise MalformedBodyError(f"a JSON {type(value).__name__} is not a record", line=number)
        count += 1
    return count


def check_request(content_type: str | None, size: int, limit: int) -> None:
    media = (content_type or "").split(";")[0].strip().lower()
    if media not in JSON_TYPES:
        raise UnsupportedMediaTypeError(content_type or "", list(JSON_TYPES))
    if size > limit:
        raise PayloadTooLargeError(size, limit)
