"""Feeding one raw object to the two conversion paths.

``Feeder`` opens the object through its input format and, when the contract can take the
fast path, lets the format load it block by block into the staging area; everything
else goes to the row path (cornlake.transform.rowpath): contracts the fast path does not
cover, blocks DuckDB cannot read, and, at the end, the records the fast path was not sure
of (``flagged``).
"""

from __future__ import annotations

import codecs
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from cornlake.transform.coverage import BLOCK, RECORD, Coverage, value_form
from cornlake.transform.formats import InputFormat
from cornlake.transform.read import RawRecord
from cornlake.transform.rowpath import RowPath
from cornlake.transform.stage import Stage

PEEK_BYTES = 1 << 20  # how much of an object the encoding check looks at
_SINGLE_BYTE = ("latin-1", "cp1252")


def encoding_warning(head: bytes, encoding: str) -> str:
    """A warning when a single-byte contract meets text that is valid multi-byte UTF-8: it would
    be read as mojibake ('São' as 'SÃ£o') without any row failing."""
    if encoding not in _SINGLE_BYTE or head.isascii():
        return ""
    try:
        text = codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
    except UnicodeDecodeError:
        return ""  # not UTF-8: the single-byte encoding is plausible
    sample = next(ch for ch in text if ord(ch) > 127)
    seen_as = sample.encode("utf-8").decode(encoding, errors="replace")
    return (
        f"the file looks like UTF-8 (for example {sample!r}), but the contract reads it as {encoding}, "
        f"so {sample!r} becomes {seen_as!r}; set format.encoding to utf-8 if the producer writes UTF-8"
    )


class Feeder:
    """Reads one raw object into the stage: fast path where it can, row path elsewhere."""

    def __init__(
        self,
        fmt: InputFormat,
        stage: Stage,
        rows: RowPath,
        tmp: Path,
        *,
        header: list[str] | None = None,
        fast_path: bool = True,
    ) -> None:
        self.format, self.stage, self.rows, self.tmp = fmt, stage, rows, tmp
        self.header = header  # CSV byte ranges after the first: the object's header line
        gap = fmt.fast_path_gap() if fast_path else "the fast path is switched off"
        self.fast = not gap
        self.fast_records = 0
        self.warnings: list[str] = []
        self.gap = gap
        self._expected = fast_path and fmt.has_fast_path
        self._left: Counter[tuple[str, str]] = Counter()  # valid rows the fast path left: (column, form)
        self._columns = {c.name: c for c in fmt.contract.columns}

    def read(self, body: Any, size: int) -> None:
        stream = self.format.open(body, size)
        if self.format.text:
            warning = encoding_warning(stream.peek(PEEK_BYTES)[:PEEK_BYTES], self.format.spec.encoding)
            self.warnings += [warning] if warning else []
        if self.fast:
            self.format.feed_fast(stream, self, self.header)
        else:
            self.route(self.format.records(stream, header=self.header))

    def route(self, records: Iterator[RawRecord]) -> int:
        """Send records to the row path; return the last record number seen (0 if none)."""
        number = 0
        for record in records:
            if self.rows.route(record) and self.fast:  # a block the fast path could not read
                self._left["", BLOCK] += 1
            number = record.number
        return number

    def flagged(self) -> None:
        """The records the fast path left undecided: the row path decides them (and counts them)."""
        for item in self.stage.flagged():
            self.fast_records -= 1
            record = self.format.flagged_record(item)
            if record is not None and self.rows.route(record):
                self._left[self._form(item.column, record.value)] += 1

    def _form(self, name: str, value: dict[str, Any] | None) -> tuple[str, str]:
        column = self._columns.get(name)
        if column is None or value is None:
            return name, RECORD
        return name, f"{column.type} given as {value_form(value.get(column.input_name), column)}"

    def coverage(self) -> Coverage:
        """The fast path's share of the valid rows read so far, and what sent the others away."""
        valid = self.fast_records + self.rows.accepted
        return Coverage(self.fast_records, valid, self.gap, self._expected, self._left)

    @property
    def records(self) -> int:
        return self.fast_records + self.rows.records
