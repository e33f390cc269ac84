"""Cut a decompressed byte stream into blocks of whole records for the fast path.

Each input format brings its cutter (cornlake.transform.formats): JSON lines are cut after
a newline (``line_cut``); CSV after a newline that is outside quotes (``csv_cut``: a quoted
field may hold newlines; the count of quote characters before the cut is even, which holds
for doubled quotes too). A record longer than read.MAX_RECORD_BYTES stops the cutting: the
rest of the stream, from that record on, is handed back for the row path to read record by
record (it skips the over-long record with an error and goes on).
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from cornlake.transform import read

BLOCK_BYTES = 8 * 1024 * 1024


@dataclass(frozen=True)
class Block:
    data: bytes


@dataclass(frozen=True)
class Rest:
    """The unread remainder of the stream, starting at a record boundary."""

    stream: io.BufferedReader


class _Prefixed(io.RawIOBase):
    """``prefix`` followed by the rest of ``stream``."""

    def __init__(self, prefix: bytes, stream: Any) -> None:
        self._prefix, self._stream = memoryview(prefix), stream

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        if self._prefix:
            n = min(len(buffer), len(self._prefix))
            buffer[:n] = self._prefix[:n]
            self._prefix = self._prefix[n:]
            return n
        data = self._stream.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


def prefixed(prefix: bytes, stream: Any) -> io.BufferedReader:
    return io.BufferedReader(_Prefixed(prefix, stream), buffer_size=1 << 20)


def line_cut(data: bytes) -> int:
    """Where a block of JSON lines ends: just after its last newline (-1 if none)."""
    end = data.rfind(b"\n")
    return end + 1 if end >= 0 else -1


def csv_cut(data: bytes, quote: bytes) -> int:
    """Where a block of CSV records ends: after the last newline outside quotes (-1 if none)."""
    end = data.rfind(b"\n")
    if end < 0:
        return -1
    inside = data.count(quote, 0, end) % 2
    while inside:
        previous = data.rfind(b"\n", 0, end)
        if previous < 0:
            return -1
        inside ^= data.count(quote, previous, end) % 2
        end = previous
    return end + 1


Cutter = Callable[[bytes], int]


def blocks(stream: Any, cut: Cutter, *, block_bytes: int = 0) -> Iterator[Block | Rest]:
    """Blocks of whole records, each ending where ``cut`` says; a final Rest if a record is
    longer than read.MAX_RECORD_BYTES."""
    carry = b""
    size = block_bytes or BLOCK_BYTES
    while True:
        chunk = stream.read(size)
        data = carry + chunk if carry else chunk
        if not chunk:
            if data:
                yield Block(data)
            return
        end = cut(data)
        if end <= 0:
            if len(data) > read.MAX_RECORD_BYTES:
                yield Rest(prefixed(data, stream))
                return
            carry = data
            continue
        block, carry = data[:end], data[end:]
        del data, chunk  # only the block and the carry stay alive while the block is processed
        yield Block(block)
        if len(carry) > read.MAX_RECORD_BYTES:
            yield Rest(prefixed(carry, stream))
            return
