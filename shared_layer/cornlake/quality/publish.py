"""Write-audit-publish: a batch of an audited dataset is published only when its checks pass.

For a contract with ``quality.mode: audit_before_publish`` the transform writes the batch
under ``staging/`` (outside every table) and announces it as staged; the catalog's
subscription takes only published batches. The quality stage audits the staged files and
then either

* **publishes** them: each file is copied to the same path under ``tables/``, an earlier
  publish of the same raw object is replaced (its extra parts removed, its rows counted as
  replaced), the staged copies are deleted, and the published batch goes to the catalog
  queue, which registers its partitions as for any batch; or
* **holds** them: a record in the ops bucket (``held/...``) keeps the batch and why it was
  held, an alert goes to the alarm topic, and the files stay in staging, read by no one.

``cornlake held`` lists held batches; ``cornlake publish BATCH`` releases one as it is
(recorded as a ``publish`` run naming who released it); a reprocess after a contract or
data fix stages the raw object again, and a batch that passes then replaces the held one.
"""

from __future__ import annotations

import json
import re
from dataclasses import replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from cornlake import documents, keys
from cornlake.contracts import Contract
from cornlake.errors import TerminalError
from cornlake.messages import CuratedBatch, CuratedObject, parse_curated_batch
from cornlake.ops import RunRecord, write_run_record
from cornlake.transform.write import remove_stale_parts, rows_of

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_sns import SNSClient
    from mypy_boto3_sqs import SQSClient

STAGE = "publish"
_PART = re.compile(r"^part-(?P<stem>.+?)(?:-\d{4})?\.parquet$")


class NotHeldError(TerminalError):
    status = 404
    code = "not_held"

    def __init__(self, batch: str, held: list[str]) -> None:
        listed = ", ".join(held[:10]) or "none"
        super().__init__(f"no held batch {batch!r}", hint=f"`cornlake held` lists them; held now: {listed}")


def _stem(key: str) -> str:
    match = _PART.match(key.rsplit("/", 1)[-1])
    if not match:
        raise TerminalError(f"{key} is not a curated part file", hint="staged files are part-<id>.parquet")
    return match["stem"]


def publish_batch(
    s3: S3Client, sqs: SQSClient, contract: Contract, batch: CuratedBatch, *, bucket: str, catalog_queue: str
) -> CuratedBatch:
    """Move a staged batch into its table and hand it to the catalog; the published batch."""
    objects, rows_replaced = [], 0
    kept: dict[str, set[str]] = {}
    for obj in batch.objects:
        final = keys.published_key(obj.key)
        rows_replaced += rows_of(s3, bucket, final)
        s3.copy({"Bucket": bucket, "Key": obj.key}, bucket, final)  # managed: multipart past 5 GB
        objects.append(CuratedObject(final, obj.partition, obj.rows))
        kept.setdefault(json.dumps(obj.partition, sort_keys=True), set()).add(final)
    for partition, finals in kept.items():
        stem = _stem(next(iter(finals)))
        rows_replaced += remove_stale_parts(
            s3, contract, bucket, json.loads(partition), stem=stem, kept=finals, staged=False
        )
    for obj in batch.objects:
        s3.delete_object(Bucket=bucket, Key=obj.key)
    published = replace(batch, objects=tuple(objects), staged=False, rows_replaced=rows_replaced)
    sqs.send_message(QueueUrl=catalog_queue, MessageBody=published.to_json())
    return published


def hold_batch(
    s3: S3Client,
    sns: SNSClient | None,
    batch: CuratedBatch,
    *,
    ops_bucket: str,
    alert_topic: str,
    run_id: str,
    failures: list[dict[str, Any]],
) -> str:
    """Record a batch as held (and alert); the held record's key."""
    key = keys.held_key(batch.source, batch.dataset, batch.ingest_id)
    record = {
        "ingest_id": batch.ingest_id,
        "dataset": f"{batch.source}/{batch.dataset}",
        "held_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "quality_run_id": run_id,
        "rows": batch.rows_out,
        "failures": failures,
        "batch": json.loads(batch.to_json()),
    }
    s3.put_object(
        Bucket=ops_bucket, Key=key, Body=json.dumps(record).encode(), ContentType="application/json"
    )
    if sns is not None and alert_topic:
        rules = "; ".join(f"{f['rule_id']}: {f['observed']}" for f in failures)[:1500]
        sns.publish(
            TopicArn=alert_topic,
            Subject=f"CornLake: a batch of {batch.source}.{batch.dataset} is held"[:100],
            Message=(
                f"Batch {batch.ingest_id} ({batch.rows_out} rows) of {batch.source}/{batch.dataset} "
                f"failed its checks and was not published: {rules}\n"
                f"Fix the data or the contract and reprocess it, or release it as it is with "
                f"`cornlake publish {batch.ingest_id}`."
            ),
        )
    return key


def held_batches(s3: S3Client, ops_bucket: str) -> list[dict[str, Any]]:
    """Every held batch's record, oldest first."""
    found = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=ops_bucket, Prefix="held/"):
        for obj in page.get("Contents", []):
            document, _ = documents.read(s3, ops_bucket, obj["Key"])
            if document:
                found.append(document | {"key": obj["Key"]})
    return sorted(found, key=lambda d: d["held_at"])


def clear_hold(s3: S3Client, ops_bucket: str, batch: CuratedBatch) -> bool:
    """Forget a batch's hold (it was published); whether there was one."""
    key = keys.held_key(batch.source, batch.dataset, batch.ingest_id)
    document, _ = documents.read(s3, ops_bucket, key)
    if document is None:
        return False
    s3.delete_object(Bucket=ops_bucket, Key=key)
    return True


def release(
    s3: S3Client,
    sqs: SQSClient,
    contracts: Any,
    ingest_id: str,
    *,
    bucket: str,
    ops_bucket: str,
    catalog_queue: str,
    released_by: str,
) -> tuple[CuratedBatch, RunRecord]:
    """Publish a held batch as it is (``cornlake publish``), recorded as a ``publish`` run."""
    held = held_batches(s3, ops_bucket)
    record = next((h for h in held if h["ingest_id"] == ingest_id), None)
    if record is None:
        raise NotHeldError(ingest_id, [h["ingest_id"] for h in held])
    [batch] = parse_curated_batch(json.dumps(record["batch"]), STAGE)
    run = RunRecord(
        stage=STAGE,
        source=batch.source,
        dataset=batch.dataset,
        input_key=batch.raw_key,
        rows_in=batch.rows_out,
        parent_run_id=record["quality_run_id"],
        _parent_stage="quality",
    )
    contract = contracts.get(batch.source, batch.dataset)
    published = publish_batch(s3, sqs, contract, batch, bucket=bucket, catalog_queue=catalog_queue)
    s3.delete_object(Bucket=ops_bucket, Key=record["key"])
    run.rows_out = published.rows_out
    run.output_keys = [o.key for o in published.objects]
    run.details = {
        "ingest_id": ingest_id,
        "released_by": released_by,
        "failed_rules": [f["rule_id"] for f in record["failures"]],
        "held_at": record["held_at"],
    }
    write_run_record(s3, ops_bucket, run.finish("succeeded"))
    return published, run
