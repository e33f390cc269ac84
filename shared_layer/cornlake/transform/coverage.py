"""What the fast path took of one object: its share of the valid rows, and what sent the rest away.

A valid row is a record the contract accepts (duplicates by primary key included: their
values are fine). The fast path should take nearly all of them; every one it leaves goes
through the row converter, several times slower. ``Coverage`` counts them and, for the ones
it left, the column and the *form* of the value that made it unsure: a masked shape such as
``string '9999-99-99 99:99:99+9999'``, never the value itself (it may be personal data).
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from cornlake.contracts import Column
from cornlake.transform.values import FALSE, TRUE

WARN_BELOW = 0.9  # a file whose fast path took less than this share of its valid rows is reported
RECORD = (
    "the record as a whole (a key outside the contract, a repeated key, or JSON the fast path cannot check)"
)
BLOCK = "a block DuckDB could not read (bad bytes, a ragged CSV row or malformed JSON): read record by record"
_SHAPE_BYTES = 40
_KEPT_LETTERS = frozenset("TZEe")  # ISO 8601's separator and zone, an exponent's mark
_NUMERIC = re.compile(r"[\d\s.:+\-/,TZEe]*")


def shape(text: str) -> str:
    """A value's form with its content masked: digits as 9, letters as a. The letters of ISO 8601
    and exponents (T, Z, E, e) stay in text that is otherwise digits and signs, such as a
    timestamp or a number; in any other text every letter is masked."""
    head = text[:_SHAPE_BYTES]
    numeric = _NUMERIC.fullmatch(head) and any(ch.isdigit() for ch in head)
    keep = _KEPT_LETTERS if numeric else frozenset()
    masked = "".join(
        "9" if ch.isdigit() else ch if ch in keep else "a" if ch.isalpha() else ch for ch in head
    )
    return masked + ("…" if len(text) > _SHAPE_BYTES else "")


def value_form(value: Any, column: Column) -> str:
    """How a value was written, for a person: its JSON type (text, in CSV) and its masked shape.
    A boolean column's words are shown as they are (they are from a fixed list)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return f"boolean {str(value).lower()}"
    if isinstance(value, int | float):
        return f"{'integer' if isinstance(value, int) else 'number'} {shape(repr(value))}"
    if isinstance(value, str):
        word = value.strip().lower()
        text = value if column.type.kind == "boolean" and word in TRUE | FALSE else shape(value)
        return f"string {text!r}"
    return (
        "object" if isinstance(value, dict) else "array" if isinstance(value, list) else type(value).__name__
    )


@dataclass
class Coverage:
    """The fast path's share of one object's valid rows, and why it left the others."""

    fast_rows: int = 0
    valid_rows: int = 0
    gap: str = ""  # why the whole object went record by record ('' when it could take the fast path)
    expected: bool = True  # the format has a fast path, switched on: a low share is worth a warning
    left: Counter[tuple[str, str]] = field(default_factory=Counter)  # (column, form) -> valid rows

    @property
    def share(self) -> float | None:
        """The fast path's share of the valid rows (None: no valid rows)."""
        return round(self.fast_rows / self.valid_rows, 4) if self.valid_rows else None

    @property
    def low(self) -> bool:
        """Below WARN_BELOW: worth a warning naming what sent rows off the fast path."""
        return self.expected and self.share is not None and self.share < WARN_BELOW

    def cause(self) -> tuple[str, str, int]:
        """(column, value form, valid rows) of what sent the most valid rows off the fast path;
        the column is '' when it was no column (the contract's gap, a whole block, the record)."""
        if self.gap:
            return "", self.gap, self.valid_rows - self.fast_rows
        if not self.left:
            return "", "", 0
        (column, form), rows = self.left.most_common(1)[0]
        return column, form, rows

    def note(self) -> str:
        """One sentence for people ('' when the fast path took every valid row)."""
        column, form, rows = self.cause()
        if not rows:
            return ""
        where = f"column {column}: {form}" if column else form
        return f"{rows} of {self.valid_rows} valid rows left the fast path; the most for {where}"

    def details(self) -> dict[str, Any]:
        """The run record's facts: the share, and the column and form behind the rows it left."""
        column, form, rows = self.cause()
        return {
            "fast_path_share": self.share,
            "fast_path_valid_rows": self.valid_rows,
            "fast_path_left": {"column": column, "form": form, "rows": rows} if rows else {},
        }
