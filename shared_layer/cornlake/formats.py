"""Readers that turn a raw object's bytes into records, streaming, one record at a time.

A reader never loads a whole file: JSON lines and CSV are read line by line, JSON arrays
are decoded element by element. A record that cannot be read (bad JSON, bad bytes for the
declared encoding, a ragged CSV row, an over-long line) comes out with ``error`` set, so
the transform quarantines it and goes on. A file that cannot be read at all (a truncated
archive, more decompressed bytes than allowed) raises BadFileError.
"""

from __future__ import annotations

import codecs
import csv
import gzip
import io
import json
import re
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, BinaryIO

from cornlake.contracts import Contract, FormatSpec
from cornlake.errors import BadFileError

MAX_RECORD_BYTES = 8 * 1024 * 1024
MAX_DECOMPRESSED_BYTES = 20 * 1024**3
RAW_SNIPPET = 16 * 1024
_GZIP_MAGIC = b"\x1f\x8b"
_ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"
BOMB_RATIO = 1000
MIN_DECOMPRESSED_LIMIT = 64 * 1024 * 1024


@dataclass(frozen=True)
class RawRecord:
    number: int
    value: Any
    raw: str
    error: str = ""


class StreamAdapter(io.RawIOBase):
    """Make anything with ``read(n)`` (botocore's StreamingBody) a raw binary stream."""

    def __init__(self, source: Any) -> None:
        self._source = source

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self._source.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


class _LimitedReader(io.RawIOBase):
    """Count decompressed bytes; stop a decompression bomb at ``limit``."""

    def __init__(self, inner: BinaryIO, limit: int) -> None:
        self._inner, self._limit, self.count = inner, limit, 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        try:
            data = self._inner.read(len(buffer))
        except (EOFError, OSError, zlib.error, ValueError) as err:
            raise BadFileError(
                f"the compressed file is damaged or truncated ({err})", hint="upload the complete file again"
            ) from None
        self.count += len(data)
        if self.count > self._limit:
            raise BadFileError(
                f"the file decompresses to more than {self._limit} bytes",
                hint="split the file, or raise the limit if it is genuine",
            )
        buffer[: len(data)] = data
        return len(data)


def decompression_limit(compressed_size: int) -> int:
    """How many bytes a compressed object may expand to: 1000x its size (at least 64 MiB),
    never more than MAX_DECOMPRESSED_BYTES. Past that it is treated as a decompression bomb."""
    return min(MAX_DECOMPRESSED_BYTES, max(MIN_DECOMPRESSED_LIMIT, BOMB_RATIO * compressed_size))


def compression_of(head: bytes, spec: FormatSpec) -> str:
    if spec.compression != "auto":
        return spec.compression
    if head[:2] == _GZIP_MAGIC:
        return "gzip"
    if head[:4] == _ZSTD_MAGIC:
        return "zstd"
    return "none"


def open_input(
    body: Any, spec: FormatSpec, *, max_decompressed: int = MAX_DECOMPRESSED_BYTES
) -> io.BufferedReader[Any]:
    """A buffered binary stream of the object's content, decompressed if need be."""
    stream = io.BufferedReader(StreamAdapter(body), buffer_size=1 << 20)
    compression = compression_of(stream.peek(4)[:4], spec)
    if compression == "none":
        return stream
    if compression == "gzip":
        inner: Any = gzip.GzipFile(fileobj=stream, mode="rb")
    else:
        import zstandard  # only the transform function reads zstd, and ships zstandard

        inner = zstandard.ZstdDecompressor().stream_reader(stream, read_across_frames=True)
    return io.BufferedReader(_LimitedReader(inner, max_decompressed), buffer_size=1 << 20)


def _snippet(data: bytes, encoding: str) -> str:
    return data[:RAW_SNIPPET].decode(encoding, errors="replace")


def _lines(stream: io.BufferedReader, first_number: int = 1) -> Iterator[tuple[int, bytes, str]]:
    """(line number, bytes, error) for each line; over-long lines are skipped with an error."""
    number = first_number - 1
    while True:
        line = stream.readline(MAX_RECORD_BYTES + 1)
        if not line:
            return
        number += 1
        if len(line) > MAX_RECORD_BYTES and not line.endswith(b"\n"):
            head = line[:256]
            while line and not line.endswith(b"\n"):
                line = stream.readline(MAX_RECORD_BYTES)
            yield number, head, f"record longer than {MAX_RECORD_BYTES} bytes"
            continue
        yield number, line, ""


def iter_json_lines(
    stream: io.BufferedReader, spec: FormatSpec, *, first_number: int = 1
) -> Iterator[RawRecord]:
    encoding = "utf-8" if spec.encoding == "utf-8-sig" else spec.encoding
    for number, data, error in _lines(stream, first_number):
        line = data[3:] if number == 1 and data.startswith(codecs.BOM_UTF8) else data
        if error:
            yield RawRecord(number, None, _snippet(line, encoding), error)
            continue
        try:
            text = line.decode(encoding)
        except UnicodeDecodeError as err:
            yield RawRecord(
                number, None, _snippet(line, encoding), f"invalid {encoding} bytes at byte {err.start}"
            )
            continue
        if not text.strip():
            continue
        yield json_record(number, text)


class DuplicateKeyError(ValueError):
    pass


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    obj = dict(pairs)
    if len(obj) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise DuplicateKeyError(key)
            seen.add(key)
    return obj


def json_record(number: int, text: str) -> RawRecord:
    line = text.rstrip("\r\n")
    raw = line[:RAW_SNIPPET]
    try:
        value = json.loads(line, object_pairs_hook=_unique_keys)
    except DuplicateKeyError as err:
        return RawRecord(
            number, None, raw, f"key '{err}' appears twice in one object, so its value is ambiguous"
        )
    except json.JSONDecodeError as err:
        return RawRecord(number, None, raw, f"invalid JSON: {err.msg} at column {err.colno}")
    except RecursionError:
        return RawRecord(number, None, raw, "invalid JSON: nested too deeply")
    if not isinstance(value, dict):
        kind = "null" if value is None else type(value).__name__
        return RawRecord(number, None, raw, f"expected a JSON object, got {kind}")
    return RawRecord(number, value, raw)


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
                if self.eof or len(self.buf) - self.pos > MAX_RECORD_BYTES:
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


def csv_rows(stream: io.BufferedReader, spec: FormatSpec) -> Iterator[list[str]]:
    reader = io.TextIOWrapper(stream, encoding=spec.encoding, errors="surrogateescape", newline="")
    return csv.reader(reader, delimiter=spec.delimiter, quotechar=spec.quote, strict=False)


def clean_header(fields: list[str]) -> list[str]:
    return [h.strip().lstrip("\ufeff") for h in fields]


def iter_csv(
    stream: io.BufferedReader,
    spec: FormatSpec,
    contract: Contract,
    *,
    header: list[str] | None = None,
    first_number: int = 0,
) -> Iterator[RawRecord]:
    """CSV rows as dicts keyed by the contract's input names; ragged rows come out as errors.

    ``header`` (with ``first_number``, the number of the record before the stream's first)
    reads a stream that starts after the header line."""
    rows = csv_rows(stream, spec)
    number = first_number
    if header is None:
        header = [c.input_name for c in contract.columns]
        if spec.header:
            first = next(rows, None)
            if first is None:
                return
            header = clean_header(first)
            number = 1
    for row in rows:
        number += 1
        record = csv_record(number, row, header, spec)
        if record is not None:
            yield record


def csv_record(number: int, row: list[str], header: list[str], spec: FormatSpec) -> RawRecord | None:
    """One CSV row as a record keyed by ``header``; None for a blank line."""
    raw = spec.delimiter.join(row)
    if not row or (len(row) == 1 and not row[0].strip()):
        return None
    if _BAD_BYTES.search(raw):
        return RawRecord(
            number,
            None,
            raw.encode("utf-8", "replace").decode()[:RAW_SNIPPET],
            f"invalid {spec.encoding} bytes",
        )
    if len(row) != len(header):
        return RawRecord(number, None, raw[:RAW_SNIPPET], f"expected {len(header)} fields, got {len(row)}")
    return RawRecord(number, dict(zip(header, row, strict=True)), raw[:RAW_SNIPPET])


# Bytes the declared encoding could not decode, kept by errors="surrogateescape".
_BAD_BYTES = re.compile("[\udc80-\udcff]")


def iter_records(stream: io.BufferedReader, contract: Contract) -> Iterator[RawRecord]:
    spec = contract.format
    if spec.type == "jsonl":
        return iter_json_lines(stream, spec)
    if spec.type == "json_array":
        return iter_json_array(stream, spec)
    return iter_csv(stream, spec, contract)
