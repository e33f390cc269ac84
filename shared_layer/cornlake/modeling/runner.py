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
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from cornlake import lineage
from cornlake.catalog.tables import current_table, ensure_database, upsert_table
from cornlake.errors import CornLakeError
from cornlake.modeling import output, sqlcheck
from cornlake.modeling import rows as rows_module
from cornlake.modeling.rows import Rows, open_rows, write
from cornlake.modeling.spec import MODELS_SOURCE, Model, ModelError
from cornlake.observability import count, logger
from cornlake.ops import QUALITY_RESULTS, RunRecord, write_rows, write_run_record
from cornlake.settings import Settings

if TYPE_CHECKING:
    from cornlake.modeling.project import Project

STAGE = "model"
SKIPPED = "skipped"  # an input has no table yet (its first batch is on its way): nothing to build from


class Engine(Protocol):
    """Computes rows as Parquet files: a SQL model's SELECT, or a whole input table (Python models)."""

    def select_to(self, model: Model, folder: Path) -> list[Path]: ...

    def read(self, table: str, folder: Path) -> list[Path]: ...


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


Describe = Callable[[str], list[tuple[str, str]]]  # an input table's columns (for one with no rows)


def compute(
    model: Model, engine: Engine, folder: Path, describe: Describe = lambda _: []
) -> tuple[Rows, dict[str, str]]:
    """The model's rows, and a Python model's metadata (training window, parameters, metrics)."""
    if model.kind == "sql":
        return open_rows(engine.select_to(model, folder / "computed"), model.output, folder), {}
    path, metadata = run_python(model, engine, folder, describe)
    return open_rows([path], model.output, folder), metadata


def run_python(model: Model, engine: Engine, folder: Path, describe: Describe) -> tuple[Path, dict[str, str]]:
    """Call a Python model with its inputs as DuckDB relations; its rows as one Parquet file, in
    the sidecar's column order and types."""
    con = rows_module.connect(folder)
    try:
        inputs = {
            name: rows_module.relation_of(con, engine.read(name, folder / "inputs" / name), describe(name))
            for name in model.depends_on
        }
        answer = load_python(model)(**inputs)
        table, metadata = answer if isinstance(answer, tuple) else (answer, {})
        relation = rows_module.answer_relation(con, table)
        if relation is None:
            raise ModelError(
                model.path,
                f"model() returned {type(table).__name__}, not a DuckDB relation, a dict of columns "
                "or a pyarrow Table",
            )
        select, problems = rows_module.conform(relation, list(model.output))
        if problems:
            raise ModelError(model.path, problems[0])
        path = folder / "python.parquet"
        relation.project(select).write_parquet(str(path))
        return path, {str(k): str(v) for k, v in dict(metadata).items()}
    finally:
        con.close()


def glue_columns(lake: Lake) -> Describe:
    def describe(name: str) -> list[tuple[str, str]]:
        table = current_table(lake.glue, lake.database, name) or {}
        listed = table.get("StorageDescriptor", {}).get("Columns", []) + table.get("PartitionKeys", [])
        return [(c["Name"], c["Type"]) for c in listed]

    return describe


def audit(model: Model, rows: Rows, run_id: str, folder: Path) -> list[dict[str, Any]]:
    """The model's quality rules measured on its new rows, as quality_results rows."""
    from cornlake.quality.engine import Inputs, evaluate

    if not model.quality:
        return []
    contract = output.as_contract(model, rows.columns)
    at = datetime.now(UTC).isoformat(timespec="seconds")
    path = folder / "audit.parquet"
    write(rows, path)
    measures = evaluate(contract, Inputs([path], {}, {}), folder)
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


def tag_pii(lake: Lake, model: Model) -> list[str]:
    """With Lake Formation on, the model's PII columns are tagged as a dataset's are, so the
    analyst role (granted untagged columns only) does not read them."""
    if lake.settings is None or lake.settings.lake_formation_tags != "true":
        return []
    from cornlake import aws
    from cornlake.catalog.analysts import tag_pii_columns

    contract = output.as_contract(model, [(n, t or "string") for n, t in model.output])
    return tag_pii_columns(
        aws.client("lakeformation"), database=lake.database, contract=contract, table=model.name
    )


def scoped(model: Model, scope: list[str] | None, full_refresh: bool) -> tuple[Model, list[str] | None]:
    """The model reading only the input partitions ``scope`` names, when that is sound (an
    incremental model whose partition passes through its one input's: Model.partition_source)."""
    if not scope or full_refresh or model.materialization != "incremental" or not model.partition_source:
        return model, None
    sql = sqlcheck.scoped_sql(model.sql, model.path, model.partition_source, scope)
    return replace(model, sql=sql), scope


def run_model(
    model: Model, run: RunRecord, lake: Lake, *, full_refresh: bool = False, scope: list[str] | None = None
) -> None:
    """Build one model, filling in ``run``; the previous output stays until the swap. ``scope``:
    the partitions of its input that changed (only those are read and rebuilt, when sound)."""
    run.details = {"materialization": model.materialization, "inputs": input_facts(lake, model)}
    model, scope = scoped(model, scope, full_refresh)
    run.details["scope"] = scope or "all"
    if model.materialization == "view":
        publish_view(lake, model)
        run.details["pii_columns_tagged"] = tag_pii(lake, model)
        run.output_keys = [f"{lake.database}.{model.name}"]
        run.finish("succeeded")
        return
    scanned = getattr(lake.engine, "scanned_bytes", 0)  # Athena bills per byte scanned
    with tempfile.TemporaryDirectory(prefix="cornlake-model-") as tmp:
        rows, metadata = compute(model, lake.engine, Path(tmp), glue_columns(lake))
        try:
            built = (rows, metadata)
            swap = _audit_and_publish(
                model, run, lake, built, tmp=Path(tmp), full_refresh=full_refresh, scope=scope
            )
        finally:
            rows.close()
    if swap is None:
        return
    run.output_keys = swap.written
    run.details["pii_columns_tagged"] = tag_pii(lake, model)
    run.details |= {
        "scanned_bytes": getattr(lake.engine, "scanned_bytes", 0) - scanned,
        "table": f"{lake.database}.{model.name}",
        "partitions_rebuilt": swap.rebuilt,
        "partitions_kept": swap.kept,
        "partitions_removed": swap.removed,
        "objects_deleted": swap.deleted_objects,
    }
    run.finish("succeeded")


def _audit_and_publish(
    model: Model,
    run: RunRecord,
    lake: Lake,
    built: tuple[Rows, dict[str, str]],
    *,
    tmp: Path,
    full_refresh: bool,
    scope: list[str] | None,
) -> output.Swap | None:
    """Check the new rows (write-audit-publish), then write and swap them; None when held back."""
    rows, metadata = built
    run.rows_out = rows.count
    results = audit(model, rows, run.run_id, tmp)
    write_rows(lake.s3, lake.ops_bucket, QUALITY_RESULTS, results, stage=STAGE, run_id=run.run_id)
    failed = [r["rule_id"] for r in results if not r["passed"] and r["severity"] == "error"]
    run.details |= {"metadata": metadata, "quality_failed": failed, "rules_checked": len(results)}
    if failed:
        run.finish("held", f"quality rules failed, the previous output stays: {'; '.join(failed)}")
        return None
    parameters = {f"cornlake.model.{k}": v[:255] for k, v in metadata.items()} | {
        "cornlake.last_update": datetime.now(UTC).isoformat(timespec="seconds"),
        "cornlake.row_count": str(rows.count),
        "cornlake.last_run_id": run.run_id,
    }
    incremental = model.materialization == "incremental" and not full_refresh
    return output.publish(
        lake.glue, lake.s3, database=lake.database, bucket=lake.bucket, model=model,
        rows=rows, scratch=tmp / "parts", parameters=parameters, incremental=incremental, grace=lake.grace,
        scope=set(scope) if scope else None,
    )  # fmt: skip


def run_models(
    project: Project,
    lake: Lake,
    *,
    select: str = "",
    models: list[Model] | None = None,
    full_refresh: bool = False,
    parent_run_id: str = "",
    parent_job: str = "",
    scopes: dict[str, list[str]] | None = None,
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
            _run_one(model, run, lake, full_refresh, (scopes or {}).get(model.name))
        if run.status not in ("succeeded", SKIPPED):
            blocked.add(model.name)
        write_run_record(lake.s3, lake.ops_bucket, run)
        if lake.settings is not None:
            lineage.emit(run, lineage.end_type(run), lake.settings)
        count(f"Model{run.status.title()}", stage=STAGE, dataset=f"{MODELS_SOURCE}.{model.name}")
        records.append(run)
    return records


def _run_one(model: Model, run: RunRecord, lake: Lake, full_refresh: bool, scope: list[str] | None) -> None:
    try:
        run_model(model, run, lake, full_refresh=full_refresh, scope=scope)
    except CornLakeError as err:
        run.finish("failed", f"{err.code}: {err.message}"[:2000])
    except Exception as err:  # noqa: BLE001 - a model's own failure is recorded, the others still run
        run.finish("failed", f"{type(err).__name__}: {err}"[:2000])
        logger.exception("model failed", extra={"model": model.name, "run_id": run.run_id})
