"""All models of one folder, checked together: files, sidecars, dependencies, cycles, columns.

``load_project`` reads ``<name>.sql`` / ``<name>.py`` with ``<name>.yml`` beside each, reads
each model's inputs (tables in the SQL, parameters of a Python model's ``model`` function),
refuses a cycle by naming it, then, in dependency order, resolves every column against the
contracts' tables and the models upstream. Any problem is a ModelError naming the file.
"""

from __future__ import annotations

import ast
import os
from dataclasses import dataclass, replace
from pathlib import Path

from cornlake import dqdl
from cornlake.contracts import LINEAGE_COLUMN, ContractRegistry, registry
from cornlake.datatypes import parse_type
from cornlake.errors import UnsafeNameError
from cornlake.keys import validate_name
from cornlake.modeling import sqlcheck
from cornlake.modeling.spec import Model, ModelColumn, ModelError, read_sidecar
from cornlake.settings import MODELS_DIR_ENV

PYTHON_ENTRY = "model"  # the function a Python model defines


def default_models_dir() -> Path:
    """Models ship inside the layer (``cornlake/models`` links to ``models/``); CORNLAKE_MODELS_DIR
    overrides."""
    override = os.environ.get(MODELS_DIR_ENV)
    return Path(override) if override else Path(__file__).resolve().parent.parent / "models"


def dataset_schemas(contracts: ContractRegistry) -> sqlcheck.Schema:
    """The curated tables (and latest views) models may read, as Glue types."""
    schemas: sqlcheck.Schema = {}
    for c in contracts:
        columns = {col.name: col.type.glue() for col in c.columns} | {LINEAGE_COLUMN: "string"}
        columns[c.partitioning.name] = "string"
        schemas[c.table_name] = columns
        if c.across_files == "latest_view":
            schemas[c.latest_view_name] = columns
    return schemas


Facts = dict[str, dict[str, ModelColumn]]  # table -> column -> its description and PII flag


def dataset_facts(contracts: ContractRegistry) -> Facts:
    """What each dataset column is said to be (description, PII), for the models reading it."""
    facts: Facts = {}
    for c in contracts:
        columns = {col.name: ModelColumn(col.name, col.description, col.pii) for col in c.columns}
        facts[c.table_name] = columns
        if c.across_files == "latest_view":
            facts[c.latest_view_name] = columns
    return facts


def inherit(model: Model, output: tuple[tuple[str, str], ...], facts: Facts) -> tuple[ModelColumn, ...]:
    """Every output column, described: the sidecar's words, else those of the input column it
    passes through; PII when the sidecar says so or any input column it is computed from is PII
    (a SQL model cannot launder a PII column by renaming or transforming it)."""
    names = [n for n, _ in output]
    sources: dict[str, tuple[bool, list[sqlcheck.Source]]] = {}
    if model.kind == "sql":
        tree = sqlcheck.parse_select(model.path, model.sql)
        schema = {t: {c: "string" for c in cols} for t, cols in facts.items()}
        sources = sqlcheck.column_sources(tree, schema, names)
    columns = []
    for name, glue in output:
        declared = model.column(name)
        direct, leaves = sources.get(name, (False, []))
        found = [facts.get(t, {}).get(c, ModelColumn(c)) for t, c in leaves]
        description = declared.description or (found[0].description if direct and found else "")
        pii = declared.pii or any(f.pii for f in found)
        columns.append(ModelColumn(name, description, pii, glue))
    return tuple(columns)


def python_inputs(path: Path) -> tuple[str, ...]:
    """The parameters of ``def model(...)``: each one is an input table, by name."""
    try:
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    except SyntaxError as err:
        raise ModelError(path, f"not valid Python (line {err.lineno}: {err.msg})") from None
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and node.name == PYTHON_ENTRY:
            names = tuple(a.arg for a in node.args.args)
            if not names:
                raise ModelError(path, f"{PYTHON_ENTRY}() takes no input tables")
            return names
    raise ModelError(path, f"no function {PYTHON_ENTRY}(<input tables>) returning a table")


def read_model(path: Path) -> Model:
    """One model file and its sidecar, without looking at other models."""
    python = path.suffix == ".py"
    name = path.stem
    try:
        validate_name("model", name)
    except UnsafeNameError as err:
        raise ModelError(path, f"the file name is not a model name: {err.message}") from None
    fields = read_sidecar(path.with_suffix(".yml"), name, python=python)
    if python:
        return Model(
            name, "python", str(path), str(path.with_suffix(".yml")), depends_on=python_inputs(path), **fields
        )
    text = path.read_text(encoding="utf-8")
    tree = sqlcheck.parse_select(str(path), text)
    depends = sqlcheck.references(str(path), tree)
    return Model(
        name, "sql", str(path), str(path.with_suffix(".yml")), sql=text, depends_on=depends, **fields
    )


@dataclass(frozen=True)
class Project:
    """The models in dependency order, and the tables they read."""

    models: tuple[Model, ...]  # topological order: every model after its inputs
    datasets: tuple[str, ...]  # the dataset tables some model reads

    def get(self, name: str) -> Model:
        for model in self.models:
            if model.name == name:
                return model
        raise ModelError(
            name, "no such model", hint=f"models: {', '.join(m.name for m in self.models) or 'none'}"
        )

    def downstream(self, table: str) -> list[Model]:
        """The models that read ``table``, directly or through other models, in order."""
        reached = {table}
        for model in self.models:
            if reached & set(model.depends_on):
                reached.add(model.name)
        return [m for m in self.models if m.name in reached]

    def upstream(self, name: str) -> list[Model]:
        wanted = {name}
        for model in reversed(self.models):
            if model.name in wanted:
                wanted |= set(model.depends_on)
        return [m for m in self.models if m.name in wanted]

    def select(self, selector: str = "") -> list[Model]:
        """``NAME`` (one), ``NAME+`` (and what reads it), ``+NAME`` (and what it reads), '' (all)."""
        if not selector:
            return list(self.models)
        name = selector.strip("+")
        self.get(name)
        chosen = {name}
        if selector.endswith("+"):
            chosen |= {m.name for m in self.downstream(name)}
        if selector.startswith("+"):
            chosen |= {m.name for m in self.upstream(name)}
        return [m for m in self.models if m.name in chosen]


def _order(models: dict[str, Model]) -> list[Model]:
    """Models after their inputs; a cycle is refused, naming every model on it."""
    done: list[Model] = []
    state: dict[str, str] = {}

    def visit(name: str, path: list[str]) -> None:
        if state.get(name) == "done":
            return
        if state.get(name) == "open":
            cycle = [*path[path.index(name) :], name]
            raise ModelError(
                models[name].path,
                f"models form a cycle: {' -> '.join(cycle)}",
                hint="a model cannot read itself, directly or through others: break the cycle",
            )
        state[name] = "open"
        for dep in models[name].depends_on:
            if dep in models:
                visit(dep, [*path, name])
        state[name] = "done"
        done.append(models[name])

    for name in sorted(models):
        visit(name, [])
    return done


def _resolve(
    model: Model, schemas: sqlcheck.Schema, facts: Facts, partition_keys: dict[str, str] | None = None
) -> Model:
    """The model with its output columns, after checking its inputs, columns and rules."""
    unknown = [t for t in model.depends_on if t not in schemas]
    if unknown:
        raise ModelError(
            model.path,
            f"unknown table {unknown[0]}",
            hint=f"tables a model can read: {', '.join(sorted(schemas))}",
        )
    if model.kind == "sql":
        output = sqlcheck.output_columns(model.path, sqlcheck.parse_select(model.path, model.sql), schemas)
        declared = {c.name: c.type for c in model.columns if c.type}
        output = tuple((n, declared.get(n, t)) for n, t in output)
    else:
        output = tuple((c.name, c.type) for c in model.columns)
    names = [n for n, _ in output]
    for column in model.columns:
        if column.name not in names:
            raise ModelError(
                model.sidecar, f"column {column.name} is not an output of the model ({', '.join(names)})"
            )
    if model.partitioned_by and model.partitioned_by not in names:
        raise ModelError(
            model.sidecar,
            f"partitioned_by {model.partitioned_by} is not an output column ({', '.join(names)})",
        )
    kinds = {n: parse_type(t).kind if t else "string" for n, t in output}
    for rule in model.quality:
        problem = dqdl.mismatch(rule, kinds) or dqdl.sql_problem(rule, set(kinds))
        if problem:
            raise ModelError(
                model.sidecar, f"quality rule {rule.text}: expected {problem[0]}, got {problem[1]!r}"
            )
    source: tuple[str, str] | tuple[()] = ()
    if model.kind == "sql" and model.materialization == "incremental" and model.partitioned_by:
        tree = sqlcheck.parse_select(model.path, model.sql)
        source = sqlcheck.scopable(tree, schemas, model.partitioned_by, partition_keys or {})
    return replace(model, output=output, columns=inherit(model, output, facts), partition_source=source)


def build_project(found: list[Model], contracts: ContractRegistry) -> Project:
    schemas, facts = dataset_schemas(contracts), dataset_facts(contracts)
    partition_keys = {c.table_name: c.partitioning.name for c in contracts}
    models: dict[str, Model] = {}
    for model in found:
        if model.name in schemas:
            raise ModelError(model.path, f"model {model.name} has the name of a dataset's table")
        if model.name in models:
            raise ModelError(
                model.path, f"a second model named {model.name} (also {models[model.name].path})"
            )
        models[model.name] = model
    resolved = []
    for found_model in _order(models):
        model = _resolve(found_model, schemas, facts, partition_keys)
        schemas[model.name] = dict(model.output)
        facts[model.name] = {c.name: c for c in model.columns}
        resolved.append(model)
    used = sorted({t for m in resolved for t in m.depends_on if t not in models})
    return Project(tuple(resolved), tuple(used))


def load_project(root: Path | None = None, contracts: ContractRegistry | None = None) -> Project:
    """Every model under ``root`` (default: the layer's models), checked; ModelError otherwise."""
    folder = root or default_models_dir()
    if not folder.is_dir():
        return Project((), ())
    files = sorted(p for p in [*folder.glob("*.sql"), *folder.glob("*.py")] if not p.name.startswith("_"))
    stems = [p.stem for p in files]
    for path in files:
        if stems.count(path.stem) > 1:
            raise ModelError(path, f"both {path.stem}.sql and {path.stem}.py: a model is one or the other")
    orphans = sorted(p for p in folder.glob("*.yml") if p.stem not in stems)
    if orphans:
        raise ModelError(orphans[0], "a sidecar with no model: add the .sql or .py file, or remove it")
    return build_project([read_model(p) for p in files], contracts or registry())
