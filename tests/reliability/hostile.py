"""What the hostile-input scenarios share: where the lake kept what it was sent, counted.

Each scenario counts what it observed (rows curated, records quarantined, requests or files
refused and kept where the docs say) and records it in the ledger; what was lost is what
it sent minus what it found, never a number typed in."""

from __future__ import annotations

import io
from collections import Counter
from collections.abc import Iterable
from typing import Any

import pyarrow.parquet as pq

from cornlake_toolkit.local import LocalLake
from cornlake_toolkit.reliability import Ledger, Scenario
from helpers import invoke, list_keys, read_jsonl, run_records, sqs_event_from_queue

COPY_QUEUE = "cornlake-local-ingest-copy"


def account(
    ledger: Ledger,
    name: str,
    *,
    sent: int,
    outcome: str,
    curated: int = 0,
    quarantined: int = 0,
    refused: int = 0,
    duplicated: int = 0,
) -> Scenario:
    """Record one hostile scenario; lost is computed from what the test saw."""
    lost = sent - curated - quarantined - refused
    return ledger.record(
        Scenario(
            group="hostile",
            name=name,
            sent=sent,
            curated=curated,
            quarantined=quarantined,
            refused=refused,
            lost=lost,
            duplicated=duplicated,
            outcome=outcome,
        )
    )


def curated_rows(stack: LocalLake, source: str, dataset: str) -> list[dict[str, Any]]:
    """Every row of one dataset's curated table (staged batches included)."""
    names, s3 = stack.describe(), stack.client("s3")
    rows: list[dict[str, Any]] = []
    for key in list_keys(stack, names["curated_bucket"]):
        if f"/{source}/{dataset}/" not in f"/{key}" or not key.endswith(".parquet"):
            continue
        data = s3.get_object(Bucket=names["curated_bucket"], Key=key)["Body"].read()
        rows += pq.read_table(io.BytesIO(data)).to_pylist()
    return rows


def doubled(rows: Iterable[dict[str, Any]], key: str) -> int:
    """Rows curated more than once, by primary key."""
    return sum(n - 1 for n in Counter(r[key] for r in rows).values())


def quarantined(stack: LocalLake, source: str, dataset: str) -> list[dict[str, Any]]:
    """Every quarantine entry of one dataset (the API's refused bodies are elsewhere)."""
    bucket = stack.describe()["quarantine_bucket"]
    entries: list[dict[str, Any]] = []
    for key in list_keys(stack, bucket, f"source={source}/dataset={dataset}/"):
        entries += read_jsonl(stack, bucket, key)
    return entries


def reasons(entries: list[dict[str, Any]]) -> list[str]:
    return [e["errors"][0]["reason"] for e in entries]


def transform_all(stack: LocalLake) -> list[dict[str, Any]]:
    """Hand every notification of raw to the transform handler, as Lambda would; its run records."""
    names = stack.describe()
    while (event := sqs_event_from_queue(stack, names["transform_queue"]))["Records"]:
        assert invoke("lambda_transform_curated", event) == {"batchItemFailures": []}
    return run_records(stack, names["ops_bucket"], "transform")


def copy_all(stack: LocalLake) -> list[dict[str, Any]]:
    """Hand every notification of landing to the copy handler, as Lambda would; its run records."""
    while (event := sqs_event_from_queue(stack, COPY_QUEUE))["Records"]:
        assert invoke("lambda_ingest_s3_copy", event) == {"batchItemFailures": []}
    return run_records(stack, stack.describe()["ops_bucket"], "ingest_s3_copy")
