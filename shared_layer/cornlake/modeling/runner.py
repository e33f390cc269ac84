"""Run models in dependency order: compute, audit, write, swap, record.

The runner is the same locally and on AWS; only the ``Engine`` that computes a SQL model's
rows and reads an input table differs (DuckDB over the local lake in the toolkit). For each
model: its rows are computed in full, its quality rules (DQDL, as in contracts) are checked
on them before anything is written (write-audit-publish: a failed error rule holds the new
output back, the previous one stays), then ``output.publish`` writes and swaps. Each model
run writes a run record (stage ``model``) naming its inputs, outputs and partitions. A model
whose input failed is not run, and says so.
"""

from __future__ import annotations

import importlib.util
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from cornlake import lineage
from cornlake.catalog.tables import current_table, ensure_database, upsert_table
from cornlake.errors import CornLakeError
from cornlake.modeling import output, sqlcheck
from cornlake.modeling.spec import MODELS_SOURCE, Model, ModelError
from cornlake.observability import count, logger
from cornlake.ops import QUALITY_RESULTS, RunRecord, write_rows, write_run_record
from cornlake.settings import Settings

if TYPE_CHECKING:
    import pyarrow as pa

    from cornlake.modeling.project import Project

STAGE = "model"
SKIPPED = "skipped"  # an input has no table yet (its first batch is on its way): nothing to build from


class Engine(Protocol):
    """Computes rows: a SQL model's SELECT, or a whole input table (for Python models)."""

    def select(self, model: Model) -> pa.Table: ...

    def read(self, table: str) -> pa.Table: ...


@dataclass
class Lake:
    """Where models read and write, and the clients to do it with."""

    glue: Any
    s3: Any
    database: str  # the curated database: datasets' tables and models' tables
    bucket: str  # the curated bucket
    ops_bucket: str
    engine: Engine
    settings: Settings | None = None  # where lineage events go (none: run records only)
    grace: timedelta = output.GRACE  # how long an unused generation is kept (queries, other runs)


def load_python(model: Model) -> Callable[..., Any]:
    spec = importlib.util.spec_from_file_location(f"cornlake_model_{model.name}", model.path)
    if spec is None or spec.loader is None:
        raise ModelError(model.path, "cannot be imported")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.model  # type: ignore[no-any-return]


def _conform(model: Model, table: Any) -> pa.Table:
    """A Python model's table, checked against its sidecar's columns and types, in their order."""
    import pyarrow as pa

    if not isinstance(table, pa.Table):
        raise ModelError(model.path, f"model() returned {type(table).__name__}, not a pyarrow Table")
    declared = [n for n, _ in model.output]
    if sorted(table.column_names) != sorted(declared):
        raise ModelError(
            model.path, f"model() returned columns {table.column_names}, the sidecar declares {declared}"
        )
    table = table.select(declared)
    for (name, wanted), f in zip(model.output, table.schema, strict=True):
        got = output.glue_type(f.type)
        if got != wanted:
            raise ModelError(
                model.path, f"model() returned column {name} as {got}, the sidecar says {wanted}"
            )
    return table


def compute(model: Model, engine: Engine) -> tuple[pa.Table, dict[str, str]]:
    """The model's rows, and a Python model's metadata (training window, parameters, metrics)."""
    if model.kind == "sql":
        return output.as_typed(output.normalize(engine.select(model)), dict(model.output)), {}
    inputs = {name: engine.read(name) for name in model.depends_on}
    answer = load_python(model)(**inputs)
    table, metadata = answer if isinstance(answer, tuple) else (answer, {})
    return output.normalize(_conform(model, table)), {str(k): str(v) for k, v in dict(metadata).items()}


def audit(model: Model, table: pa.Table, run_id: str) -> list[dict[str, Any]]:
    """The model's quality rules measured on its new rows, as quality_results rows."""
    import pyarrow.parquet as pq

    from cornlake.quality.engine import Inputs, evaluate

    if not model.quality:
        return []
    contract = output.as_contract(model, [(f.name, output.glue_type(f.type)) for f in table.schema])
    at = datetime.now(UTC).isoformat(timespec="seconds")
    with tempfile.TemporaryDirectory(prefix="cornlake-model-") as tmp:
        path = Path(tmp) / "rows.parquet"
        pq.write_table(table, path)
        measures = evaluate(contract, Inputs([path], {}, {}), Path(tmp))
    return [
        {
            "run_id": run_id,
            "source": MODELS_SOURCE,
            "dataset": model.name,
            "ingest_id": run_id,
            "rule_id": m.rule.rule_id,
            "check": m.rule.type,
            "columns": list(m.rule.columns),
            "severity": m.rule.severity,
            "outcome": m.outcome,
            "passed": m.passed,
            "rows_checked": m.rows_checked,
            "rows_failed": m.rows_failed,
            "value": m.value,
            "observed": m.observed,
            "evaluated_at": at,
        }
        for m in measures
    ]


def input_facts(lake: Lake, model: Model) -> dict[str, dict[str, str]]:
    """Each input table's last update and row count, as the catalog describes it now."""
    facts = {}
    for name in model.depends_on:
        params = (current_table(lake.glue, lake.database, name) or {}).get("Parameters", {})
        facts[name] = {
            k.removeprefix("cornlake."): params.get(k, "")
            for k in ("cornlake.last_update", "cornlake.row_count")
        }
    return facts


def publish_view(lake: Lake, model: Model) -> None:
    """A view model: a Glue view in Athena's Presto format over its inputs; nothing to write."""
    import base64
    import hashlib
    import json

    from cornlake.catalog.views import PRESTO_VIEW_PREFIX, PRESTO_VIEW_SUFFIX
    from cornlake.datatypes import parse_type

    sql = sqlcheck.qualified_sql(sqlcheck.parse_select(model.path, model.sql), lake.database)
    columns = [(n, t or "string") for n, t in model.output]
    presto = {
        "originalSql": sql,
        "catalog": "awsdatacatalog",
        "schema": lake.database,
        "columns": [{"name": n, "type": parse_type(t).presto()} for n, t in columns],
    }
    view = {
        "Name": model.name,
        "Description": model.description,
        "Owner": model.owner,
        "TableType": "VIRTUAL_VIEW",
        "Parameters": {
            "presto_view": "true",
            "comment": "Presto View",
            "cornlake.model": model.kind,
            "cornlake.materialization": "view",
            "cornlake.depends_on": ",".join(model.depends_on),
            "cornlake.view_sql_sha256": hashlib.sha256(sql.encode()).hexdigest(),
        },
        "PartitionKeys": [],
        "ViewOriginalText": PRESTO_VIEW_PREFIX
        + base64.b64encode(json.dumps(presto).encode()).decode()
        + PRESTO_VIEW_SUFFIX,
        "ViewExpandedText": "/* Presto View */",
        "StorageDescriptor": {
            "Columns": [
                {
                    "Name": n,
                    "Type": t,
                    "Comment": (model.column(n).description + (" [PII]" if model.column(n).pii else ""))[
                        :255
                    ],
                }
                for n, t in columns
            ]
        },
    }
    ensure_database(lake.glue, lake.database, "CornLake curated datasets (one table per dataset contract)")
    upsert_table(lake.glue, lake.database, view)


def run_model(model: Model, run: RunRecord, lake: Lake, *, full_refresh: bool = False) -> None:
    """Build one model, filling in ``run``; the previous output stays until the swap."""
    run.details = {"materialization": model.materialization, "inputs": input_facts(lake, model)}
    if model.materialization == "view":
        publish_view(lake, model)
        run.output_keys = [f"{lake.database}.{model.name}"]
        run.finish("succeeded")
        return
    table, metadata = compute(model, lake.engine)
    run.rows_out = table.num_rows
    results = audit(model, table, run.run_id)
    write_rows(lake.s3, lake.ops_bucket, QUALITY_RESULTS, results, stage=STAGE, run_id=run.run_id)
    failed = [r["rule_id"] for r in results if not r["passed"] and r["severity"] == "error"]
    run.details |= {"metadata": metadata, "quality_failed": failed, "rules_checked": len(results)}
    if failed:
        run.finish("held", f"quality rules failed, the previous output stays: {'; '.join(failed)}")
        return
    parameters = {f"cornlake.model.{k}": v[:255] for k, v in metadata.items()} | {
        "cornlake.last_update": datetime.now(UTC).isoformat(timespec="seconds"),
        "cornlake.row_count": str(table.num_rows),
        "cornlake.last_run_id": run.run_id,
    }
    incremental = model.materialization == "incremental" and not full_refresh
    swap = output.publish(
        lake.glue, lake.s3, database=lake.database, bucket=lake.bucket, model=model,
        table=table, parameters=parameters, incremental=incremental, grace=lake.grace,
    )  # fmt: skip
    run.output_keys = swap.written
    run.details |= {
        "table": f"{lake.database}.{model.name}",
        "partitions_rebuilt": swap.rebuilt,
        "partitions_kept": swap.kept,
        "partitions_removed": swap.removed,
        "objects_deleted": swap.deleted_objects,
    }
    run.finish("succeeded")


def run_models(
    project: Project,
    lake: Lake,
    *,
    select: str = "",
    models: list[Model] | None = None,
    full_refresh: bool = False,
    parent_run_id: str = "",
    parent_job: str = "",
) -> list[RunRecord]:
    """Run the selected models in order; one run record each, failures recorded, not raised."""
    chosen = models if models is not None else project.select(select)
    blocked: set[str] = set()
    records = []
    for model in chosen:
        run = RunRecord(stage=STAGE, source=MODELS_SOURCE, dataset=model.name, parent_run_id=parent_run_id)
        run.input_key = ",".join(f"{lake.database}.{t}" for t in model.depends_on)
        run._facets["parent_job"] = parent_job
        if lake.settings is not None:
            lineage.emit(run, "START", lake.settings)
        stuck = sorted(blocked & set(model.depends_on))
        missing = [t for t in model.depends_on if current_table(lake.glue, lake.database, t) is None]
        if stuck:
            run.finish("failed", f"not run: its input {stuck[0]} did not build in this run")
        elif missing:
            run.finish(SKIPPED, f"not run: its input {missing[0]} has no data yet")
        else:
            _run_one(model, run, lake, full_refresh)
        if run.status not in ("succeeded", SKIPPED):
            blocked.add(model.name)
        write_run_record(lake.s3, lake.ops_bucket, run)
        if lake.settings is not None:
            lineage.emit(run, lineage.end_type(run), lake.settings)
        count(f"Model{run.status.title()}", stage=STAGE, dataset=f"{MODELS_SOURCE}.{model.name}")
        records.append(run)
    return records


def _run_one(model: Model, run: RunRecord, lake: Lake, full_refresh: bool) -> None:
    try:
        run_model(model, run, lake, full_refresh=full_refresh)
    except CornLakeError as err:
        run.finish("failed", f"{err.code}: {err.message}"[:2000])
    except Exception as err:  # noqa: BLE001 - a model's own failure is recorded, the others still run
        run.finish("failed", f"{type(err).__name__}: {err}"[:2000])
        logger.exception("model failed", extra={"model": model.name, "run_id": run.run_id})
