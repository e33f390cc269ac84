"""Column types of dataset contracts, written the way Glue and Athena write them.

``string, int, bigint, double, decimal(p,s), boolean, date, timestamp, struct<a:t,...>,
array<t>``. The same text goes into the Glue table, so a contract reads like the table.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from cornlake.keys import NAME_RE
from cornlake.sqlquote import ident

DUCKDB_TYPES = {
    "string": "VARCHAR",
    "int": "INTEGER",
    "bigint": "BIGINT",
    "double": "DOUBLE",
    "boolean": "BOOLEAN",
    "date": "DATE",
    "timestamp": "TIMESTAMPTZ",
}
SCALARS = ("string", "int", "bigint", "double", "boolean", "date", "timestamp")
_PRESTO = {"string": "varchar", "int": "integer", "timestamp": "timestamp(3)"}
_DECIMAL_RE = re.compile(r"^decimal\(\s*(\d+)\s*,\s*(\d+)\s*\)$")


class TypeSyntaxError(ValueError):
    pass


@dataclass(frozen=True)
class DataType:
    kind: str
    precision: int = 0
    scale: int = 0
    fields: tuple[tuple[str, DataType], ...] = ()
    item: DataType | None = None

    def glue(self) -> str:
        if self.kind == "decimal":
            return f"decimal({self.precision},{self.scale})"
        if self.kind == "struct":
            return "struct<" + ",".join(f"{n}:{t.glue()}" for n, t in self.fields) + ">"
        if self.kind == "array":
            assert self.item is not None
            return f"array<{self.item.glue()}>"
        return self.kind

    def presto(self) -> str:
        """The type as Athena (Trino) writes it, for view definitions."""
        if self.kind == "decimal":
            return f"decimal({self.precision},{self.scale})"
        if self.kind == "struct":
            return "row(" + ", ".join(f"{n} {t.presto()}" for n, t in self.fields) + ")"
        if self.kind == "array":
            assert self.item is not None
            return f"array({self.item.presto()})"
        return _PRESTO.get(self.kind, self.kind)

    def __str__(self) -> str:
        return self.glue()


def duckdb_type(dtype: DataType) -> str:
    """The type as DuckDB writes it (how curated Parquet is typed)."""
    if dtype.kind in DUCKDB_TYPES:
        return DUCKDB_TYPES[dtype.kind]
    if dtype.kind == "decimal":
        return f"DECIMAL({dtype.precision},{dtype.scale})"
    if dtype.kind == "array":
        assert dtype.item is not None
        return f"{duckdb_type(dtype.item)}[]"
    return "STRUCT(" + ", ".join(f"{ident(n)} {duckdb_type(t)}" for n, t in dtype.fields) + ")"


def parse_type(text: str) -> DataType:
    """Parse a type string; raise TypeSyntaxError saying what was expected."""
    cleaned = re.sub(r"\s+", "", str(text).lower())
    dtype, rest = _parse(cleaned, 0)
    if rest != len(cleaned):
        raise TypeSyntaxError(f"unexpected text after position {rest} in {text!r}")
    return dtype


def _split_top(body: str) -> list[str]:
    parts, depth, start = [], 0, 0
    for i, ch in enumerate(body):
        if ch in "<(":
            depth += 1
        elif ch in ">)":
            depth -= 1
        elif ch == "," and depth == 0:
            parts.append(body[start:i])
            start = i + 1
    parts.append(body[start:])
    return parts


def _matching(text: str, open_at: int) -> int:
    depth = 0
    for i in range(open_at, len(text)):
        if text[i] == "<":
            depth += 1
        elif text[i] == ">":
            depth -= 1
            if depth == 0:
                return i
    raise TypeSyntaxError(f"unclosed '<' in {text!r}")


def _parse(text: str, pos: int) -> tuple[DataType, int]:
    for scalar in SCALARS:
        end = pos + len(scalar)
        if text.startswith(scalar, pos) and (end == len(text) or text[end] in ",>"):
            return DataType(scalar), end
    if text.startswith("decimal(", pos):
        if text.find(")", pos) < 0:
            raise TypeSyntaxError(f"unclosed '(' in {text!r}: expected decimal(p,s)")
        end = text.index(")", pos) + 1
        match = _DECIMAL_RE.match(text[pos:end])
        if not match:
            raise TypeSyntaxError(f"bad decimal in {text!r}: expected decimal(p,s)")
        precision, scale = int(match[1]), int(match[2])
        if not (1 <= precision <= 38 and 0 <= scale <= precision):
            raise TypeSyntaxError("decimal(p,s) needs 1 <= p <= 38 and 0 <= s <= p")
        return DataType("decimal", precision=precision, scale=scale), end
    if text.startswith("array<", pos):
        close = _matching(text, pos + 5)
        item = parse_type(text[pos + 6 : close])
        return DataType("array", item=item), close + 1
    if text.startswith("struct<", pos):
        close = _matching(text, pos + 6)
        fields = []
        for part in _split_top(text[pos + 7 : close]):
            name, sep, type_text = part.partition(":")
            if not sep or not NAME_RE.match(name):
                raise TypeSyntaxError(f"bad struct field {part!r}: expected name:type")
            fields.append((name, parse_type(type_text)))
        return DataType("struct", fields=tuple(fields)), close + 1
    raise TypeSyntaxError(
        f"unknown type {text[pos:]!r}: expected one of {', '.join(SCALARS)}, "
        "decimal(p,s), struct<name:type,...>, array<type>"
    )
