"""Evaluate a contract's rules on a batch's Parquet files with DuckDB, in bounded memory.

``evaluate`` opens one DuckDB connection with a memory limit and a spill folder, makes the
batch's files the view ``batch`` (and ``primary``, for CustomSql), measures every rule
(cornlake.quality.sql) and turns each measure into a ``Measure``: passed, failed or error,
the rows checked and failed, the number compared (completeness, uniqueness, row count...)
and what was observed, for people. A rule that cannot be evaluated (its SQL fails, it runs
past its time limit, its reference is too big) is an ``error`` outcome with the reason: it
never passes silently.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from cornlake.contracts import Contract
from cornlake.datatypes import duckdb_type
from cornlake.dqdl import FLAGS, ROW_LEVEL, Constraint, Literal, Rule
from cornlake.quality import sql
from cornlake.sqlquote import ident, literal

DEFAULT_MEMORY_MB = 192
DEFAULT_TIMEOUT_S = 120.0


@dataclass(frozen=True)
class Measure:
    rule: Rule
    outcome: str  # passed, failed or error
    rows_checked: int
    rows_failed: int
    value: float | None  # the number compared: a share, a count, or CustomSql's answer
    observed: str

    @property
    def passed(self) -> bool:
        return self.outcome == "passed"


@dataclass(frozen=True)
class Limits:
    memory_mb: int = DEFAULT_MEMORY_MB
    timeout_s: float = DEFAULT_TIMEOUT_S
    threads: int = 0  # 0: the cores this process may use


@dataclass
class Inputs:
    """What the rules read: the batch's files, each reference table's files, rule history."""

    files: list[Path]
    references: dict[str, list[Path] | str]  # table -> its files, or why they are not available
    history: dict[str, list[float]]  # rule id -> earlier batches' values, oldest first
    now: datetime | None = None


def connect(tmp: Path, limits: Limits) -> duckdb.DuckDBPyConnection:
    threads = limits.threads or (len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 1)
    con = duckdb.connect(config={"threads": threads, "memory_limit": f"{limits.memory_mb}MB"})
    spill = tmp / "spill"
    spill.mkdir(parents=True, exist_ok=True)
    con.execute(
        f"SET temp_directory={literal(str(spill))}; SET preserve_insertion_order=false; SET TimeZone='UTC'"
    )
    return con


def relation(con: duckdb.DuckDBPyConnection, name: str, files: list[Path], contract: Contract) -> None:
    """``name`` as a view over the files (columns a file lacks read as null), or an empty table of
    the contract's columns when there are none."""
    if files:
        paths = "[" + ", ".join(literal(str(p)) for p in files) + "]"
        con.execute(f"CREATE VIEW {ident(name)} AS SELECT * FROM read_parquet({paths}, union_by_name=true)")
        return
    columns = ", ".join(f"{ident(c.name)} {duckdb_type(c.type)}" for c in contract.columns)
    con.execute(f"CREATE TABLE {ident(name)} ({columns})")


@contextmanager
def time_limit(con: duckdb.DuckDBPyConnection, seconds: float) -> Iterator[None]:
    """Interrupt the connection's query after ``seconds``."""
    timer = threading.Timer(seconds, con.interrupt)
    timer.start()
    try:
        yield
    finally:
        timer.cancel()


def evaluate(
    contract: Contract,
    inputs: Inputs,
    tmp: Path,
    *,
    limits: Limits | None = None,
    reference_contracts: dict[str, Contract] | None = None,
) -> list[Measure]:
    """Every rule of the contract, measured on the batch, in the contract's order."""
    limits = limits or Limits()
    now = (inputs.now or datetime.now(UTC)).astimezone(UTC).replace(tzinfo=None)
    con = connect(tmp, limits)
    try:
        relation(con, sql.BATCH, inputs.files, contract)
        con.execute(f'CREATE VIEW "primary" AS SELECT * FROM {sql.BATCH}')
        run = _Runner(con, limits, now, inputs, reference_contracts or {})
        scanned = run.scanned([(i, r) for i, r in enumerate(contract.quality) if r.type in sql.SCANNED])
        return [scanned[i] if i in scanned else run.one(r) for i, r in enumerate(contract.quality)]
    finally:
        con.close()


class _Runner:
    def __init__(
        self,
        con: duckdb.DuckDBPyConnection,
        limits: Limits,
        now: datetime,
        inputs: Inputs,
        references: dict[str, Contract],
    ) -> None:
        self.con, self.limits, self.now, self.inputs, self.references = con, limits, now, inputs, references

    def query(self, text: str) -> tuple[object, ...]:
        with time_limit(self.con, self.limits.timeout_s):
            row = self.con.execute(text).fetchone()
        return tuple(row) if row is not None else ()

    def guarded(self, rule: Rule, measure: Callable[[], Measure]) -> Measure:
        try:
            return measure()
        except duckdb.InterruptException:
            return _error(rule, f"did not finish within {self.limits.timeout_s:g} s (QUALITY_RULE_TIMEOUT_S)")
        except (duckdb.Error, ValueError) as err:
            return _error(rule, f"could not be evaluated: {str(err).splitlines()[0]}")

    def scanned(self, rules: list[tuple[int, Rule]]) -> dict[int, Measure]:
        """The scanned rules, measured in one SELECT (one by one when that SELECT fails, so only
        the faulty rule is an error); keyed by the rule's position in the contract."""
        if not rules:
            return {}
        try:
            row = self.query(sql.scan_query([(r, _where(r)) for _, r in rules], self.now))
        except duckdb.InterruptException:
            late = f"did not finish within {self.limits.timeout_s:g} s (QUALITY_RULE_TIMEOUT_S)"
            return {i: _error(r, late) for i, r in rules}
        except (duckdb.Error, ValueError):
            return {i: self.guarded(r, lambda r=r: self.scan_one(r)) for i, r in rules}  # type: ignore[misc]
        counts = [int(v) for v in row]  # type: ignore[call-overload]
        return {
            i: from_counts(r, counts[2 * n], counts[2 * n + 1], self.history(r))
            for n, (i, r) in enumerate(rules)
        }

    def scan_one(self, rule: Rule) -> Measure:
        row = self.query(sql.scan_query([(rule, _where(rule))], self.now))
        return from_counts(rule, int(row[0]), int(row[1]), self.history(rule))  # type: ignore[call-overload]

    def history(self, rule: Rule) -> list[float]:
        return self.inputs.history.get(rule.rule_id, [])

    def one(self, rule: Rule) -> Measure:
        if rule.type in sql.GROUPED:
            return self.guarded(rule, lambda: self.grouped(rule))
        if rule.type == "ReferentialIntegrity":
            return self.guarded(rule, lambda: self.referenced(rule))
        return self.guarded(rule, lambda: self.custom(rule))

    def grouped(self, rule: Rule) -> Measure:
        keyed, singles, null_keys = (int(v) for v in self.query(sql.grouped_query(rule, _where(rule))))  # type: ignore[call-overload]
        shared = keyed - singles
        share = singles / keyed if keyed else 1.0
        cols = ", ".join(rule.columns)
        if rule.type == "IsPrimaryKey":
            failed = shared + null_keys
            observed = f"{shared} rows share a key on ({cols}), {null_keys} have a null in it"
            return _measure(rule, failed == 0, (keyed + null_keys, failed), share, observed)
        observed = f"uniqueness {share:.4g}: {shared} of {keyed} rows share a value of ({cols})"
        if rule.type == "IsUnique":
            return _measure(rule, shared == 0, (keyed, shared), share, observed)
        return _against(rule, (keyed, shared), share, observed, self.history(rule))

    def referenced(self, rule: Rule) -> Measure:
        table, column = rule.reference
        files = self.inputs.references.get(table, [])
        if isinstance(files, str):
            return _error(rule, files)
        other = self.references.get(table)
        if other is None:
            return _error(rule, f"the reference table {table} has no contract here")
        self.con.execute(f"DROP VIEW IF EXISTS {sql.REFERENCE}; DROP TABLE IF EXISTS {sql.REFERENCE}")
        relation(self.con, sql.REFERENCE, files, other)
        checked, missing = (int(v) for v in self.query(sql.reference_query(rule)))  # type: ignore[call-overload]
        share = (checked - missing) / checked if checked else 1.0
        observed = f"{missing} of {checked} values of {rule.columns[0]} are not in {table}.{column}"
        return _against(rule, (checked, missing), share, observed, self.history(rule))

    def custom(self, rule: Rule) -> Measure:
        text = sql.to_duckdb(rule.sql)
        with time_limit(self.con, self.limits.timeout_s):
            result = self.con.execute(text)
            columns, row = len(result.description or ()), result.fetchone()
        if columns != 1 or row is None:
            why = "no rows" if row is None else f"{columns} columns"
            return _error(rule, f"returned {why}; CustomSql must return one value (a number or a boolean)")
        answer = row[0]
        if isinstance(answer, bool):
            if rule.constraint is not None:
                return _error(rule, f"returned {answer} but its comparison needs a number")
            return _measure(rule, answer, (0, 0 if answer else 1), float(answer), f"returned {answer}")
        if answer is None or not hasattr(answer, "as_integer_ratio"):
            return _error(rule, f"returned {answer!r}; CustomSql must return a number or a boolean")
        value = float(answer)
        if rule.constraint is None:
            return _error(rule, f"returned {value:g}; add a comparison such as '= 0' to judge a number")
        return _against(rule, (0, 0), value, f"returned {value:g}", self.history(rule))


def _where(rule: Rule) -> str:
    if not rule.where:
        return ""
    return rule.where if rule.alias else sql.to_duckdb(rule.where)


def from_counts(rule: Rule, checked: int, failed: int, history: list[float]) -> Measure:
    """A scanned rule's measure from its rows checked and failed."""
    if rule.type == "RowCount":
        return _against(rule, (checked, 0), float(checked), f"{checked} rows", history, fail_rows=checked)
    share = (checked - failed) / checked if checked else 1.0
    if rule.type in FLAGS:
        return _measure(rule, failed == 0, (checked, failed), share, f"{failed} null of {checked}")
    if rule.type == "Completeness":
        observed = f"completeness {share:.4g}: {failed} null of {checked}"
        return _against(rule, (checked, failed), share, observed, history)
    assert rule.type in ROW_LEVEL
    threshold = rule.threshold or Constraint("=", (Literal(1),))
    observed = f"{failed} of {checked} rows do not meet it (compliance {share:.4g})"
    if not checked:
        observed = "no rows to check"
    return _measure(rule, bool(threshold.holds(share)), (checked, failed), share, observed)


def _against(
    rule: Rule,
    counts: tuple[int, int],
    value: float,
    observed: str,
    history: list[float],
    *,
    fail_rows: int | None = None,
) -> Measure:
    """A measure judged by the rule's comparison, which may be bound by the rule's history."""
    constraint = rule.constraint or Constraint("=", (Literal(1),))
    verdict = constraint.holds(value, history)
    if verdict is None:
        note = f"{observed}; no earlier batches yet for {constraint.text()}, so it passes"
        return _measure(rule, True, counts, value, note)
    expected = constraint.text()
    if constraint.dynamic:
        expected += f" (from {len(history)} earlier batches)"
    failed = counts[1]
    rows_failed = failed if verdict else (fail_rows if fail_rows is not None else failed)
    return _measure(rule, verdict, (counts[0], rows_failed), value, f"{observed} (expected {expected})")


def _measure(rule: Rule, ok: bool, counts: tuple[int, int], value: float | None, observed: str) -> Measure:
    """A judged measure; ``counts`` is (rows checked, rows failed)."""
    return Measure(rule, "passed" if ok else "failed", counts[0], counts[1], value, observed)


def _error(rule: Rule, reason: str) -> Measure:
    return Measure(rule, "error", 0, 0, None, reason)
