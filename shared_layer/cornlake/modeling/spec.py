"""One model as a value: its file (SQL or Python), its sidecar, and what loading found in it.

A model is ``models/<name>.sql`` (one Athena SELECT) or ``models/<name>.py`` (a function
``model`` taking its input tables), with a YAML sidecar ``models/<name>.yml`` that gives its
description, owner, materialization, partitioning, quality rules (DQDL, as in contracts) and
column descriptions with PII flags. docs/MODELS.md documents every field.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cornlake import dqdl
from cornlake.contracts import _Fields, _yaml_load
from cornlake.datatypes import TypeSyntaxError, parse_type
from cornlake.errors import ContractError, TerminalError, UnsafeNameError
from cornlake.keys import validate_name

MATERIALIZATIONS = ("table", "incremental", "view")
MODELS_SOURCE = "models"  # the source name of model outputs: tables/models/<name>/, run records
SIDECAR_FIELDS = {"description", "owner", "materialization", "partitioned_by", "columns", "quality"}


class ModelError(TerminalError):
    """A model that cannot be loaded or run: names the file and what is wrong."""

    code = "invalid_model"

    def __init__(self, path: str | Path, problem: str, *, hint: str = "") -> None:
        super().__init__(f"{path}: {problem}", hint=hint or "docs/MODELS.md explains each model field")
        self.path = str(path)
        self.problem = problem


@dataclass(frozen=True)
class ModelColumn:
    name: str
    description: str = ""
    pii: bool = False
    type: str = ""  # Glue type; required for Python models, inferred from the SQL otherwise


@dataclass(frozen=True)
class Model:
    name: str
    kind: str  # "sql" or "python"
    path: str  # the .sql or .py file
    sidecar: str
    description: str
    owner: str
    materialization: str = "table"
    partitioned_by: str = ""
    columns: tuple[ModelColumn, ...] = ()
    quality: tuple[dqdl.Rule, ...] = ()
    sql: str = ""  # the SELECT (SQL models)
    depends_on: tuple[str, ...] = ()  # tables read, from the SQL or the function's parameters
    output: tuple[tuple[str, str], ...] = field(default=())  # (column, Glue type or '' when unknown)
    # (dataset table, its partition column) the output partition column passes through, when a
    # changed partition of that table can change only the same output partition (sqlcheck.scopable)
    partition_source: tuple[str, str] | tuple[()] = ()

    def column(self, name: str) -> ModelColumn:
        return next((c for c in self.columns if c.name == name), ModelColumn(name))

    @property
    def table_name(self) -> str:
        return self.name


def _column(c: _Fields, python: bool) -> ModelColumn:
    c.unknown({"name", "description", "pii", "type"})
    name = c.name("name", "column")
    glue = c.get("type", str, "", required=python)
    if glue:
        try:
            glue = parse_type(glue).glue()
        except TypeSyntaxError as err:
            raise c.fail("type", str(err), glue) from None
    return ModelColumn(name, c.get("description", str, ""), c.get("pii", bool, False), glue)


def _rules(top: _Fields) -> tuple[dqdl.Rule, ...]:
    data = top.get("quality", list, [])
    rules = []
    for i, item in enumerate(data):
        entry = _Fields({"rule": item} if isinstance(item, str) else item, top.path, f"quality[{i}]")
        entry.unknown({"rule", "severity"})
        text = entry.get("rule", str, required=True)
        try:
            rules.append(dqdl.parse(text, severity=entry.choice("severity", ("error", "warn"), "error")))
        except dqdl.DqdlError as err:
            raise entry.fail("rule", f"a DQDL rule ({err})", text) from None
    return tuple(rules)


def parse_sidecar(data: Any, path: str, name: str, *, python: bool) -> dict[str, Any]:
    """The sidecar's fields as Model keyword arguments; ContractError-style messages as ModelError."""
    try:
        top = _Fields(data, path, "")
        top.unknown(SIDECAR_FIELDS)
        columns = top.get("columns", list, [], required=python)
        parsed = tuple(
            _column(_Fields(c, path, f"columns[{i}]", line=top.line_of("columns")), python)
            for i, c in enumerate(columns)
        )
        names = [c.name for c in parsed]
        if len(set(names)) != len(names):
            raise top.fail("columns", "unique column names", names)
        partitioned_by = top.get("partitioned_by", str, "")
        return {
            "description": top.get("description", str, required=True),
            "owner": top.get("owner", str, required=True),
            "materialization": top.choice("materialization", MATERIALIZATIONS, "table"),
            "partitioned_by": validate_name("partition column", partitioned_by) if partitioned_by else "",
            "columns": parsed,
            "quality": _rules(top),
        }
    except (ContractError, UnsafeNameError) as err:
        raise ModelError(path, err.message.removeprefix(f"{path}: ")) from None


def read_sidecar(path: Path, name: str, *, python: bool) -> dict[str, Any]:
    import yaml

    if not path.is_file():
        raise ModelError(
            path.with_suffix(".sql" if not python else ".py"), f"no sidecar {path.name} next to it"
        )
    try:
        data = _yaml_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as err:
        raise ModelError(path, f"not valid YAML ({str(err).splitlines()[0]})") from None
    return parse_sidecar(data, str(path), name, python=python)
