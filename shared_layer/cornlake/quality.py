"""Data quality: evaluate a dataset contract's rules on every new curated batch.

Results are rows of the ``quality_results`` ops table (JSON lines in the ops bucket), so
quality history is queryable with SQL; the handler turns failures into metrics.
"""

from __future__ import annotations

import io
import json
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from cornlake import keys
from cornlake.contracts import Contract, QualityRule
from cornlake.messages import CuratedBatch
from cornlake.runs import RESULTS_TABLE

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


def _count_true(mask: pa.ChunkedArray | pa.Array) -> int:
    return int(pc.sum(pc.cast(pc.fill_null(mask, False), pa.int64())).as_py() or 0)


def evaluate_rule(rule: QualityRule, table: pa.Table) -> tuple[int, str]:
    """(rows failing, what was observed) for one rule on one table."""
    rows = table.num_rows
    if rule.check == "row_count":
        too_few = rule.min is not None and rows < rule.min
        too_many = rule.max is not None and rows > rule.max
        return (rows if too_few or too_many else 0), f"{rows} rows (min {rule.min}, max {rule.max})"
    column = table.column(rule.columns[0])
    if rule.check == "not_null":
        nulls = column.null_count
        return nulls, f"{nulls} null of {rows}"
    if rule.check == "accepted_values":
        allowed = pa.array(list(rule.values)).cast(column.type)
        bad = _count_true(pc.and_(pc.is_valid(column), pc.invert(pc.is_in(column, value_set=allowed))))
        shown = ", ".join(map(str, rule.values[:5])) + (", ..." if len(rule.values) > 5 else "")
        return bad, f"{bad} of {rows} outside the {len(rule.values)} accepted values ({shown})"
    if rule.check == "range":
        numbers = pc.cast(column, pa.float64())  # decimals and integers compare as numbers
        checks = []
        if rule.min is not None:
            checks.append(pc.less(numbers, float(rule.min)))
        if rule.max is not None:
            checks.append(pc.greater(numbers, float(rule.max)))
        mask = checks[0] if len(checks) == 1 else pc.or_(checks[0], checks[1])
        bad = _count_true(mask)
        return bad, f"{bad} of {rows} outside [{rule.min}, {rule.max}]"
    # unique: rows beyond the first of each key
    counts = table.select(list(rule.columns)).group_by(list(rule.columns)).aggregate([([], "count_all")])
    duplicated = pc.subtract(counts.column("count_all"), 1)
    dupes = int(pc.sum(duplicated).as_py() or 0)
    return dupes, f"{dupes} duplicate rows on ({', '.join(rule.columns)})"


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
    key = keys.ops_key(RESULTS_TABLE, datetime.now(UTC).date(), "quality", run_id)
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
