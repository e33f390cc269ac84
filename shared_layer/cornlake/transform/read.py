"""Reading a raw object: its bytes as a buffered, decompressed stream, and the record type.

Decompression is streaming and limited: a compressed object may expand at most
``BOMB_RATIO`` times (at least ``MIN_DECOMPRESSED_LIMIT``); past that, or when an archive is
truncated, the file is a BadFileError and is quarantined whole. Nothing here knows an input
format: cornlake.transform.formats turns the stream into records.
"""

from __future__ import annotations

import gzip
import io
import zlib
from dataclasses import dataclass
from typing import Any, BinaryIO

from cornlake.contracts import FormatSpec
from cornlake.errors import BadFileError

MAX_RECORD_BYTES = 8 * 1024 * 1024
MAX_DECOMPRESSED_BYTES = 20 * 1024**3
RAW_SNIPPET = 16 * 1024  # how much of a refused record's text its quarantine entry keeps
BOMB_RATIO = 1000
MIN_DECOMPRESSED_LIMIT = 64 * 1024 * 1024
_GZIP_MAGIC = b"\x1f\x8b"
_ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"


@dataclass(frozen=True)
class RawRecord:
    """One input record: its number in the file, its value (None if unreadable), its raw text."""

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
    """How many bytes a compressed object may expand to: BOMB_RATIO times its size (at least
    MIN_DECOMPRESSED_LIMIT), never more than MAX_DECOMPRESSED_BYTES."""
    return min(MAX_DECOMPRESSED_BYTES, max(MIN_DECOMPRESSED_LIMIT, BOMB_RATIO * compressed_size))


def compression_of(head: bytes, spec: FormatSpec) -> str:
    if spec.compression != "auto":
        return spec.compression
    if head[:2] == _GZIP_MAGIC:
        return "gzip"
    if head[:4] == _ZSTD_MAGIC:
        return "zstd"
    return "none"


def buffered(body: Any) -> io.BufferedReader:
    """A buffered binary stream over ``body`` (anything with ``read(n)``)."""
    return io.BufferedReader(StreamAdapter(body), buffer_size=1 << 20)


def open_input(
    body: Any, spec: FormatSpec, *, max_decompressed: int = MAX_DECOMPRESSED_BYTES
) -> io.BufferedReader:
    """A buffered binary stream of the object's content, decompressed if need be."""
    stream = buffered(body)
    compression = compression_of(stream.peek(4)[:4], spec)
    if compression == "none":
        return stream
    if compression == "gzip":
        inner: Any = gzip.GzipFile(fileobj=stream, mode="rb")
    else:
        import zstandard  # only the transform function reads zstd, and ships zstandard

        inner = zstandard.ZstdDecompressor().stream_reader(stream, read_across_frames=True)
    return io.BufferedReader(_LimitedReader(inner, max_decompressed), buffer_size=1 << 20)


def bytes_stream(data: bytes) -> io.BufferedReader:
    return io.BufferedReader(io.BytesIO(data))


def snippet(data: bytes, encoding: str) -> str:
    return data[:RAW_SNIPPET].decode(encoding, errors="replace")
