"""The one SQS consumer every queue-fed stage runs: parse, handle, record, and the error policy.

A stage declares how its messages are parsed, the run record each one starts, and the
function that does the work (``SqsStage``). ``consume`` runs it over a Lambda SQS batch
with powertools' BatchProcessor and partial batch responses, and applies one policy:

* the work succeeds: its run record is written;
* a ``TerminalError`` (the input is wrong): the run record is written as ``rejected`` with
  the error, a ``Rejected`` metric is added, and the message is acknowledged: never retried;
* a ``TransientError`` or any unexpected exception: the run record is written as
  ``failed`` with the error and the attempt number, and the message is reported as a batch
  item failure, so SQS delivers it again and, after ``maxReceiveCount`` tries, moves it to
  the DLQ (with an alarm). No message reaches the DLQ without run records saying why.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

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


def consume(event: dict[str, Any], context: Any, stage: SqsStage[Any]) -> dict[str, Any]:
    """Run ``stage`` over a Lambda SQS event; return the partial batch response."""
    processor = BatchProcessor(event_type=EventType.SQS)

    def one(record: SQSRecord) -> None:
        consume_record(stage, record)

    return dict(
        process_partial_response(event=event, record_handler=one, processor=processor, context=context)
    )


def consume_record(stage: SqsStage[Any], record: SQSRecord) -> None:
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


def _finish(settings: Settings, run: RunRecord, err: Exception, record: SQSRecord) -> None:
    """Record a failed message; acknowledge it when the input is at fault, else re-raise to retry."""
    terminal = isinstance(err, TerminalError)
    text = f"{err.code}: {err.message}" if isinstance(err, CornLakeError) else f"{type(err).__name__}: {err}"
    attempt = int(record.attributes.approximate_receive_count or 1)
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
