"""``cornlake runs`` lists each run with the transform's fast-path share, read from the run
record's details by the same Athena SQL the local engine translates to DuckDB."""

from __future__ import annotations

import argparse
import json
from types import SimpleNamespace
from typing import Any

import duckdb
import pytest

from cornlake.ops import RunRecord
from cornlake_toolkit.cli import ops
from cornlake_toolkit.sql import translate
from cornlake_toolkit.sql.result import QueryResult


def runs_table(records: list[RunRecord]) -> Any:
    """A DuckDB database with the ops table ``runs`` holding ``records`` as the ops bucket has them."""
    con = duckdb.connect()
    con.execute("CREATE SCHEMA ops")
    rows = [json.loads(r.to_json()) for r in records]
    con.execute(
        "CREATE TABLE ops.runs (run_id VARCHAR, stage VARCHAR, status VARCHAR, source VARCHAR, "
        "dataset VARCHAR, rows_in BIGINT, rows_out BIGINT, rows_quarantined BIGINT, duration_ms BIGINT, "
        "started_at VARCHAR, error VARCHAR, details VARCHAR)"
    )
    for r in rows:
        con.execute(
            "INSERT INTO ops.runs VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [r[k] for k in ("run_id", "stage", "status", "source", "dataset", "rows_in", "rows_out")]
            + [r[k] for k in ("rows_quarantined", "duration_ms", "started_at", "error", "details")],
        )
    return con


def test_runs_show_the_fast_path_share_of_transform_runs(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # GIVEN a transform run whose fast path took 42% of the valid rows, and a catalog run
    slow = RunRecord(stage="transform", source="shop", dataset="orders", rows_in=100, rows_out=100)
    slow.details = {"fast_path_rows": 42, "fast_path_share": 0.42, "fast_path_valid_rows": 100}
    slow.started_at = "2026-11-20T10:00:01.000+00:00"
    other = RunRecord(stage="catalog", source="shop", dataset="orders", details={"table_state": "created"})
    other.started_at = "2026-11-20T10:00:00.000+00:00"
    con = runs_table([slow.finish(), other.finish()])

    def local_sql(target: Any, sql: str) -> QueryResult:
        cursor = con.execute(translate(sql))
        columns = [d[0] for d in cursor.description]
        return QueryResult(columns, cursor.fetchall(), "duckdb (test)", sql)

    monkeypatch.setattr(ops, "run_sql", local_sql)
    # WHEN the runs are listed
    assert (
        ops.cmd_runs(argparse.Namespace(limit=20, format="csv"), SimpleNamespace(ops_glue_database="ops"))
        == 0
    )
    # THEN the transform run shows its share, and the other stage none
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("stage,status,dataset,rows_in,rows_out,rows_quarantined,fast_path_share,")
    assert lines[1].startswith("transform,succeeded,shop/orders,100,100,0,0.42,")
    assert lines[2].startswith("catalog,succeeded,shop/orders,0,0,0,,")
