"""OpenLineage RunEvents for every stage run, so Marquez, OpenMetadata or DataZone can draw the lake.

Each run emits ``START`` when it begins and ``COMPLETE`` or ``FAIL`` when it ends, naming
its job (``<source>.<dataset>.<stage>``), its input and output datasets, and its parent run
(the ``parent_run_id`` of its run record: ingest → transform → catalog and quality), as
the OpenLineage 2-0-2 spec writes them (validated in the tests against the official JSON
schema, tests/schemas/openlineage/). Events go to an HTTP endpoint (``LINEAGE_URL``, e.g.
Marquez's ``/api/v1/lineage``) and/or an S3 prefix (``LINEAGE_S3_URI``), one JSON object per
event. Lineage is reported, never required: a sink that fails is logged and counted
(``LineageNotSent``), and the run goes on.

Run ids become UUIDs (OpenLineage's format) by a fixed mapping, ``run_uuid``, so a run
record and its events always name the same run.
"""

from __future__ import annotations

import json
import os
import urllib.request
import uuid
from datetime import UTC, datetime
from typing import Any

from cornlake import aws, keys
from cornlake.ops import RunRecord
from cornlake.settings import Settings

SPEC = "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent"
PRODUCER = "https://github.com/cornlake/cornlake/tree/v0.1.0"
FACETS = {
    "parent": "https://openlineage.io/spec/facets/1-2-0/ParentRunFacet.json#/$defs/ParentRunFacet",
    "errorMessage": "https://openlineage.io/spec/facets/1-0-1/ErrorMessageRunFacet.json#/$defs/ErrorMessageRunFacet",
    "schema": "https://openlineage.io/spec/facets/1-2-0/SchemaDatasetFacet.json#/$defs/SchemaDatasetFacet",
    "dataQualityAssertions": (
        "https://openlineage.io/spec/facets/1-1-0/DataQualityAssertionsDatasetFacet.json"
        "#/$defs/DataQualityAssertionsDatasetFacet"
    ),
}
_NAMESPACE = uuid.UUID("6f1c1d2e-5b1a-4c43-9a55-8d1f0c0ffee0")
FAILED = ("failed", "rejected")


def run_uuid(run_id: str) -> str:
    """The UUID OpenLineage names a CornLake run by (the same every time)."""
    return str(uuid.uuid5(_NAMESPACE, run_id))


def facet(kind: str, **fields: Any) -> dict[str, Any]:
    return {"_producer": PRODUCER, "_schemaURL": FACETS[kind], **fields}


def job_name(source: str, dataset: str, stage: str) -> str:
    return f"{source or 'unknown'}.{dataset or 'unknown'}.{stage}"


def _dataset(bucket: str, name: str, facets: dict[str, Any] | None = None) -> dict[str, Any]:
    found: dict[str, Any] = {"namespace": f"s3://{bucket}", "name": name}
    if facets:
        found["facets"] = facets
    return found


def datasets(run: RunRecord, settings: Settings) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """A run's input and output datasets, by stage: whole datasets (prefixes), not objects."""
    if not (run.source and run.dataset):
        return [], []
    if run.stage == "model":  # a model: Glue tables in (datasets' or models'), its own table out
        tables = [t for t in run.input_key.split(",") if "." in t]
        return [_glue_name(*t.split(".", 1)) for t in tables], [
            _glue_name(settings.glue_database, run.dataset)
        ]
    raw = _dataset(settings.raw_bucket, keys.hive_prefix(run.source, run.dataset).rstrip("/"))
    curated = _dataset(settings.curated_bucket, keys.table_prefix(run.source, run.dataset).rstrip("/"))
    curated |= {"facets": run._facets["schema"]} if "schema" in run._facets else {}
    by_stage: dict[str, tuple[list[dict[str, Any]], list[dict[str, Any]]]] = {
        "ingest_api": ([], [raw]),
        "ingest_s3_copy": ([_dataset(settings.landing_bucket, f"{run.source}/{run.dataset}")], [raw]),
        "transform": ([raw], [curated]),
        "catalog": ([curated], [_glue_table(settings, run)]),
        "quality": ([curated | _quality_facets(run)], []),
    }
    inputs, outputs = by_stage.get(run.stage, ([], []))
    if run.stage == "transform" and run.rows_quarantined:
        outputs = [*outputs, _dataset(settings.quarantine_bucket, raw["name"])]
    return inputs, outputs


def _glue_table(settings: Settings, run: RunRecord) -> dict[str, Any]:
    return _glue_name(settings.glue_database, f"{run.source}_{run.dataset}")


def _glue_name(database: str, table: str) -> dict[str, Any]:
    region = os.environ.get("AWS_REGION", "us-east-1")
    account = os.environ.get("AWS_ACCOUNT_ID", "000000000000")
    return {"namespace": f"arn:aws:glue:{region}:{account}", "name": f"table/{database}/{table}"}


def _quality_facets(run: RunRecord) -> dict[str, Any]:
    assertions = run._facets.get("assertions")
    return (
        {"inputFacets": {"dataQualityAssertions": facet("dataQualityAssertions", assertions=assertions)}}
        if assertions
        else {}
    )


def event(run: RunRecord, event_type: str, settings: Settings) -> dict[str, Any]:
    """One OpenLineage RunEvent for a run record."""
    run_facets: dict[str, Any] = {}
    if run.parent_run_id:
        parent_job = run._facets.get("parent_job") or job_name(
            run.source, run.dataset, run._parent_stage or "ingest"
        )
        run_facets["parent"] = facet(
            "parent",
            run={"runId": run_uuid(run.parent_run_id)},
            job={"namespace": settings.lineage_namespace, "name": parent_job},
        )
    if event_type == "FAIL" and run.error:
        run_facets["errorMessage"] = facet(
            "errorMessage", message=run.error[:2000], programmingLanguage="python"
        )
    inputs, outputs = datasets(run, settings)
    when = run.finished_at if event_type != "START" and run.finished_at else run.started_at
    found: dict[str, Any] = {
        "eventType": event_type,
        "eventTime": when or datetime.now(UTC).isoformat(timespec="milliseconds"),
        "producer": PRODUCER,
        "schemaURL": SPEC,
        "run": {"runId": run_uuid(run.run_id), "facets": run_facets},
        "job": {
            "namespace": settings.lineage_namespace,
            "name": job_name(run.source, run.dataset, run.stage),
        },
        "inputs": inputs,
        "outputs": outputs,
    }
    return found


def end_type(run: RunRecord) -> str:
    return "FAIL" if run.status in FAILED else "COMPLETE"


def emit(run: RunRecord, event_type: str, settings: Settings, *, session: Any = None) -> None:
    """Send one event to the configured sinks; a sink that fails is logged, never raised."""
    if not (settings.lineage_url or settings.lineage_s3_uri):
        return
    from cornlake.observability import count, logger

    body = event(run, event_type, settings)
    for sink, send in (
        (settings.lineage_url, _post),
        (settings.lineage_s3_uri, lambda uri, doc: _put(uri, doc, run, session)),
    ):
        if not sink:
            continue
        try:
            send(sink, body)
        except Exception as err:  # noqa: BLE001 - lineage is reported, never required
            logger.warning("lineage event not sent", extra={"sink": sink, "error": str(err)[:300]})
            count("LineageNotSent", stage=run.stage)


def _post(url: str, body: dict[str, Any]) -> None:
    request = urllib.request.Request(  # noqa: S310 - the operator's configured lineage endpoint
        url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"}, method="POST"
    )
    with urllib.request.urlopen(request, timeout=3):  # noqa: S310
        pass


def _put(uri: str, body: dict[str, Any], run: RunRecord, session: Any) -> None:
    bucket, _, prefix = uri.removeprefix("s3://").partition("/")
    day = (body["eventTime"] or "")[:10] or datetime.now(UTC).date().isoformat()
    key = f"{prefix.rstrip('/')}/event_date={day}/{run.stage}-{run.run_id}-{body['eventType']}.json".lstrip(
        "/"
    )
    aws.s3(session).put_object(
        Bucket=bucket, Key=key, Body=json.dumps(body).encode(), ContentType="application/json"
    )
