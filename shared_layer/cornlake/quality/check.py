"""The quality stage: a dataset contract's rules, evaluated on every new curated batch.

Results are rows of the ``quality_results`` ops table (JSON lines in the ops bucket), so
quality history is queryable with SQL; each failed rule is also a CloudWatch metric
(``QualityRuleFailed``) for alarms. A failed ``error`` rule makes the run ``checks_failed``.
"""

from __future__ import annotations

import io
import json
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import pyarrow as pa
import pyarrow.parquet as pq
from aws_lambda_powertools.metrics import MetricUnit

from cornlake import aws, keys
from cornlake.contracts import Contract, ContractRegistry, registry
from cornlake.messages import CuratedBatch
from cornlake.observability import logger, metrics
from cornlake.ops import QUALITY_RESULTS, RunRecord
from cornlake.quality.rules import evaluate_rule
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
    passed: bool
    rows_checked: int
    rows_failed: int
    observed: str
    evaluated_at: str


def read_batch(s3: S3Client, batch: CuratedBatch, columns: list[str]) -> pa.Table:
    tables = []
    for obj in batch.objects:
        data = s3.get_object(Bucket=batch.curated_bucket, Key=obj.key)["Body"].read()
        tables.append(pq.read_table(io.BytesIO(data), columns=columns or None))
    if not tables:
        return pa.table({c: pa.array([], pa.null()) for c in columns})
    return pa.concat_tables(tables)


def check_batch(contract: Contract, batch: CuratedBatch, table: pa.Table, run_id: str) -> list[RuleResult]:
    now = datetime.now(UTC).isoformat(timespec="milliseconds")
    results = []
    for rule in contract.quality:
        if table.num_rows == 0 and rule.check != "row_count":
            failed, observed = 0, "no rows"
        else:
            failed, observed = evaluate_rule(rule, table)
        results.append(
            RuleResult(
                run_id,
                contract.source,
                contract.dataset,
                batch.ingest_id,
                rule.rule_id,
                rule.check,
                list(rule.columns),
                rule.severity,
                failed == 0,
                table.num_rows,
                failed,
                observed,
                now,
            )
        )
    return results


def write_results(s3: S3Client, ops_bucket: str, results: list[RuleResult], run_id: str) -> str:
    if not results:
        return ""
    key = keys.ops_key(QUALITY_RESULTS.name, datetime.now(UTC).date(), "quality", run_id)
    body = "".join(json.dumps(asdict(r)) + "\n" for r in results)
    s3.put_object(Bucket=ops_bucket, Key=key, Body=body.encode(), ContentType="application/x-ndjson")
    return key


def run_quality(
    s3: S3Client, contract: Contract, batch: CuratedBatch, *, ops_bucket: str, run_id: str
) -> tuple[list[RuleResult], str]:
    needed = sorted({c for rule in contract.quality for c in rule.columns})
    table = read_batch(s3, batch, needed)
    results = check_batch(contract, batch, table, run_id)
    return results, write_results(s3, ops_bucket, results, run_id)


STAGE = "quality"
REQUIRED: tuple[str, ...] = ()


def start_check(batch: CuratedBatch) -> RunRecord:
    return batch.run_record(STAGE)


def run_check(
    batch: CuratedBatch,
    run: RunRecord,
    settings: Settings,
    *,
    session: Any = None,
    contracts: ContractRegistry | None = None,
) -> None:
    """Evaluate one batch against its contract's rules, filling in ``run``."""
    contract = (contracts or registry()).get(batch.source, batch.dataset)
    results, key = run_quality(
        aws.s3(session), contract, batch, ops_bucket=settings.ops_bucket, run_id=run.run_id
    )
    failed = [r for r in results if not r.passed]
    for result in failed:
        metrics.add_metric(name="QualityRuleFailed", unit=MetricUnit.Count, value=1)
        logger.warning(
            "quality rule failed",
            extra={
                "dataset": contract.qualified_name,
                "rule": result.rule_id,
                "severity": result.severity,
                "observed": result.observed,
            },
        )
    run.output_keys = [key] if key else []
    run.details = {"rules": len(results), "failed": [r.rule_id for r in failed]}
    run.finish("checks_failed" if any(r.severity == "error" for r in failed) else "succeeded")
