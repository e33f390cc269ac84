"""What the reliability scenarios share: a producer that retries as a well-behaved client does,
faults injected on the functions' own AWS clients, and the books of the lake afterwards
(rows curated, distinct by primary key, and records quarantined)."""

from __future__ import annotations

import contextlib
import json
import random
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from botocore.awsrequest import AWSResponse
from botocore.exceptions import ConnectionClosedError

from cornlake import aws
from cornlake_toolkit.local import LocalLake
from cornlake_toolkit.sql import LocalSqlEngine
from helpers import list_keys, read_jsonl


@dataclass
class Answer:
    status: int
    body: dict[str, Any]
    seconds: float
    attempts: int


def post(lake: LocalLake, path: str, body: bytes, *, key: str = "", content_type: str = "") -> Answer:
    """One POST to the local ingest API."""
    headers = {"Content-Type": content_type or "application/x-ndjson"}
    if key:
        headers["Idempotency-Key"] = key
    request = urllib.request.Request(lake.api_url + path, data=body, headers=headers, method="POST")
    started = time.perf_counter()
    try:
        with urllib.request.urlopen(request, timeout=120) as response:
            return Answer(response.status, json.loads(response.read()), time.perf_counter() - started, 1)
    except urllib.error.HTTPError as err:
        return Answer(err.code, json.loads(err.read() or b"{}"), time.perf_counter() - started, 1)


def push(lake: LocalLake, path: str, body: bytes, key: str, *, attempts: int = 8) -> Answer:
    """POST until the API accepts or refuses the body for what it is (4xx), retrying 5xx and
    broken connections with the same Idempotency-Key, as the API's hint asks."""
    waited = 0.0
    for attempt in range(1, attempts + 1):
        try:
            answer = post(lake, path, body, key=key)
        except OSError:
            answer = Answer(599, {}, 0.0, attempt)
        if answer.status < 500:
            answer.attempts = attempt
            answer.seconds += waited
            return answer
        time.sleep(0.2 * attempt)
        waited += 0.2 * attempt
    return answer


@dataclass
class Faults:
    """Faults injected on the functions' cached AWS clients (cornlake.aws), by botocore event
    hooks: a 503 SlowDown, a 500, or a reset connection before the request reached S3, or an
    answer lost after S3 did the work (the request is sent, then the connection breaks), each
    of which the SDK retries. Each kind has a rate; ``only`` limits them to some operations."""

    rates: dict[str, float]
    seed: int = 1
    only: tuple[str, ...] = ()
    keys: tuple[str, ...] = ()  # a fault only for requests whose URL holds all of these
    injected: dict[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.rng = random.Random(self.seed)
        self.lock = threading.Lock()

    def roll(self, kind: str, operation: str, url: str = "") -> bool:
        if self.only and operation not in self.only:
            return False
        if self.keys and not all(k in unquote(url) for k in self.keys):
            return False
        with self.lock:
            hit = self.rng.random() < self.rates.get(kind, 0.0)
            if hit:
                self.injected[kind] = self.injected.get(kind, 0) + 1
        return hit

    def before_send(self, request: Any, event_name: str = "", **kwargs: Any) -> AWSResponse | None:
        operation = event_name.rsplit(".", 1)[-1]
        if self.roll("reset", operation, request.url):
            raise ConnectionClosedError(endpoint_url=request.url)
        if self.roll("lost_answer", operation, request.url):
            _send_anyway(request)  # S3 does the work; the SDK sees a broken connection and retries
            raise ConnectionClosedError(endpoint_url=request.url)
        for kind, status, code in (("slowdown", 503, "SlowDown"), ("error500", 500, "InternalError")):
            if self.roll(kind, operation, request.url):
                body = f"<Error><Code>{code}</Code><Message>injected {code}</Message></Error>".encode()
                return AWSResponse(request.url, status, {"Content-Type": "application/xml"}, _Raw(body))
        return None

    @property
    def total(self) -> int:
        return sum(self.injected.values())


def _send_anyway(request: Any) -> None:
    body = request.body
    if hasattr(body, "read"):
        position = body.tell()
        data = body.read()
        body.seek(position)
    else:
        data = body.encode() if isinstance(body, str) else body
    sent = urllib.request.Request(
        request.url, data=data, headers=dict(request.headers), method=request.method
    )
    with contextlib.suppress(
        urllib.error.HTTPError
    ):  # S3 refused it (a conditional write): so will the retry
        urllib.request.urlopen(sent, timeout=60).close()


class _Raw:
    def __init__(self, body: bytes) -> None:
        self.body = body

    def stream(self, **kwargs: Any) -> Iterator[bytes]:
        yield self.body


@contextmanager
def injected(faults: Faults, services: tuple[str, ...] = ("s3",)) -> Iterator[Faults]:
    """Faults on the clients every function of this process uses, for the duration."""
    clients = [aws.client(s) for s in services]
    for c in clients:
        c.meta.events.register_first("before-send.*.*", faults.before_send)
    try:
        yield faults
    finally:
        for c in clients:
            c.meta.events.unregister("before-send.*.*", faults.before_send)


@dataclass
class Books:
    rows: int  # curated rows
    distinct: int  # curated rows, distinct by primary key
    quarantined: int  # quarantined records

    def lost(self, sent: int) -> int:
        return max(0, sent - self.distinct - self.quarantined)

    @property
    def duplicated(self) -> int:
        return self.rows - self.distinct


def books(lake: LocalLake, table: str, key: str, *, source: str, dataset: str, prefix: str = "") -> Books:
    """The lake's books for one dataset: rows through local Athena SQL (every registered
    partition), and quarantined records from the quarantine zone."""
    names = lake.describe()
    where = f"WHERE {key} LIKE '{prefix}%'" if prefix else ""
    with (
        tempfile.TemporaryDirectory() as cache,
        LocalSqlEngine(
            lake.client("glue"), lake.client("s3"), names["glue_database"], cache_dir=Path(cache)
        ) as engine,
    ):
        row = engine.query(f"SELECT count(*), count(DISTINCT {key}) FROM {table} {where}").rows[0]
    quarantined = 0
    for qkey in list_keys(lake, names["quarantine_bucket"], f"source={source}/dataset={dataset}/"):
        records = read_jsonl(lake, names["quarantine_bucket"], qkey)
        quarantined += sum(1 for r in records if not prefix or prefix in json.dumps(r.get("raw", "")))
    return Books(int(row[0]), int(row[1]), quarantined)
