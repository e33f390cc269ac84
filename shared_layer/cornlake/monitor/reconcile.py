"""Reconciliation: the maintenance that checks older processes still did their job.

S3 notifications arrive at least once, not exactly once, and a disabled trigger loses
them. ``reconcile`` compares what is in the zones with what the run records say, for the
raw objects ingested in a date range (older than a grace period, so work in flight is not
judged):

* every raw object has a transform run that did not fail (for a split object, every byte
  range has one): else ``missing_transform``;
* every batch (a transform run that wrote rows) has a catalog run and a quality run naming
  it as parent: else ``missing_catalog`` / ``missing_quality`` (an audited batch that is
  held has no catalog run, by design);
* rows add up per raw object: records read = curated rows + quarantined rows, counted in
  the zones themselves (each curated and quarantine file carries its row count): else
  ``rows_unbalanced``.

A raw object with a missing stage is sent to the transform again (its outputs are keyed by
its ingest id, so nothing doubles, and the catalog and quality stages follow). Findings are
rows of the ``reconciliation`` ops table, and the run is a ``reconcile`` run record.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from cornlake import keys
from cornlake.contracts import Contract
from cornlake.messages import s3_event_body

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_sqs import SQSClient

DONE = ("succeeded", "partial", "rejected", "split")
WROTE = ("succeeded", "partial")
_PART = re.compile(r"/part-(?P<id>\d{8}T\d{6}Z-[0-9a-f]{12})(?:-r\d{3})?(?:-\d{4})?\.parquet$")


@dataclass(frozen=True)
class Finding:
    run_id: str
    source: str
    dataset: str
    ingest_date: str
    finding: str
    raw_key: str
    detail: str
    action: str
    found_at: str

    def row(self) -> dict[str, Any]:
        return asdict(self)


def days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def read_runs(
    s3: S3Client, ops_bucket: str, run_days: Iterable[date], stages: Iterable[str]
) -> list[dict[str, Any]]:
    """The run records of some stages over some days (read in parallel)."""
    found_keys = []
    for day in run_days:
        for stage in stages:
            prefix = f"runs/run_date={day.isoformat()}/{stage}-"
            for page in s3.get_paginator("list_objects_v2").paginate(Bucket=ops_bucket, Prefix=prefix):
                found_keys += [o["Key"] for o in page.get("Contents", [])]

    def read(key: str) -> dict[str, Any]:
        body = s3.get_object(Bucket=ops_bucket, Key=key)["Body"].read()
        record: dict[str, Any] = json.loads(body)
        record["details"] = json.loads(record.get("details") or "{}")
        return record

    with ThreadPoolExecutor(max_workers=8) as pool:
        return list(pool.map(read, found_keys))


def raw_objects(
    s3: S3Client, raw_bucket: str, contract: Contract, ingest_days: list[date]
) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for day in ingest_days:
        prefix = f"{keys.hive_prefix(contract.source, contract.dataset)}ingest_date={day.isoformat()}/"
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=raw_bucket, Prefix=prefix):
            found += [dict(o) for o in page.get("Contents", [])]
    return found


def _rows_meta(s3: S3Client, bucket: str, key: str) -> int | None:
    try:
        head = s3.head_object(Bucket=bucket, Key=key)
    except ClientError as err:
        if err.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
            return None
        raise
    rows = head.get("Metadata", {}).get("rows")
    if rows is not None:
        return int(rows)
    body = s3.get_object(Bucket=bucket, Key=key)["Body"].read()  # files written before the metadata
    return body.count(b"\n")


def curated_rows(s3: S3Client, curated_bucket: str, contract: Contract) -> dict[str, int]:
    """ingest id -> rows in the table's files (file names carry the ingest id, metadata the count)."""
    prefix = keys.table_prefix(contract.source, contract.dataset)
    by_id: dict[str, list[str]] = defaultdict(list)
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=curated_bucket, Prefix=prefix):
        for obj in page.get("Contents", []):
            match = _PART.search(obj["Key"])
            if match:
                by_id[match["id"]].append(obj["Key"])
    with ThreadPoolExecutor(max_workers=8) as pool:
        counts = {
            i: sum(pool.map(lambda k: _rows_meta(s3, curated_bucket, k) or 0, ks)) for i, ks in by_id.items()
        }
    return counts


@dataclass
class Books:
    """What the run records say, indexed for the checks."""

    transforms: dict[str, list[dict[str, Any]]]  # raw key -> its transform runs, oldest first
    children: dict[str, set[str]]  # transform run id -> stages that ran on its batch
    held: set[str]  # transform run ids whose audited batch is held

    @classmethod
    def of(cls, runs: list[dict[str, Any]]) -> Books:
        transforms: dict[str, list[dict[str, Any]]] = defaultdict(list)
        children: dict[str, set[str]] = defaultdict(set)
        held: set[str] = set()
        for run in sorted(runs, key=lambda r: r["started_at"]):
            if run["stage"] == "transform":
                transforms[run["input_key"]].append(run)
            elif run.get("parent_run_id") and run["status"] != "failed":
                children[run["parent_run_id"]].add(run["stage"])
                if run["stage"] == "quality" and run["status"] == "held":
                    held.add(run["parent_run_id"])
        return cls(transforms, children, held)


def judge_object(books: Books, contract: Contract, key: str) -> list[tuple[str, str]]:
    """(finding, detail) for one raw object's stages."""
    runs = books.transforms.get(key, [])
    done = [r for r in runs if r["status"] in DONE]
    if not done:
        tried = f"{len(runs)} failed transform runs" if runs else "no transform run"
        return [("missing_transform", f"{tried} for this raw object")]
    latest = done[-1]
    batches = [latest]
    if latest["status"] == "split":
        parts = int(latest["details"].get("parts", 0))
        batches = [
            r for r in runs if r["details"].get("split_run_id") == latest["run_id"] and r["status"] in DONE
        ]
        if len({r["details"].get("part") for r in batches}) < parts:
            return [("missing_transform", f"{len(batches)} of {parts} byte ranges transformed")]
    findings = []
    for batch in (b for b in batches if b["status"] in WROTE and b["rows_out"] > 0):
        ran = books.children.get(batch["run_id"], set())
        if "quality" not in ran:
            findings.append(("missing_quality", f"no quality run for transform run {batch['run_id']}"))
        audited_and_held = contract.audited and batch["run_id"] in books.held
        if "catalog" not in ran and not audited_and_held:
            findings.append(("missing_catalog", f"no catalog run for transform run {batch['run_id']}"))
    return findings


def balance(
    s3: S3Client,
    contract: Contract,
    books: Books,
    raw_keys: list[str],
    *,
    curated: dict[str, int],
    quarantine_bucket: str,
) -> list[tuple[str, str, str]]:
    """(raw key, finding, detail) for raw objects whose rows do not add up in the zones."""
    found = []
    for key in raw_keys:
        done = [r for r in books.transforms.get(key, []) if r["status"] in WROTE]
        if not done or (contract.audited and done[-1]["run_id"] in books.held):
            continue
        run, raw = done[-1], keys.parse_raw_key(key)
        in_table = curated.get(raw.ingest_id, 0)
        quarantine_key = keys.quarantine_key(raw.source, raw.dataset, raw.ingest_date, raw.ingest_id)
        quarantined = (
            (_rows_meta(s3, quarantine_bucket, quarantine_key) or 0) if run["rows_quarantined"] else 0
        )
        if run["rows_in"] != in_table + quarantined:
            found.append(
                (
                    key,
                    "rows_unbalanced",
                    f"{run['rows_in']} records read, but the zones hold {in_table} curated "
                    f"+ {quarantined} quarantined",
                )
            )
    return found


def reconcile(
    s3: S3Client,
    sqs: SQSClient | None,
    contracts: Iterable[Contract],
    *,
    buckets: dict[str, str],
    transform_queue: str,
    since: date,
    until: date,
    run_id: str,
    grace: timedelta = timedelta(minutes=30),
    now: datetime | None = None,
) -> list[Finding]:
    """Check the date range's raw objects (``buckets``: raw, curated, quarantine, ops); re-queue
    what a stage missed when ``sqs`` is given."""
    now = (now or datetime.now(UTC)).astimezone(UTC)
    runs = read_runs(s3, buckets["ops"], days(since, now.date()), ("transform", "catalog", "quality"))
    books = Books.of(runs)
    findings: list[Finding] = []
    for contract in contracts:
        objects = [
            o
            for o in raw_objects(s3, buckets["raw"], contract, days(since, until))
            if now - o["LastModified"] >= grace
        ]
        judged = [(o, f, d) for o in objects for f, d in judge_object(books, contract, o["Key"])]
        curated = curated_rows(s3, buckets["curated"], contract) if objects else {}
        by_key = {o["Key"]: o for o in objects}
        unbalanced = balance(
            s3, contract, books, list(by_key), curated=curated, quarantine_bucket=buckets["quarantine"]
        )
        judged += [(by_key[k], f, d) for k, f, d in unbalanced]
        findings += act(
            sqs, judged, contract, raw_bucket=buckets["raw"], queue=transform_queue, run_id=run_id, now=now
        )
    return findings


def act(
    sqs: SQSClient | None,
    judged: list[tuple[dict[str, Any], str, str]],
    contract: Contract,
    *,
    raw_bucket: str,
    queue: str,
    run_id: str,
    now: datetime,
) -> list[Finding]:
    """Re-queue each raw object a stage missed (once), and say what was done about each finding."""
    requeued: set[str] = set()
    findings = []
    for obj, finding, detail in judged:
        action = "reported"
        if sqs is not None and finding != "rows_unbalanced":
            action = "requeued"
            if obj["Key"] not in requeued:
                requeue(sqs, queue, raw_bucket, obj)
                requeued.add(obj["Key"])
        raw = keys.parse_raw_key(obj["Key"])
        findings.append(
            Finding(
                run_id,
                contract.source,
                contract.dataset,
                raw.ingest_date.isoformat(),
                finding,
                obj["Key"],
                detail,
                action,
                now.isoformat(timespec="seconds"),
            )
        )
    return findings


def requeue(sqs: SQSClient, queue_url: str, bucket: str, obj: dict[str, Any]) -> None:
    """Announce one raw object to the transform again, as S3 would have."""
    body = s3_event_body(
        bucket,
        obj["Key"],
        size=int(obj["Size"]),
        etag=str(obj.get("ETag", "")),
        event_name="ObjectCreated:Reconcile",
        principal="cornlake-reconcile",
    )
    sqs.send_message(QueueUrl=queue_url, MessageBody=body)
