"""Compaction through the local lake: a partition's small files merged into a generation Glue
points at, answers unchanged (also for a reader querying during the swap), new data never
hidden behind a generation, and unused generations deleted after their grace period."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from unittest import mock

import pytest

from cornlake.contracts import registry
from cornlake.monitor import compact
from cornlake_toolkit import cli, target
from cornlake_toolkit.client import run_sql
from cornlake_toolkit.local import LocalLake
from cornlake_toolkit.samples import vendas_csv
from helpers import list_keys, run_records

pytestmark = pytest.mark.e2e

ANSWER = "SELECT mes_venda, count(*) AS n, sum(valor_total) AS total FROM erp_vendas GROUP BY 1 ORDER BY 1"


def ingest_files(lake: LocalLake, folder: Path, seeds: range) -> None:
    for seed in seeds:
        path = folder / f"vendas-{seed}.csv"
        path.write_bytes(vendas_csv(30, seed=seed).encode("latin-1"))
        assert cli.main(["ingest", str(path), "--source", "erp", "--dataset", "vendas"]) == 0
    lake.wait_until_idle(timeout=120)


def answer(lake: LocalLake) -> list[list[Any]]:
    return [list(r) for r in run_sql(target.local_target(), ANSWER).rows]


def partitions(lake: LocalLake) -> dict[str, dict[str, Any]]:
    names = lake.describe()
    found = compact.table_partitions(lake.client("glue"), names["glue_database"], "erp_vendas")
    return {p["Values"][0]: p for p in found}


def files_read(lake: LocalLake, partition: dict[str, Any]) -> list[str]:
    """The data files a reader of the partition reads: those under its location."""
    bucket, _, prefix = partition["StorageDescriptor"]["Location"].removeprefix("s3://").partition("/")
    return [k for k in list_keys(lake, bucket, prefix) if k.endswith(".parquet")]


def compact_out(capsys: pytest.CaptureFixture[str], *extra: str) -> list[dict[str, Any]]:
    capsys.readouterr()
    assert cli.main(["compact", "erp/vendas", "--min-files", "3", "--format", "json", *extra]) == 0
    out = capsys.readouterr().out
    return list(json.loads(out[out.index("[") :]))  # after what an ingest during the run printed


def test_compaction_keeps_every_answer_while_reading_fewer_files(
    fresh: LocalLake, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # GIVEN nine small batches, so each month partition holds about nine small files
    ingest_files(fresh, tmp_path, range(1, 10))
    before = answer(fresh)
    small = {value: len(files_read(fresh, p)) for value, p in partitions(fresh).items()}
    assert min(small.values()) >= 3
    # WHEN a reader queries over and over while the scheduled compaction swaps the partitions
    seen: list[list[list[Any]]] = []
    stop = threading.Event()

    def reader() -> None:
        while not stop.is_set():
            seen.append(answer(fresh))

    thread = threading.Thread(target=reader)
    thread.start()
    try:
        fired = fresh.schedules.fire("Compact")
    finally:
        stop.set()
        thread.join(timeout=60)
    # THEN every partition was compacted into one file, and every answer, during and after, is the same
    assert fired["partitions"] == {"erp.vendas": {"compacted": len(small)}}
    assert seen and all(s == before for s in seen), [s for s in seen if s != before][:1]
    assert answer(fresh) == before
    after = partitions(fresh)
    for value, partition in after.items():
        assert "/_gen/" in partition["StorageDescriptor"]["Location"]
        assert [k.rsplit("/", 1)[1] for k in files_read(fresh, partition)] == ["compacted-0000.parquet"]
        assert partition["Parameters"]["cornlake.compacted_files"] == str(small[value])
    # AND `cornlake compact` then finds nothing to do, and says why
    again = compact_out(capsys)
    assert {d["state"] for d in again} == {"skipped"}
    assert all(d["reason"].startswith("already compacted (generation ") for d in again)
    records = run_records(fresh, fresh.describe()["ops_bucket"], "compact")
    assert [r["status"] for r in records] == ["succeeded", "succeeded"]
    assert sorted(r["dataset"] for r in records) == ["", "vendas"]


def test_a_new_batch_in_a_compacted_partition_is_read_at_once(
    fresh: LocalLake, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ingest_files(fresh, tmp_path, range(1, 5))
    compact_out(capsys)
    first_generation = {v: p["StorageDescriptor"]["Location"] for v, p in partitions(fresh).items()}
    # WHEN another batch lands in the compacted partitions
    ingest_files(fresh, tmp_path, range(20, 21))
    # THEN the catalog pointed them back at their batch files, which hold every row
    expected = answer(fresh)
    total = sum(r[1] for r in expected)
    transforms = run_records(fresh, fresh.describe()["ops_bucket"], "transform")
    assert total == sum(r["rows_out"] for r in transforms)
    for value, partition in partitions(fresh).items():
        assert "/_gen/" not in partition["StorageDescriptor"]["Location"], value
        assert "cornlake.compacted_generation" not in partition.get("Parameters", {})
    # AND the next compaction merges them again, while the replaced generation waits out its grace
    done = compact_out(capsys)
    assert {d["state"] for d in done} == {"compacted"}
    assert answer(fresh) == expected
    names = fresh.describe()
    generations = list_keys(fresh, names["curated_bucket"], "tables/erp/vendas/_gen/")
    for location in first_generation.values():
        prefix = location.removeprefix(f"s3://{names['curated_bucket']}/")
        assert any(k.startswith(prefix) for k in generations), prefix
    # WHEN the grace period has passed, the replaced generations are deleted; the current ones stay
    plan = compact.Settings(names["curated_bucket"], names["glue_database"], grace=timedelta(0))
    contract = registry().get("erp", "vendas")
    later = datetime.now(UTC) + timedelta(seconds=5)
    deleted = compact.delete_unused(
        fresh.client("s3"), contract, plan, list(partitions(fresh).values()), later
    )
    assert sorted(deleted) == sorted(
        loc.removeprefix(f"s3://{names['curated_bucket']}/").rstrip("/") for loc in first_generation.values()
    )
    assert answer(fresh) == expected


def test_a_batch_arriving_during_compaction_undoes_the_swap(
    fresh: LocalLake, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ingest_files(fresh, tmp_path, range(1, 5))
    write = compact.write_generation

    def new_batch_meanwhile(*args: Any, **kwargs: Any) -> Any:
        written = write(*args, **kwargs)
        if not arrived:
            arrived.append(True)
            ingest_files(fresh, tmp_path, range(30, 31))  # lands in every month partition
        return written

    arrived: list[bool] = []
    with mock.patch.object(compact, "write_generation", new_batch_meanwhile):
        done = compact_out(capsys)
    states = sorted(d["state"] for d in done)
    assert "undone" in states, done
    transforms = run_records(fresh, fresh.describe()["ops_bucket"], "transform")
    assert sum(r[1] for r in answer(fresh)) == sum(r["rows_out"] for r in transforms)
    undone = [d["partition"].split("=")[1] for d in done if d["state"] == "undone"]
    for value in undone:
        assert "/_gen/" not in partitions(fresh)[value]["StorageDescriptor"]["Location"]


def test_compaction_refuses_an_unknown_partition(
    fresh: LocalLake, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ingest_files(fresh, tmp_path, range(1, 2))
    capsys.readouterr()
    assert cli.main(["compact", "erp/vendas", "--partition", "1999-01"]) == 2
    err = capsys.readouterr().err
    assert "has no partition 1999-01" in err and "hint:" in err
