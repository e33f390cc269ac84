"""Following one file through the lake: copy, transform, catalog and quality, as they finish.

``cornlake ingest --wait`` and ``cornlake push --wait`` use it. It reads the run records the
stages write to the ops bucket (the same facts ``cornlake runs`` queries), chained by key:
the landing key is the copy's input, the copy's output (the raw key) is the transform's
input, and the transform's batch is the catalog's and quality's input. A stage that failed
and will be retried is said; a refused input ends the wait with its reason.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from cornlake.ops import RUNS
from cornlake_toolkit.target import Target

REFUSED = ("rejected",)


@dataclass
class Followed:
    """What happened to one file, stage by stage."""

    raw_key: str = ""
    runs: dict[str, dict[str, Any]] = field(default_factory=dict)  # stage → its final run record
    refused: str = ""
    repeated: str = ""  # the raw key this content landed as before: nothing more will happen

    @property
    def transform(self) -> dict[str, Any]:
        return self.runs.get("transform", {})


class RunWatcher:
    """New run records in the ops bucket, read once each."""

    def __init__(self, target: Target, *, since: datetime | None = None) -> None:
        self.s3 = target.client("s3")
        self.bucket = target.ops_bucket
        self.seen: set[str] = set()
        self.since = (since or datetime.min.replace(tzinfo=UTC)).isoformat(timespec="milliseconds")

    def new_records(self) -> list[dict[str, Any]]:
        today = datetime.now(UTC).date()
        records = []
        for day in (today - timedelta(days=1), today):
            prefix = f"{RUNS.name}/run_date={day.isoformat()}/"
            for page in self.s3.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=prefix):
                for obj in page.get("Contents", []):
                    if obj["Key"] not in self.seen:
                        self.seen.add(obj["Key"])
                        body = self.s3.get_object(Bucket=self.bucket, Key=obj["Key"])["Body"].read()
                        records += [json.loads(line) for line in body.decode().splitlines() if line.strip()]
        return [r for r in records if r.get("started_at", "") >= self.since]


def follow(
    target: Target,
    *,
    landing_key: str = "",
    raw_key: str = "",
    timeout: float = 300,
    say: Callable[[str], None] = print,
    poll: float = 0.5,
    since: datetime | None = None,
) -> Followed:
    """Wait until the file's last stage finished (or it was refused, or ``timeout`` passed).
    Only runs that started at ``since`` or later count: the same file sent before has its own."""
    watcher = RunWatcher(target, since=since)
    done = Followed(raw_key=raw_key)
    source = f"s3://{target.landing_bucket}/{landing_key}" if landing_key else ""
    deadline = time.monotonic() + timeout
    records: list[dict[str, Any]] = []
    while time.monotonic() < deadline and not _finished(done):
        # in the order the stages finished; earlier records are looked at again once the raw key is known
        records = sorted(records + watcher.new_records(), key=lambda r: r.get("finished_at", ""))
        records = [r for r in records if not _take(done, r, source, say)]
        time.sleep(poll)
    if not _finished(done):
        say(f"  still running after {timeout:.0f}s; `cornlake runs` shows what has finished")
    return done


def _take(done: Followed, record: dict[str, Any], landing: str, say: Callable[[str], None]) -> bool:
    """Take a run record that belongs to the followed file (and say it); False if it does not (yet)."""
    stage, status, key = record["stage"], record["status"], record["input_key"]
    ours = (landing and stage == "ingest_s3_copy" and key == landing) or (
        done.raw_key and key == done.raw_key
    )
    if not ours:
        return False
    if status == "failed":
        say(
            f"  {stage:<15} failed (attempt {_details(record).get('attempt', '?')}, will be retried): "
            f"{record['error']}"
        )
        return True
    done.runs[stage] = record
    if stage == "ingest_s3_copy" and status == "succeeded":
        done.raw_key = record["output_keys"][0]
    if status in REFUSED:
        done.refused = record["error"]
    if status == "repeated":
        done.repeated = str(_details(record).get("first_landed_as", ""))
    say(f"  {stage:<15} {status:<13} {_summary(record)}")
    return True


def _details(record: dict[str, Any]) -> dict[str, Any]:
    details = record.get("details") or "{}"
    return json.loads(details) if isinstance(details, str) else dict(details)


def _summary(record: dict[str, Any]) -> str:
    if record["stage"] == "ingest_s3_copy" and record["status"] == "repeated":
        return f"this content landed before, as {_details(record).get('first_landed_as')}: nothing to do"
    if record["stage"] == "ingest_s3_copy":
        return str(record["output_keys"][0] if record["output_keys"] else record["error"])
    if record["stage"] == "transform":
        return (
            f"{record['rows_in']} rows in, {record['rows_out']} curated, "
            f"{record['rows_quarantined']} quarantined" + (f" ({record['error']})" if record["error"] else "")
        )
    if record["stage"] == "quality":
        failed = _details(record).get("failed", [])
        return f"{_details(record).get('rules', 0)} rules, {len(failed)} failed" + (
            f": {', '.join(failed)}" if failed else ""
        )
    return ", ".join(record["output_keys"]) or record["error"]


def _finished(done: Followed) -> bool:
    if done.refused or done.repeated:
        return True
    transform = done.transform
    if not transform or transform["status"] == "split":
        return False
    if not transform["rows_out"]:
        return True  # nothing curated: no batch for the catalog and quality
    return "catalog" in done.runs and "quality" in done.runs
