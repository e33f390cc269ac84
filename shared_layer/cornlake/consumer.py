"""The one SQS consumer every queue-fed stage runs: parse, handle, record, and the error policy.

A stage declares how its messages are parsed, the run record each one starts, and the
function that does the work (``SqsStage``). ``consume`` runs it over a Lambda SQS batch
with partial batch responses (``ReportBatchItemFailures``), and applies one policy:

* the work succeeds: its run record is written;
* a ``TerminalError`` (the input is wrong): the run record is written as ``rejected`` with
  the error, a ``Rejected`` metric is added, and the message is acknowledged: never retried;
* a ``TransientError`` or any unexpected exception: the run record is written as
  ``failed`` with the error and the attempt number, and the message is reported as a batch
  item failure, so SQS delivers it again and, after ``maxReceiveCount`` tries, moves it to
  the DLQ (with an alarm). No message reaches the DLQ without run records saying why.

When every message of a batch fails, the invocation itself fails (``BatchFailed``), so
Lambda's Errors metric and alarms see it; SQS retries the whole batch either way. The
partial batch response is built here rather than with powertools' batch utility, whose
import (it loads every event data class) added about 48 ms to each cold start.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from cornlake import aws, lineage
from cornlake.errors import CornLakeError, TerminalError
from cornlake.observability import count, logger
from cornlake.ops import RunRecord, write_run_record
from cornlake.settings import Settings, settings_for

M = TypeVar("M")


@dataclass(frozen=True)
class SqsStage(Generic[M]):
    """One queue-fed stage: how its messages are read and handled."""

    name: str  # the stage in run records and metrics
    required: tuple[str, ...]  # Settings fields the stage needs (ops_bucket is always needed)
    parse: Callable[[str], Sequence[M]]  # an SQS body → the stage's typed messages
    start: Callable[[M], RunRecord]  # the run record a message's work begins with
    handle: Callable[[M, RunRecord, Settings], object]  # the work; it fills in the run record


@dataclass(frozen=True)
class SqsRecord:
    """What the consumer reads of one record of a Lambda SQS event."""

    message_id: str
    body: str
    receive_count: int  # this delivery's attempt number (ApproximateReceiveCount)

    @classmethod
    def from_event(cls, record: Any) -> SqsRecord:
        if not isinstance(record, dict) or not isinstance(record.get("messageId"), str):
            raise ValueError(f"not an SQS record (no messageId): {str(record)[:200]}")
        attributes = record.get("attributes") or {}
        received = str(attributes.get("ApproximateReceiveCount") or "1")
        attempt = int(received) if received.isdigit() else 1
        return cls(record["messageId"], str(record.get("body") or ""), attempt)


class BatchFailed(Exception):
    """Every message of the batch failed: the invocation fails, and SQS delivers them all again."""


def consume(event: dict[str, Any], context: Any, stage: SqsStage[Any]) -> dict[str, Any]:
    """Run ``stage`` over a Lambda SQS event; return the partial batch response."""
    records = event.get("Records") if isinstance(event, dict) else None
    if not isinstance(records, list):
        raise ValueError("not an SQS event: it has no Records list")
    failures: list[dict[str, str]] = []
    errors: list[str] = []
    for record in [SqsRecord.from_event(r) for r in records]:  # all read before any is handled
        try:
            consume_record(stage, record)
        except Exception as err:  # noqa: BLE001 - recorded by consume_record; SQS delivers it again
            failures.append({"itemIdentifier": record.message_id})
            errors.append(f"{record.message_id}: {type(err).__name__}: {err}")
    if records and len(failures) == len(records):
        raise BatchFailed(f"all {len(records)} messages failed; " + "; ".join(errors)[:2000])
    return {"batchItemFailures": failures}


def consume_record(stage: SqsStage[Any], record: SqsRecord) -> None:
    """Parse one SQS message and handle each of its messages under the error policy."""
    settings = settings_for("ops_bucket", *stage.required)
    try:
        messages = stage.parse(record.body)
    except TerminalError as err:
        _finish(settings, RunRecord(stage=stage.name, input_key=f"sqs:{record.message_id}"), err, record)
        return
    for message in messages:
        run = stage.start(message)
        lineage.emit(run, "START", settings)
        try:
            stage.handle(message, run, settings)
        except Exception as err:  # noqa: BLE001 - the policy below decides: record, then ack or retry
            _finish(settings, run, err, record)
            continue
        write_run_record(aws.s3(), settings.ops_bucket, run)
        lineage.emit(run, lineage.end_type(run), settings)


def _finish(settings: Settings, run: RunRecord, err: Exception, record: SqsRecord) -> None:
    """Record a failed message; acknowledge it when the input is at fault, else re-raise to retry."""
    terminal = isinstance(err, TerminalError)
    text = f"{err.code}: {err.message}" if isinstance(err, CornLakeError) else f"{type(err).__name__}: {err}"
    attempt = record.receive_count
    run.details = {
        **run.details,
        "attempt": attempt,
        "message_id": record.message_id,
        "retried": not terminal,
    }
    run.finish("rejected" if terminal else "failed", text[:2000])
    fields = {"stage": run.stage, "input_key": run.input_key, "error": run.error, "attempt": attempt}
    dataset = f"{run.source}.{run.dataset}" if run.source and run.dataset else ""
    count("Rejected" if terminal else "Failed", stage=run.stage, dataset=dataset)
    try:
        write_run_record(aws.s3(), settings.ops_bucket, run)
    except Exception:
        logger.exception("run record not written", extra=fields)
        if terminal:
            raise  # an unrecorded rejection is retried rather than lost silently
    lineage.emit(run, "FAIL", settings)
    if terminal:
        logger.error("input rejected", extra=fields)
        return
    logger.exception("failed, will be retried", extra=fields)
    raise err
