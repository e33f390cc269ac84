"""JSON array: one document ``[ {...}, {...} ]``, decoded one element at a time.

There is no fast path and no split: an element's end is only known by parsing, so the
array streams through the row path with bounded memory (one element at a time). A broken
array (not closed, bad syntax between elements, wrong encoding) is a bad file.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from typing import Any

from cornlake.contracts import FormatSpec
from cornlake.errors import BadFileError
from cornlake.transform import read
from cornlake.transform.formats.base import InputFormat
from cornlake.transform.read import RAW_SNIPPET, RawRecord


class _TextCursor:
    """A window over a text stream, refilled on demand, for incremental JSON decoding."""

    def __init__(self, reader: io.TextIOWrapper, encoding: str) -> None:
        self.reader, self.encoding = reader, encoding
        self.buf, self.pos, self.eof = "", 0, False
        self.fill()

    def fill(self) -> None:
        try:
            chunk = self.reader.read(1 << 20)
        except UnicodeDecodeError as err:
            raise BadFileError(
                f"invalid {self.encoding} bytes ({err.reason})", hint="check format.encoding in the contract"
            ) from None
        self.eof = not chunk
        self.buf, self.pos = self.buf[self.pos :] + chunk, 0

    def peek(self) -> str:
        """The next non-blank character ('' at the end)."""
        while True:
            while self.pos < len(self.buf) and self.buf[self.pos] in " \t\r\n\ufeff":
                self.pos += 1
            if self.pos < len(self.buf):
                return self.buf[self.pos]
            if self.eof:
                return ""
            self.fill()

    def decode(self, decoder: json.JSONDecoder, number: int) -> tuple[Any, str]:
        while True:
            try:
                value, end = decoder.raw_decode(self.buf, self.pos)
            except json.JSONDecodeError as err:
                if self.eof or len(self.buf) - self.pos > read.MAX_RECORD_BYTES:
                    raise BadFileError(
                        f"invalid JSON in array element {number}: {err.msg}",
                        hint="fix the file and upload it again",
                    ) from None
                self.fill()
                continue
            raw = self.buf[self.pos : end]
            self.pos = end
            return value, raw


def iter_json_array(stream: io.BufferedReader, spec: FormatSpec) -> Iterator[RawRecord]:
    """Decode ``[ {...}, {...} ]`` one element at a time."""
    cursor = _TextCursor(io.TextIOWrapper(stream, encoding=spec.encoding, errors="strict"), spec.encoding)
    decoder = json.JSONDecoder()
    if cursor.peek() != "[":
        raise BadFileError("expected a JSON array ('[' first)", hint="check format.type in the contract")
    cursor.pos += 1
    number = 0
    while (ch := cursor.peek()) != "]":
        if not ch:
            raise BadFileError("the JSON array is not closed", hint="upload the complete file again")
        number += 1
        value, raw = cursor.decode(decoder, number)
        if isinstance(value, dict):
            yield RawRecord(number, value, raw[:RAW_SNIPPET])
        else:
            kind = "null" if value is None else type(value).__name__
            yield RawRecord(number, None, raw[:RAW_SNIPPET], f"expected a JSON object, got {kind}")
        ch = cursor.peek()
        if ch == ",":
            cursor.pos += 1
        elif ch != "]":
            raise BadFileError(f"expected ',' or ']' after array element {number}", hint="fix the file")


class JsonArray(InputFormat):
    name = "json_array"

    def records(
        self, stream: io.BufferedReader, *, header: list[str] | None = None, first_number: int = 1
    ) -> Iterator[RawRecord]:
        return iter_json_array(stream, self.spec)
