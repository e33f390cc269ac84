"""Lineage end to end: an HTTP push walked to its quality result with SQL over the runs table,
and the OpenLineage events every stage wrote, valid by the official schema and linked."""

from __future__ import annotations

import json
from typing import Any

import pytest

from cornlake import lineage
from cornlake_toolkit.local import LocalLake
from cornlake_toolkit.sql import LocalSqlEngine
from helpers import http_post, list_keys, openlineage_problems, sample

pytestmark = pytest.mark.e2e


def ops_sql(lake: LocalLake, text: str) -> list[tuple[Any, ...]]:
    names = lake.describe()
    with LocalSqlEngine(lake.client("glue"), lake.client("s3"), names["ops_glue_database"]) as engine:
        return engine.query(text).rows


def test_a_push_is_walked_to_its_quality_result_through_sql_over_runs(lake: LocalLake) -> None:
    lake.reset()

    status, body = http_post(
        lake, "/v1/ingest/app/events", sample("app/samples/events.jsonl").read_bytes(), "application/x-ndjson"
    )
    assert status == 202
    lake.wait_until_idle(timeout=60)
    chain = ops_sql(
        lake,
        "SELECT i.stage, i.output_keys[1], t.stage, t.rows_out, c.stage, q.stage, count(r.rule_id) "
        "FROM runs q "
        "JOIN runs t ON q.parent_run_id = t.run_id "
        "JOIN runs i ON t.parent_run_id = i.run_id "
        "JOIN runs c ON c.parent_run_id = t.run_id AND c.stage = 'catalog' "
        "JOIN quality_results r ON r.run_id = q.run_id "
        "WHERE q.stage = 'quality' "
        "GROUP BY 1, 2, 3, 4, 5, 6",
    )
    assert chain == [("ingest_api", body["key"], "transform", 57, "catalog", "quality", 5)]

    names = lake.describe()
    s3 = lake.client("s3")
    events = [
        json.loads(s3.get_object(Bucket=names["ops_bucket"], Key=k)["Body"].read())
        for k in list_keys(lake, names["ops_bucket"], "lineage/")
    ]
    assert {(e["job"]["name"], e["eventType"]) for e in events} == {
        (f"app.events.{stage}", kind)
        # "models": the catalog announces every registered batch to the model function (cornlake.modeling)
        for stage in ("ingest_api", "transform", "catalog", "quality", "models")
        for kind in ("START", "COMPLETE")
    }
    assert all(openlineage_problems(e) == [] for e in events)
    by_job = {e["job"]["name"]: e for e in events if e["eventType"] == "COMPLETE"}
    ingest, transform = by_job["app.events.ingest_api"], by_job["app.events.transform"]
    assert transform["run"]["facets"]["parent"]["run"]["runId"] == ingest["run"]["runId"]
    assert transform["run"]["facets"]["parent"]["job"]["name"] == "app.events.ingest_api"
    for stage in ("catalog", "quality"):
        parent = by_job[f"app.events.{stage}"]["run"]["facets"]["parent"]
        assert parent["run"]["runId"] == transform["run"]["runId"]
    assert ingest["run"]["runId"] == lineage.run_uuid(
        ops_sql(lake, "SELECT run_id FROM runs WHERE stage = 'ingest_api'")[0][0]
    )
    assertions = by_job["app.events.quality"]["inputs"][0]["inputFacets"]["dataQualityAssertions"][
        "assertions"
    ]
    assert {a["assertion"] for a in assertions} >= {'IsComplete "event_id"', "RowCount >= 1"}
    columns = {f["name"] for f in transform["outputs"][0]["facets"]["schema"]["fields"]}
    assert {"event_id", "device", "user_email"} <= columns
