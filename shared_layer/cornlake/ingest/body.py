"""What an ingest API body must be: JSON records, of an accepted type, size and shape.

The API parses no more than it must: it checks that the body is JSON records (NDJSON, a
JSON array of objects, or one object) in the shape the dataset's format reads, so a
producer learns at once that it sent garbage or the wrong thing (with the line or
offset), and counts the records for the run record. The bytes land unchanged.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from cornlake.errors import (
    BadIdempotencyKeyError,
    EmptyBodyError,
    MalformedBodyError,
    PayloadTooLargeError,
    UnsupportedMediaTypeError,
    WrongShapeError,
)
from cornlake.jsontext import DECODE_ERRORS, decode_problem, not_an_object, surrogate_problem

JSON_TYPES = ("application/json", "application/x-ndjson", "application/jsonl", "application/json-seq")
LINES, ARRAY, DOCUMENT = "lines", "array", "document"  # NDJSON; [ {...} ]; one object over several lines
SHAPES_BY_FORMAT = {"jsonl": (LINES,), "json_array": (ARRAY,)}
MAX_IDEMPOTENCY_KEY = 255  # characters; a key is a token the producer makes, such as a UUID
MAX_CONTENT_TYPE = 255  # characters; a media type and its parameters


@dataclass(frozen=True)
class Body:
    records: int
    shape: str

    @property
    def extension(self) -> str:
        return "jsonl" if self.shape == LINES else "json"


def read_body(body: bytes) -> Body:
    """Validate JSON records; errors name the line (NDJSON) or offset (a single document)."""
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise MalformedBodyError(f"not UTF-8 ({err.reason})", offset=err.start) from None
    stripped = text.strip()
    if not stripped:
        raise EmptyBodyError()
    try:
        document = _loads(stripped)
    except json.JSONDecodeError as err:
        if stripped[0] == "{" and "\n" in stripped:
            return Body(_count_lines(stripped), LINES)
        raise MalformedBodyError(err.msg, line=err.lineno, offset=err.pos) from None
    if isinstance(document, list):
        bad = next((i for i, item in enumerate(document) if not isinstance(item, dict)), None)
        if bad is not None:
            raise MalformedBodyError(
                f"array item {bad} is {type(document[bad]).__name__}, expected an object"
            )
        if not document:
            raise EmptyBodyError()
        return Body(len(document), ARRAY)
    if isinstance(document, dict):
        return Body(1, LINES if "\n" not in stripped else DOCUMENT)
    raise MalformedBodyError(f"a JSON {type(document).__name__} is not a record; send objects")


class _NotJsonError(ValueError):
    pass


def _no_constants(name: str) -> Any:
    """Python's json reads NaN and Infinity; JSON (RFC 8259) has neither, and no column can hold them."""
    raise _NotJsonError(f"{name} is not a JSON value (RFC 8259 has no NaN or Infinity)")


def _loads(text: str, line: int | None = None) -> Any:
    """json.loads, with pathological texts (deep nesting, huge numbers, lone surrogates, NaN) refused."""
    try:
        value = json.loads(text, parse_constant=_no_constants)
    except json.JSONDecodeError:
        raise
    except DECODE_ERRORS as err:
        raise MalformedBodyError(decode_problem(err).removeprefix("invalid JSON: "), line=line) from None
    problem = surrogate_problem(text, value)
    if problem:
        raise MalformedBodyError(problem.removeprefix("invalid JSON: "), line=line)
    return value


def _count_lines(text: str) -> int:
    count = 0
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            value = _loads(line, number)
        except json.JSONDecodeError as err:
            raise MalformedBodyError(err.msg, line=number, offset=err.colno - 1) from None
        problem = not_an_object(value)
        if problem:
            raise MalformedBodyError(problem, line=number)
        count += 1
    return count


def count_records(body: bytes) -> tuple[int, str]:
    """(records, file extension) of a valid body."""
    found = read_body(body)
    return found.records, found.extension


def check_shape(found: Body, fmt: str, dataset: str) -> None:
    """The body must be what the dataset's format reads: NDJSON for jsonl, an array for json_array."""
    accepted = SHAPES_BY_FORMAT.get(fmt)
    if accepted is None:
        raise WrongShapeError(
            dataset, fmt, found.shape, "its files go to the landing bucket (`cornlake ingest FILE`)"
        )
    if found.shape not in accepted:
        wanted = "one JSON object per line (NDJSON)" if fmt == "jsonl" else "one JSON array of objects"
        raise WrongShapeError(dataset, fmt, found.shape, f"send {wanted}")


def check_request(content_type: str | None, size: int, limit: int) -> None:
    """A JSON media type, written as a header can carry it (it becomes the raw object's
    Content-Type: CR/LF, NULs or non-ASCII there would make S3 refuse the write), and a size."""
    text = content_type or ""
    media = text.split(";")[0].strip().lower()
    if media not in JSON_TYPES or not _printable(text, MAX_CONTENT_TYPE):
        raise UnsupportedMediaTypeError(text[:MAX_CONTENT_TYPE], list(JSON_TYPES))
    if size > limit:
        raise PayloadTooLargeError(size, limit)


def check_idempotency_key(key: str) -> None:
    """An Idempotency-Key is a short token of printable ASCII: a key holding CR/LF, NULs or other
    control characters, or a whole document, is refused rather than hashed and echoed back."""
    if key and not _printable(key, MAX_IDEMPOTENCY_KEY):
        raise BadIdempotencyKeyError(key, MAX_IDEMPOTENCY_KEY)


def _printable(text: str, limit: int) -> bool:
    return len(text) <= limit and all(" " <= c <= "~" for c in text)
