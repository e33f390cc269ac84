"""Each DQDL rule as DuckDB SQL over the batch (the view ``batch``), measured in one scan.

Row-level rules (IsComplete, Completeness, ColumnValues, ColumnLength, DataFreshness,
RowCount) become two aggregates each, ``checked`` and ``failed``, and all of them share one
``SELECT`` over the batch, so a batch is read once whatever the number of rules. Uniqueness
rules group by their columns, ReferentialIntegrity anti-joins the reference table, and
CustomSql runs its own SELECT (translated from Athena's dialect). DuckDB spills each of
these to disk beyond its memory limit, so memory stays bounded for any batch size.

Null values fail ColumnValues, ColumnLength and DataFreshness, except for ``!=`` and
``not in``, as in Glue Data Quality.
"""

from __future__ import annotations

from datetime import datetime

from cornlake.dqdl import Constraint, Duration, Keyword, Literal, Now, Rule, Value
from cornlake.sqlquote import ident, literal

BATCH = "batch"
REFERENCE = "reference"
SCANNED = ("IsComplete", "Completeness", "ColumnValues", "ColumnLength", "DataFreshness", "RowCount")
GROUPED = ("IsUnique", "Uniqueness", "IsPrimaryKey")


def moment(now: datetime, value: Now) -> str:
    """A Now value as a UTC TIMESTAMP literal, fixed at the evaluation's start."""
    at = now
    if value.offset is not None:
        from datetime import timedelta

        delta = timedelta(seconds=value.offset.seconds)
        at = now - delta if value.sign == "-" else now + delta
    return f"TIMESTAMP {literal(at.strftime('%Y-%m-%d %H:%M:%S.%f'))}"


def sql_value(value: Value, now: datetime) -> str:
    if isinstance(value, Now):
        return moment(now, value)
    if isinstance(value, Duration):
        return repr(value.seconds)
    assert isinstance(value, Literal)
    if isinstance(value.value, str):
        return literal(value.value)
    return repr(value.value) if isinstance(value.value, float) else str(value.value)


def compare(subject: str, constraint: Constraint, now: datetime) -> str:
    """SQL true when ``subject`` meets the constraint (NULL when subject is NULL, except where
    the constraint lets nulls pass)."""
    values = constraint.values
    if constraint.op == "between":
        low, high = (sql_value(v, now) for v in values)
        text = f"{subject} BETWEEN {low} AND {high}"
        return f"NOT ({text})" if constraint.negated else text
    if constraint.op == "matches":
        text = f"regexp_full_match({subject}, {sql_value(values[0], now)})"
        return f"NOT {text}" if constraint.negated else text
    if constraint.op == "in":
        return _membership(subject, constraint, now)
    if constraint.op == "!=":
        return f"({subject} IS NULL OR {subject} != {sql_value(values[0], now)})"
    return f"{subject} {constraint.op} {sql_value(values[0], now)}"


def _membership(subject: str, constraint: Constraint, now: datetime) -> str:
    plain = [sql_value(v, now) for v in constraint.values if not isinstance(v.value, Keyword)]  # type: ignore[union-attr]
    keywords = {v.value.name for v in constraint.values if isinstance(getattr(v, "value", None), Keyword)}  # type: ignore[union-attr]
    tests = [f"{subject} IN ({', '.join(plain)})"] if plain else []
    if "EMPTY" in keywords:
        tests.append(f"CAST({subject} AS VARCHAR) = ''")
    if "WHITESPACES_ONLY" in keywords:
        tests.append(f"(length(CAST({subject} AS VARCHAR)) > 0 AND trim(CAST({subject} AS VARCHAR)) = '')")
    listed = "(" + " OR ".join(tests or ["false"]) + ")"
    if constraint.negated:
        # not in: nulls pass unless NULL is one of the listed values
        null_passes = "false" if "NULL" in keywords else "true"
        return f"(CASE WHEN {subject} IS NULL THEN {null_passes} ELSE NOT coalesce({listed}, false) END)"
    if "NULL" in keywords:
        return f"({subject} IS NULL OR coalesce({listed}, false))"
    return listed


def passes(rule: Rule, now: datetime) -> str:
    """SQL true for a row that meets a row-level rule."""
    if rule.type == "RowCount":
        return "true"
    column = ident(rule.columns[0])
    if rule.type in ("IsComplete", "Completeness"):
        return f"{column} IS NOT NULL"
    assert rule.constraint is not None
    if rule.type == "ColumnLength":
        return compare(f"length({column})", rule.constraint, now)
    if rule.type == "DataFreshness":
        age = f"(epoch({moment(now, Now())}) - epoch(CAST({column} AS TIMESTAMP)))"
        return compare(age, rule.constraint, now)
    if any(isinstance(v, Now) for v in rule.constraint.values):
        return compare(f"CAST({column} AS TIMESTAMP)", rule.constraint, now)
    return compare(column, rule.constraint, now)


def scan_columns(rule: Rule, now: datetime, where: str) -> tuple[str, str]:
    """The two aggregates a scanned rule adds to the shared SELECT: rows checked, rows failed."""
    chosen = f"({where})" if where else "true"
    return (
        f"count(*) FILTER (WHERE {chosen})",
        f"count(*) FILTER (WHERE {chosen} AND NOT coalesce({passes(rule, now)}, false))",
    )


def scan_query(rules: list[tuple[Rule, str]], now: datetime) -> str:
    """One SELECT measuring every scanned rule: columns c0, f0, c1, f1, ... (``where`` already in
    DuckDB's dialect)."""
    parts = []
    for i, (rule, where) in enumerate(rules):
        checked, failed = scan_columns(rule, now, where)
        parts += [f"{checked} AS c{i}", f"{failed} AS f{i}"]
    return f"SELECT {', '.join(parts)} FROM {BATCH}"


def grouped_query(rule: Rule, where: str) -> str:
    """Rows with every key column set, rows whose key occurs once, and rows with a null key."""
    cols = ", ".join(ident(c) for c in rule.columns)
    complete = " AND ".join(f"{ident(c)} IS NOT NULL" for c in rule.columns)
    chosen = f"({where})" if where else "true"
    return (
        f"WITH g AS (SELECT count(*) AS n FROM {BATCH} WHERE {chosen} AND {complete} GROUP BY {cols}) "
        f"SELECT (SELECT coalesce(sum(n), 0) FROM g), (SELECT count(*) FROM g WHERE n = 1), "
        f"(SELECT count(*) FROM {BATCH} WHERE {chosen} AND NOT ({complete}))"
    )


def reference_query(rule: Rule) -> str:
    """Rows with a value, and those whose value the reference table does not hold."""
    column = ident(rule.columns[0])
    key = ident(rule.reference[1])
    return (
        f"SELECT (SELECT count(*) FROM {BATCH} WHERE {column} IS NOT NULL), "
        f"(SELECT count(*) FROM (SELECT {column} AS v FROM {BATCH} WHERE {column} IS NOT NULL) b "
        f"ANTI JOIN (SELECT DISTINCT {key} AS k FROM {REFERENCE}) r ON b.v = r.k)"
    )


def to_duckdb(athena_sql: str) -> str:
    """Athena SQL (a where condition or a CustomSql SELECT) in DuckDB's dialect."""
    import sqlglot

    return str(sqlglot.transpile(athena_sql, read="athena", write="duckdb")[0])
