"""Operations are data: run records and the ops tables' schemas, defined once.

Every stage writes a run record per unit of work: what it read, wrote and rejected, how
long it took, and why it failed. Records are JSON lines in the ops bucket under
``<table>/run_date=YYYY-MM-DD/``, registered in Glue (cornlake.catalog) from the schemas
below, so "is this process still doing its job?" is a SQL query.
"""

from __future__ import annotations

import json
import secrets
import time
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from cornlake import keys

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

STATUSES = ("succeeded", "partial", "rejected", "repeated", "checks_failed", "held", "failed", "split")


@dataclass(frozen=True)
class OpsTable:
    """One ops dataset: its Glue table name, columns (name, Glue type, comment) and description."""

    name: str
    columns: tuple[tuple[str, str, str], ...]
    description: str


RUNS = OpsTable(
    "runs",
    (
        ("run_id", "string", "Unique id of this run"),
        (
            "stage",
            "string",
            "ingest_api, ingest_s3_copy, transform, catalog, quality, publish or a maintenance job",
        ),
        (
            "status",
            "string",
            "succeeded, partial (rows quarantined), rejected (bad input kept), repeated (landed before), "
            "checks_failed (quality), held (audited batch not published), split (cut into byte ranges) "
            "or failed (retried)",
        ),
        ("source", "string", "Dataset source"),
        ("dataset", "string", "Dataset name"),
        ("input_key", "string", "Object the run read"),
        ("output_keys", "array<string>", "Objects the run wrote"),
        ("rows_in", "bigint", "Records read"),
        ("rows_out", "bigint", "Records written to the curated zone"),
        ("rows_quarantined", "bigint", "Records sent to quarantine"),
        ("bytes_in", "bigint", "Bytes read"),
        ("started_at", "string", "ISO 8601 UTC start time"),
        ("finished_at", "string", "ISO 8601 UTC end time"),
        ("duration_ms", "bigint", "Wall-clock duration"),
        ("error", "string", "Why the run failed or the input was rejected"),
        ("details", "string", "Stage-specific facts as a JSON object"),
        (
            "parent_run_id",
            "string",
            "The run whose output this run read: ingest -> transform -> catalog, quality",
        ),
    ),
    "One row per stage run: what it read, wrote, rejected",
)

QUALITY_RESULTS = OpsTable(
    "quality_results",
    (
        ("run_id", "string", "Quality run that evaluated the rule"),
        ("source", "string", "Dataset source"),
        ("dataset", "string", "Dataset name"),
        ("ingest_id", "string", "Raw object (batch) the rule was evaluated on"),
        ("rule_id", "string", 'The rule in DQDL, e.g. IsComplete "id"'),
        ("check", "string", "The DQDL rule type: IsComplete, ColumnValues, RowCount, CustomSql..."),
        ("columns", "array<string>", "Columns the rule reads"),
        ("severity", "string", "error or warn"),
        ("outcome", "string", "passed, failed, or error (the rule could not be evaluated; see observed)"),
        ("passed", "boolean", "Whether the batch met the rule"),
        ("rows_checked", "bigint", "Rows the rule looked at"),
        ("rows_failed", "bigint", "Rows that broke the rule"),
        ("value", "double", "The number compared: a share of rows, a row count, CustomSql's answer"),
        ("observed", "string", "What was measured, for people"),
        ("evaluated_at", "string", "ISO 8601 UTC time of evaluation"),
    ),
    "One row per quality rule evaluated on a batch",
)

FRESHNESS = OpsTable(
    "freshness",
    (
        ("checked_at", "string", "ISO 8601 UTC time of the check"),
        ("source", "string", "Dataset source"),
        ("dataset", "string", "Dataset name"),
        ("state", "string", "on_time, late, never (expected but no data yet) or no_expectation"),
        ("expected_every", "string", "The contract's expected update interval (freshness.expected_every)"),
        ("grace", "string", "How late data may be before it is late (freshness.grace)"),
        ("last_ingest_at", "string", "Last time data arrived (either ingest channel)"),
        ("last_transform_at", "string", "Last successful transform"),
        ("last_published_at", "string", "Last batch readers could see (its catalog run)"),
        ("last_quality_at", "string", "Last quality check"),
        ("due_by", "string", "When the next batch is due, grace included"),
        ("lag_seconds", "bigint", "Seconds since the last published batch"),
        ("silent_stages", "array<string>", "Stages that have not followed their input for too long"),
    ),
    "One row per dataset per freshness check: is data late, has a stage gone silent",
)

RECONCILIATION = OpsTable(
    "reconciliation",
    (
        ("run_id", "string", "The reconcile run"),
        ("source", "string", "Dataset source"),
        ("dataset", "string", "Dataset name"),
        ("ingest_date", "string", "The raw object's ingest date"),
        ("finding", "string", "missing_transform, missing_catalog, missing_quality or rows_unbalanced"),
        ("raw_key", "string", "The raw object concerned"),
        ("detail", "string", "What was expected and what was found"),
        ("action", "string", "requeued (sent to the transform again) or reported"),
        ("found_at", "string", "ISO 8601 UTC time"),
    ),
    "What reconciliation found: raw objects or batches a stage missed, and rows that do not add up",
)

OPS_TABLES = (RUNS, QUALITY_RESULTS, FRESHNESS, RECONCILIATION)

QUARANTINE = OpsTable(
    "quarantine",
    (
        ("raw_key", "string", "The raw object the record came from"),
        ("record", "bigint", "The record's number in that object (1 = first)"),
        (
            "errors",
            "array<struct<column:string,value:string,reason:string>>",
            "Why it was refused, per column",
        ),
        ("raw", "string", "The record as it arrived (may hold PII: the quarantine zone is for engineers)"),
    ),
    "Refused records, one row each, over the quarantine zone (partitioned by source, dataset, ingest_date)",
)
HEARTBEAT_STATUSES = ("succeeded", "partial", "checks_failed", "held", "repeated")


def new_run_id() -> str:
    return f"{datetime.now(UTC):%Y%m%dT%H%M%S}-{secrets.token_hex(4)}"


@dataclass
class RunRecord:
    stage: str
    source: str = ""
    dataset: str = ""
    input_key: str = ""
    run_id: str = field(default_factory=new_run_id)
    status: str = "succeeded"
    output_keys: list[str] = field(default_factory=list)
    rows_in: int = 0
    rows_out: int = 0
    rows_quarantined: int = 0
    bytes_in: int = 0
    started_at: str = field(default_factory=lambda: datetime.now(UTC).isoformat(timespec="milliseconds"))
    finished_at: str = ""
    duration_ms: int = 0
    error: str = ""
    details: dict[str, Any] = field(default_factory=dict)
    parent_run_id: str = ""  # the run whose output this one read (lineage: SQL over runs walks it)
    _t0: float = field(default_factory=time.perf_counter, repr=False)
    # For lineage events (cornlake.lineage), never written: the parent's stage, extra facets.
    _parent_stage: str = field(default="", repr=False)
    _facets: dict[str, Any] = field(default_factory=dict, repr=False)

    def finish(self, status: str | None = None, error: str = "") -> RunRecord:
        if status:
            self.status = status
        if error:
            self.error = error
        self.finished_at = datetime.now(UTC).isoformat(timespec="milliseconds")
        self.duration_ms = int((time.perf_counter() - self._t0) * 1000)
        return self

    def to_json(self) -> str:
        data = {k: v for k, v in asdict(self).items() if not k.startswith("_")}
        data["details"] = json.dumps(self.details, sort_keys=True, default=str)
        return json.dumps(data, sort_keys=False)


def write_run_record(s3: S3Client, ops_bucket: str, record: RunRecord) -> str:
    """Write the run record; a successful run of a dataset also leaves its stage's heartbeat."""
    if not record.finished_at:
        record.finish()
    run_date = datetime.fromisoformat(record.started_at).date()
    key = keys.ops_key(RUNS.name, run_date, record.stage, record.run_id)
    s3.put_object(
        Bucket=ops_bucket,
        Key=key,
        Body=(record.to_json() + "\n").encode(),
        ContentType="application/x-ndjson",
    )
    if record.source and record.dataset and record.status in HEARTBEAT_STATUSES:
        beat = {
            "stage": record.stage,
            "run_id": record.run_id,
            "status": record.status,
            "at": record.finished_at,
        }
        s3.put_object(
            Bucket=ops_bucket,
            Key=keys.heartbeat_key(record.source, record.dataset, record.stage),
            Body=json.dumps(beat).encode(),
            ContentType="application/json",
        )
    return key


def write_rows(
    s3: S3Client, ops_bucket: str, table: OpsTable, rows: list[dict[str, Any]], *, stage: str, run_id: str
) -> str:
    """Rows of an ops table, as one JSON-lines object for one run; '' when there are none."""
    if not rows:
        return ""
    key = keys.ops_key(table.name, datetime.now(UTC).date(), stage, run_id)
    body = "".join(json.dumps(row, default=str) + "\n" for row in rows)
    s3.put_object(Bucket=ops_bucket, Key=key, Body=body.encode(), ContentType="application/x-ndjson")
    return key
