"""Event sources with Lambda's semantics: SQS event source mappings, driven locally.

For each SQS event of each function, a poller thread receives up to ``BatchSize`` messages,
invokes the handler with Lambda's SQS event shape, deletes what succeeded, and lets the
``batchItemFailures`` (or the whole batch, if the handler raised) reappear; SQS moves a
message to the DLQ after ``maxReceiveCount`` receives. Failed messages reappear after
``retry_delay`` seconds rather than the template's long visibility timeout, so local
retries take seconds. S3 → SQS and SNS → SQS are the emulator's own notifications.
"""

from __future__ import annotations

import sys
import threading
import time
import traceback
from collections.abc import Callable
from typing import Any

from cornlake_toolkit.local.functions import LocalFunction


def sqs_record(message: dict[str, Any], queue_arn: str, region: str) -> dict[str, Any]:
    """One received SQS message as a record of Lambda's SQS event."""
    attributes = message.get("MessageAttributes", {})
    return {
        "messageId": message["MessageId"],
        "receiptHandle": message["ReceiptHandle"],
        "body": message["Body"],
        "attributes": message.get("Attributes", {}),
        "messageAttributes": {
            k: {
                "stringValue": v.get("StringValue"),
                "binaryValue": v.get("BinaryValue"),
                "stringListValues": [],
                "binaryListValues": [],
                "dataType": v["DataType"],
            }
            for k, v in attributes.items()
        },
        "md5OfBody": message.get("MD5OfBody", ""),
        "eventSource": "aws:sqs",
        "eventSourceARN": queue_arn,
        "awsRegion": region,
    }


def queue_name(arn: str) -> str:
    return arn.rsplit(":", 1)[1]


class EventSources:
    """The SQS pollers of every function, with pause (while the emulator is reset) and idle wait."""

    def __init__(
        self,
        client: Callable[[str], Any],
        functions: dict[str, LocalFunction],
        *,
        region: str,
        retry_delay: int = 1,
        poll_wait: int = 1,
        before_delivery: Callable[[], None] | None = None,
    ) -> None:
        self.client, self.functions, self.region = client, functions, region
        self.retry_delay, self.poll_wait = retry_delay, poll_wait
        self.before_delivery = before_delivery or (lambda: None)
        self.errors: list[str] = []
        self._threads: list[threading.Thread] = []
        self._stop = threading.Event()
        self._busy = 0  # pollers inside a receive-and-deliver round
        self._invoking: dict[int, tuple[str, float]] = {}  # poller thread → (function, since)
        self._lock = threading.Lock()
        self._running = threading.Event()  # cleared while the emulator's state is swapped
        self._running.set()

    def start(self) -> None:
        for function in self.functions.values():
            for n, props in enumerate(function.event_sources("SQS")):
                thread = threading.Thread(
                    target=self._poll,
                    args=(function, props),
                    name=f"poller-{function.logical_id}-{n}",
                    daemon=True,
                )
                thread.start()
                self._threads.append(thread)

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=10)

    def pause(self) -> None:
        """Stop new rounds and wait for every poller to finish its current one."""
        with self._lock:
            self._running.clear()
        while True:
            with self._lock:
                if self._busy == 0:
                    return
            time.sleep(0.02)

    def resume(self) -> None:
        self._running.set()

    def _enter(self) -> bool:
        with self._lock:
            if not self._running.is_set():
                return False
            self._busy += 1
            return True

    def _leave(self) -> None:
        with self._lock:
            self._busy -= 1

    def _poll(self, function: LocalFunction, props: dict[str, Any]) -> None:
        sqs = self.client("sqs")
        url = ""  # resolved inside a round, so a reset that swaps the queues meanwhile is retried
        batch_size = min(int(props.get("BatchSize", 10)), 10)
        partial = "ReportBatchItemFailures" in props.get("FunctionResponseTypes", [])
        while not self._stop.is_set():
            if not self._enter():
                time.sleep(0.05)
                continue
            messages: list[dict[str, Any]] = []
            try:
                url = url or sqs.get_queue_url(QueueName=queue_name(props["Queue"]))["QueueUrl"]
                messages = sqs.receive_message(
                    QueueUrl=url,
                    MaxNumberOfMessages=batch_size,
                    WaitTimeSeconds=self.poll_wait,
                    AttributeNames=["All"],
                    MessageAttributeNames=["All"],
                    VisibilityTimeout=max(function.timeout, 30),
                ).get("Messages", [])
                if messages:
                    self.before_delivery()
                    self._deliver(sqs, url, props["Queue"], function, messages, partial=partial)
            except Exception as err:  # noqa: BLE001 - a poller must survive and report, like Lambda's
                self.record_error(function, err)
            finally:
                self._leave()
            if not messages:
                time.sleep(0.05)

    def _deliver(
        self,
        sqs: Any,
        url: str,
        queue_arn: str,
        function: LocalFunction,
        messages: list[dict[str, Any]],
        *,
        partial: bool,
    ) -> None:
        event = {"Records": [sqs_record(m, queue_arn, self.region) for m in messages]}
        failed: set[str] = set()
        self._invoking[threading.get_ident()] = (function.logical_id, time.monotonic())
        try:
            result = function.invoke(event)
            if partial and isinstance(result, dict):
                failed = {f["itemIdentifier"] for f in result.get("batchItemFailures", [])}
        except Exception as err:  # noqa: BLE001 - an unhandled error fails the whole batch, as in Lambda
            self.record_error(function, err)
            failed = {m["MessageId"] for m in messages}
        finally:
            self._invoking.pop(threading.get_ident(), None)
        done = [m for m in messages if m["MessageId"] not in failed]
        if done:
            entries = [{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(done)]
            sqs.delete_message_batch(QueueUrl=url, Entries=entries)
        for message in messages:
            if message["MessageId"] in failed:
                sqs.change_message_visibility(
                    QueueUrl=url, ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=self.retry_delay
                )

    def record_error(self, function: LocalFunction, err: Exception) -> None:
        lines = [line for line in str(err).strip().splitlines() if line.strip()]
        self.errors.append(f"{function.logical_id}: {type(err).__name__}: {lines[-1] if lines else ''}")

    def wait_until_idle(self, timeout: float = 60.0) -> None:
        """Block until every function queue is empty and no handler is running."""
        sqs = self.client("sqs")
        names = {
            queue_name(props["Queue"]) for f in self.functions.values() for props in f.event_sources("SQS")
        }
        urls = {name: sqs.get_queue_url(QueueName=name)["QueueUrl"] for name in sorted(names)}
        deadline = time.monotonic() + timeout
        quiet = 0
        while time.monotonic() < deadline:
            quiet = quiet + 1 if sum(self._pending(sqs, url) for url in urls.values()) == 0 else 0
            if quiet >= 3:
                return
            time.sleep(0.2)
        pending = {name: n for name, url in urls.items() if (n := self._pending(sqs, url))}
        raise TimeoutError(
            f"the local lake did not go idle within {timeout}s; messages pending: {pending}; "
            f"poller errors: {self.errors[-5:]}{self.dead_pollers()}{self.running_handlers()}"
        )

    def dead_pollers(self) -> str:
        """The pollers that have stopped although the lake has not (each leaves its queue unread)."""
        dead = [t.name for t in self._threads if not t.is_alive()]
        return f"; pollers stopped: {dead}" if dead and not self._stop.is_set() else ""

    def running_handlers(self) -> str:
        """The handlers still running, each with how long it has run and where its threads are
        (the handler's poller thread and any worker threads it started)."""
        frames, now = sys._current_frames(), time.monotonic()
        lines = [
            f"\n{name} running for {now - since:.0f}s in:\n"
            + "".join(traceback.format_stack(frames[ident])[-6:])
            for ident, (name, since) in list(self._invoking.items())
            if ident in frames
        ]
        workers = {t.name: t.ident for t in threading.enumerate() if t.name.startswith("cornlake-")}
        lines += [
            f"\n{name}:\n" + "".join(traceback.format_stack(frames[ident])[-4:])
            for name, ident in workers.items()
            if ident is not None and ident in frames
        ]
        return "".join(lines)

    @staticmethod
    def _pending(sqs: Any, url: str) -> int:
        names = ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
        attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=names)["Attributes"]
        return sum(int(attrs[n]) for n in names)


_RATE_UNITS = {"minute": 60, "minutes": 60, "hour": 3600, "hours": 3600, "day": 86400, "days": 86400}


def rate_seconds(expression: str) -> float:
    """``rate(15 minutes)`` in seconds; the local runtime fires rate() schedules (not cron())."""
    import re

    match = re.fullmatch(r"rate\((\d+) (minutes?|hours?|days?)\)", expression.strip())
    if not match:
        from cornlake_toolkit.errors import TemplateError

        raise TemplateError(
            f"the local runtime cannot fire the schedule {expression!r}",
            hint="write schedules as rate(N minutes|hours|days); the local runtime fires those",
        )
    return int(match[1]) * _RATE_UNITS[match[2]]


def scheduled_event(props: dict[str, Any], region: str, account: str) -> dict[str, Any]:
    """What EventBridge hands the function: the schedule's Input, or a Scheduled Event."""
    import json
    import uuid
    from datetime import UTC, datetime

    if props.get("Input"):
        return dict(json.loads(props["Input"]))
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": account,
        "time": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": region,
        "resources": [],
        "detail": {},
    }


class Schedules:
    """The template's Schedule events, fired at their rate (and on demand, with ``fire``)."""

    def __init__(self, functions: dict[str, LocalFunction], *, region: str, account: str) -> None:
        self.functions, self.region, self.account = functions, region, account
        self.errors: list[str] = []
        self.fired: list[tuple[str, str]] = []  # (function, schedule) in firing order
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    def all(self) -> list[tuple[LocalFunction, str, dict[str, Any]]]:
        return [
            (function, name, event["Properties"])
            for function in self.functions.values()
            for name, event in function.events.items()
            if event["Type"] == "Schedule" and event["Properties"].get("Enabled", True) is not False
        ]

    def fire(self, name: str) -> Any:
        """Invoke the function of the schedule ``name`` (its event name in template.yaml) now."""
        for function, schedule, props in self.all():
            if schedule == name:
                self.fired.append((function.logical_id, schedule))
                return function.invoke(scheduled_event(props, self.region, self.account))
        from cornlake_toolkit.errors import TemplateError

        raise TemplateError(f"no schedule {name!r}", hint=f"schedules: {[s for _, s, _ in self.all()]}")

    def start(self) -> None:
        for _function, name, props in self.all():
            period = rate_seconds(props["Schedule"])
            thread = threading.Thread(
                target=self._every, args=(name, period), name=f"schedule-{name}", daemon=True
            )
            thread.start()
            self._threads.append(thread)

    def _every(self, name: str, period: float) -> None:
        while not self._stop.wait(period):
            try:
                self.fire(name)
            except Exception as err:  # noqa: BLE001 - a schedule keeps firing, as EventBridge does
                self.errors.append(f"schedule {name}: {type(err).__name__}: {err}")

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=10)
