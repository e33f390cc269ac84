"""Concurrent writers, through the local lake's own functions: every stage of several files that
land at once runs in parallel, one invocation per file as concurrent Lambda instances would,
so the transforms write the same partition at the same moment, each file brings a new column
(schema evolution from all of them at once), and the catalog updates of the same table race.
No row, column or partition is lost."""

from __future__ import annotations

import json
import threading
import time
from typing import Any

from lakeside import books

from cornlake_toolkit.local import LocalLake
from cornlake_toolkit.local.events import sqs_record
from cornlake_toolkit.reliability import Ledger, Scenario

WRITERS, PER_FILE = 6, 50


LAKE_LOG_LEVEL = "CRITICAL"


def take(lake: LocalLake, queue: str, count: int, timeout: float = 60) -> list[dict[str, Any]]:
    """``count`` messages of one queue, as Lambda records (S3's test event left out)."""
    sqs = lake.client("sqs")
    url = sqs.get_queue_url(QueueName=f"{lake.describe()['stack_name']}-{queue}")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    found: list[dict[str, Any]] = []
    deadline = time.monotonic() + timeout
    while len(found) < count and time.monotonic() < deadline:
        for m in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1).get(
            "Messages", []
        ):
            sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
            if "s3:TestEvent" not in m["Body"]:
                found.append(sqs_record(m, arn, lake.region))
    assert len(found) == count, f"{queue}: {len(found)} of {count} messages"
    return found


def all_at_once(lake: LocalLake, function: str, records: list[dict[str, Any]]) -> list[Any]:
    """One invocation per record, all started together; every one must succeed."""
    start, results = threading.Barrier(len(records)), [None] * len(records)

    def one(n: int) -> None:
        start.wait()
        results[n] = lake.functions[function].invoke({"Records": [records[n]]})

    threads = [threading.Thread(target=one, args=(n,)) for n in range(len(records))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    failures = [r for r in results if isinstance(r, dict) and r.get("batchItemFailures")]
    assert not failures, failures
    return results


def test_concurrent_writers_to_one_partition_with_new_columns_lose_nothing(
    lake: LocalLake, ledger: Ledger
) -> None:
    lake.wait_until_idle(timeout=120)
    lake.reset()
    names = lake.describe()
    s3 = lake.client("s3")
    lake.events.pause()
    try:
        # GIVEN six files landing at once, for the same day, each with a field the contract lacks
        for w in range(WRITERS):
            lines = [
                json.dumps(
                    {
                        "event_id": f"w{w}-{i:04d}",
                        "event_type": "click",
                        "event_time": f"2026-11-20T10:{i % 60:02d}:00Z",
                        "user_id": f"u{i}",
                        f"campo_{w}": f"valor {w}",
                    }
                )
                for i in range(PER_FILE)
            ]
            s3.put_object(
                Bucket=names["landing_bucket"],
                Key=f"app/events/writer-{w}.jsonl",
                Body="\n".join(lines).encode(),
            )
        # WHEN every stage runs them all at the same moment
        all_at_once(lake, "IngestCopyFunction", take(lake, "ingest-copy", WRITERS))
        all_at_once(lake, "TransformFunction", take(lake, "transform", WRITERS))
        all_at_once(lake, "CatalogFunction", take(lake, "catalog", WRITERS))
        all_at_once(lake, "QualityFunction", take(lake, "quality", WRITERS))
    finally:
        lake.events.resume()
    lake.wait_until_idle(timeout=120)
    # THEN every row is there once, the table has every new column, and the partition exists
    found = books(lake, "app_events", "event_id", source="app", dataset="events")
    glue = lake.client("glue")
    table = glue.get_table(DatabaseName=names["glue_database"], Name="app_events")["Table"]
    columns = {c["Name"] for c in table["StorageDescriptor"]["Columns"]}
    partitions = glue.get_partitions(DatabaseName=names["glue_database"], TableName="app_events")[
        "Partitions"
    ]
    missing = {f"campo_{w}" for w in range(WRITERS)} - columns
    sent = WRITERS * PER_FILE
    ledger.record(
        Scenario(
            "concurrency",
            f"{WRITERS} files of one partition through every stage at once, each with a new column",
            sent=sent,
            curated=found.distinct,
            quarantined=found.quarantined,
            lost=found.lost(sent) + len(missing) * PER_FILE,
            duplicated=found.duplicated,
            outcome=f"{len(columns)} columns, {len(partitions)} partition, "
            f"{table['Parameters'].get('cornlake.row_count')} rows counted by the table",
        )
    )
    assert (found.distinct, found.duplicated, found.quarantined) == (sent, 0, 0), found
    assert not missing, f"columns lost in the race: {sorted(missing)}"
    assert [p["Values"] for p in partitions] == [["2026-11-20"]]
    assert table["Parameters"]["cornlake.row_count"] == str(sent)
