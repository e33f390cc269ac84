"""The quality rules: one function per check, and the table that finds it by name.

A rule function takes the contract's rule and the batch as an Arrow table and returns
(rows failing, what was observed, for people). A new rule is one function plus its entry
in ``RULES``; the contract loader refuses a check that is not here.
"""

from __future__ import annotations

from collections.abc import Callable

import pyarrow as pa
import pyarrow.compute as pc

from cornlake.contracts import QualityRule

Rule = Callable[[QualityRule, pa.Table], tuple[int, str]]


def _count_true(mask: pa.ChunkedArray | pa.Array) -> int:
    return int(pc.sum(pc.cast(pc.fill_null(mask, False), pa.int64())).as_py() or 0)


def bounds(low: float | None, high: float | None) -> str:
    """How a person reads a rule's bounds: 'at least 1', 'at most 9', 'between 1 and 9'."""
    if low is not None and high is not None:
        return f"between {low:g} and {high:g}"
    return f"at least {low:g}" if low is not None else f"at most {high:g}"


def row_count(rule: QualityRule, table: pa.Table) -> tuple[int, str]:
    rows = table.num_rows
    too_few = rule.min is not None and rows < rule.min
    too_many = rule.max is not None and rows > rule.max
    return (rows if too_few or too_many else 0), f"{rows} rows (expected {bounds(rule.min, rule.max)})"


def not_null(rule: QualityRule, table: pa.Table) -> tuple[int, str]:
    nulls = table.column(rule.columns[0]).null_count
    return nulls, f"{nulls} null of {table.num_rows}"


def accepted_values(rule: QualityRule, table: pa.Table) -> tuple[int, str]:
    column = table.column(rule.columns[0])
    allowed = pa.array(list(rule.values)).cast(column.type)
    bad = _count_true(pc.and_(pc.is_valid(column), pc.invert(pc.is_in(column, value_set=allowed))))
    shown = ", ".join(map(str, rule.values[:5])) + (", ..." if len(rule.values) > 5 else "")
    return bad, f"{bad} of {table.num_rows} outside the {len(rule.values)} accepted values ({shown})"


def value_range(rule: QualityRule, table: pa.Table) -> tuple[int, str]:
    numbers = pc.cast(table.column(rule.columns[0]), pa.float64())  # decimals and integers compare as numbers
    checks = []
    if rule.min is not None:
        checks.append(pc.less(numbers, float(rule.min)))
    if rule.max is not None:
        checks.append(pc.greater(numbers, float(rule.max)))
    mask = checks[0] if len(checks) == 1 else pc.or_(checks[0], checks[1])
    bad = _count_true(mask)
    return bad, f"{bad} of {table.num_rows} not {bounds(rule.min, rule.max)}"


def unique(rule: QualityRule, table: pa.Table) -> tuple[int, str]:
    """Rows beyond the first of each key."""
    counts = table.select(list(rule.columns)).group_by(list(rule.columns)).aggregate([([], "count_all")])
    dupes = int(pc.sum(pc.subtract(counts.column("count_all"), 1)).as_py() or 0)
    return dupes, f"{dupes} duplicate rows on ({', '.join(rule.columns)})"


RULES: dict[str, Rule] = {
    "not_null": not_null,
    "unique": unique,
    "accepted_values": accepted_values,
    "range": value_range,
    "row_count": row_count,
}


def evaluate_rule(rule: QualityRule, table: pa.Table) -> tuple[int, str]:
    """(rows failing, what was observed) for one rule on one table."""
    return RULES[rule.check](rule, table)
