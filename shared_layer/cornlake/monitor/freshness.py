"""Freshness and silence: is each dataset's data late, has a stage stopped following its input?

Every successful run leaves its stage's heartbeat per dataset (cornlake.ops). On a
schedule, ``check_freshness`` reads them and, per contract:

* **late**: the last published batch (its catalog run) is older than the contract's
  ``freshness.expected_every`` plus ``grace``; **never** when data is expected and none was
  ever published; **on_time** otherwise, or **no_expectation** without an interval;
* **silent stages**: a stage whose input moved on (raw arrived, a transform finished) more
  than ``silence`` ago without the stage following it.

Each check writes one ``freshness`` ops row per dataset. People are alerted on the alarm
topic when a dataset becomes late or a stage goes silent, and again when it recovers, not
on every check: the last state is kept in ``state/freshness/...``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from cornlake import documents, keys
from cornlake.contracts import Contract, ContractRegistry

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_sns import SNSClient

INGEST_STAGES = ("ingest_api", "ingest_s3_copy")
FOLLOWS = (("ingest", "transform"), ("transform", "catalog"), ("transform", "quality"))
DEFAULT_SILENCE = timedelta(hours=1)


@dataclass
class Freshness:
    checked_at: str
    source: str
    dataset: str
    state: str
    expected_every: str
    grace: str
    last_ingest_at: str = ""
    last_transform_at: str = ""
    last_published_at: str = ""
    last_quality_at: str = ""
    due_by: str = ""
    lag_seconds: int | None = None
    silent_stages: list[str] = field(default_factory=list)

    def row(self) -> dict[str, Any]:
        return asdict(self)

    @property
    def alarming(self) -> bool:
        return self.state in ("late", "never") or bool(self.silent_stages)


def heartbeats(s3: S3Client, ops_bucket: str, contract: Contract) -> dict[str, datetime]:
    """stage -> when it last succeeded for this dataset (the two ingest channels as 'ingest')."""
    found: dict[str, datetime] = {}
    for stage in (*INGEST_STAGES, "transform", "catalog", "quality"):
        beat, _ = documents.read(s3, ops_bucket, keys.heartbeat_key(contract.source, contract.dataset, stage))
        if beat and beat.get("at"):
            at = datetime.fromisoformat(beat["at"])
            name = "ingest" if stage in INGEST_STAGES else stage
            found[name] = max(at, found.get(name, at))
    return found


def judge(contract: Contract, beats: dict[str, datetime], now: datetime, silence: timedelta) -> Freshness:
    """One dataset's freshness from its heartbeats."""
    spec = contract.freshness
    text = {k: v.isoformat(timespec="seconds") for k, v in beats.items()}
    found = Freshness(
        now.isoformat(timespec="seconds"),
        contract.source,
        contract.dataset,
        "no_expectation",
        spec.expected_every,
        spec.grace,
        text.get("ingest", ""),
        text.get("transform", ""),
        text.get("catalog", ""),
        text.get("quality", ""),
    )
    published = beats.get("catalog")
    if published is not None:
        found.lag_seconds = int((now - published).total_seconds())
    deadline = spec.deadline
    if deadline is not None:
        if published is None:
            found.state = "never"
        else:
            found.due_by = (published + deadline).isoformat(timespec="seconds")
            found.state = "late" if now > published + deadline else "on_time"
    for upstream, downstream in FOLLOWS:
        if contract.audited and downstream == "catalog":
            continue  # an audited dataset's held batches never reach the catalog, by design
        moved = beats.get(upstream)
        followed = beats.get(downstream)
        if moved is not None and (followed is None or followed < moved) and now - moved > silence:
            found.silent_stages.append(downstream)
    return found


def check_freshness(
    s3: S3Client,
    contracts: ContractRegistry,
    *,
    ops_bucket: str,
    now: datetime | None = None,
    silence: timedelta = DEFAULT_SILENCE,
) -> list[Freshness]:
    now = (now or datetime.now(UTC)).astimezone(UTC)
    return [judge(c, heartbeats(s3, ops_bucket, c), now, silence) for c in contracts]


def changes(s3: S3Client, ops_bucket: str, checked: list[Freshness]) -> list[tuple[Freshness, str]]:
    """The datasets whose alarm state changed since the last check: (freshness, 'alarm'|'ok')."""
    changed = []
    for found in checked:
        key = keys.state_key("freshness", found.source, found.dataset)
        now = {"state": found.state, "silent_stages": sorted(found.silent_stages)}
        before, etag = documents.read(s3, ops_bucket, key)
        if before == now:
            continue
        documents.write(s3, ops_bucket, key, now, etag)
        was_alarming = bool(before) and (
            before["state"] in ("late", "never") or bool(before["silent_stages"])
        )
        if found.alarming:
            changed.append((found, "alarm"))
        elif was_alarming:
            changed.append((found, "ok"))
    return changed


def alert(sns: SNSClient, topic: str, found: Freshness, kind: str) -> None:
    name = f"{found.source}.{found.dataset}"
    if kind == "ok":
        subject, text = f"CornLake: {name} is on time again", f"{name} is {found.state} again."
    else:
        parts = []
        if found.state == "late":
            parts.append(
                f"the last batch was published at {found.last_published_at}; the next was due by "
                f"{found.due_by} (every {found.expected_every}, grace {found.grace})"
            )
        if found.state == "never":
            parts.append(f"data is expected every {found.expected_every} and none was ever published")
        if found.silent_stages:
            parts.append(f"silent: {', '.join(found.silent_stages)} did not follow its input")
        subject, text = f"CornLake: {name} is {found.state}", f"{name}: " + "; ".join(parts) + "."
    sns.publish(TopicArn=topic, Subject=subject[:100], Message=text + "\nSee `cornlake status`.")
