"""Dataset contracts: the single source of truth every stage reads.

One YAML file per dataset at ``datasets/<source>/<dataset>.yaml``. Loading validates the
whole file and fails with the file, the line, the field and what was expected.
docs/CONTRACTS.md documents every field; ``datasets/`` holds the examples. One broken
contract does not hide the others: the registry keeps its error and answers with it only
when that dataset is asked for.
"""

from __future__ import annotations

import os
import re
import zoneinfo
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any

from cornlake import dqdl
from cornlake.datatypes import DataType, TypeSyntaxError, parse_type
from cornlake.errors import ContractError, UnknownDatasetError, UnsafeNameError
from cornlake.keys import PARTITION_FORMATS, validate_name
from cornlake.settings import DATASETS_DIR_ENV

FORMATS = ("jsonl", "json_array", "csv", "parquet")  # each is one class in cornlake.transform.formats
COMPRESSIONS = ("auto", "none", "gzip", "zstd")
ENCODINGS = ("utf-8", "utf-8-sig", "latin-1", "cp1252")
GRANULARITIES = tuple(PARTITION_FORMATS)
EVOLUTION = ("discard", "freeze", "evolve")
MAX_NEW_COLUMNS = (
    200  # under evolve, the most columns one file may add; a record bringing more is quarantined
)
ACROSS_FILES = ("keep_all", "latest_view")  # rows repeating a primary key in later files
CHECKS = tuple(dqdl.ALIASES)  # the rule names before DQDL, still read (cornlake.dqdl.from_alias)
SEVERITIES = ("error", "warn")
QUALITY_MODES = ("check_after_publish", "audit_before_publish")  # write-audit-publish: held until checked
LINEAGE_COLUMN = "_ingest_id"  # every curated row carries the ingest id of the raw object it came from


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
    timezone: str = "UTC"  # the calendar a timestamp column's partitions follow
    projection: bool = False  # Athena partition projection instead of registered partitions
    projection_start: str = "2020-01-01"  # the first value projection covers

    @property
    def value_format(self) -> str:
        """The strftime format of this partitioning's values."""
        return PARTITION_FORMATS[self.granularity]

    def value(self, row: dict[str, Any], ingest_date: date) -> str | None:
        """The partition value of one typed row (None when its partition column is null)."""
        if self.by == "ingest_date":
            return ingest_date.isoformat()
        moment = row.get(self.column)
        if isinstance(moment, datetime):
            moment = moment.astimezone(zoneinfo.ZoneInfo(self.timezone))
        elif not isinstance(moment, date):
            return None
        return moment.strftime(self.value_format)


_DURATION_UNITS = {"m": 60, "h": 3600, "d": 86400, "w": 604800}


def parse_duration(text: str) -> timedelta:
    """'90m', '6h', '1d', '2w' as a timedelta; ValueError for anything else."""
    match = re.fullmatch(r"(\d+)([mhdw])", text.strip())
    if not match or int(match[1]) == 0:
        raise ValueError(text)
    return timedelta(seconds=int(match[1]) * _DURATION_UNITS[match[2]])


@dataclass(frozen=True)
class Freshness:
    """How often new data is expected, and how late it may be before it is called late."""

    expected_every: str = ""  # e.g. "1d"; '' = no expectation
    grace: str = "0m"

    @property
    def deadline(self) -> timedelta | None:
        """How long after the last batch the dataset counts as late (None: never)."""
        if not self.expected_every:
            return None
        return parse_duration(self.expected_every) + (
            parse_duration(self.grace) if self.grace != "0m" else timedelta()
        )


PRODUCER_KINDS = ("iam", "cognito_group", "api_key")


@dataclass(frozen=True)
class Producer:
    """Who may send to a dataset through the API: an IAM principal ARN (``*`` wildcards allowed),
    a Cognito user-pool group, or an API key id."""

    kind: str
    value: str

    def admits(self, identity: dict[str, Any]) -> bool:
        import fnmatch

        if self.kind == "iam":
            return bool(identity.get("arn")) and fnmatch.fnmatchcase(str(identity["arn"]), self.value)
        if self.kind == "cognito_group":
            return self.value in identity.get("groups", ())
        return bool(identity.get("api_key")) and identity.get("api_key") == self.value


QualityRule = dqdl.Rule  # a contract's quality rule: DQDL, parsed (cornlake.dqdl)


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
    producers: tuple[Producer, ...] = ()  # empty: anyone the ingest API authenticates
    across_files: str = "keep_all"  # latest_view: also a <table>_latest view, the last row per key
    freshness: Freshness = field(default_factory=Freshness)
    quality_mode: str = "check_after_publish"

    @property
    def audited(self) -> bool:
        """Whether batches wait in staging until their quality check passes (write-audit-publish)."""
        return self.quality_mode == "audit_before_publish"

    @property
    def references(self) -> set[str]:
        """Tables this contract's ReferentialIntegrity rules read."""
        return {r.reference[0] for r in self.quality if r.type == "ReferentialIntegrity"}

    @property
    def latest_view_name(self) -> str:
        return f"{self.table_name}_latest"

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
    """Typed access to one mapping of a contract file, raising ContractError (with the line) on misuse."""

    def __init__(self, data: Any, path: str, prefix: str, *, line: int = 0) -> None:
        if not isinstance(data, dict):
            raise ContractError(path, prefix or "(file)", "a mapping", type(data).__name__, line=line)
        self.data, self.path, self.prefix = data, path, prefix
        self.line = getattr(data, "line", line)

    def where(self, name: str) -> str:
        return f"{self.prefix}.{name}" if self.prefix else name

    def line_of(self, name: str) -> int:
        return int(getattr(self.data, "key_lines", {}).get(name, self.line))

    def fail(self, name: str, expected: str, got: Any = None, *, hint: str = "") -> ContractError:
        return ContractError(self.path, self.where(name), expected, got, line=self.line_of(name), hint=hint)

    def nested(self, name: str, *, default: Any = None) -> _Fields:
        value = self.data.get(name)
        return _Fields(
            default if value is None else value, self.path, self.where(name), line=self.line_of(name)
        )

    def get(
        self, name: str, kind: type | tuple[type, ...], default: Any = None, *, required: bool = False
    ) -> Any:
        if name not in self.data or self.data[name] is None:
            if required:
                raise self.fail(name, "a value (the field is required)")
            return default
        value = self.data[name]
        if isinstance(value, bool) and kind in (int, float, (int, float)):
            raise self.fail(name, "a number", value)
        if not isinstance(value, kind):
            expected = kind.__name__ if isinstance(kind, type) else "/".join(k.__name__ for k in kind)
            raise self.fail(name, f"a {expected}", value)
        return value

    def choice(self, name: str, options: Iterable[str], default: str | None = None) -> str:
        value = self.get(name, str, default, required=default is None)
        options = tuple(options)
        if value not in options:
            raise self.fail(name, f"one of {', '.join(options)}", value)
        return str(value)

    def name(self, key: str, kind: str, *, default: str | None = None) -> str:
        value = self.get(key, str, default, required=default is None)
        try:
            return validate_name(kind, value)
        except UnsafeNameError as err:
            raise self.fail(key, err.rule, value) from None

    def unknown(self, allowed: set[str]) -> None:
        extra = sorted(set(self.data) - allowed, key=str)
        if not extra:
            return
        key = str(extra[0])
        hint = ""
        if any(ch in key for ch in "()<>,"):
            hint = (
                "inside {...} YAML splits at every comma: quote the value, for example type: 'decimal(12,2)'"
            )
        raise self.fail(key, f"one of the known fields {sorted(allowed)}", key, hint=hint)


_FORMAT_FIELDS = {
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


def _parse_format(f: _Fields) -> FormatSpec:
    f.unknown(_FORMAT_FIELDS)
    spec = FormatSpec(
        type=f.choice("type", FORMATS),
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
        raise f.fail("delimiter", "a single character", spec.delimiter)
    if len(spec.quote) != 1:
        raise f.fail("quote", "a single character", spec.quote)
    if spec.thousands and spec.thousands == spec.decimal:
        raise f.fail("thousands", "a character other than the decimal mark", spec.thousands)
    _zone(f, "timezone", "UTC")
    return spec


def _parse_column(c: _Fields) -> Column:
    c.unknown({"name", "type", "nullable", "description", "pii", "source_name"})
    name = c.name("name", "column")
    try:
        dtype = parse_type(c.get("type", str, required=True))
    except TypeSyntaxError as err:
        raise c.fail("type", str(err), c.data.get("type")) from None
    return Column(
        name,
        dtype,
        c.get("nullable", bool, True),
        c.get("description", str, ""),
        c.get("pii", bool, False),
        c.get("source_name", str, ""),
    )


def _parse_columns(top: _Fields) -> tuple[Column, ...]:
    data = top.data.get("columns")
    if not isinstance(data, list) or not data:
        raise top.fail("columns", "a non-empty list of columns", data)
    columns = tuple(
        _parse_column(_Fields(item, top.path, f"columns[{i}]", line=top.line_of("columns")))
        for i, item in enumerate(data)
    )
    names = [c.name for c in columns]
    duplicated = sorted({n for n in names if names.count(n) > 1})
    if duplicated:
        raise top.fail("columns", "unique column names", duplicated[0])
    return columns


def _parse_partitioning(p: _Fields, columns: tuple[Column, ...]) -> Partitioning:
    p.unknown({"by", "column", "granularity", "name", "timezone", "projection", "projection_start"})
    by = p.choice("by", ("ingest_date", "column"), "ingest_date")
    projection = p.get("projection", bool, False)
    start = p.get("projection_start", str, "2020-01-01")
    try:
        date.fromisoformat(start)
    except ValueError:
        raise p.fail("projection_start", "a date YYYY-MM-DD", start) from None
    if by == "ingest_date":
        return Partitioning(projection=projection, projection_start=start)
    column = p.get("column", str, required=True)
    match = [c for c in columns if c.name == column]
    if not match or match[0].type.kind not in ("date", "timestamp"):
        raise p.fail("column", "the name of a date or timestamp column", column)
    granularity = p.choice("granularity", GRANULARITIES, "day")
    name = p.name("name", "partition", default=f"{column}_{granularity}")
    if name in {c.name for c in columns}:
        raise p.fail("name", "a name that is not also a column", name)
    zone = _zone(p, "timezone", "UTC")
    if zone != "UTC" and match[0].type.kind == "date":
        raise p.fail("timezone", "UTC for a date column (a date has no time of day to move)", zone)
    return Partitioning(by, column, granularity, name, zone, projection, start)


def _zone(f: _Fields, key: str, default: str) -> str:
    zone = f.get(key, str, default)
    try:
        zoneinfo.ZoneInfo(zone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise f.fail(key, "an IANA time zone such as America/Sao_Paulo", zone) from None
    return str(zone)


def _parse_freshness(f: _Fields) -> Freshness:
    f.unknown({"expected_every", "grace"})
    freshness = Freshness(f.get("expected_every", str, ""), f.get("grace", str, "0m"))
    for key in ("expected_every", "grace"):
        value = getattr(freshness, key)
        if value and value != "0m":
            try:
                parse_duration(value)
            except ValueError:
                raise f.fail(key, "a duration such as 90m, 6h, 1d or 2w", value) from None
    return freshness


def _rule_text(q: _Fields) -> tuple[str, str, str]:
    """A rule entry's DQDL text, severity and old check name: a string, {rule: ..., severity: ...},
    or a check from before DQDL ({check: not_null, column: ...}), which becomes its DQDL rule."""
    if "check" not in q.data:
        q.unknown({"rule", "severity"})
        return q.get("rule", str, required=True), q.choice("severity", SEVERITIES, "error"), ""
    q.unknown({"check", "column", "columns", "values", "min", "max", "severity"})
    check = q.choice("check", CHECKS)
    cols = q.get("columns", list, None) or ([q.get("column", str)] if "column" in q.data else [])
    if check != "row_count" and not cols:
        raise q.fail("column", f"a column for the {check} check")
    values = q.get("values", list, [])
    if check == "accepted_values" and not values:
        raise q.fail("values", "a non-empty list of accepted values")
    low, high = q.get("min", (int, float)), q.get("max", (int, float))
    if check in ("range", "row_count") and low is None and high is None:
        raise q.fail("min", f"min and/or max for the {check} check")
    rule = dqdl.from_alias(check, tuple(cols), values=tuple(values), low=low, high=high)
    return rule.text, q.choice("severity", SEVERITIES, "error"), check


def _parse_rule(q: _Fields, kinds: dict[str, str]) -> QualityRule:
    text, severity, alias = _rule_text(q)
    key = "check" if alias else "rule"
    try:
        rule = dqdl.parse(text, severity=severity, alias=alias)
    except dqdl.DqdlError as err:
        raise q.fail(key, f"a DQDL rule ({err})", text) from None
    problem = dqdl.mismatch(rule, kinds) or (None if alias else dqdl.sql_problem(rule, set(kinds)))
    if problem:
        if alias and problem[0].startswith("a column of this dataset"):
            key = "column"
        raise q.fail(key, f"{problem[0]} in {rule.type}", problem[1])
    return rule


def _parse_quality(top: _Fields, columns: tuple[Column, ...]) -> tuple[tuple[QualityRule, ...], str]:
    """The rules and the mode: a list of rules, a Glue ruleset string, or {mode, rules}."""
    data = top.data.get("quality")
    if data is None:
        return (), QUALITY_MODES[0]
    mode, fields = QUALITY_MODES[0], top
    if isinstance(data, dict):
        fields = top.nested("quality")
        fields.unknown({"mode", "rules"})
        mode = fields.choice("mode", QUALITY_MODES, QUALITY_MODES[0])
        data = fields.data.get("rules") or []
    if isinstance(data, str):
        try:
            data = dqdl.parse_ruleset(data)
        except dqdl.DqdlError as err:
            raise fields.fail("rules" if fields is not top else "quality", str(err), data[:60]) from None
    if not isinstance(data, list):
        raise top.fail("quality", "a list of rules, a DQDL ruleset or {mode, rules}", data)
    kinds = {c.name: c.type.kind for c in columns}
    line = top.line_of("quality")
    rules = []
    for i, item in enumerate(data):
        entry = {"rule": item} if isinstance(item, str) else item
        rules.append(_parse_rule(_Fields(entry, top.path, f"quality[{i}]", line=line), kinds))
    return tuple(rules), mode


def _parse_producers(top: _Fields) -> tuple[Producer, ...]:
    data = top.data.get("producers")
    if data is None:
        return ()
    if not isinstance(data, list) or not data:
        raise top.fail(
            "producers", "a non-empty list such as [{iam: 'arn:aws:iam::123456789012:role/app-*'}]", data
        )
    producers = []
    for i, item in enumerate(data):
        p = _Fields(item, top.path, f"producers[{i}]", line=top.line_of("producers"))
        p.unknown(set(PRODUCER_KINDS))
        if len(p.data) != 1:
            raise p.fail("(entry)", f"exactly one of {', '.join(PRODUCER_KINDS)}", dict(p.data))
        kind = next(iter(p.data))
        producers.append(Producer(kind, p.get(kind, str, required=True)))
    return tuple(producers)


def _across_files(top: _Fields, primary_key: tuple[str, ...]) -> str:
    choice = top.choice("duplicates_across_files", ACROSS_FILES, "keep_all")
    if choice == "latest_view" and not primary_key:
        raise top.fail("duplicates_across_files", "a primary_key to find the latest row by", choice)
    return choice


_TOP_FIELDS = {
    "duplicates_across_files",
    "freshness",
    "producers",
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


def parse_contract(data: Any, path: str) -> Contract:
    """Validate one contract document (already parsed from YAML) into a Contract."""
    top = _Fields(data, path, "")
    top.unknown(_TOP_FIELDS)
    columns = _parse_columns(top)
    primary_key = tuple(top.get("primary_key", list, []))
    for key in primary_key:
        if not isinstance(key, str) or key not in {c.name for c in columns}:
            raise top.fail("primary_key", "names of columns of this contract", key)
    top.get("format", dict, required=True)
    evolution = top.nested("schema_evolution", default={})
    evolution.unknown({"new_columns"})
    quality, quality_mode = _parse_quality(top, columns)
    return Contract(
        source=top.name("source", "source"),
        dataset=top.name("dataset", "dataset"),
        description=top.get("description", str, required=True),
        owner=top.get("owner", str, required=True),
        format=_parse_format(top.nested("format")),
        columns=columns,
        primary_key=primary_key,
        partitioning=_parse_partitioning(top.nested("partitioning", default={}), columns),
        quality=quality,
        quality_mode=quality_mode,
        new_columns=evolution.choice("new_columns", EVOLUTION, "discard"),
        version=top.get("version", int, 1),
        path=path,
        producers=_parse_producers(top),
        across_files=_across_files(top, primary_key),
        freshness=_parse_freshness(top.nested("freshness", default={})),
    )


class _LineMapping(dict[Any, Any]):
    """A YAML mapping that remembers its line and the line of each key (1-based)."""

    line = 0
    key_lines: dict[str, int]


def _yaml_load(text: str) -> Any:
    import yaml  # only when contracts are first read, not on every import of this module

    class Loader(yaml.SafeLoader):
        pass

    def mapping(loader: yaml.SafeLoader, node: yaml.MappingNode) -> _LineMapping:
        result = _LineMapping(loader.construct_mapping(node, deep=True))
        result.line = node.start_mark.line + 1
        result.key_lines = {str(k.value): k.start_mark.line + 1 for k, _ in node.value}
        return result

    Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, mapping)
    return yaml.load(text, Loader=Loader)  # noqa: S506 - a SafeLoader subclass


def load_contract(path: Path) -> Contract:
    """Load and validate one contract file; its folder and file name give source and dataset."""
    import yaml

    try:
        data = _yaml_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        problem = getattr(err, "problem", None) or str(err).splitlines()[0]
        raise ContractError(
            str(path),
            "(file)",
            f"valid YAML ({problem})",
            line=mark.line + 1 if mark else 0,
            hint="check the indentation and quoting on that line",
        ) from None
    except UnicodeDecodeError as err:
        raise ContractError(str(path), "(file)", f"UTF-8 text ({err.reason})") from None
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


def _reference_problem(contract: Contract, tables: dict[str, Contract]) -> ContractError | None:
    """A ReferentialIntegrity rule naming a table or column no contract has."""
    for i, rule in enumerate(contract.quality):
        if rule.type != "ReferentialIntegrity":
            continue
        table, column = rule.reference
        other = tables.get(table)
        if other is None:
            expected = f"a reference to a dataset's table ({', '.join(sorted(tables))})"
        elif column not in {c.name for c in other.columns}:
            expected = f"a column of {table} ({', '.join(c.name for c in other.columns)})"
        else:
            continue
        return ContractError(contract.path, f"quality[{i}].rule", expected, rule.arguments[1])
    return None


class ContractRegistry:
    """All contracts of one datasets directory, looked up by (source, dataset).

    A contract that fails to load is kept as its error: asking for that dataset raises it,
    every other dataset keeps working."""

    def __init__(
        self, contracts: Iterable[Contract], broken: dict[tuple[str, str], ContractError] | None = None
    ):
        self._by_key: dict[tuple[str, str], Contract] = {}
        self.broken: dict[tuple[str, str], ContractError] = dict(broken or {})
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
        for contract in list(self._by_key.values()):
            problem = _reference_problem(contract, tables)
            if problem is not None:
                del self._by_key[(contract.source, contract.dataset)]
                self.broken[(contract.source, contract.dataset)] = problem

    @classmethod
    def from_directory(cls, root: Path) -> ContractRegistry:
        if not root.is_dir():
            raise ContractError(str(root), "(directory)", "a directory of <source>/<dataset>.yaml files")
        loaded, broken = [], {}
        for path in sorted(root.glob("*/*.yaml")):
            try:
                loaded.append(load_contract(path))
            except ContractError as err:
                broken[(path.parent.name, path.stem)] = err
        return cls(loaded, broken)

    def get(self, source: str, dataset: str) -> Contract:
        validate_name("source", source)
        validate_name("dataset", dataset)
        contract = self._by_key.get((source, dataset))
        if contract is not None:
            return contract
        if (source, dataset) in self.broken:
            raise self.broken[(source, dataset)]
        raise UnknownDatasetError(source, dataset, self.names())

    def table(self, name: str) -> Contract | None:
        """The contract whose table is ``name`` (``<source>_<dataset>``), if any."""
        return next((c for c in self._by_key.values() if c.table_name == name), None)

    def knows(self, source: str, dataset: str) -> bool:
        """Whether the dataset has a contract file at all (loading or broken)."""
        return (source, dataset) in self._by_key or (source, dataset) in self.broken

    def names(self) -> list[str]:
        return [f"{s}/{d}" for s, d in sorted(self._by_key)]

    def __iter__(self) -> Iterator[Contract]:
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
def _registry_for(root: str, fingerprint: tuple[tuple[str, int, int], ...]) -> ContractRegistry:
    return ContractRegistry.from_directory(Path(root))


_fingerprints: dict[str, tuple[tuple[str, int, int], ...]] = {}


def fingerprint(root: Path) -> tuple[tuple[str, int, int], ...]:
    """What the contract files of ``root`` are now: (name, size, mtime) of each."""
    return tuple(
        (p.relative_to(root).as_posix(), p.stat().st_size, p.stat().st_mtime_ns)
        for p in sorted(root.glob("*/*.yaml"))
    )


def registry(root: Path | None = None) -> ContractRegistry:
    """The contracts, loaded once per process (per cold start) and cached.

    The layer's contracts never change while a function runs; a developer's do, so
    ``refresh()`` (which the local runtime calls) reloads them when the files changed."""
    folder = str(root or default_datasets_dir())
    if folder not in _fingerprints:
        _fingerprints[folder] = fingerprint(Path(folder)) if Path(folder).is_dir() else ()
    return _registry_for(folder, _fingerprints[folder])


def refresh(root: Path | None = None) -> bool:
    """Look at the contract files again; True when they changed since they were loaded."""
    folder = str(root or default_datasets_dir())
    now = fingerprint(Path(folder)) if Path(folder).is_dir() else ()
    changed = _fingerprints.get(folder) not in (None, now)
    _fingerprints[folder] = now
    return changed
