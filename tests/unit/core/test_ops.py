"""The ops records and the ops tables' schemas are one fact: a field added to one is added to both."""

from __future__ import annotations

import dataclasses
import json

from cornlake.ops import QUALITY_RESULTS, RUNS, RunRecord
from cornlake.quality.check import RuleResult


def test_the_ops_records_match_the_ops_tables_column_for_column() -> None:
    run_fields = {f.name for f in dataclasses.fields(RunRecord) if not f.name.startswith("_")}
    assert run_fields == {c[0] for c in RUNS.columns}
    assert [f.name for f in dataclasses.fields(RuleResult)] == [c[0] for c in QUALITY_RESULTS.columns]


def test_a_run_record_serializes_details_as_json_text() -> None:
    record = RunRecord(stage="transform", details={"b": 2, "a": [1]}).finish("partial", "x")
    data = json.loads(record.to_json())
    assert data["status"] == "partial" and data["details"] == '{"a": [1], "b": 2}' and "_t0" not in data
