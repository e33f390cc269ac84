"""Each dataset's recent rule values, for rules bound by history (``RowCount > avg(last(10))``).

One small document per dataset in the ops bucket (``state/quality/...``) holds, per batch
(ingest id), when it was checked and the value each rule measured. Evaluating a batch again
(a redelivery or a reprocess) replaces that batch's entry instead of adding one, and
concurrent quality runs merge under optimistic concurrency (cornlake.documents).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from cornlake import documents, keys

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

KEPT_BATCHES = 100  # DQDL's last(N) reaches back at most this far


def _key(source: str, dataset: str) -> str:
    return keys.state_key("quality", source, dataset)


def earlier_values(document: Any, ingest_id: str) -> dict[str, list[float]]:
    """rule id -> values of the batches before this one, oldest first."""
    batches = (document or {}).get("batches", {})
    ordered = sorted((b["at"], i, b["values"]) for i, b in batches.items() if i != ingest_id)
    values: dict[str, list[float]] = {}
    for _, _, by_rule in ordered:
        for rule_id, value in by_rule.items():
            if value is not None:
                values.setdefault(rule_id, []).append(float(value))
    return values


def load(s3: S3Client, ops_bucket: str, source: str, dataset: str, ingest_id: str) -> dict[str, list[float]]:
    document, _ = documents.read(s3, ops_bucket, _key(source, dataset))
    return earlier_values(document, ingest_id)


def record(
    s3: S3Client,
    ops_bucket: str,
    source: str,
    dataset: str,
    *,
    ingest_id: str,
    at: str,
    values: dict[str, float | None],
) -> None:
    """Add (or replace) one batch's values, keeping the latest KEPT_BATCHES batches."""

    def change(document: Any) -> Any:
        batches = dict((document or {}).get("batches", {}))
        batches[ingest_id] = {"at": at, "values": values}
        newest = sorted(batches, key=lambda i: batches[i]["at"])[-KEPT_BATCHES:]
        return {"batches": {i: batches[i] for i in newest}}

    documents.update(s3, ops_bucket, _key(source, dataset), change)
