"""What an input format is to the transform: one class per format, owning everything about it.

An ``InputFormat`` knows, for one contract:

* ``records``: how to read its stream record by record, for the row path (every format);
* ``fast_path_gap``: whether this contract can take the fast path ('' when it can), and
  ``feed_fast``: how to cut the stream into blocks of whole records and load each one into
  the staging database as set-based SQL;
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
from collections.abc import Iterator
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
