"""JSON array: one document ``[ {...}, {...} ]``, decoded one element at a time.

There is no fast path and no split: an element's end is only known by parsing, so the
array streams through the row path with bounded memory (one element at a time). A broken
array (not closed, bad syntax between elements, wrong encoding) is a bad file.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Iterator
from typing import Any

from cornlake.contracts import FormatSpec
from cornlake.errors import BadFileError
from cornlake.jsontext import (
    DECODE_ERRORS,
    DECODER,
    DuplicateKeyError,
    decode_problem,
    not_an_object,
    surrogate_problem,
)
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

    def decode(self, number: int) -> tuple[Any, str, str]:
        """The next element: (value, its text, why it is refused or '')."""
        while True:
            try:
                try:
                    value, end = DECODER.raw_decode(self.buf, self.pos)
                    problem = ""
                except DuplicateKeyError as err:  # decoded again only to find where the element ends
                    value, end = _PLAIN.raw_decode(self.buf, self.pos)
                    problem = decode_problem(err)
            except json.JSONDecodeError as err:
                if self.eof or len(self.buf) - self.pos > read.MAX_RECORD_BYTES:
                    raise BadFileError(
                        f"invalid JSON in array element {number}: {err.msg}",
                        hint="fix the file and upload it again",
                    ) from None
                self.fill()
                continue
            except DECODE_ERRORS as err:  # nested too deeply, a huge integer: the element cannot be skipped
                raise BadFileError(
                    f"array element {number}: {decode_problem(err)}", hint="fix the file and upload it again"
                ) from None
            raw = self.buf[self.pos : end]
            self.pos = end
            return value, raw, problem


_PLAIN = json.JSONDecoder()


def iter_json_array(
    stream: io.BufferedReader, spec: FormatSpec, on_open: Callable[[], None] | None = None
) -> Iterator[RawRecord]:
    """Decode ``[ {...}, {...} ]`` one element at a time; ``on_open`` hears the ``[``."""
    cursor = _TextCursor(io.TextIOWrapper(stream, encoding=spec.encoding, errors="strict"), spec.encoding)
    if cursor.peek() != "[":
        raise BadFileError("expected a JSON array ('[' first)", hint="check format.type in the contract")
    cursor.pos += 1
    if on_open is not None:
        on_open()
    number = 0
    while (ch := cursor.peek()) != "]":
        if not ch:
            raise BadFileError("the JSON array is not closed", hint="upload the complete file again")
        number += 1
        value, raw, problem = cursor.decode(number)
        problem = problem or not_an_object(value) or surrogate_problem(raw, value)
        yield RawRecord(number, None if problem else value, raw[:RAW_SNIPPET], problem)
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
        return iter_json_array(stream, self.spec, on_open=self._opened)

    def _opened(self) -> None:
        self.empty_is_a_batch = True  # [] holds no records, rightly
