"""Dataset contracts: the single source of truth every stage reads.

One YAML file per dataset at ``datasets/<source>/<dataset>.yaml``. Loading validates the
whole file and fails with the file, the field and what was expected. docs/CONTRACTS.md
documents every field; ``datasets/`` holds the examples.
"""

from __future__ import annotations

import os
import zoneinfo
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from cornlake.datatypes import DataType, TypeSyntaxError, parse_type
from cornlake.errors import ContractError, UnknownDatasetError, UnsafeNameError
from cornlake.keys import validate_name

FORMATS = ("jsonl", "json_array", "csv", "parquet")
COMPRESSIONS = ("auto", "none", "gzip", "zstd")
ENCODINGS = ("utf-8", "utf-8-sig", "latin-1", "cp1252")
GRANULARITIES = ("day", "month", "hour")
EVOLUTION = ("discard", "freeze", "evolve")
CHECKS = ("not_null", "unique", "accepted_values", "range", "row_count")
SEVERITIES = ("error", "warn")
DATASETS_DIR_ENV = "CORNLAKE_DATASETS_DIR"


@dataclass(frozen=True)
class Column:
    name: str
    type: DataType
    nullable: bool = True
    description: str = ""
    pii: bool = False
    source_name: str = ""

    @property
    def input_name(self) -> str:
        return self.source_name or self.name


@dataclass(frozen=True)
class FormatSpec:
    type: str
    compression: str = "auto"
    encoding: str = "utf-8"
    delimiter: str = ","
    quote: str = '"'
    header: bool = True
    decimal: str = "."
    thousands: str = ""
    null_values: tuple[str, ...] = ("",)
    date_format: str = "%Y-%m-%d"
    timestamp_formats: tuple[str, ...] = ()
    timezone: str = "UTC"


@dataclass(frozen=True)
class Partitioning:
    by: str = "ingest_date"
    column: str = ""
    granularity: str = "day"
    name: str = "ingest_date"


@dataclass(frozen=True)
class QualityRule:
    check: str
    columns: tuple[str, ...] = ()
    values: tuple[Any, ...] = ()
    min: float | None = None
    max: float | None = None
    severity: str = "error"

    @property
    def rule_id(self) -> str:
        return f"{self.check}:{','.join(self.columns) or '*'}"


@dataclass(frozen=True)
class Contract:
    source: str
    dataset: str
    description: str
    owner: str
    format: FormatSpec
    columns: tuple[Column, ...]
    primary_key: tuple[str, ...] = ()
    partitioning: Partitioning = field(default_factory=Partitioning)
    quality: tuple[QualityRule, ...] = ()
    new_columns: str = "discard"
    version: int = 1
    path: str = ""

    @property
    def table_name(self) -> str:
        return f"{self.source}_{self.dataset}"

    @property
    def qualified_name(self) -> str:
        return f"{self.source}.{self.dataset}"

    def column(self, name: str) -> Column:
        for col in self.columns:
            if col.name == name:
                return col
        raise KeyError(name)


class _Fields:
    """Typed access to one mapping of a contract file, raising ContractError on misuse."""

    def __init__(self, data: Any, path: str, prefix: str) -> None:
        if not isinstance(data, dict):
            raise ContractError(path, prefix or "(file)", "a mapping", type(data).__name__)
        self.data, self.path, self.prefix = data, path, prefix

    def where(self, name: str) -> str:
        return f"{self.prefix}.{name}" if self.prefix else name

    def get(
        self, name: str, kind: type | tuple[type, ...], default: Any = None, *, required: bool = False
    ) -> Any:
        if name not in self.data or self.data[name] is None:
            if required:
                raise ContractError(self.path, self.where(name), "a value (the field is required)")
            return default
        value = self.data[name]
        if isinstance(value, bool) and kind in (int, float, (int, float)):
            raise ContractError(self.path, self.where(name), "a number", value)
        if not isinstance(value, kind):
            expected = kind.__name__ if isinstance(kind, type) else "/".join(k.__name__ for k in kind)
            raise ContractError(self.path, self.where(name), f"a {expected}", value)
        return value

    def choice(self, name: str, options: Iterable[str], default: str) -> str:
        value = self.get(name, str, default)
        options = tuple(options)
        if value not in options:
            raise ContractError(self.path, self.where(name), f"one of {', '.join(options)}", value)
        return str(value)

    def unknown(self, allowed: set[str]) -> None:
        extra = sorted(set(self.data) - allowed)
        if extra:
            raise ContractError(
                self.path, self.where(extra[0]), f"one of the known fields {sorted(allowed)}", extra[0]
            )


def _name(fields: _Fields, key: str, kind: str) -> str:
    value = fields.get(key, str, required=True)
    try:
        return validate_name(kind, value)
    except UnsafeNameError as err:
        raise ContractError(fields.path, fields.where(key), err.message.split(": ", 1)[1], value) from None


def _parse_format(data: Any, path: str) -> FormatSpec:
    f = _Fields(data, path, "format")
    f.unknown(
        {
            "type",
            "compression",
            "encoding",
            "delimiter",
            "quote",
            "header",
            "decimal",
            "thousands",
            "null_values",
            "date_format",
            "timestamp_formats",
            "timezone",
        }
    )
    spec = FormatSpec(
        type=f.choice("type", FORMATS, ""),
        compression=f.choice("compression", COMPRESSIONS, "auto"),
        encoding=f.choice("encoding", ENCODINGS, "utf-8"),
        delimiter=f.get("delimiter", str, ","),
        quote=f.get("quote", str, '"'),
        header=f.get("header", bool, True),
        decimal=f.choice("decimal", (".", ","), "."),
        thousands=f.choice("thousands", ("", ",", ".", " "), ""),
        null_values=tuple(str(v) for v in f.get("null_values", list, [""])),
        date_format=f.get("date_format", str, "%Y-%m-%d"),
        timestamp_formats=tuple(str(v) for v in f.get("timestamp_formats", list, [])),
        timezone=f.get("timezone", str, "UTC"),
    )
    if len(spec.delimiter) != 1:
        raise ContractError(path, "format.delimiter", "a single character", spec.delimiter)
    if spec.thousands and spec.thousands == spec.decimal:
        raise ContractError(
            path, "format.thousands", "a character other than the decimal mark", spec.thousands
        )
    try:
        zoneinfo.ZoneInfo(spec.timezone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ContractError(
            path, "format.timezone", "an IANA time zone such as America/Sao_Paulo", spec.timezone
        ) from None
    return spec


def _parse_columns(data: Any, path: str) -> tuple[Column, ...]:
    if not isinstance(data, list) or not data:
        raise ContractError(path, "columns", "a non-empty list of columns", data)
    columns: list[Column] = []
    for i, item in enumerate(data):
        c = _Fields(item, path, f"columns[{i}]")
        c.unknown({"name", "type", "nullable", "description", "pii", "source_name"})
        name = _name(c, "name", "column")
        try:
            dtype = parse_type(c.get("type", str, required=True))
        except TypeSyntaxError as err:
            raise ContractError(path, c.where("type"), str(err), item.get("type")) from None
        columns.append(
            Column(
                name,
                dtype,
                c.get("nullable", bool, True),
                c.get("description", str, ""),
                c.get("pii", bool, False),
                c.get("source_name", str, ""),
            )
        )
    names = [c.name for c in columns]
    duplicated = sorted({n for n in names if names.count(n) > 1})
    if duplicated:
        raise ContractError(path, "columns", "unique column names", duplicated[0])
    return tuple(columns)


def _parse_partitioning(data: Any, path: str, columns: tuple[Column, ...]) -> Partitioning:
    if data is None:
        return Partitioning()
    p = _Fields(data, path, "partitioning")
    p.unknown({"by", "column", "granularity", "name"})
    by = p.choice("by", ("ingest_date", "column"), "ingest_date")
    if by == "ingest_date":
        return Partitioning()
    column = p.get("column", str, required=True)
    match = [c for c in columns if c.name == column]
    if not match or match[0].type.kind not in ("date", "timestamp"):
        raise ContractError(path, "partitioning.column", "the name of a date or timestamp column", column)
    granularity = p.choice("granularity", GRANULARITIES, "day")
    name = p.get("name", str, f"{column}_{granularity}")
    if name in {c.name for c in columns}:
        raise ContractError(path, "partitioning.name", "a name that is not also a column", name)
    return Partitioning(by, column, granularity, validate_name("partition", name))


def _parse_quality(data: Any, path: str, columns: tuple[Column, ...]) -> tuple[QualityRule, ...]:
    if data is None:
        return ()
    if not isinstance(data, list):
        raise ContractError(path, "quality", "a list of rules", data)
    names = {c.name for c in columns}
    rules = []
    for i, item in enumerate(data):
        q = _Fields(item, path, f"quality[{i}]")
        q.unknown({"check", "column", "columns", "values", "min", "max", "severity"})
        check = q.choice("check", CHECKS, "")
        cols = q.get("columns", list, None) or ([q.get("column", str)] if "column" in item else [])
        for col in cols:
            if col not in names:
                raise ContractError(
                    path, q.where("column"), f"a column of this contract ({', '.join(sorted(names))})", col
                )
        if check != "row_count" and not cols:
            raise ContractError(path, q.where("column"), f"a column for the {check} check")
        values = q.get("values", list, [])
        if check == "accepted_values" and not values:
            raise ContractError(path, q.where("values"), "a non-empty list of accepted values")
        low, high = q.get("min", (int, float)), q.get("max", (int, float))
        if check in ("range", "row_count") and low is None and high is None:
            raise ContractError(path, q.where("min"), f"min and/or max for the {check} check")
        rules.append(
            QualityRule(
                check, tuple(cols), tuple(values), low, high, q.choice("severity", SEVERITIES, "error")
            )
        )
    return tuple(rules)


def parse_contract(data: Any, path: str) -> Contract:
    """Validate one contract document (already parsed from YAML) into a Contract."""
    top = _Fields(data, path, "")
    top.unknown(
        {
            "source",
            "dataset",
            "version",
            "description",
            "owner",
            "format",
            "columns",
            "primary_key",
            "partitioning",
            "quality",
            "schema_evolution",
        }
    )
    source = _name(top, "source", "source")
    dataset = _name(top, "dataset", "dataset")
    columns = _parse_columns(data.get("columns"), path)
    primary_key = tuple(top.get("primary_key", list, []))
    for key in primary_key:
        if key not in {c.name for c in columns}:
            raise ContractError(path, "primary_key", "names of columns of this contract", key)
    evolution = _Fields(data.get("schema_evolution") or {}, path, "schema_evolution")
    evolution.unknown({"new_columns"})
    return Contract(
        source=source,
        dataset=dataset,
        description=top.get("description", str, required=True),
        owner=top.get("owner", str, required=True),
        format=_parse_format(top.get("format", dict, required=True), path),
        columns=columns,
        primary_key=primary_key,
        partitioning=_parse_partitioning(data.get("partitioning"), path, columns),
        quality=_parse_quality(data.get("quality"), path, columns),
        new_columns=evolution.choice("new_columns", EVOLUTION, "discard"),
        version=top.get("version", int, 1),
        path=path,
    )


def load_contract(path: Path) -> Contract:
    import yaml  # only when contracts are first read, not on every import of this module

    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as err:
        raise ContractError(str(path), "(file)", f"valid YAML ({err})") from None
    contract = parse_contract(data, str(path))
    expected = (path.parent.name, path.stem)
    if (contract.source, contract.dataset) != expected:
        raise ContractError(
            str(path),
            "source/dataset",
            f"{expected[0]}/{expected[1]} to match the file's path",
            f"{contract.source}/{contract.dataset}",
        )
    return contract


class ContractRegistry:
    """All contracts of one datasets directory, looked up by (source, dataset)."""

    def __init__(self, contracts: Iterable[Contract]) -> None:
        self._by_key: dict[tuple[str, str], Contract] = {}
        tables: dict[str, Contract] = {}
        for contract in contracts:
            other = tables.get(contract.table_name)
            if other is not None:
                raise ContractError(
                    contract.path,
                    "source/dataset",
                    f"a table name not already used by {other.path}",
                    contract.table_name,
                )
            tables[contract.table_name] = contract
            self._by_key[(contract.source, contract.dataset)] = contract

    @classmethod
    def from_directory(cls, root: Path) -> ContractRegistry:
        if not root.is_dir():
            raise ContractError(str(root), "(directory)", "a directory of <source>/<dataset>.yaml files")
        return cls(load_contract(p) for p in sorted(root.glob("*/*.yaml")))

    def get(self, source: str, dataset: str) -> Contract:
        validate_name("source", source)
        validate_name("dataset", dataset)
        try:
            return self._by_key[(source, dataset)]
        except KeyError:
            raise UnknownDatasetError(source, dataset, self.names()) from None

    def names(self) -> list[str]:
        return [f"{s}/{d}" for s, d in sorted(self._by_key)]

    def __iter__(self) -> Any:
        return iter(self._by_key[k] for k in sorted(self._by_key))

    def __len__(self) -> int:
        return len(self._by_key)


def default_datasets_dir() -> Path:
    """Contracts ship inside the layer (``cornlake/datasets``); CORNLAKE_DATASETS_DIR overrides."""
    override = os.environ.get(DATASETS_DIR_ENV)
    if override:
        return Path(override)
    return Path(__file__).resolve().parent / "datasets"


@cache
def _registry_for(root: str) -> ContractRegistry:
    return ContractRegistry.from_directory(Path(root))


def registry(root: Path | None = None) -> ContractRegistry:
    """The contracts, loaded once per process (per cold start) and cached."""
    return _registry_for(str(root or default_datasets_dir()))
