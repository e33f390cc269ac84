"""DQDL, the rule language of AWS Glue Data Quality: the part CornLake evaluates, parsed into rules.

A contract's quality rules are DQDL expressions, so a rule moves between CornLake and Glue
Data Quality as text::

    IsComplete "order_id"
    Completeness "email" >= 0.95
    IsUnique "order_id"
    IsPrimaryKey "store_id" "order_id"
    ColumnValues "status" in ["open", "closed"]
    ColumnValues "amount" between 0 and 10000 with threshold >= 0.99
    ColumnValues "code" matches "[A-Z]{3}"
    ColumnValues "sold_at" > (now() - 3 days)
    ColumnLength "code" between 1 and 8
    RowCount between 1 and 1000000
    RowCount > avg(last(10)) * 0.5
    DataFreshness "sold_at" <= 24 hours
    ReferentialIntegrity "store_id" "ref_stores.store_id" = 1.0
    CustomSql "SELECT count(*) FROM primary WHERE amount < 0" = 0
    IsComplete "email" where "country = 'BR'"

``parse`` turns one rule's text into a ``Rule``; ``Rule.text`` writes it back in one
canonical spelling, which is the rule's id in the results. ``parse_ruleset`` reads Glue's
``Rules = [ ... ]`` form. A syntax error is a ``DqdlError`` naming the position and what
was expected; checking a rule against a contract's columns is ``cornlake.contracts``' job.
docs/CONTRACTS.md lists the rule types and how each is measured.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

RULE_TYPES = (
    "IsComplete",
    "Completeness",
    "IsUnique",
    "Uniqueness",
    "IsPrimaryKey",
    "ColumnValues",
    "ColumnLength",
    "RowCount",
    "DataFreshness",
    "ReferentialIntegrity",
    "CustomSql",
)
# How many quoted arguments each type takes (min, max; None: any number).
ARGUMENTS: dict[str, tuple[int, int | None]] = {
    "IsComplete": (1, 1),
    "Completeness": (1, 1),
    "IsUnique": (1, None),
    "Uniqueness": (1, None),
    "IsPrimaryKey": (1, None),
    "ColumnValues": (1, 1),
    "ColumnLength": (1, 1),
    "RowCount": (0, 0),
    "DataFreshness": (1, 1),
    "ReferentialIntegrity": (2, 2),
    "CustomSql": (1, 1),
}
FLAGS = ("IsComplete", "IsUnique", "IsPrimaryKey")  # no constraint: the measure must be 1.0
ROW_LEVEL = ("ColumnValues", "ColumnLength", "DataFreshness")  # each row passes or fails
COMPARISONS = ("=", "!=", ">", ">=", "<", "<=")
DYNAMIC_FUNCTIONS = ("avg", "min", "max")
UNITS = {"minute": 60, "minutes": 60, "hour": 3600, "hours": 3600, "day": 86400, "days": 86400}
KEYWORDS = ("NULL", "EMPTY", "WHITESPACES_ONLY")


class DqdlError(ValueError):
    """A rule's text is not DQDL CornLake understands."""

    def __init__(self, text: str, position: int, expected: str) -> None:
        near = text[position : position + 20]
        where = f"at character {position + 1} (near {near!r})" if near.strip() else "at the end"
        super().__init__(f"expected {expected} {where}")
        self.expected = expected
        self.position = position


# ---- values a constraint compares with ------------------------------------------------


@dataclass(frozen=True)
class Literal:
    value: Any  # int, float, str, or one of KEYWORDS as a Keyword

    def text(self) -> str:
        if isinstance(self.value, Keyword):
            return self.value.name
        if isinstance(self.value, str):
            return '"' + self.value.replace("\\", "\\\\").replace('"', '\\"') + '"'
        return _number(self.value)


@dataclass(frozen=True)
class Keyword:
    name: str  # NULL, EMPTY or WHITESPACES_ONLY


@dataclass(frozen=True)
class Duration:
    amount: float
    unit: str

    @property
    def seconds(self) -> float:
        return self.amount * UNITS[self.unit]

    def text(self) -> str:
        return f"{_number(self.amount)} {self.unit}"


@dataclass(frozen=True)
class Now:
    """``now()``, or ``(now() - 3 days)``: a moment relative to the evaluation."""

    offset: Duration | None = None
    sign: str = "-"

    def text(self) -> str:
        return f"(now() {self.sign} {self.offset.text()})" if self.offset else "now()"


@dataclass(frozen=True)
class Dynamic:
    """``avg(last(10)) * 0.5``: a bound computed from the rule's own history."""

    function: str
    last: int
    operator: str = ""  # '*', '+' or '-'
    operand: float = 0.0

    def text(self) -> str:
        base = f"{self.function}(last({self.last}))"
        return f"{base} {self.operator} {_number(self.operand)}" if self.operator else base

    def resolve(self, history: list[float]) -> float | None:
        """The bound from the last values, or None when there is no history yet."""
        window = history[-self.last :]
        if not window:
            return None
        base = {"avg": sum(window) / len(window), "min": min(window), "max": max(window)}[self.function]
        if self.operator == "*":
            return base * self.operand
        if self.operator == "+":
            return base + self.operand
        return base - self.operand if self.operator == "-" else base


Value = Literal | Duration | Now | Dynamic


@dataclass(frozen=True)
class Constraint:
    """``>= 0.95``, ``between 1 and 10``, ``in [...]``, ``matches "..."``, and their negations."""

    op: str  # a comparison, 'between', 'in' or 'matches'
    values: tuple[Value, ...]
    negated: bool = False

    def text(self) -> str:
        neg = "not " if self.negated else ""
        if self.op == "between":
            return f"{neg}between {self.values[0].text()} and {self.values[1].text()}"
        if self.op == "in":
            return f"{neg}in [{', '.join(v.text() for v in self.values)}]"
        if self.op == "matches":
            return f"{neg}matches {self.values[0].text()}"
        return f"{self.op} {self.values[0].text()}"

    @property
    def dynamic(self) -> bool:
        return any(isinstance(v, Dynamic) for v in self.values)

    def holds(self, measure: float, history: list[float] | None = None) -> bool | None:
        """Whether a number meets this constraint; None when a dynamic bound has no history yet."""
        bounds = [v.resolve(history or []) if isinstance(v, Dynamic) else _as_number(v) for v in self.values]
        if any(b is None for b in bounds):
            return None
        nums = [float(b) for b in bounds if b is not None]
        if self.op == "between":
            result = nums[0] <= measure <= nums[1]
        elif self.op == "in":
            result = measure in nums
        else:
            result = _compare(measure, self.op, nums[0])
        return result != self.negated


def _compare(left: float, op: str, right: float) -> bool:
    eps = 1e-9 * max(1.0, abs(right))
    return {
        "=": abs(left - right) <= eps,
        "!=": abs(left - right) > eps,
        ">": left > right,
        ">=": left >= right - eps,
        "<": left < right,
        "<=": left <= right + eps,
    }[op]


def _as_number(value: Value) -> float | None:
    if isinstance(value, Duration):
        return value.seconds
    if isinstance(value, Literal) and isinstance(value.value, int | float):
        return float(value.value)
    return None


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() and abs(value) < 1e15 else repr(float(value))


# ---- a rule ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Rule:
    type: str
    arguments: tuple[str, ...] = ()  # the quoted arguments: columns, a reference, or SQL
    constraint: Constraint | None = None
    threshold: Constraint | None = None  # `with threshold >= 0.9`: the share of rows that must pass
    where: str = ""  # `where "..."`: a SQL condition choosing the rows checked
    severity: str = "error"
    alias: str = ""  # the pre-DQDL check name this rule was written with, if any

    @property
    def columns(self) -> tuple[str, ...]:
        """The batch's columns the rule reads (not a reference's, not CustomSql's)."""
        if self.type == "CustomSql":
            return ()
        return self.arguments[:1] if self.type == "ReferentialIntegrity" else self.arguments

    @property
    def reference(self) -> tuple[str, str]:
        """ReferentialIntegrity's (table, column)."""
        table, _, column = self.arguments[1].partition(".")
        return table, column

    @property
    def sql(self) -> str:
        return self.arguments[0] if self.type == "CustomSql" else ""

    @property
    def text(self) -> str:
        """The rule in one canonical DQDL spelling (its id in the results)."""
        parts = [self.type, *(_quote(a) for a in self.arguments)]
        if self.constraint is not None:
            parts.append(self.constraint.text())
        if self.threshold is not None:
            parts.append(f"with threshold {self.threshold.text()}")
        if self.where:
            parts.append(f"where {_quote(self.where)}")
        return " ".join(parts)

    @property
    def rule_id(self) -> str:
        return self.text


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


# ---- the parser -------------------------------------------------------------------------

_TOKEN = re.compile(
    r"""\s*(?:
        (?P<string>"(?:[^"\\]|\\.)*")
      | (?P<number>-?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][-+]?\d+)?)
      | (?P<op>>=|<=|!=|<>|=|>|<|\*|\+|-)
      | (?P<punct>[\[\](),])
      | (?P<word>[A-Za-z_][A-Za-z0-9_]*)
    )""",
    re.VERBOSE,
)


@dataclass
class _Tokens:
    text: str
    items: list[tuple[str, str, int]] = field(default_factory=list)
    i: int = 0

    @classmethod
    def of(cls, text: str) -> _Tokens:
        tokens = cls(text)
        pos = 0
        while pos < len(text):
            if text[pos:].strip() == "":
                break
            match = _TOKEN.match(text, pos)
            if not match or match.end() == pos:
                raise DqdlError(text, pos, "a rule part (a name, a quoted string, a number or an operator)")
            kind = match.lastgroup or ""
            start = match.start(kind)
            tokens.items.append((kind, match.group(kind), start))
            pos = match.end()
        return tokens

    def peek(self, offset: int = 0) -> tuple[str, str, int]:
        j = self.i + offset
        return self.items[j] if j < len(self.items) else ("end", "", len(self.text))

    def next(self) -> tuple[str, str, int]:
        token = self.peek()
        self.i += 1
        return token

    def at_word(self, *words: str) -> bool:
        kind, value, _ = self.peek()
        return kind == "word" and value.lower() in words

    def expect(self, kind: str, expected: str, value: str = "") -> str:
        k, v, pos = self.peek()
        if k != kind or (value and v.lower() != value):
            raise DqdlError(self.text, pos, expected)
        self.i += 1
        return v

    def fail(self, expected: str) -> DqdlError:
        return DqdlError(self.text, self.peek()[2], expected)


def _unquote(token: str) -> str:
    return re.sub(r"\\(.)", r"\1", token[1:-1])


def parse(text: str, *, severity: str = "error", alias: str = "") -> Rule:
    """One DQDL rule; DqdlError when it is not one CornLake evaluates."""
    tokens = _Tokens.of(text)
    kind, name, pos = tokens.next()
    if kind != "word" or name not in RULE_TYPES:
        raise DqdlError(text, pos, f"a rule type ({', '.join(RULE_TYPES)})")
    arguments = []
    while tokens.peek()[0] == "string":
        arguments.append(_unquote(tokens.next()[1]))
    low, high = ARGUMENTS[name]
    if len(arguments) < low or (high is not None and len(arguments) > high):
        count = f"{low}" if low == high else f"at least {low}"
        raise DqdlError(text, tokens.peek()[2], f"{count} quoted argument(s) for {name}")
    constraint = None
    starts = tokens.peek()[0] == "op" or tokens.at_word("not", "between", "in", "matches")
    if (name not in FLAGS and not tokens.at_word("with", "where") and tokens.peek()[0] != "end") or starts:
        constraint = _constraint(tokens, name)
    threshold = None
    if tokens.at_word("with"):
        tokens.next()
        tokens.expect("word", "'threshold' after 'with'", "threshold")
        threshold = _constraint(tokens, "threshold")
    where = ""
    if tokens.at_word("where"):
        tokens.next()
        where = _unquote(tokens.expect("string", "a quoted SQL condition after 'where'"))
    if tokens.peek()[0] != "end":
        raise tokens.fail("the end of the rule")
    return _checked(Rule(name, tuple(arguments), constraint, threshold, where, severity, alias), text, tokens)


def _checked(rule: Rule, text: str, tokens: _Tokens) -> Rule:
    """Rules whose parts do not fit their type."""
    if rule.type in FLAGS and rule.constraint is not None:
        raise DqdlError(text, 0, f"no comparison after {rule.type} (it requires all rows)")
    needs = ("Completeness", "Uniqueness", "ColumnValues", "ColumnLength", "RowCount", "DataFreshness")
    if rule.type in needs and rule.constraint is None:
        raise DqdlError(text, len(text), f"a comparison for {rule.type}, such as '>= 0.95'")
    if rule.threshold is not None and rule.type not in ROW_LEVEL:
        raise DqdlError(text, 0, f"no 'with threshold' on {rule.type} (only on {', '.join(ROW_LEVEL)})")
    if rule.type == "ReferentialIntegrity" and "." not in rule.arguments[1]:
        raise DqdlError(text, 0, 'a reference as "<table>.<column>", such as "ref_stores.store_id"')
    if rule.type == "CustomSql" and rule.where:
        raise DqdlError(text, 0, "no 'where' on CustomSql (put the condition in its SELECT)")
    return rule


def _constraint(tokens: _Tokens, rule_type: str) -> Constraint:
    negated = False
    if tokens.at_word("not"):
        tokens.next()
        negated = True
    if tokens.at_word("between"):
        tokens.next()
        low = _value(tokens, rule_type)
        tokens.expect("word", "'and' between the two bounds", "and")
        return Constraint("between", (low, _value(tokens, rule_type)), negated)
    if tokens.at_word("in"):
        tokens.next()
        return Constraint("in", _list(tokens, rule_type), negated)
    if tokens.at_word("matches"):
        tokens.next()
        pattern = _unquote(tokens.expect("string", "a quoted regular expression after 'matches'"))
        return Constraint("matches", (Literal(pattern),), negated)
    kind, op, _ = tokens.peek()
    if negated or kind != "op" or op not in (*COMPARISONS, "<>"):
        raise tokens.fail("a comparison (=, !=, >, >=, <, <=), 'between', 'in' or 'matches'")
    tokens.next()
    return Constraint("!=" if op == "<>" else op, (_value(tokens, rule_type),))


def _list(tokens: _Tokens, rule_type: str) -> tuple[Value, ...]:
    tokens.expect("punct", "'[' to start the list", "[")
    values: list[Value] = []
    while True:
        values.append(_value(tokens, rule_type))
        char = tokens.next()[1]
        if char == "]":
            return tuple(values)
        if char != ",":
            tokens.i -= 1
            raise tokens.fail("',' or ']' in the list")


def _value(tokens: _Tokens, rule_type: str) -> Value:
    kind, token, _ = tokens.peek()
    if kind == "string":
        tokens.next()
        return Literal(_unquote(token))
    if kind == "word" and token.upper() in KEYWORDS:
        tokens.next()
        return Literal(Keyword(token.upper()))
    if (kind, token.lower()) in (("word", "now"), ("punct", "(")):
        return _now(tokens)
    if kind == "word" and token.lower() in DYNAMIC_FUNCTIONS:
        return _dynamic(tokens)
    if kind == "number":
        tokens.next()
        number = float(token) if any(c in token for c in ".eE") else int(token)
        if tokens.at_word(*UNITS):
            return Duration(float(number), tokens.next()[1].lower())
        return Literal(number)
    raise tokens.fail(f"a value for {rule_type} (a number, a quoted string, a duration or now())")


def _now(tokens: _Tokens) -> Now:
    wrapped = tokens.peek()[1] == "("
    if wrapped:
        tokens.next()
    tokens.expect("word", "now()", "now")
    tokens.expect("punct", "'(' after now", "(")
    tokens.expect("punct", "')' after now(", ")")
    offset, sign = None, "-"
    if wrapped:
        if tokens.peek()[1] in ("-", "+"):
            sign = tokens.next()[1]
            amount = tokens.expect("number", "a number of minutes, hours or days")
            if not tokens.at_word(*UNITS):
                raise tokens.fail("a unit (minutes, hours or days)")
            offset = Duration(float(amount), tokens.next()[1].lower())
        tokens.expect("punct", "')' to close (now() ...)", ")")
    return Now(offset, sign)


def _dynamic(tokens: _Tokens) -> Dynamic:
    function = tokens.next()[1].lower()
    tokens.expect("punct", f"'(' after {function}", "(")
    tokens.expect("word", "last(N)", "last")
    tokens.expect("punct", "'(' after last", "(")
    count = tokens.expect("number", "how many earlier batches, such as last(10)")
    if not count.isdigit() or int(count) < 1:
        raise tokens.fail("a whole number of batches of at least 1")
    tokens.expect("punct", "')'", ")")
    tokens.expect("punct", "')'", ")")
    if tokens.peek()[1] in ("*", "+", "-"):
        operator = tokens.next()[1]
        return Dynamic(function, int(count), operator, float(tokens.expect("number", "a number")))
    return Dynamic(function, int(count))


def parse_ruleset(text: str) -> list[str]:
    """The rules of a Glue ruleset ``Rules = [ rule, rule, ... ]``, each as its own text."""
    match = re.fullmatch(r"\s*Rules\s*=\s*\[(?P<body>.*)\]\s*", text, re.DOTALL)
    if not match:
        raise DqdlError(text, 0, "a ruleset of the form Rules = [ rule, rule, ... ]")
    rules, depth, start, quoted, escaped = [], 0, 0, False, False
    body = match["body"]
    for i, char in enumerate(body):
        if quoted:
            escaped = char == "\\" and not escaped
            quoted = not (char == '"' and not escaped)
            continue
        if char == '"':
            quoted = True
        elif char in "[(":
            depth += 1
        elif char in "])":
            depth -= 1
        elif char == "," and depth == 0:
            rules.append(body[start:i].strip())
            start = i + 1
    rules.append(body[start:].strip())
    return [r for r in rules if r]


# ---- a rule against a dataset's columns -----------------------------------------------------

NUMERIC_KINDS = ("int", "bigint", "double", "decimal")
MOMENT_KINDS = ("date", "timestamp")


def mismatch(rule: Rule, kinds: dict[str, str]) -> tuple[str, Any] | None:
    """What is wrong with a rule for a dataset whose columns have these type kinds, as
    (expected, got); None when it fits. SQL (where, CustomSql) is checked by ``sql_problem``."""
    for column in rule.columns:
        if column not in kinds:
            return f"a column of this dataset ({', '.join(sorted(kinds))})", column
    for bound in rule.threshold.values if rule.threshold else ():
        share = _as_number(bound)
        if not isinstance(bound, Literal) or share is None or not 0 <= share <= 1:
            return "a threshold between 0 and 1 (the share of rows that must pass)", bound.text()
    if rule.constraint is None:
        return None
    if rule.type in ("ColumnValues", "ColumnLength", "DataFreshness"):
        return _row_values(rule, kinds[rule.columns[0]])
    for value in rule.constraint.values:
        if not (isinstance(value, Dynamic) or (isinstance(value, Literal) and _as_number(value) is not None)):
            return f"a number for {rule.type}'s comparison (or avg(last(N)))", value.text()
    if rule.constraint.op == "matches":
        return f"a comparison of numbers for {rule.type}, not 'matches'", rule.constraint.text()
    return None


def _row_values(rule: Rule, kind: str) -> tuple[str, Any] | None:
    assert rule.constraint is not None
    constraint, column = rule.constraint, rule.columns[0]
    for value in constraint.values:
        if isinstance(value, Dynamic):
            return f"a fixed value for {rule.type} (avg(last(N)) bounds batch measures)", value.text()
    if rule.type == "DataFreshness":
        if kind not in MOMENT_KINDS:
            return "a date or timestamp column for DataFreshness", f"{column} ({kind})"
        if constraint.op in ("in", "matches") or not all(isinstance(v, Duration) for v in constraint.values):
            return "a duration for DataFreshness, such as '<= 24 hours'", constraint.text()
        return None
    if rule.type == "ColumnLength":
        if kind != "string":
            return "a string column for ColumnLength", f"{column} ({kind})"
        if constraint.op == "matches" or not all(
            isinstance(v, Literal) and isinstance(v.value, int) for v in constraint.values
        ):
            return "whole numbers for ColumnLength, such as 'between 1 and 8'", constraint.text()
        return None
    return _column_values(constraint, column, kind)


def _column_values(constraint: Constraint, column: str, kind: str) -> tuple[str, Any] | None:
    if constraint.op == "matches":
        if kind != "string":
            return "a string column for 'matches'", f"{column} ({kind})"
        try:
            re.compile(str(constraint.values[0].value))  # type: ignore[union-attr]
        except re.error as err:
            return f"a valid regular expression ({err})", constraint.values[0].text()
        return None
    for value in constraint.values:
        if isinstance(value, Literal) and isinstance(value.value, Keyword):
            continue
        if isinstance(value, Duration):
            return f"a value of {column}'s type ({kind}), not a duration", value.text()
        if isinstance(value, Now):
            if kind not in MOMENT_KINDS:
                return f"a value of {column}'s type ({kind}); now() is for dates and timestamps", value.text()
            continue
        plain = value.value if isinstance(value, Literal) else None
        if kind in NUMERIC_KINDS and not _numeric(plain):
            return f"numbers for the {kind} column {column}", value.text()
        if kind in MOMENT_KINDS and not _iso_moment(plain):
            return f'ISO dates or timestamps ("2026-01-31") for the {kind} column {column}', value.text()
    return None


def _numeric(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, int | float):
        return True
    return isinstance(value, str) and re.fullmatch(r"-?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?", value) is not None


def _iso_moment(value: Any) -> bool:
    from datetime import datetime

    try:
        datetime.fromisoformat(str(value))
    except ValueError:
        return False
    return isinstance(value, str)


def sql_problem(rule: Rule, columns: set[str]) -> tuple[str, Any] | None:
    """What is wrong with a rule's SQL (its where condition, or CustomSql's SELECT), as
    (expected, got); None when it reads as Athena SQL over this dataset."""
    if not rule.where and rule.type != "CustomSql":
        return None
    import sqlglot
    from sqlglot import exp

    try:
        if rule.type == "CustomSql":
            statements = [s for s in sqlglot.parse(rule.sql, read="athena") if s is not None]
            if len(statements) != 1 or not isinstance(statements[0], exp.Query):
                return "one SELECT statement for CustomSql", rule.sql
            tree = statements[0]
            named = {c.alias_or_name for c in tree.find_all(exp.CTE)}
            tables = {t.name or t.sql("athena") for t in tree.find_all(exp.Table)} - named
            if tables - {"primary"}:
                return "a SELECT over 'primary' (the batch being checked)", ", ".join(sorted(tables))
            return None
        condition = sqlglot.parse_one(rule.where, read="athena", into=exp.Condition)
    except sqlglot.errors.ParseError as err:
        first = str(err).splitlines()[0]
        return f"valid Athena SQL ({first})", rule.sql or rule.where
    unknown = sorted({c.name for c in condition.find_all(exp.Column)} - columns)
    if unknown:
        return f"columns of this dataset in 'where' ({', '.join(sorted(columns))})", unknown[0]
    return None


# ---- the rule names CornLake used before DQDL ---------------------------------------------

ALIASES = {
    "not_null": "IsComplete",
    "unique": "IsUnique",
    "accepted_values": "ColumnValues",
    "range": "ColumnValues",
    "row_count": "RowCount",
}


def from_alias(
    check: str,
    columns: tuple[str, ...],
    *,
    values: tuple[Any, ...] = (),
    low: float | None = None,
    high: float | None = None,
    severity: str = "error",
) -> Rule:
    """The DQDL rule a pre-DQDL check means, with the same results as before: ``accepted_values``
    and ``range`` let nulls pass (a ``where`` that skips them), ``unique`` counts nulls as no value."""

    def bound() -> Constraint:
        if low is not None and high is not None:
            return Constraint("between", (Literal(low), Literal(high)))
        return Constraint(">=", (Literal(low),)) if low is not None else Constraint("<=", (Literal(high),))

    skip_nulls = f"{columns[0]} IS NOT NULL" if columns else ""
    if check == "not_null":
        return Rule("IsComplete", columns[:1], severity=severity, alias=check)
    if check == "unique":
        kind = "IsUnique" if len(columns) == 1 else "Uniqueness"
        constraint = None if kind == "IsUnique" else Constraint("=", (Literal(1),))
        return Rule(kind, columns, constraint, severity=severity, alias=check)
    if check == "accepted_values":
        allowed = Constraint("in", tuple(Literal(v) for v in values))
        return Rule("ColumnValues", columns[:1], allowed, where=skip_nulls, severity=severity, alias=check)
    if check == "range":
        return Rule("ColumnValues", columns[:1], bound(), where=skip_nulls, severity=severity, alias=check)
    return Rule("RowCount", (), bound(), severity=severity, alias=check)
