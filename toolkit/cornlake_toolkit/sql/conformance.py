"""How closely the local engine follows Trino: the documented examples of
tests/sql/trino_functions.yaml, run locally and compared with what Trino answers.

Values are compared in the encoding tests/sql/README.md describes (decimals, dates,
timestamps and intervals as Trino prints them, maps as mappings, rows as mappings or
lists, varbinary as uppercase hex). ``run`` gives one ``Outcome`` per example;
tests/sql/known_differences.yaml lists the examples that differ, each with its reason,
and docs/SQL.md shows the summary ``summary_section`` writes.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any
from uuid import UUID

import yaml

from cornlake.errors import CornLakeError
from cornlake_toolkit.sql.result import YearMonthInterval, athena_text

ROOT = Path(__file__).resolve().parents[3]
EXAMPLES = ROOT / "tests" / "sql" / "trino_functions.yaml"
KNOWN = EXAMPLES.with_name("known_differences.yaml")
DOCS = ROOT / "docs" / "SQL.md"
SECTION_START = "<!-- conformance:start (written by `cornlake sql conformance --write-docs`) -->"
SECTION_END = "<!-- conformance:end -->"


@dataclass(frozen=True)
class Outcome:
    id: str
    function: str
    passed: bool
    detail: str = ""


def load_examples(path: Path = EXAMPLES) -> list[dict[str, Any]]:
    return list(yaml.safe_load(path.read_text(encoding="utf-8"))["examples"])


def load_known(path: Path = KNOWN) -> dict[str, dict[str, str]]:
    """Known differences: example id → {cause, reason}."""
    if not path.exists():
        return {}
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return {d["id"]: {"cause": d["cause"], "reason": d["reason"]} for d in data.get("differences", [])}


def _element(type_name: str, kind: str) -> str:
    prefix = f"{kind}("
    return type_name[len(prefix) : -1] if type_name.startswith(prefix) else ""


def encode(value: Any, type_name: str = "") -> Any:
    """A result value in the encoding of tests/sql/README.md."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, bytes | bytearray):
        return bytes(value).hex().upper()
    if isinstance(value, datetime | date | time | timedelta | YearMonthInterval):
        return athena_text(value, type_name) if not isinstance(value, YearMonthInterval) else str(value)
    if isinstance(value, UUID):
        return str(value)
    if isinstance(value, list):
        inner = _element(type_name, "array")
        return [encode(v, inner) for v in value]
    if isinstance(value, tuple):
        return [encode(v) for v in value]
    if isinstance(value, dict):
        return {encode(k): encode(v) for k, v in value.items()}
    return str(value)


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            return float(Decimal(value))
        except (InvalidOperation, ValueError):
            return None
    return None


def same(actual: Any, expected: Any, tolerance: float | None = None) -> bool:
    """Whether an encoded result equals the expected value (doubles within ``tolerance``)."""
    if isinstance(actual, float) or isinstance(expected, float):
        a, e = _number(actual), _number(expected)
        if a is None or e is None:
            return False
        if math.isnan(a) or math.isnan(e):
            return math.isnan(a) and math.isnan(e)
        return a == e if tolerance is None or math.isinf(e) else abs(a - e) <= tolerance
    if isinstance(expected, list):
        return (
            isinstance(actual, list)
            and len(actual) == len(expected)
            and all(same(a, e, tolerance) for a, e in zip(actual, expected, strict=True))
        )
    if isinstance(expected, dict):
        if not isinstance(actual, dict) or len(actual) != len(expected):
            return False
        keys = {str(k): v for k, v in actual.items()}
        return all(str(k) in keys and same(keys[str(k)], v, tolerance) for k, v in expected.items())
    if isinstance(actual, bool) or isinstance(expected, bool):
        return actual is expected
    if isinstance(expected, int) and isinstance(actual, str):
        return False
    return bool(actual == expected)


def _multiset_same(actual: list[Any], expected: list[Any], tolerance: float | None) -> bool:
    if len(actual) != len(expected):
        return False
    left = list(expected)
    for item in actual:
        match = next((i for i, e in enumerate(left) if same(item, e, tolerance)), None)
        if match is None:
            return False
        left.pop(match)
    return True


def compare(
    example: dict[str, Any], columns: list[str], rows: list[tuple[Any, ...]], types: tuple[str, ...]
) -> str:
    """'' when the result is the expected one, else what differs."""
    tolerance = float(example["tolerance"]) if "tolerance" in example else None
    encoded = [[encode(v, t) for v, t in zip(row, types or [""] * len(row), strict=False)] for row in rows]
    if "rows" in example:
        expected = example["rows"]
        ok = (
            _multiset_same(encoded, expected, tolerance)
            if example.get("ordered") is False
            else same(encoded, expected, tolerance)
        )
        return "" if ok else f"rows {encoded!r}, expected {expected!r}"
    if len(encoded) != 1 or len(encoded[0]) != 1:
        return f"{len(encoded)} rows of {len(columns)} columns, expected one value"
    got, expected = encoded[0][0], example["expected"]
    if example.get("unordered") and isinstance(got, list) and isinstance(expected, list):
        ok = _multiset_same(got, expected, tolerance)
    else:
        ok = same(got, expected, tolerance)
    return "" if ok else f"got {got!r} ({types[0] if types else '?'}), expected {expected!r}"


def run_example(engine: Any, example: dict[str, Any]) -> Outcome:
    try:
        result = engine.query(example["sql"])
    except CornLakeError as err:
        return Outcome(example["id"], example["function"], False, "error: " + err.message.splitlines()[0])
    detail = compare(example, result.columns, result.rows, result.types)
    return Outcome(example["id"], example["function"], not detail, detail)


def run(examples: list[dict[str, Any]] | None = None) -> list[Outcome]:
    """Every example through a local engine without a catalog (they name no tables)."""
    from cornlake_toolkit.sql.engine import LocalSqlEngine

    with LocalSqlEngine(None, None, "default") as engine:
        return [run_example(engine, e) for e in (examples if examples is not None else load_examples())]


def pass_count(outcomes: list[Outcome]) -> tuple[int, int]:
    return sum(o.passed for o in outcomes), len(outcomes)


def summary_section(outcomes: list[Outcome], known: dict[str, dict[str, str]]) -> str:
    """The part of docs/SQL.md the conformance run writes: the count and each known difference."""
    passed, total = pass_count(outcomes)
    lines = [
        SECTION_START,
        f"**{passed} of {total}** documented examples give Trino's answer locally "
        f"({100 * passed / total:.1f}%). The {total - passed} that do not, by cause:",
        "",
    ]
    by_cause = Counter(known[o.id]["cause"] for o in outcomes if not o.passed and o.id in known)
    for cause in sorted(by_cause):
        lines += [f"### {cause} ({by_cause[cause]})", ""]
        lines += [
            f"- `{o.id}` ({o.function}): {known[o.id]['reason']}"
            for o in outcomes
            if not o.passed and known.get(o.id, {}).get("cause") == cause
        ]
        lines.append("")
    lines += _rewrites_table()
    lines.append(SECTION_END)
    return "\n".join(lines)


def _rewrites_table() -> list[str]:
    from cornlake_toolkit.sql.compat import ENTRIES

    families: dict[str, list[str]] = {}
    for entry in ENTRIES:
        families.setdefault(entry.family, []).append(entry.rewrite.__name__)
    lines = [
        f"### The {len(ENTRIES)} rewrites, by module of `compat/`",
        "",
        "| module | rewrites |",
        "| --- | --- |",
    ]
    lines += [f"| {family} | {', '.join(sorted(set(names)))} |" for family, names in sorted(families.items())]
    return [*lines, ""]


def write_docs(outcomes: list[Outcome], known: dict[str, dict[str, str]], path: Path = DOCS) -> Path:
    """Replace the conformance section of docs/SQL.md with the one this run gives."""
    text = path.read_text(encoding="utf-8")
    start, end = text.index(SECTION_START), text.index(SECTION_END) + len(SECTION_END)
    path.write_text(text[:start] + summary_section(outcomes, known) + text[end:], encoding="utf-8")
    return path


def docs_section(path: Path = DOCS) -> str:
    """The conformance section docs/SQL.md has now."""
    text = path.read_text(encoding="utf-8")
    return text[text.index(SECTION_START) : text.index(SECTION_END) + len(SECTION_END)]
