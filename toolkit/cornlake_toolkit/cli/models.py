"""``models``: the models over curated data (docs/MODELS.md).

cornlake models list                         every model: kind, materialization, inputs, owner
cornlake models describe NAME                one model: its inputs, readers, columns, rules and SQL
cornlake models graph [--format text|dot]    the dependency graph across datasets and models
cornlake models run [--select NAME+] [--full-refresh]   build them, in order, on the target
"""

from __future__ import annotations

import argparse
from typing import Any

from cornlake.modeling import Lake, Project, load_project, run_models
from cornlake.ops import RunRecord
from cornlake_toolkit.cli.common import say, verb
from cornlake_toolkit.errors import UsageError
from cornlake_toolkit.output import table_text
from cornlake_toolkit.target import Target


def register(sub: Any) -> None:
    group = sub.add_parser("models", help="models over curated data: list, graph, run")
    verbs = group.add_subparsers(dest="models_command", required=True)
    verb(verbs, "list", cmd_list, "list the models and what they read", targeted=False)
    describe = verb(verbs, "describe", cmd_describe, "show one model: inputs, columns, rules", targeted=False)
    describe.add_argument("name")
    graph = verb(
        verbs, "graph", cmd_graph, "show the dependency graph of datasets and models", targeted=False
    )
    graph.add_argument("--format", choices=("text", "dot"), default="text")
    run = verb(verbs, "run", cmd_run, "build the models, in dependency order")
    run.add_argument("--select", default="", help="NAME, NAME+ (and what reads it) or +NAME (and its inputs)")
    run.add_argument(
        "--full-refresh", action="store_true", help="rebuild every partition of incremental models"
    )


def cmd_list(args: argparse.Namespace, target: Any) -> int:
    project = load_project()
    rows = [
        [m.name, m.kind, m.materialization, m.partitioned_by or "-", ", ".join(m.depends_on), m.owner]
        for m in project.models
    ]
    print(table_text(["model", "kind", "materialization", "partitioned by", "reads", "owner"], rows))
    return 0


def describe_model(project: Project, name: str) -> str:
    model = project.get(name)
    readers = [m.name for m in project.downstream(name) if m.name != name]
    columns = [
        [n, t or "?", "PII" if model.column(n).pii else "", "partition" if n == model.partitioned_by else "",
         model.column(n).description]
        for n, t in model.output
    ]  # fmt: skip
    lines = [
        f"{model.name} ({model.kind} model, {model.path})",
        f"  {model.description}",
        f"  owner: {model.owner}",
        f"  materialization: {model.materialization}"
        + (f", partitioned by {model.partitioned_by}" if model.partitioned_by else ""),
        f"  reads: {', '.join(model.depends_on)}",
        f"  read by: {', '.join(readers) or '-'}",
        "  columns:",
        *(
            "    " + line
            for line in table_text(["name", "type", "", "", "description"], columns).splitlines()
        ),
        "  quality rules:",
        *([f"    {r.text} ({r.severity})" for r in model.quality] or ["    -"]),
    ]
    if model.sql:
        lines += ["  sql:", *("    " + line for line in model.sql.strip().splitlines())]
    return "\n".join(lines)


def cmd_describe(args: argparse.Namespace, target: Any) -> int:
    print(describe_model(load_project(), args.name))
    return 0


def graph_lines(project: Project, fmt: str) -> list[str]:
    edges = [(dep, m.name) for m in project.models for dep in m.depends_on]
    if fmt == "dot":
        nodes = [f'  "{d}" [shape=box];' for d in project.datasets]
        return ["digraph models {", *nodes, *(f'  "{a}" -> "{b}";' for a, b in edges), "}"]
    lines = []
    for model in project.models:
        readers = sorted(m.name for m in project.models if model.name in m.depends_on)
        lines.append(
            f"{model.name} <- {', '.join(model.depends_on)}"
            + (f"  (read by {', '.join(readers)})" if readers else "")
        )
    return lines


def cmd_graph(args: argparse.Namespace, target: Any) -> int:
    print("\n".join(graph_lines(load_project(), args.format)))
    return 0


def run_on(target: Target, *, select: str = "", full_refresh: bool = False) -> list[RunRecord]:
    """Build the selected models: on the local lake with DuckDB over its Parquet, on AWS with
    Athena in the stack's models workgroup (the model function's engine), as the caller."""
    project = load_project()
    glue, s3 = target.client("glue"), target.client("s3")
    engine: Any
    if target.is_local:
        from cornlake_toolkit.sql.arrow import LocalArrowEngine

        engine = LocalArrowEngine(glue, s3, target.glue_database)
    else:
        from cornlake.modeling.athena import AthenaEngine

        if not target.models_workgroup:
            raise UsageError(
                f"stack {target.stack_name} has no ModelsWorkgroupName output",
                hint="deploy this version of template.yaml (sam deploy), then run again",
            )
        engine = AthenaEngine(
            target.client("athena"), s3, workgroup=target.models_workgroup,
            database=target.glue_database, bucket=target.curated_bucket,
        )  # fmt: skip
    try:
        lake = Lake(glue, s3, target.glue_database, target.curated_bucket, target.ops_bucket, engine)
        return run_models(project, lake, select=select, full_refresh=full_refresh)
    finally:
        getattr(engine, "close", lambda: None)()


def cmd_run(args: argparse.Namespace, target: Any) -> int:
    records = run_on(target, select=args.select, full_refresh=args.full_refresh)
    rows = [
        [
            r.dataset,
            r.status,
            r.rows_out,
            ", ".join(r.details.get("partitions_rebuilt", [])) or "-",
            f"{r.duration_ms} ms",
            r.error,
        ]
        for r in records
    ]
    print(table_text(["model", "status", "rows", "partitions rebuilt", "took", "error"], rows))
    failed = [r for r in records if r.status != "succeeded"]
    if failed:
        say(f"{len(failed)} of {len(records)} models did not build; their previous output is still there")
    return 1 if failed else 0
