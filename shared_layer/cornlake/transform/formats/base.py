"""What an input format is to the transform: one class per format, owning everything about it.

An ``InputFormat`` knows, for one contract:

* ``records``: how to read its stream record by record, for the row path (every format);
* ``fast_path_gap``: whether this contract can take the fast path ('' when it can), and
  ``feed_fast``: how to cut the stream into blocks of whole records and load each one into
  the staging area as set-based SQL;
* ``flagged_record``: how a record the fast path was unsure of becomes a record again;
* ``splittable`` and ``split_bounds``: whether, and where, a big object can be cut into
  byte ranges, and ``range_header``: what a range after the first needs from the object's
  start;
* ``open``: how the raw bytes become a stream (decompressed, or landed whole).

The transform asks the format object and never branches on the format's name. A new input
format is one subclass, registered in cornlake.transform.formats.
"""

from __future__ import annotations

import io
from abc import ABC, abstractmethod
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

from cornlake.contracts import Contract
from cornlake.transform.read import RawRecord, decompression_limit, open_input

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

    from cornlake.transform.stage import Flagged, Stage


class Sink(Protocol):
    """Where a format's fast path sends what it reads (cornlake.transform.feed.Feeder)."""

    stage: Stage
    tmp: Path
    fast_records: int

    def route(self, records: Iterator[RawRecord]) -> int:
        """Send records to the row path; return the last record number seen (0 if none)."""
        ...


@dataclass
class _Loading:
    load: Future[int | None]
    data: bytes
    first: int  # the number of the block's first record
    records: int  # how many records its cut counted


class SideBySide:
    """Blocks of one stream loading side by side, one per worker, and settled in file order.

    Each block is numbered when it is cut (``add``: its first record's number and how many
    records the cut counted), so it can load while the blocks before it still do. Settling,
    a loaded block is counted; one DuckDB could not read goes to the row path, and should the
    row path find more records in it than the cut counted (a CSV line break DuckDB refuses),
    the blocks after it are renumbered, so record numbers stay the row converter's. At most
    one block per worker is held in memory, plus the one being cut.

    ``load(data, first, records)`` returns the records loaded, or None for the row path;
    ``rows(data, first)`` reads a block record by record."""

    def __init__(
        self,
        sink: Sink,
        workers: int,
        load: Callable[[bytes, int, int], int | None],
        rows: Callable[[bytes, int], Iterator[RawRecord]],
        *,
        first_number: int,
    ) -> None:
        self.sink, self.workers, self._load, self._rows = sink, max(workers, 1), load, rows
        # With one worker a block settles before the next is cut (so under `new_columns:
        # evolve` no two loads overlap); with more, every worker loads a block while the next
        # one is cut.
        self._held = self.workers + 1 if self.workers > 1 else 1
        self.next_number = first_number  # the number the next block's first record gets
        self._pending: deque[_Loading] = deque()
        self._pool = ThreadPoolExecutor(max_workers=self.workers, thread_name_prefix="cornlake-block")

    def __enter__(self) -> SideBySide:
        return self

    def __exit__(self, *exc: object) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)

    def add(self, data: bytes, records: int) -> None:
        first = self.next_number
        self._pending.append(
            _Loading(self._pool.submit(self._load, data, first, records), data, first, records)
        )
        self.next_number += records
        while len(self._pending) >= self._held:
            self._settle()

    def drain(self) -> int:
        """Settle every block; return the number the next record gets."""
        while self._pending:
            self._settle()
        return self.next_number

    def _settle(self) -> None:
        block = self._pending.popleft()
        loaded = block.load.result()
        if loaded is not None:
            self.sink.fast_records += loaded
            return
        last = self.sink.route(self._rows(block.data, block.first))
        extra = last - (block.first + block.records - 1)
        if extra > 0:  # the row path read more records than the cut counted
            wait([b.load for b in self._pending])
            self.sink.stage.renumber(block.first + block.records, extra)
            for later in self._pending:
                later.first += extra
            self.next_number += extra


class InputFormat(ABC):
    name: ClassVar[str]
    splittable: ClassVar[bool] = False  # an uncompressed object can be cut at record ends
    text: ClassVar[bool] = True  # read in the contract's encoding (Parquet is binary)
    has_fast_path: ClassVar[bool] = False  # feed_fast loads blocks (for contracts without a gap)

    def __init__(self, contract: Contract) -> None:
        self.contract = contract
        self.spec = contract.format
        # Set by the reader when the file showed a structure that may rightly hold no records
        # (a CSV header line, an empty JSON array, a Parquet schema): then no records is an
        # empty batch, not an empty file.
        self.empty_is_a_batch = False

    @property
    def duckdb_encoding(self) -> str:
        """The encoding DuckDB reads a block in (cp1252 blocks are re-encoded to UTF-8 first)."""
        return "latin-1" if self.spec.encoding == "latin-1" else "utf-8"

    def block_workers(self, sink: Sink) -> int:
        """How many blocks load side by side: one per core, except under ``new_columns: evolve``,
        where a new field becomes a column (ALTER TABLE) between two blocks, never during one."""
        return 1 if self.contract.new_columns == "evolve" else sink.stage.threads

    def block_file(self, data: bytes, tmp: Path, name: str = "block") -> Path | None:
        """A block as a file DuckDB reads; None if it needs the row path."""
        if self.spec.encoding == "cp1252":
            try:
                data = data.decode("cp1252").encode("utf-8")
            except UnicodeDecodeError:
                return None
        path = tmp / name
        path.write_bytes(data)
        return path

    def open(self, body: Any, size: int) -> io.BufferedReader:
        """The object's content as a stream (decompressed, with the bomb limit)."""
        return open_input(body, self.spec, max_decompressed=decompression_limit(size))

    @abstractmethod
    def records(
        self, stream: io.BufferedReader, *, header: list[str] | None = None, first_number: int = 1
    ) -> Iterator[RawRecord]:
        """The stream's records for the row path; ``first_number`` is the first one's number,
        ``header`` the field names when the stream starts after the object's header."""

    def fast_path_gap(self) -> str:
        """Why this contract cannot take the fast path ('' when it can)."""
        return f"format {self.name} is read record by record"

    def feed_fast(self, stream: io.BufferedReader, sink: Sink, header: list[str] | None) -> None:
        """Load the stream block by block into ``sink.stage``; what cannot be loaded goes to
        ``sink.route``. Only called when ``fast_path_gap()`` is ''."""
        raise NotImplementedError(f"format {self.name} has no fast path")

    def flagged_record(self, item: Flagged) -> RawRecord | None:
        """A record the fast path left undecided, as the row path reads it (None: not a record)."""
        raise NotImplementedError(f"format {self.name} has no fast path")

    def split_bounds(self, s3: S3Client, *, bucket: str, key: str, size: int, step: int) -> list[int]:
        """Cut points [0, ..., size] of an uncompressed object, each at a record boundary."""
        raise NotImplementedError(f"format {self.name} cannot be split")

    def range_header(self, s3: S3Client, *, bucket: str, key: str) -> list[str] | None:
        """What a byte range after the first needs from the object's start (CSV: the header)."""
        return None
