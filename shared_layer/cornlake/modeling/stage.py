"""The model function's stage (``lambda_models``): tables whose rows changed → their models run.

The catalog announces each registered batch on the models queue (``TablesChanged``); this
stage runs, in dependency order, every model that reads one of those tables directly or
through other models, each with a run record whose parent is this stage's run (and whose
grandparent is the catalog's). A model that failed makes the message fail, so SQS retries
it and, after the last try, keeps it in the models DLQ with an alarm; models that built are
rebuilt only where their rows changed. A message whose batch a build here already read (it
queued while the build ran) builds nothing again. A scheduled invocation (no SQS records)
runs every model.

Rows are computed by Athena in the stack's models workgroup (cornlake.modeling.athena), on
AWS and in the local lake alike: the local lake's emulated Athena runs the same ``UNLOAD`` on
DuckDB.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from cornlake import aws, lineage
from cornlake.consumer import SqsStage, consume
from cornlake.errors import TransientError
from cornlake.messages import TablesChanged, parse_tables_changed
from cornlake.modeling.project import Project, load_project
from cornlake.modeling.runner import Engine, Lake, run_models
from cornlake.modeling.spec import Model
from cornlake.ops import RunRecord, write_run_record
from cornlake.settings import Settings, settings_for

NAME = "models"
REQUIRED = ("glue_database", "curated_bucket", "models_workgroup")
SKEW = timedelta(seconds=5)  # clocks of the catalog's and this function's hosts may differ this much
_BUILT: dict[str, datetime] = {}  # model -> when its last successful build here started


MARGIN_S = 90  # of the invocation's time, kept to write run records and answer SQS after a stopped query
_TIME_LEFT: list[float] = []  # seconds, from this invocation's Lambda context


def engine_for(settings: Settings) -> Engine:
    from cornlake.modeling.athena import athena_engine

    left = _TIME_LEFT[0] if _TIME_LEFT else 600.0
    return athena_engine(settings, timeout_seconds=max(left - MARGIN_S, 10.0))


def note_time_left(context: Any) -> None:
    """Athena's queries must end before the function does: remember how long this invocation has."""
    _TIME_LEFT[:] = []
    remaining = getattr(context, "get_remaining_time_in_millis", None)
    if callable(remaining):
        _TIME_LEFT.append(remaining() / 1000)


class ModelsFailedError(TransientError):
    """Some models did not build; the message is retried, then kept in the models DLQ."""

    code = "models_failed"

    def __init__(self, failed: dict[str, str]) -> None:
        names = ", ".join(sorted(failed))
        first = next(iter(failed.values()))
        super().__init__(
            f"models failed: {names} ({first})",
            hint="their previous output is still readable; see their run records (stage model)",
        )


def affected(project: Project, tables: tuple[str, ...]) -> list[Model]:
    """The models reading any of ``tables``, directly or not, in order (all, for no tables)."""
    if not tables:
        return list(project.models)
    names = {m.name for table in tables for m in project.downstream(table)}
    return [m for m in project.models if m.name in names]


def start(message: TablesChanged) -> RunRecord:
    return RunRecord(
        stage=NAME,
        source=message.source,
        dataset=message.dataset,
        input_key=",".join(message.tables),
        parent_run_id=message.run_id,
        _parent_stage="catalog",
    )


def built_since(models: list[Model], registered_at: str) -> list[Model]:
    """The models a build in this execution environment already covers: it started after the
    batch was registered, so it read it (messages that queued up while a run was going)."""
    if not registered_at:
        return []
    since = datetime.fromisoformat(registered_at) + SKEW
    return [m for m in models if m.name in _BUILT and _BUILT[m.name] > since]


def changed_values(model: Model, message: TablesChanged) -> list[str]:
    """The values of the model's input partition column the message's batch wrote, when the
    model reads that table directly and can rebuild just those (Model.partition_source)."""
    if not model.partition_source or model.partition_source[0] not in message.tables:
        return []
    prefix = f"{model.partition_source[1]}="
    return sorted(
        {p.removeprefix(prefix) for p in message.partitions if p.startswith(prefix) and "/" not in p}
    )


def run_affected(message: TablesChanged, run: RunRecord, settings: Settings, *, session: Any = None) -> None:
    """Run the models the message's tables feed, filling in ``run``."""
    project = load_project()
    chosen = affected(project, message.tables)
    covered = built_since(chosen, message.registered_at)
    chosen = [m for m in chosen if m not in covered]
    engine = engine_for(settings) if chosen else None
    try:
        lake = Lake(
            aws.glue(session), aws.s3(session), settings.glue_database, settings.curated_bucket,
            settings.ops_bucket, engine, settings,  # type: ignore[arg-type]
        )  # fmt: skip
        job = lineage.job_name(run.source, run.dataset, NAME)
        scopes = {m.name: changed_values(m, message) for m in chosen}
        records = (
            run_models(
                project,
                lake,
                models=chosen,
                parent_run_id=run.run_id,
                parent_job=job,
                scopes={k: v for k, v in scopes.items() if v},
            )
            if chosen
            else []
        )
    finally:
        getattr(engine, "close", lambda: None)()
    _BUILT.update(
        {r.dataset: datetime.fromisoformat(r.started_at) for r in records if r.status == "succeeded"}
    )
    run.details = {
        "models": {r.dataset: r.status for r in records},
        "already_built": [m.name for m in covered],
        "partitions": list(message.partitions),
    }
    run.output_keys = [f"{settings.glue_database}.{r.dataset}" for r in records if r.status == "succeeded"]
    failed = {r.dataset: r.error for r in records if r.status == "failed"}
    if failed:
        raise ModelsFailedError(failed)
    run.finish("held" if any(r.status == "held" for r in records) else "succeeded")


MODELS = SqsStage(name=NAME, required=REQUIRED, parse=parse_tables_changed, start=start, handle=run_affected)


def handle(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """The model function: SQS batches from the catalog, or a schedule (every model)."""
    note_time_left(context)
    if "Records" in event:
        return consume(event, context, MODELS)
    settings = settings_for("ops_bucket", *REQUIRED)
    run = start(TablesChanged(()))
    try:
        run_affected(TablesChanged(()), run, settings)
    except ModelsFailedError as err:
        run.finish("failed", err.message)
    write_run_record(aws.s3(), settings.ops_bucket, run)
    return {"run_id": run.run_id, "status": run.status, "models": run.details.get("models", {})}
