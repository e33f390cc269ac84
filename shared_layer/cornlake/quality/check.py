"""The quality stage: a dataset contract's DQDL rules, evaluated on every new curated batch.

The batch's Parquet files are downloaded to local disk (streamed, never held in memory)
and measured with DuckDB (cornlake.quality.engine). Results are rows of the
``quality_results`` ops table (JSON lines in the ops bucket), so quality history is
queryable with SQL; each failed rule is also a CloudWatch metric (``QualityRuleFailed``,
by dataset) for alarms. A failed or unevaluable ``error`` rule makes the run
``checks_failed``.
"""

from __future__ import annotations

import hashlib
import json
import tempfile
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cornlake import aws, keys
from cornlake.contracts import Contract, ContractRegistry, registry
from cornlake.errors import ConfigError
from cornlake.messages import CuratedBatch
from cornlake.observability import count, logger
from cornlake.ops import QUALITY_RESULTS, RunRecord
from cornlake.quality import history, publish
from cornlake.quality.engine import Inputs, Limits, Measure, evaluate
from cornlake.settings import Settings

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client


@dataclass(frozen=True)
class RuleResult:
    run_id: str
    source: str
    dataset: str
    ingest_id: str
    rule_id: str
    check: str
    columns: list[str]
    severity: str
    outcome: str
    passed: bool
    rows_checked: int
    rows_failed: int
    value: float | None
    observed: str
    evaluated_at: str

    @property
    def blocking(self) -> bool:
        """A failed (or unevaluable) rule of severity error."""
        return not self.passed and self.severity == "error"


def download(s3: S3Client, bucket: str, keys_: list[str], folder: Path) -> list[Path]:
    """Each object to its own local file, streamed to disk."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for n, key in enumerate(keys_):
        path = folder / f"{n:05d}.parquet"
        aws.get_file(s3, bucket, key, path)
        paths.append(path)
    return paths


REFERENCE_CACHE = Path(tempfile.gettempdir()) / "cornlake-references"


def reference_files(s3: S3Client, bucket: str, contract: Contract, max_bytes: int) -> list[Path] | str:
    """A reference table's curated files on local disk (kept across warm invocations and fetched
    again only when an object changed), or why they cannot be read."""
    prefix = keys.table_prefix(contract.source, contract.dataset)
    listed = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        listed += [
            o
            for o in page.get("Contents", [])
            if o["Key"].endswith(".parquet") and f"/{keys.GENERATIONS}/" not in o["Key"]
        ]  # the batch files hold every row; a compacted generation holds the same ones again
    total = sum(int(o["Size"]) for o in listed)
    if total > max_bytes:
        return (
            f"the reference table {contract.table_name} holds {total / 2**20:.0f} MiB, over "
            f"QUALITY_REFERENCE_MAX_MB ({max_bytes / 2**20:.0f} MiB); raise it or refer to a smaller table"
        )
    folder = REFERENCE_CACHE / contract.table_name
    folder.mkdir(parents=True, exist_ok=True)
    wanted = {}
    for obj in listed:
        name = hashlib.sha256(f"{obj['Key']}\x00{obj['ETag']}".encode()).hexdigest()[:32] + ".parquet"
        wanted[name] = obj["Key"]
    for stale in folder.glob("*.parquet"):
        if stale.name not in wanted:
            stale.unlink()
    for name, key in wanted.items():
        if not (folder / name).exists():
            aws.get_file(s3, bucket, key, folder / f"{name}.part")
            (folder / f"{name}.part").rename(folder / name)
    return [folder / name for name in sorted(wanted)]


def to_results(
    measures: list[Measure], contract: Contract, batch: CuratedBatch, run_id: str, at: str
) -> list[RuleResult]:
    return [
        RuleResult(
            run_id,
            contract.source,
            contract.dataset,
            batch.ingest_id,
            m.rule.rule_id,
            m.rule.type,
            list(m.rule.columns),
            m.rule.severity,
            m.outcome,
            m.passed,
            m.rows_checked,
            m.rows_failed,
            m.value,
            m.observed,
            at,
        )
        for m in measures
    ]


def write_results(s3: S3Client, ops_bucket: str, results: list[RuleResult], run_id: str) -> str:
    if not results:
        return ""
    key = keys.ops_key(QUALITY_RESULTS.name, datetime.now(UTC).date(), "quality", run_id)
    body = "".join(json.dumps(asdict(r)) + "\n" for r in results)
    s3.put_object(Bucket=ops_bucket, Key=key, Body=body.encode(), ContentType="application/x-ndjson")
    return key


def run_quality(
    s3: S3Client,
    contract: Contract,
    batch: CuratedBatch,
    settings: Settings,
    *,
    run_id: str,
    contracts: ContractRegistry,
) -> tuple[list[RuleResult], str]:
    """Evaluate the batch, record each rule's result and value; (results, their ops key)."""
    at = datetime.now(UTC).isoformat(timespec="milliseconds")
    earlier = history.load(s3, settings.ops_bucket, contract.source, contract.dataset, batch.ingest_id)
    limits = Limits(settings.quality_memory_mb, float(settings.quality_rule_timeout_s))
    with tempfile.TemporaryDirectory(prefix="cornlake-quality-") as tmp:
        files = download(s3, settings.curated_bucket, [o.key for o in batch.objects], Path(tmp) / "batch")
        others = {t: contracts.table(t) for t in contract.references}
        references: dict[str, list[Path] | str] = {
            t: reference_files(s3, settings.curated_bucket, c, settings.quality_reference_max_mb * 2**20)
            if c is not None
            else f"no contract has the table {t}"
            for t, c in others.items()
        }
        measures = evaluate(
            contract,
            Inputs(files, references, earlier),
            Path(tmp),
            limits=limits,
            reference_contracts={t: c for t, c in others.items() if c is not None},
        )
    results = to_results(measures, contract, batch, run_id, at)
    values = {r.rule_id: r.value for r in results if r.outcome != "error"}
    history.record(
        s3,
        settings.ops_bucket,
        contract.source,
        contract.dataset,
        ingest_id=batch.ingest_id,
        at=at,
        values=values,
    )
    return results, write_results(s3, settings.ops_bucket, results, run_id)


STAGE = "quality"
REQUIRED: tuple[str, ...] = ("curated_bucket", "ops_bucket")


def start_check(batch: CuratedBatch) -> RunRecord:
    return batch.run_record(STAGE)


def report(contract: Contract, results: list[RuleResult]) -> list[RuleResult]:
    """Log and count the rules that did not pass; return them."""
    failed = [r for r in results if not r.passed]
    for result in failed:
        count("QualityRuleFailed", stage=STAGE, dataset=contract.qualified_name)
        if result.blocking:
            count("ErrorRulesFailed", stage=STAGE, dataset=contract.qualified_name)
        logger.warning(
            "quality rule failed" if result.outcome == "failed" else "quality rule could not be evaluated",
            extra={
                "dataset": contract.qualified_name,
                "rule": result.rule_id,
                "severity": result.severity,
                "outcome": result.outcome,
                "observed": result.observed,
            },
        )
    return failed


def run_check(
    batch: CuratedBatch,
    run: RunRecord,
    settings: Settings,
    *,
    session: Any = None,
    contracts: ContractRegistry | None = None,
) -> None:
    """Evaluate one batch against its contract's rules, filling in ``run``."""
    contracts = contracts or registry()
    contract = contracts.get(batch.source, batch.dataset)
    s3 = aws.s3(session)
    results, key = run_quality(s3, contract, batch, settings, run_id=run.run_id, contracts=contracts)
    failed = report(contract, results)
    run._facets["assertions"] = [
        {"assertion": r.rule_id, "success": r.passed}
        | ({"column": r.columns[0]} if len(r.columns) == 1 else {})
        for r in results
    ]
    run.output_keys = [key] if key else []
    run.details = {
        "rules": len(results),
        "failed": [r.rule_id for r in failed if r.outcome == "failed"],
        "errors": [r.rule_id for r in failed if r.outcome == "error"],
        "ingest_id": batch.ingest_id,
    }
    blocked = any(r.blocking for r in results)
    if batch.staged:
        _audit(s3, contract, batch, run, settings, blocked=blocked, results=results, session=session)
        return
    run.finish("checks_failed" if blocked else "succeeded")


def _audit(
    s3: S3Client,
    contract: Contract,
    batch: CuratedBatch,
    run: RunRecord,
    settings: Settings,
    *,
    blocked: bool,
    results: list[RuleResult],
    session: Any,
) -> None:
    """Write-audit-publish: publish a staged batch that passed, hold one that did not."""
    if not settings.catalog_queue_url:
        raise ConfigError(
            "CATALOG_QUEUE_URL is not set: an audited batch cannot be published",
            hint="template.yaml sets it on the quality function",
        )
    if blocked:
        failures = [
            {"rule_id": r.rule_id, "outcome": r.outcome, "observed": r.observed}
            for r in results
            if r.blocking
        ]
        sns = aws.sns(session) if settings.alert_topic_arn else None
        held = publish.hold_batch(
            s3,
            sns,
            batch,
            ops_bucket=settings.ops_bucket,
            alert_topic=settings.alert_topic_arn,
            run_id=run.run_id,
            failures=failures,
        )
        count("BatchesHeld", stage=STAGE, dataset=contract.qualified_name)
        run.details["held"] = held
        run.finish("held")
        return
    published = publish.publish_batch(
        s3,
        aws.sqs(session),
        contract,
        batch,
        bucket=settings.curated_bucket,
        catalog_queue=settings.catalog_queue_url,
    )
    run.details["published"] = [o.key for o in published.objects]
    run.details["released_hold"] = publish.clear_hold(s3, settings.ops_bucket, batch)
    run.finish("succeeded")
