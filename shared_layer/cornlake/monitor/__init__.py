"""Monitoring on a schedule: freshness and silence, and reconciliation (lambda_monitor).

freshness  is each dataset's data late, has a stage stopped following its input
reconcile  did every raw object and batch get every stage, do rows add up; re-queue misses
compact    merge each partition's small files into a generation Glue points at

One function runs them all; the template schedules each with its own input (``{"task": ...}``),
and the local runtime fires the same schedules.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

from cornlake import aws
from cornlake.contracts import Contract, ContractRegistry, registry
from cornlake.errors import CornLakeError, TerminalError
from cornlake.monitor import compact, freshness, reconcile
from cornlake.observability import count, logger
from cornlake.ops import FRESHNESS, RECONCILIATION, RunRecord, write_rows, write_run_record
from cornlake.settings import Settings, settings_for

REQUIRED = ("ops_bucket",)
TASKS = ("freshness", "reconcile", "compact")


def run_freshness(settings: Settings, run: RunRecord, *, session: Any, contracts: ContractRegistry) -> None:
    s3 = aws.s3(session)
    silence = timedelta(minutes=settings.silence_minutes)
    checked = freshness.check_freshness(s3, contracts, ops_bucket=settings.ops_bucket, silence=silence)
    key = write_rows(
        s3, settings.ops_bucket, FRESHNESS, [f.row() for f in checked], stage="freshness", run_id=run.run_id
    )
    changed = freshness.changes(s3, settings.ops_bucket, checked)
    if settings.alert_topic_arn:
        for found, kind in changed:
            freshness.alert(aws.sns(session), settings.alert_topic_arn, found, kind)
    for found in checked:
        name = f"{found.source}.{found.dataset}"
        count("DatasetLate", 1 if found.state in ("late", "never") else 0, stage="freshness", dataset=name)
        count("SilentStages", len(found.silent_stages), stage="freshness", dataset=name)
        if found.lag_seconds is not None:
            count("FreshnessLag", found.lag_seconds, stage="freshness", dataset=name, unit="Seconds")
    run.output_keys = [key] if key else []
    run.details = {
        "late": [f"{f.source}/{f.dataset}" for f in checked if f.state in ("late", "never")],
        "silent": {f"{f.source}/{f.dataset}": f.silent_stages for f in checked if f.silent_stages},
        "alerts": [f"{f.source}/{f.dataset}:{kind}" for f, kind in changed],
    }


def run_reconcile(
    settings: Settings,
    run: RunRecord,
    *,
    session: Any,
    contracts: ContractRegistry,
    since: date | None = None,
    until: date | None = None,
    requeue: bool = True,
    grace: timedelta | None = None,
) -> list[reconcile.Finding]:
    s3 = aws.s3(session)
    today = datetime.now(UTC).date()
    first = since or today - timedelta(days=settings.reconcile_days)
    if requeue and not settings.transform_queue_url:
        raise TerminalError("TRANSFORM_QUEUE_URL is not set: missed objects cannot be re-queued")
    found = reconcile.reconcile(
        s3,
        aws.sqs(session) if requeue else None,
        contracts,
        buckets={
            "raw": settings.raw_bucket,
            "curated": settings.curated_bucket,
            "quarantine": settings.quarantine_bucket,
            "ops": settings.ops_bucket,
        },
        transform_queue=settings.transform_queue_url,
        since=first,
        until=until or today,
        run_id=run.run_id,
        grace=timedelta(minutes=settings.reconcile_grace_minutes) if grace is None else grace,
    )
    rows = [f.row() for f in found]
    key = write_rows(s3, settings.ops_bucket, RECONCILIATION, rows, stage="reconcile", run_id=run.run_id)
    for finding in found:
        count("ReconcileFindings", stage="reconcile", dataset=f"{finding.source}.{finding.dataset}")
    run.output_keys = [key] if key else []
    by_kind: dict[str, int] = {}
    for finding in found:
        by_kind[finding.finding] = by_kind.get(finding.finding, 0) + 1
    run.details = {
        "since": first.isoformat(),
        "findings": by_kind,
        "requeued": sum(f.action == "requeued" for f in found),
    }
    return found


def run_compact(settings: Settings, run: RunRecord, *, session: Any, contracts: ContractRegistry) -> None:
    """Compact every dataset whose table registers its partitions (projected tables have none)."""
    if not (settings.curated_bucket and settings.glue_database):
        raise TerminalError("CURATED_BUCKET and GLUE_DATABASE must be set to compact")
    plan = compact.Settings(
        settings.curated_bucket,
        settings.glue_database,
        min_files=settings.compact_min_files,
        target_bytes=settings.target_file_bytes,
        grace=timedelta(minutes=settings.compact_grace_minutes),
    )
    s3, glue = aws.s3(session), aws.glue(session)
    summary: dict[str, dict[str, int]] = {}
    for contract in contracts:
        if contract.partitioning.projection or not contract_has_table(glue, plan.database, contract):
            continue
        for done in compact.compact_dataset(s3, glue, contract, plan):
            states = summary.setdefault(contract.qualified_name, {})
            states[done.state] = states.get(done.state, 0) + 1
            if done.state == "compacted":
                count("FilesCompacted", done.files_before, stage="compact", dataset=contract.qualified_name)
    run.details = {"partitions": summary}


TASK_RUNNERS: dict[str, Callable[..., object]] = {
    "freshness": run_freshness,
    "reconcile": run_reconcile,
    "compact": run_compact,
}


def failure(err: Exception) -> str:
    """A failed task's error as its run record says it: the code and message, or the exception."""
    if isinstance(err, CornLakeError):
        return f"{err.code}: {err.message}"[:2000]
    return f"{type(err).__name__}: {err}"[:2000]


def contract_has_table(glue: Any, database: str, contract: Contract) -> bool:
    try:
        glue.get_table(DatabaseName=database, Name=contract.table_name)
    except glue.exceptions.EntityNotFoundException:
        return False
    return True


def handle(
    event: dict[str, Any], *, session: Any = None, contracts: ContractRegistry | None = None
) -> dict[str, Any]:
    """Run the task a schedule names (``{"task": "freshness"}``); the run record's summary."""
    task = event.get("task") if isinstance(event, dict) else None
    if task not in TASKS:
        raise TerminalError(
            f"unknown monitor task {task!r}", hint=f"the schedule's Input names one of {TASKS}"
        )
    settings = settings_for(*REQUIRED)
    run = RunRecord(stage=str(task))
    contracts = contracts or registry()
    try:
        TASK_RUNNERS[str(task)](settings, run, session=session, contracts=contracts)
    except Exception as err:
        # the task's failure is on record (cornlake runs) before Lambda counts the error and retries
        write_run_record(aws.s3(session), settings.ops_bucket, run.finish("failed", failure(err)))
        raise
    write_run_record(aws.s3(session), settings.ops_bucket, run.finish())
    logger.info("monitor task done", extra={"task": task, **run.details})
    return {"task": task, "run_id": run.run_id, **run.details}
