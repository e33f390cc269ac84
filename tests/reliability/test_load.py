"""Load, against the local lake: 32 producers push 50,000 event records in batches of 1 to 400
to the ingest API while 200 sales files drop into landing, then the pipeline drains. Per
dataset, records sent = curated + quarantined, exactly; the report gets records per second,
the API's p50/p99 latency, the drain time and where each small object's time goes (each
stage's mean run, from the run records). A smaller run of the same shape is in `make test`."""

from __future__ import annotations

import random
import statistics
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from lakeside import books, push

from cornlake_toolkit.local import LocalLake
from cornlake_toolkit.reliability import Ledger, Scenario
from cornlake_toolkit.samples import event_lines, vendas_csv
from helpers import run_records

BAD_EVERY = 25
STAGES = ("ingest_api", "ingest_s3_copy", "transform", "catalog", "quality")


LAKE_LOG_LEVEL = "CRITICAL"


def batches(records: int, producers: int, biggest: int, seed: int) -> list[list[int]]:
    """Each producer's batch sizes, 1 to ``biggest``, adding up to ``records`` in all."""
    rng, plans = random.Random(seed), [[] for _ in range(producers)]
    left, n = records, 0
    while left:
        size = min(left, rng.randint(1, biggest))
        plans[n % producers].append(size)
        left, n = left - size, n + 1
    return plans


def run_load(lake: LocalLake, ledger: Ledger, *, records: int, producers: int, files: int, name: str) -> None:
    names = lake.describe()
    plans = batches(records, producers, 400, seed=records)
    latencies: list[float] = []
    refused: list[int] = []
    lock = threading.Lock()

    def producer(p: int) -> None:
        for n, size in enumerate(plans[p]):
            lines = event_lines(size, seed=p * 10_000 + n, bad_every=BAD_EVERY)
            answer = push(lake, "/v1/ingest/app/events", "\n".join(lines).encode() + b"\n", f"p{p}-{n}")
            with lock:
                latencies.append(answer.seconds)
                if answer.status != 202:
                    refused.append(answer.status)

    def dropper() -> int:
        s3, rows = lake.client("s3"), 0
        for f in range(files):
            text = vendas_csv(30, seed=1000 + f, bad_every=BAD_EVERY)
            rows += len(text.splitlines()) - 1
            s3.put_object(
                Bucket=names["landing_bucket"],
                Key=f"erp/vendas/carga-{f:04d}.csv",
                Body=text.encode("latin-1"),
            )
        return rows

    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=producers + 1) as pool:
        dropped = pool.submit(dropper)
        list(pool.map(producer, range(producers)))
        sales = dropped.result()
    sent_at = time.monotonic()
    lake.wait_until_idle(timeout=1800)
    drained_at = time.monotonic()
    assert not refused, f"the API refused {len(refused)} pushes: {sorted(set(refused))}"
    events = books(lake, "app_events", "event_id", source="app", dataset="events")
    vendas = books(
        lake, "erp_vendas", "_ingest_id || '/' || CAST(id_venda AS VARCHAR)", source="erp", dataset="vendas"
    )
    figures = {
        "records_per_s": (records + sales) / (drained_at - started),
        "api_p50_ms": 1000 * statistics.median(latencies),
        "api_p99_ms": 1000 * statistics.quantiles(latencies, n=100)[98],
        "requests": float(len(latencies)),
        "drain_s": drained_at - sent_at,
        **per_object(lake, names["ops_bucket"]),
    }
    for label, sent, found in (("events via the API", records, events), ("sales files", sales, vendas)):
        ledger.record(
            Scenario(
                "load",
                f"{name}: {label}",
                sent=sent,
                curated=found.distinct,
                quarantined=found.quarantined,
                lost=found.lost(sent),
                duplicated=found.duplicated,
                outcome=f"{producers} producers, {len(latencies)} pushes and {files} files",
                figures=figures if label.startswith("events") else {},
            )
        )
        assert (found.lost(sent), found.duplicated) == (0, 0), (label, found)
        assert found.distinct + found.quarantined == sent


def per_object(lake: LocalLake, ops_bucket: str) -> dict[str, float]:
    """Each stage's mean run per object (ms), from its run records: where a small object's time goes."""
    by_stage: dict[str, list[int]] = {}
    for record in run_records(lake, ops_bucket):
        by_stage.setdefault(record["stage"], []).append(int(record.get("duration_ms") or 0))
    return {f"{s}_ms_per_object": statistics.mean(by_stage[s]) for s in STAGES if by_stage.get(s)}


def test_a_small_load_drains_with_every_record_counted(fresh: LocalLake, ledger: Ledger) -> None:
    run_load(fresh, ledger, records=2_000, producers=8, files=10, name="8 producers, 2,000 records")


@pytest.mark.long
def test_32_producers_and_200_files_drain_with_every_record_counted(fresh: LocalLake, ledger: Ledger) -> None:
    run_load(fresh, ledger, records=50_000, producers=32, files=200, name="32 producers, 50,000 records")
