"""Every fact the catalog site shows, read from one target: the local lake or an AWS stack.

    contracts    ``cornlake.contracts.registry()``: description, owner, columns, partitioning, rules
    Glue         the curated database: tables and their parameters, partitions, the views built
                 on them; the raw database ``<db>_raw`` when it exists
    ops SQL      ``<ops db>.runs``: freshness, channels, recent runs and failures;
                 ``<ops db>.quality_results``: the latest results and their history
    row counts   a count by partition, run on the curated table
    examples     ``cornlake.catalog.queries``: the same queries the catalog saves in Athena
    quarantine   ``<ops db>.quarantine`` when the catalog has it, else the quarantine bucket's JSON
                 lines objects, newest first, within ``Limits``

Each fact is read by one function here, so where it comes from changes in one place. A source
that cannot be read becomes a note on the site, never a failed build.
"""

# ruff: noqa: S608 - SQL over names from the target and validated contracts, values quoted by sqlquote

from __future__ import annotations

import json
import re
from collections import defaultdict
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime, timedelta
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from cornlake import ops
from cornlake.catalog.queries import example_queries
from cornlake.catalog.views import view_sql
from cornlake.contracts import LINEAGE_COLUMN, Contract, ContractRegistry, registry
from cornlake.errors import CornLakeError
from cornlake.sqlquote import ident, literal
from cornlake_toolkit.client import run_sql
from cornlake_toolkit.site import model
from cornlake_toolkit.site.freshness import assess, expectation, iso
from cornlake_toolkit.target import Target
from cornlake_toolkit.trial import reason_kind

QUARANTINE_TABLE = getattr(getattr(ops, "QUARANTINE", None), "name", "quarantine")
_RUN_FIELDS = (
    "run_id, stage, status, source, dataset, input_key, rows_in, rows_out, rows_quarantined, "
    "started_at, duration_ms, error"
)


@dataclass(frozen=True)
class Limits:
    """How much the site reads: ops data of the last ``history_days``, and caps on the rest."""

    history_days: int = 90
    runs_shown: int = 200
    failures_shown: int = 100
    runs_per_dataset: int = 10
    quality_history: int = 30  # evaluations per rule
    partitions_shown: int = 24
    partitions_read: int = 10_000
    quarantine_files: int = 50  # newest quarantine objects read per dataset
    quarantine_bytes: int = 2 * 1024 * 1024  # read from each one


class _CachingTarget(Target):
    """The same target, building each AWS client once (a client costs ~0.1 s to build)."""

    def client(self, service: str) -> Any:
        cache: dict[str, Any] = self.__dict__.setdefault("_clients", {})
        if service not in cache:
            cache[service] = super().client(service)
        return cache[service]


class _Reader:
    """SQL and AWS reads whose failures become notes on the site."""

    def __init__(self, target: Target) -> None:
        self.target = _CachingTarget(**{f.name: getattr(target, f.name) for f in fields(Target)})
        self.notes: list[str] = []

    def note(self, what: str, err: Exception) -> None:
        text = err.message if isinstance(err, CornLakeError) else str(err)
        self.notes.append(f"{what}: {text.splitlines()[0] if text else type(err).__name__}")

    def sql(self, what: str, sql: str) -> list[dict[str, Any]] | None:
        try:
            result = run_sql(self.target, sql)
        except (CornLakeError, BotoCoreError, ClientError) as err:
            self.note(what, err)
            return None
        return [dict(zip(result.columns, row, strict=True)) for row in result.rows]


@dataclass
class _Facts:
    """What is read once for all datasets."""

    since: str  # first run_date / ingest_date read
    tables: dict[str, dict[str, Any]] = field(default_factory=dict)
    raw_tables: dict[str, dict[str, Any]] = field(default_factory=dict)
    ops_tables: dict[str, dict[str, Any]] = field(default_factory=dict)
    stats: list[dict[str, Any]] | None = None
    quality: list[dict[str, Any]] = field(default_factory=list)
    runs: dict[tuple[str, str], list[model.Run]] = field(default_factory=dict)  # per dataset
    recent: list[model.Run] = field(default_factory=list)
    failures: list[model.Run] = field(default_factory=list)


def gather_site(
    target: Target,
    *,
    now: datetime | None = None,
    contracts: ContractRegistry | None = None,
    limits: Limits | None = None,
) -> model.Site:
    """Read everything the site shows from ``target``."""
    now, limits = now or datetime.now(UTC), limits or Limits()
    contracts = contracts if contracts is not None else registry()
    reader = _Reader(target)
    facts = _read_facts(reader, limits, now)
    datasets = [_dataset(reader, c, facts, limits, now) for c in contracts]
    known = {d.table for d in datasets} | {f"{s}_{d}" for s, d in contracts.broken}
    datasets += [_glue_only(t, facts, target.glue_database, now) for t in _glue_datasets(facts, known)]
    datasets += [
        model.Dataset(s, d, f"{s}_{d}", target.glue_database, error=err.message)
        for (s, d), err in sorted(contracts.broken.items())
    ]
    return model.Site(
        target=target.target,
        stack=target.stack_name,
        region=target.region,
        database=target.glue_database,
        ops_database=target.ops_glue_database,
        built_at=iso(now),
        history_days=limits.history_days,
        datasets=tuple(sorted(datasets, key=lambda d: (d.error != "", d.table))),
        recent_runs=tuple(facts.recent),
        failures=tuple(facts.failures),
        stages=_stage_summaries(facts.stats or []),
        notes=tuple(reader.notes),
    )


def _read_facts(reader: _Reader, limits: Limits, now: datetime) -> _Facts:
    target = reader.target
    glue = target.client("glue")
    facts = _Facts(since=(now - timedelta(days=limits.history_days)).date().isoformat())
    facts.tables = _glue_tables(reader, glue, target.glue_database)
    facts.raw_tables = _glue_tables(reader, glue, f"{target.glue_database}_raw")
    facts.ops_tables = _glue_tables(reader, glue, target.ops_glue_database)
    if ops.RUNS.name in facts.ops_tables:
        facts.stats = reader.sql("run records", _stats_sql(target, facts.since))
        _split_runs(facts, reader.sql("run records", _runs_sql(target, facts.since, limits)) or [], limits)
    if ops.QUALITY_RESULTS.name in facts.ops_tables:
        facts.quality = reader.sql("quality results", _quality_sql(target, facts.since, limits)) or []
    return facts


# --- Glue ---------------------------------------------------------------------------------------


def _not_found(err: Exception) -> bool:
    return (
        isinstance(err, ClientError)
        and err.response.get("Error", {}).get("Code") == "EntityNotFoundException"
    )


def _glue_tables(reader: _Reader, glue: Any, database: str) -> dict[str, dict[str, Any]]:
    """The tables (and views) of one Glue database by name; none when it does not exist."""
    try:
        pages = glue.get_paginator("get_tables").paginate(DatabaseName=database)
        return {t["Name"]: dict(t) for page in pages for t in page.get("TableList", [])}
    except (BotoCoreError, ClientError) as err:
        if not _not_found(err):
            reader.note(f"Glue database {database}", err)
        return {}


def _glue_partitions(reader: _Reader, database: str, table: str, cap: int) -> list[dict[str, Any]]:
    glue = reader.target.client("glue")
    found: list[dict[str, Any]] = []
    try:
        for page in glue.get_paginator("get_partitions").paginate(DatabaseName=database, TableName=table):
            found += page.get("Partitions", [])
            if len(found) >= cap:
                break
    except (BotoCoreError, ClientError) as err:
        reader.note(f"partitions of {database}.{table}", err)
    return found


def _views_on(table: str, facts: _Facts, database: str) -> tuple[model.Node, ...]:
    """Views whose definition reads ``table`` (CornLake's own, ``cornlake.view_of``, and any other),
    and the models built from it (their ``cornlake.depends_on``), linked to their pages."""
    mention = re.compile(rf"(^|[^a-z0-9_]){re.escape(table)}($|[^a-z0-9_])")
    views = []
    for view_name, view in sorted(facts.tables.items()):
        params = view.get("Parameters", {})
        if params.get("cornlake.model") and table in params.get("cornlake.depends_on", "").split(","):
            detail = (
                (("view_description", str(view.get("Description", ""))),) if view.get("Description") else ()
            )
            page = (
                "" if view.get("TableType") == "VIRTUAL_VIEW" else f"{view_name}.html"
            )  # views have no page
            views.append(model.Node("model", f"{database}.{view_name}", detail, href=page))
            continue
        if view.get("TableType") != "VIRTUAL_VIEW" or view_name == table:
            continue
        of = view.get("Parameters", {}).get("cornlake.view_of", "")
        if of == table or (not of and mention.search(view_sql(view))):
            detail = (
                (("view_description", str(view.get("Description", ""))),) if view.get("Description") else ()
            )
            views.append(model.Node("view", f"{database}.{view_name}", detail))
    return tuple(views)


def _glue_datasets(facts: _Facts, known: set[str]) -> list[dict[str, Any]]:
    """CornLake tables Glue has that no contract (loading or broken) describes any more."""
    return [
        t
        for n, t in sorted(facts.tables.items())
        if n not in known
        and t.get("TableType") != "VIRTUAL_VIEW"
        and {"cornlake.source", "cornlake.dataset"} <= set(t.get("Parameters", {}))
    ]


# --- ops SQL ------------------------------------------------------------------------------------


def _ops(target: Target, table: str) -> str:
    return f"{ident(target.ops_glue_database)}.{ident(table)}"


def _stats_sql(target: Target, since: str) -> str:
    return (
        "SELECT source, dataset, stage, status, count(*) AS runs, sum(rows_in) AS rows_in, "
        "sum(rows_out) AS rows_out, sum(rows_quarantined) AS rows_quarantined, "
        "max(finished_at) AS last_finished "
        f"FROM {_ops(target, ops.RUNS.name)} WHERE run_date >= {literal(since)} "
        "GROUP BY source, dataset, stage, status"
    )


def _runs_sql(target: Target, since: str, limits: Limits) -> str:
    """One query for the three lists of runs: the latest overall, the latest failures, and the
    latest of each dataset (numbered by window functions, split in Python)."""
    failed = ", ".join(literal(s) for s in model.FAILED_STATUSES)
    return (
        f"SELECT {_RUN_FIELDS}, n_all, n_failed, n_dataset FROM (SELECT {_RUN_FIELDS}, "
        "row_number() OVER (ORDER BY started_at DESC) AS n_all, "
        f"row_number() OVER (PARTITION BY status IN ({failed}) ORDER BY started_at DESC) AS n_failed, "
        "row_number() OVER (PARTITION BY source, dataset ORDER BY started_at DESC) AS n_dataset "
        f"FROM {_ops(target, ops.RUNS.name)} WHERE run_date >= {literal(since)}) "
        f"WHERE n_all <= {int(limits.runs_shown)} OR n_failed <= {int(limits.failures_shown)} "
        f"OR n_dataset <= {int(limits.runs_per_dataset)} ORDER BY started_at DESC"
    )


def _quality_sql(target: Target, since: str, limits: Limits) -> str:
    fields = (
        'source, dataset, ingest_id, rule_id, "check", severity, passed, rows_checked, rows_failed, '
        "observed, evaluated_at"
    )
    return (
        f"SELECT {fields} FROM (SELECT {fields}, row_number() OVER "
        "(PARTITION BY source, dataset, rule_id ORDER BY evaluated_at DESC) AS cornlake_n "
        f"FROM {_ops(target, ops.QUALITY_RESULTS.name)} WHERE run_date >= {literal(since)}) "
        f"WHERE cornlake_n <= {int(limits.quality_history)} ORDER BY evaluated_at"
    )


def _int(value: Any) -> int | None:
    """Athena answers text, DuckDB numbers; both become ints (None for null)."""
    if value is None or value == "":
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _bool(value: Any) -> bool:
    return value is True or str(value).lower() == "true"


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def _run(row: dict[str, Any]) -> model.Run:
    return model.Run(
        run_id=_text(row.get("run_id")),
        stage=_text(row.get("stage")),
        status=_text(row.get("status")),
        source=_text(row.get("source")),
        dataset=_text(row.get("dataset")),
        input_key=_text(row.get("input_key")),
        rows_in=_int(row.get("rows_in")),
        rows_out=_int(row.get("rows_out")),
        rows_quarantined=_int(row.get("rows_quarantined")),
        started_at=_text(row.get("started_at")),
        duration_ms=_int(row.get("duration_ms")),
        error=_text(row.get("error")),
    )


def _split_runs(facts: _Facts, rows: list[dict[str, Any]], limits: Limits) -> None:
    for row in rows:
        run = _run(row)
        if (_int(row["n_all"]) or 0) <= limits.runs_shown:
            facts.recent.append(run)
        if run.failed and (_int(row["n_failed"]) or 0) <= limits.failures_shown:
            facts.failures.append(run)
        if run.dataset and (_int(row["n_dataset"]) or 0) <= limits.runs_per_dataset:
            facts.runs.setdefault((run.source, run.dataset), []).append(run)


def _stage_summaries(stats: list[dict[str, Any]]) -> tuple[model.StageSummary, ...]:
    stages: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in stats:
        stages[_text(row["stage"])].append(row)
    summaries = []
    for stage, rows in stages.items():
        by_status: dict[str, int] = defaultdict(int)
        for row in rows:
            by_status[_text(row["status"])] += _int(row["runs"]) or 0
        summaries.append(
            model.StageSummary(
                stage=stage,
                runs=sum(by_status.values()),
                by_status=tuple(sorted(by_status.items(), key=lambda kv: (-kv[1], kv[0]))),
                rows_in=sum(_int(r["rows_in"]) or 0 for r in rows),
                rows_quarantined=sum(_int(r["rows_quarantined"]) or 0 for r in rows),
            )
        )
    order = ("ingest_api", "ingest_s3_copy", "transform", "catalog", "quality")
    return tuple(sorted(summaries, key=lambda s: (order.index(s.stage) if s.stage in order else 99, s.stage)))


def _dataset_stats(facts: _Facts, source: str, dataset: str) -> list[dict[str, Any]]:
    return [r for r in facts.stats or [] if r["source"] == source and r["dataset"] == dataset]


# --- one dataset --------------------------------------------------------------------------------


def _dataset(
    reader: _Reader, contract: Contract, facts: _Facts, limits: Limits, now: datetime
) -> model.Dataset:
    database = reader.target.glue_database
    table = facts.tables.get(contract.table_name)
    params = dict(table.get("Parameters", {})) if table else {}
    partitions, rows = _partitions(reader, contract, table, limits)
    stats = _dataset_stats(facts, contract.source, contract.dataset)
    quarantine = _quarantine(reader, contract, facts, limits)
    return model.Dataset(
        source=contract.source,
        dataset=contract.dataset,
        table=contract.table_name,
        database=database,
        description=contract.description,
        owner=contract.owner,
        format=contract.format.type,
        contract_version=str(contract.version),
        primary_key=contract.primary_key,
        location=str(table["StorageDescriptor"].get("Location", "")) if table else "",
        columns=_contract_columns(contract, table),
        partitions=partitions,
        row_count=rows if rows is not None else _int(params.get("cornlake.row_count")),
        freshness=_freshness(contract, stats, params, now),
        quality=_quality(contract, facts.quality),
        lineage=_lineage(reader.target, contract, facts, stats, quarantine),
        quarantine=quarantine,
        examples=_examples(contract, database),
        runs=tuple(facts.runs.get((contract.source, contract.dataset), [])),
        rows_quarantined_recently=_sum_stat(stats, "transform", "rows_quarantined") if facts.stats else None,
        cataloged=table is not None,
    )


def _sum_stat(stats: list[dict[str, Any]], stage: str, column: str) -> int:
    return sum(_int(r[column]) or 0 for r in stats if r["stage"] == stage)


def _contract_columns(contract: Contract, table: dict[str, Any] | None) -> tuple[model.Column, ...]:
    """The contract's columns, then what the table adds: schema evolution's text columns, the
    lineage column and the partition column."""
    columns = [
        model.Column(
            c.name,
            c.type.glue(),
            c.description,
            pii=c.pii,
            nullable=c.nullable,
            source_name=c.source_name if c.source_name and c.source_name != c.name else "",
            primary_key=c.name in contract.primary_key,
        )
        for c in contract.columns
    ]
    known = {c.name for c in contract.columns} | {LINEAGE_COLUMN}
    glue_columns = table.get("StorageDescriptor", {}).get("Columns", []) if table else []
    columns += [
        model.Column(c["Name"], c["Type"], str(c.get("Comment", "")), role="evolved")
        for c in glue_columns
        if c["Name"] not in known
    ]
    columns.append(model.Column(LINEAGE_COLUMN, "string", role="lineage", nullable=False))
    columns.append(model.Column(contract.partitioning.name, "string", role="partition", nullable=False))
    return tuple(columns)


def _partitions(
    reader: _Reader, contract: Contract, table: dict[str, Any] | None, limits: Limits
) -> tuple[model.Partitions, int | None]:
    """Partitions (Glue's, and those the count query finds) with their row counts, newest first;
    and the table's row count (None when it could not be counted)."""
    part = contract.partitioning
    column = part.column if part.by == "column" else ""
    if table is None:
        return model.Partitions(part.name, column, part.granularity), None
    database = reader.target.glue_database
    registered = {
        str(p["Values"][0]): p
        for p in _glue_partitions(reader, database, contract.table_name, limits.partitions_read)
    }
    counted = reader.sql(f"row counts of {contract.table_name}", _count_sql(contract, database))
    counts = {_text(r[part.name]): _int(r["row_count"]) for r in counted or []}
    values = sorted(set(registered) | set(counts), reverse=True)
    shown = tuple(
        model.Partition(v, counts.get(v), _when(registered.get(v, {}).get("CreationTime")))
        for v in values[: limits.partitions_shown]
    )
    params = table.get("Parameters", {})
    projected = (
        params.get(f"projection.{part.name}.range", "") if params.get("projection.enabled") == "true" else ""
    )
    total_rows = sum(n or 0 for n in counts.values()) if counted is not None else None
    partitions = model.Partitions(
        part.name, column, part.granularity, shown, len(values), projected, counted is not None
    )
    return partitions, total_rows


def _count_sql(contract: Contract, database: str) -> str:
    part = ident(contract.partitioning.name)
    table = f"{ident(database)}.{ident(contract.table_name)}"
    return f"SELECT {part}, count(*) AS row_count FROM {table} GROUP BY {part}"


def _examples(contract: Contract, database: str) -> tuple[model.Example, ...]:
    """The catalog's example queries, each with the kind the site words its title by."""
    found = []
    for query in example_queries(contract, database):
        sql = query.sql
        kind = (
            "latest_view"
            if contract.latest_view_name in sql
            else "count_by_partition"
            if "count(" in sql.lower()
            else "preview"
            if contract.table_name in sql
            else "other"
        )
        found.append(model.Example(kind, sql, query.name, query.description))
    return tuple(found)


def _when(value: Any) -> str:
    if isinstance(value, datetime):
        return iso(value if value.tzinfo else value.replace(tzinfo=UTC))
    return _text(value)


def _freshness(
    contract: Contract | None, stats: list[dict[str, Any]], params: dict[str, str], now: datetime
) -> model.Freshness:
    """From the last successful transform run; the Glue table's ``cornlake.last_update`` when the
    run records have none (older than the history read, or unreadable)."""
    finished = [
        _text(r["last_finished"])
        for r in stats
        if r["stage"] == "transform" and r["status"] in model.SUCCESS_STATUSES and r["last_finished"]
    ]
    every, grace = expectation(contract, params)
    if finished:
        return assess(max(finished), every, grace, now, basis="runs")
    return assess(params.get("cornlake.last_update", ""), every, grace, now, basis="glue")


def _rule_params(rule: Any) -> str:
    """A rule's parameters, for rules that keep them apart from their id (``values``, ``min``,
    ``max``); '' for rules whose id already spells them out (DQDL)."""
    values, low, high = (getattr(rule, name, None) for name in ("values", "min", "max"))
    parts = []
    if values:
        shown = ", ".join(map(str, values[:8]))
        parts.append(f"∈ {{{shown}{', …' if len(values) > 8 else ''}}}")
    if isinstance(low, int | float):
        parts.append(f"≥ {low:g}")
    if isinstance(high, int | float):
        parts.append(f"≤ {high:g}")
    return "; ".join(parts)


def _rule(rule: Any, history: list[dict[str, Any]]) -> model.Rule:
    """One of the contract's rules, whatever its class (the rule classes grow: read what exists)."""
    rule_id = str(getattr(rule, "rule_id", "") or rule)
    check = str(getattr(rule, "check", "") or getattr(rule, "type", ""))
    severity = str(getattr(rule, "severity", "error"))
    return model.Rule(rule_id, check, severity, _rule_params(rule), tuple(map(_rule_run, history)))


def _rule_run(row: dict[str, Any]) -> model.RuleRun:
    return model.RuleRun(
        passed=_bool(row["passed"]),
        rows_checked=_int(row["rows_checked"]) or 0,
        rows_failed=_int(row["rows_failed"]) or 0,
        observed=_text(row["observed"]),
        evaluated_at=_text(row["evaluated_at"]),
        ingest_id=_text(row["ingest_id"]),
    )


def _quality(contract: Contract, rows: list[dict[str, Any]]) -> model.Quality:
    """The contract's rules (and any rule that was evaluated but left the contract since), each
    with its history, and how every batch did, oldest first."""
    mine = [r for r in rows if r["source"] == contract.source and r["dataset"] == contract.dataset]
    history: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in sorted(mine, key=lambda r: _text(r["evaluated_at"])):
        history[_text(row["rule_id"])].append(row)
    rules = [_rule(r, history.pop(str(getattr(r, "rule_id", "") or r), [])) for r in contract.quality]
    rules += [
        model.Rule(rid, _text(old[-1]["check"]), _text(old[-1]["severity"]), "", tuple(map(_rule_run, old)))
        for rid, old in sorted(history.items())
    ]
    batches: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in mine:
        batches[_text(row["ingest_id"])].append(row)
    scored = [
        model.BatchQuality(
            ingest_id=ingest_id,
            evaluated_at=max(_text(r["evaluated_at"]) for r in results),
            passed=sum(_bool(r["passed"]) for r in results),
            failed=sum(not _bool(r["passed"]) for r in results),
            errors_failed=sum(not _bool(r["passed"]) and r["severity"] == "error" for r in results),
        )
        for ingest_id, results in batches.items()
    ]
    return model.Quality(tuple(rules), tuple(sorted(scored, key=lambda b: b.evaluated_at)))


def _lineage(
    target: Target,
    contract: Contract,
    facts: _Facts,
    stats: list[dict[str, Any]],
    quarantine: model.Quarantine,
) -> model.Lineage:
    """source → raw → curated → what is built on it; refused rows branch off to quarantine."""
    channels = (("ingest_api", "via_api"), ("ingest_s3_copy", "via_landing"))
    arrived = tuple(
        (label, str(sum(_int(r["runs"]) or 0 for r in stats if r["stage"] == stage)))
        for stage, label in channels
        if any(r["stage"] == stage for r in stats)
    )
    prefix = f"source={contract.source}/dataset={contract.dataset}/"
    raw_table = f"{target.glue_database}_raw.{contract.table_name}"
    raw_facts: tuple[tuple[str, str], ...] = (("bucket", target.raw_bucket),)
    raw_facts += (("raw_table", raw_table),) if contract.table_name in facts.raw_tables else ()
    table = facts.tables.get(contract.table_name)
    curated_facts = (("node_location", table["StorageDescriptor"].get("Location", "")),) if table else ()
    return model.Lineage(
        source=model.Node("source", contract.source, arrived or (("node_format", contract.format.type),)),
        raw=model.Node("raw", prefix, raw_facts),
        curated=model.Node("curated", f"{target.glue_database}.{contract.table_name}", curated_facts),
        quarantine=model.Node(
            "quarantine", prefix, (("bucket", target.quarantine_bucket), ("rows_read", str(quarantine.rows)))
        ),
        built_on=_views_on(contract.table_name, facts, target.glue_database),
    )


# --- quarantine ---------------------------------------------------------------------------------


def _quarantine(reader: _Reader, contract: Contract, facts: _Facts, limits: Limits) -> model.Quarantine:
    pii = {c.name for c in contract.columns if c.pii}
    if QUARANTINE_TABLE in facts.ops_tables:
        found = _quarantine_from_table(reader, contract, facts.since, pii)
        if found is not None:
            return found
    return _quarantine_from_bucket(reader, contract, facts.since, limits, pii)


def _group_reasons(errors: list[tuple[str, str, str, int]], pii: set[str]) -> tuple[model.Reason, ...]:
    """(column, reason, value, rows) grouped by kind of reason; values of PII columns are never kept."""
    grouped: dict[tuple[str, str], list[Any]] = {}
    for column, reason, value, rows in errors:
        key = (column, reason_kind("", reason))
        entry = grouped.setdefault(key, [0, ""])
        entry[0] += rows
        if not entry[1] and column not in pii and column:
            entry[1] = value[:80]
    reasons = [model.Reason(kind, column, n, example) for (column, kind), (n, example) in grouped.items()]
    return tuple(sorted(reasons, key=lambda r: (-r.rows, r.column, r.reason)))


def _quarantine_from_table(
    reader: _Reader, contract: Contract, since: str, pii: set[str]
) -> model.Quarantine | None:
    table = _ops(reader.target, QUARANTINE_TABLE)
    where = (
        f"source = {literal(contract.source)} AND dataset = {literal(contract.dataset)} "
        f"AND ingest_date >= {literal(since)}"
    )
    grouped = reader.sql(
        f"quarantine of {contract.table_name}",
        f'SELECT e."column" AS col, e.reason AS reason, min(e.value) AS example, count(*) AS n '
        f"FROM {table} CROSS JOIN UNNEST(errors) AS t(e) WHERE {where} "
        "GROUP BY 1, 2 ORDER BY 4 DESC LIMIT 1000",
    )
    total = reader.sql(
        f"quarantine of {contract.table_name}", f"SELECT count(*) AS n FROM {table} WHERE {where}"
    )
    if grouped is None or total is None:
        return None
    errors = [(_text(r["col"]), _text(r["reason"]), _text(r["example"]), _int(r["n"]) or 0) for r in grouped]
    return model.Quarantine("table", _int(total[0]["n"]) or 0, _group_reasons(errors, pii))


def _quarantine_keys(reader: _Reader, contract: Contract, since: str) -> list[str]:
    """The dataset's quarantine objects ingested since ``since``, newest first (keys sort by arrival)."""
    prefix = f"source={contract.source}/dataset={contract.dataset}/ingest_date="
    s3 = reader.target.client("s3")
    keys: list[str] = []
    try:
        pages = s3.get_paginator("list_objects_v2").paginate(
            Bucket=reader.target.quarantine_bucket, Prefix=prefix
        )
        keys = [o["Key"] for page in pages for o in page.get("Contents", []) if o["Key"].endswith(".jsonl")]
    except (BotoCoreError, ClientError) as err:
        reader.note(f"quarantine of {contract.table_name}", err)
    return sorted((k for k in keys if k[len(prefix) : len(prefix) + 10] >= since), reverse=True)


def _quarantine_from_bucket(
    reader: _Reader, contract: Contract, since: str, limits: Limits, pii: set[str]
) -> model.Quarantine:
    keys = _quarantine_keys(reader, contract, since)
    s3 = reader.target.client("s3")
    rows, capped, errors = 0, len(keys) > limits.quarantine_files, []
    for key in keys[: limits.quarantine_files]:
        try:
            got = s3.get_object(
                Bucket=reader.target.quarantine_bucket,
                Key=key,
                Range=f"bytes=0-{limits.quarantine_bytes - 1}",
            )
        except (BotoCoreError, ClientError) as err:
            reader.note(f"quarantine object {key}", err)
            continue
        data = got["Body"].read()
        if len(data) < int(str(got.get("ContentRange", "")).rpartition("/")[2] or len(data)):
            capped, data = True, data[: data.rfind(b"\n") + 1]  # the last line is cut: leave it out
        for line in data.splitlines():
            entry = _entry(line)
            if entry is not None:
                rows += 1
                errors += [(e[0], e[1], e[2], 1) for e in entry]
    reasons = _group_reasons(errors, pii)
    return model.Quarantine(
        "bucket", rows, reasons, min(len(keys), limits.quarantine_files), len(keys), capped
    )


def _entry(line: bytes) -> list[tuple[str, str, str]] | None:
    """The (column, reason, value) of each error of one quarantine line; None if it is not one."""
    try:
        entry = json.loads(line)
    except (json.JSONDecodeError, UnicodeDecodeError):
        return None
    if not isinstance(entry, dict) or not isinstance(entry.get("errors"), list):
        return None
    return [
        (_text(e.get("column")), _text(e.get("reason")), _text(e.get("value")))
        for e in entry["errors"]
        if isinstance(e, dict)
    ]


# --- datasets Glue has without a contract -------------------------------------------------------


def _glue_only(table: dict[str, Any], facts: _Facts, database: str, now: datetime) -> model.Dataset:
    params = dict(table.get("Parameters", {}))
    source, dataset = params["cornlake.source"], params["cornlake.dataset"]
    pii = set(filter(None, params.get("cornlake.pii_columns", "").split(",")))
    descriptor = table.get("StorageDescriptor", {})
    columns = [
        model.Column(c["Name"], c["Type"], str(c.get("Comment", "")), pii=c["Name"] in pii)
        for c in descriptor.get("Columns", [])
    ]
    columns += [model.Column(k["Name"], k["Type"], role="partition") for k in table.get("PartitionKeys", [])]
    stats = _dataset_stats(facts, source, dataset)
    return model.Dataset(
        source=source,
        dataset=dataset,
        table=table["Name"],
        database=database,
        description=str(table.get("Description") or params.get("cornlake.description", "")),
        owner=str(table.get("Owner") or params.get("cornlake.owner", "")),
        contract_version=params.get("cornlake.contract_version", ""),
        primary_key=tuple(filter(None, params.get("cornlake.primary_key", "").split(","))),
        location=str(descriptor.get("Location", "")),
        columns=tuple(columns),
        row_count=_int(params.get("cornlake.row_count")),
        freshness=_freshness(None, stats, params, now),
        runs=tuple(facts.runs.get((source, dataset), [])),
        cataloged=True,
        has_contract=False,
        model=params.get("cornlake.model", ""),
        model_facts=model_facts(table) if params.get("cornlake.model") else None,
    )


def model_facts(table: dict[str, Any]) -> model.ModelFacts:
    """A model's inputs, materialization and metadata from its Glue table, and its code from
    models/ when this machine has the project (it does where the site is built from the repo)."""
    from pathlib import Path

    from cornlake.modeling import ModelError, load_project

    params = dict(table.get("Parameters", {}))
    code, path = "", ""
    try:
        found = next((m for m in load_project().models if m.name == table["Name"]), None)
    except ModelError:
        found = None
    if found is not None:
        path = f"models/{Path(found.path).name}"
        code = found.sql if found.kind == "sql" else Path(found.path).read_text(encoding="utf-8")
    keys = table.get("PartitionKeys", [])
    return model.ModelFacts(
        inputs=tuple(filter(None, params.get("cornlake.depends_on", "").split(","))),
        materialization=params.get("cornlake.materialization", ""),
        partitioned_by=keys[0]["Name"] if keys else "",
        code=code,
        path=path,
        metadata=tuple(
            sorted(
                (k.removeprefix("cornlake.model."), v)
                for k, v in params.items()
                if k.startswith("cornlake.model.")
            )
        ),
        last_run_id=params.get("cornlake.last_run_id", ""),
    )
