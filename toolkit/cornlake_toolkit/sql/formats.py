"""How the files of a table are read, one class per storage format, chosen from the Glue
table's SerDe as Athena chooses it.

- ``ParquetFormat``: columns by name; a column the files lack reads as NULL.
- ``JsonFormat`` (OpenX or Hive JSON SerDe): one object per line, columns by key (the
  SerDe's ``mapping.<column>`` parameters rename them), malformed lines skipped when
  ``ignore.malformed.json`` says so.
- ``CsvFormat`` (OpenCSVSerde, LazySimpleSerDe): columns by position, every value text as
  OpenCSVSerde gives it (an empty field is an empty string), with the SerDe's separator,
  quote, escape and encoding and the table's ``skip.header.line.count``.

Files are read where the cache put them, with their original extensions, so DuckDB
decompresses ``.gz`` and ``.zst`` files as Athena does.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import ClassVar

import duckdb

from cornlake.sqlquote import ident, literal
from cornlake_toolkit.sql.catalog import TableSpec, duckdb_type

FILE_COLUMN = "cornlake_file"
_NULL_TEXT = "\u0000cornlake-no-null\u0000"  # OpenCSVSerde has no NULL: nothing reads as one


def read_type(glue_type: str) -> str:
    """The DuckDB type a column of a Glue type reads as: Athena reads timestamps in Parquet as
    ``timestamp(3)``, without zone (a UTC-adjusted Parquet timestamp shows its UTC clock)."""
    return "TIMESTAMP_MS" if glue_type.strip().lower() == "timestamp" else duckdb_type(glue_type)


def _paths(paths: list[str]) -> str:
    return "[" + ", ".join(literal(p) for p in paths) + "]"


class TableFormat(ABC):
    """One storage format: the DuckDB relation over its files and the expression of each column."""

    serdes: ClassVar[tuple[str, ...]] = ()

    def __init__(self, spec: TableSpec) -> None:
        self.spec = spec
        descriptor_params = spec.serde_parameters
        self.params = {**spec.parameters, **descriptor_params}

    @abstractmethod
    def source(self, paths: list[str]) -> str:
        """The relation over the files, with FILE_COLUMN naming each row's file."""

    def columns(self, con: duckdb.DuckDBPyConnection, paths: list[str]) -> list[str]:
        """The select list of the table's columns over ``source``."""
        return [
            f"CAST(cornlake_files.{ident(c)} AS {read_type(t)}) AS {ident(c)}"
            for c, t, _ in self.spec.columns
        ]


class ParquetFormat(TableFormat):
    serdes = ("parquet",)

    def source(self, paths: list[str]) -> str:
        return f"read_parquet({_paths(paths)}, union_by_name=true, filename={literal(FILE_COLUMN)})"

    def columns(self, con: duckdb.DuckDBPyConnection, paths: list[str]) -> list[str]:
        rows = con.execute(
            f"DESCRIBE SELECT * FROM read_parquet({_paths(paths)}, union_by_name=true)"
        ).fetchall()
        present = {str(r[0]): str(r[1]) for r in rows}
        out = []
        for name, glue_type, _ in self.spec.columns:
            wanted = read_type(glue_type)
            if name not in present:
                out.append(f"CAST(NULL AS {wanted}) AS {ident(name)}")
            elif present[name] == wanted:
                out.append(f"cornlake_files.{ident(name)}")
            else:
                out.append(f"CAST(cornlake_files.{ident(name)} AS {wanted}) AS {ident(name)}")
        return out


class JsonFormat(TableFormat):
    serdes = ("jsonserde", "json")

    def key(self, column: str) -> str:
        return self.params.get(f"mapping.{column}", column)

    def source(self, paths: list[str]) -> str:
        keys = (
            "{"
            + ", ".join(f"{literal(self.key(c))}: {literal(read_type(t))}" for c, t, _ in self.spec.columns)
            + "}"
        )
        ignore = self.params.get("ignore.malformed.json", "false").lower() == "true"
        return (
            f"read_json({_paths(paths)}, format='newline_delimited', columns={keys}, "
            f"ignore_errors={str(ignore).lower()}, filename={literal(FILE_COLUMN)})"
        )

    def columns(self, con: duckdb.DuckDBPyConnection, paths: list[str]) -> list[str]:
        return [f"cornlake_files.{ident(self.key(c))} AS {ident(c)}" for c, _, _ in self.spec.columns]


class CsvFormat(TableFormat):
    serdes = ("opencsvserde", "lazysimpleserde")

    def source(self, paths: list[str]) -> str:
        delimiter = self.params.get("separatorChar") or self.params.get("field.delim") or ","
        quote = self.params.get("quoteChar", '"')
        escape = self.params.get("escapeChar", "\\")
        header = int(self.params.get("skip.header.line.count", "0") or 0) > 0
        encoding = self.params.get("serialization.encoding", "UTF-8").lower().replace("iso-8859-1", "latin-1")
        names = "{" + ", ".join(f"{literal(c)}: 'VARCHAR'" for c, _, _ in self.spec.columns) + "}"
        return (
            f"read_csv({_paths(paths)}, delim={literal(delimiter)}, quote={literal(quote)}, "
            f"escape={literal(escape)}, header={str(header).lower()}, columns={names}, "
            f"nullstr={literal(_NULL_TEXT)}, null_padding=true, strict_mode=false, "
            f"encoding={literal(encoding)}, filename={literal(FILE_COLUMN)})"
        )

    def columns(self, con: duckdb.DuckDBPyConnection, paths: list[str]) -> list[str]:
        return [
            f"CAST(coalesce(cornlake_files.{ident(c)}, '') AS {read_type(t)}) AS {ident(c)}"
            for c, t, _ in self.spec.columns
        ]


FORMATS: tuple[type[TableFormat], ...] = (ParquetFormat, JsonFormat, CsvFormat)


def format_of(spec: TableSpec) -> TableFormat:
    """The format of a table, from its SerDe (else its classification); Parquet by default."""
    serde = spec.serde.lower().rsplit(".", 1)[-1]
    classification = spec.parameters.get("classification", "").lower()
    for kind in FORMATS:
        if serde in kind.serdes:
            return kind(spec)
    for kind in FORMATS:
        if classification and classification in (*kind.serdes, kind.__name__.removesuffix("Format").lower()):
            return kind(spec)
    return ParquetFormat(spec)
