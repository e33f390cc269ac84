"""OpenLineage events from run records: valid by the official schema, linked to their parent run."""

from __future__ import annotations

import pytest

from cornlake import lineage
from cornlake.ops import RunRecord
from cornlake.settings import Settings
from helpers import openlineage_problems

SETTINGS = Settings(
    landing_bucket="landing",
    raw_bucket="raw",
    curated_bucket="curated",
    quarantine_bucket="quarantine",
    glue_database="lake",
    lineage_namespace="cornlake-test",
)


def record(stage: str, **fields: object) -> RunRecord:
    run = RunRecord(stage=stage, source="erp", dataset="vendas", **fields)  # type: ignore[arg-type]
    return run


@pytest.mark.parametrize("stage", ["ingest_api", "ingest_s3_copy", "transform", "catalog", "quality"])
@pytest.mark.parametrize("event_type", ["START", "COMPLETE", "FAIL"])
def test_every_stages_events_validate_against_the_openlineage_schema(stage: str, event_type: str) -> None:
    run = record(stage, parent_run_id="20261120T120000-0a1b2c3d", rows_quarantined=2)
    run._parent_stage = "transform"
    run._facets = {
        "schema": {"schema": lineage.facet("schema", fields=[{"name": "id", "type": "bigint"}])},
        "assertions": [{"assertion": 'IsUnique "id"', "success": False, "column": "id"}],
    }
    run.finish("failed" if event_type == "FAIL" else "succeeded", "boom" if event_type == "FAIL" else "")
    event = lineage.event(run, event_type, SETTINGS)
    assert openlineage_problems(event) == []
    assert event["eventType"] == event_type and event["job"]["name"] == f"erp.vendas.{stage}"
    assert event["run"]["runId"] == lineage.run_uuid(run.run_id)
    parent = event["run"]["facets"]["parent"]
    assert parent["run"]["runId"] == lineage.run_uuid("20261120T120000-0a1b2c3d")
    assert parent["job"] == {"namespace": "cornlake-test", "name": "erp.vendas.transform"}
    assert ("errorMessage" in event["run"]["facets"]) == (event_type == "FAIL")


def test_inputs_and_outputs_name_whole_datasets_in_each_zone() -> None:
    transform = lineage.event(record("transform", rows_quarantined=1), "COMPLETE", SETTINGS)
    assert [(d["namespace"], d["name"]) for d in transform["inputs"]] == [
        ("s3://raw", "source=erp/dataset=vendas")
    ]
    assert [(d["namespace"], d["name"]) for d in transform["outputs"]] == [
        ("s3://curated", "tables/erp/vendas"),
        ("s3://quarantine", "source=erp/dataset=vendas"),
    ]
    catalog = lineage.event(record("catalog"), "COMPLETE", SETTINGS)
    assert catalog["outputs"][0]["name"] == "table/lake/erp_vendas"
    assert catalog["outputs"][0]["namespace"].startswith("arn:aws:glue:")


def test_a_broken_schema_is_caught_by_the_validator() -> None:
    event = lineage.event(record("transform"), "COMPLETE", SETTINGS)
    event["run"]["runId"] = "not-a-uuid"
    event["eventType"] = "DONE"
    problems = openlineage_problems(event)
    assert any("eventType" in p for p in problems) and any("runId" in p for p in problems)


def test_a_failing_sink_never_fails_the_run(monkeypatch: pytest.MonkeyPatch) -> None:
    from cornlake import observability

    warned: list[tuple[str, dict[str, object]]] = []
    monkeypatch.setattr(observability.logger, "warning", lambda msg, **kw: warned.append((msg, kw)))
    settings = Settings(lineage_url="http://127.0.0.1:9/nowhere", lineage_namespace="x")
    lineage.emit(record("transform"), "START", settings)  # connection refused: logged, not raised
    [(message, fields)] = warned
    assert message == "lineage event not sent" and "127.0.0.1:9" in str(fields)


def test_run_ids_map_to_the_same_uuid_every_time() -> None:
    assert lineage.run_uuid("a") == lineage.run_uuid("a") != lineage.run_uuid("b")
