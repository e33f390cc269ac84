"""What the catalog site says, as plain values: ``gather`` fills them, ``render`` shows them.

Every fact names where it came from only in ``gather``; nothing here reads AWS. Times are
ISO 8601 UTC text, as the ops tables store them; counts that could not be read are None.
"""

from __future__ import annotations

from dataclasses import dataclass, field

FAILED_STATUSES = ("failed", "rejected", "checks_failed")
SUCCESS_STATUSES = ("succeeded", "partial")


@dataclass(frozen=True)
class Column:
    name: str
    type: str
    description: str = ""
    pii: bool = False
    nullable: bool = True
    source_name: str = ""  # the field's name in the input, when it differs
    role: str = "column"  # column | partition | lineage (_ingest_id) | evolved (schema evolution)
    primary_key: bool = False


@dataclass(frozen=True)
class Partition:
    value: str
    rows: int | None = None
    registered_at: str = ""


@dataclass(frozen=True)
class Partitions:
    key: str  # the partition column
    column: str = ""  # the date or timestamp column values come from ('' for the ingest date)
    granularity: str = "day"  # day | month | hour
    values: tuple[Partition, ...] = ()  # newest first, at most the shown ones
    total: int = 0  # how many partitions there are in all
    projected: str = ""  # Athena partition projection's range, when the table uses it
    counts_read: bool = False  # whether the row counts come from a count query


@dataclass(frozen=True)
class Freshness:
    state: str  # on_time | late | no_interval | never
    last_success: str = ""  # when the last batch curated (transform succeeded or partial)
    expected_every: str = ""  # e.g. "1d"
    grace: str = ""  # e.g. "6h"
    due_by: str = ""  # when the dataset becomes (or became) late
    basis: str = "runs"  # runs (the ops table) or glue (the table's cornlake.last_update)


@dataclass(frozen=True)
class RuleRun:
    """One evaluation of one quality rule on one batch."""

    passed: bool
    rows_checked: int
    rows_failed: int
    observed: str
    evaluated_at: str
    ingest_id: str


@dataclass(frozen=True)
class Rule:
    rule_id: str
    check: str
    severity: str  # error | warn
    params: str = ""  # the rule's parameters, for people
    history: tuple[RuleRun, ...] = ()  # oldest first

    @property
    def latest(self) -> RuleRun | None:
        return self.history[-1] if self.history else None


@dataclass(frozen=True)
class BatchQuality:
    """How one batch did against all its rules."""

    ingest_id: str
    evaluated_at: str
    passed: int
    failed: int
    errors_failed: int  # failed rules of severity error


@dataclass(frozen=True)
class Quality:
    rules: tuple[Rule, ...] = ()
    batches: tuple[BatchQuality, ...] = ()  # oldest first

    @property
    def latest_failed(self) -> int:
        return sum(1 for r in self.rules if r.latest is not None and not r.latest.passed)

    @property
    def latest_errors_failed(self) -> int:
        """Failing rules of severity error, in their latest evaluation."""
        return sum(
            1 for r in self.rules if r.latest is not None and not r.latest.passed and r.severity == "error"
        )

    @property
    def evaluated(self) -> int:
        return sum(1 for r in self.rules if r.latest is not None)


@dataclass(frozen=True)
class Node:
    kind: str  # source | raw | curated | quarantine | view | model
    label: str
    facts: tuple[tuple[str, str], ...] = ()  # (label key, value): the template words the keys
    href: str = ""


@dataclass(frozen=True)
class Lineage:
    source: Node
    raw: Node
    curated: Node
    quarantine: Node
    built_on: tuple[Node, ...] = ()


@dataclass(frozen=True)
class Reason:
    reason: str  # the kind of problem, without the value it names
    column: str
    rows: int
    example: str = ""  # one refused value ('' for PII columns: never shown)


@dataclass(frozen=True)
class Quarantine:
    basis: str  # table (the ops quarantine table) | bucket (its JSON lines objects) | none
    rows: int = 0  # quarantined rows read
    reasons: tuple[Reason, ...] = ()  # most frequent first
    files_read: int = 0
    files_total: int = 0
    capped: bool = False  # True when only the newest objects (or part of them) were read


@dataclass(frozen=True)
class Run:
    run_id: str
    stage: str
    status: str
    source: str = ""
    dataset: str = ""
    input_key: str = ""
    rows_in: int | None = None
    rows_out: int | None = None
    rows_quarantined: int | None = None
    started_at: str = ""
    duration_ms: int | None = None
    error: str = ""

    @property
    def failed(self) -> bool:
        return self.status in FAILED_STATUSES

    @property
    def table(self) -> str:
        return f"{self.source}_{self.dataset}" if self.source and self.dataset else ""


@dataclass(frozen=True)
class StageSummary:
    stage: str
    runs: int
    by_status: tuple[tuple[str, int], ...]  # (status, runs), most first
    rows_in: int = 0
    rows_quarantined: int = 0


@dataclass(frozen=True)
class Example:
    """One example Athena query, as the catalog saves it for analysts (the same text)."""

    kind: str  # preview | count_by_partition | latest_view | other
    sql: str
    name: str = ""
    description: str = ""


@dataclass(frozen=True)
class ModelFacts:
    """What a model's page says about how its table is built (models/, docs/MODELS.md)."""

    inputs: tuple[str, ...] = ()  # the tables it reads
    materialization: str = ""
    partitioned_by: str = ""
    code: str = ""  # the SELECT, or the Python source, when models/ is at hand
    path: str = ""  # models/<name>.sql|py
    metadata: tuple[tuple[str, str], ...] = ()  # a Python model's training window, parameters, metrics
    last_run_id: str = ""


@dataclass(frozen=True)
class Dataset:
    source: str
    dataset: str
    table: str
    database: str
    description: str = ""
    owner: str = ""
    format: str = ""
    contract_version: str = ""
    primary_key: tuple[str, ...] = ()
    location: str = ""
    columns: tuple[Column, ...] = ()
    partitions: Partitions | None = None
    row_count: int | None = None
    freshness: Freshness = field(default_factory=lambda: Freshness("never"))
    quality: Quality = field(default_factory=Quality)
    lineage: Lineage | None = None
    quarantine: Quarantine = field(default_factory=lambda: Quarantine("none"))
    examples: tuple[Example, ...] = ()
    runs: tuple[Run, ...] = ()  # this dataset's latest runs, newest first
    rows_quarantined_recently: int | None = None  # by transform runs, in the history window
    cataloged: bool = False  # whether Glue has the table
    has_contract: bool = True  # False: a CornLake table in Glue whose contract is gone
    model: str = ""  # "sql" or "python": the table is a model's output (models/, docs/MODELS.md)
    model_facts: ModelFacts | None = None
    error: str = ""  # the contract does not load: why

    @property
    def key(self) -> str:
        return f"{self.source}/{self.dataset}"

    @property
    def page(self) -> str:
        return f"datasets/{self.table}.html"

    @property
    def pii_columns(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns if c.pii)


@dataclass(frozen=True)
class Site:
    target: str  # "local" or "aws"
    stack: str
    region: str
    database: str
    ops_database: str
    built_at: str
    history_days: int
    datasets: tuple[Dataset, ...] = ()
    recent_runs: tuple[Run, ...] = ()  # newest first
    failures: tuple[Run, ...] = ()  # newest first
    stages: tuple[StageSummary, ...] = ()
    notes: tuple[str, ...] = ()  # facts that could not be read, and why

    def dataset(self, source: str, dataset: str) -> Dataset:
        for found in self.datasets:
            if (found.source, found.dataset) == (source, dataset):
                return found
        raise KeyError(f"{source}/{dataset}")
