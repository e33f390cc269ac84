"""DQDL rules: Glue's spelling parses, writes back canonically, and every mistake says where."""

from __future__ import annotations

import pytest

from cornlake import dqdl


@pytest.mark.parametrize(
    ("text", "canonical"),
    [
        ('IsComplete "id"', 'IsComplete "id"'),
        ('Completeness   "email" >= 0.95', 'Completeness "email" >= 0.95'),
        ('IsUnique "id"', 'IsUnique "id"'),
        ('Uniqueness "id" > 0.9', 'Uniqueness "id" > 0.9'),
        ('IsPrimaryKey "store" "id"', 'IsPrimaryKey "store" "id"'),
        ('ColumnValues "s" in ["a","b", NULL, EMPTY]', 'ColumnValues "s" in ["a", "b", NULL, EMPTY]'),
        ('ColumnValues "s" not in [1, 2]', 'ColumnValues "s" not in [1, 2]'),
        ('ColumnValues "a" between 0 and 10 with threshold >= 0.99', None),
        ('ColumnValues "a" <> 3', 'ColumnValues "a" != 3'),
        ('ColumnValues "c" matches "[A-Z]{3}"', None),
        ('ColumnValues "t" > (now() - 3 days)', None),
        ('ColumnLength "c" between 1 and 8', None),
        ("RowCount between 1 and 1000000", None),
        ("RowCount > avg(last(10)) * 0.5", None),
        ("RowCount >= min(last(3))", None),
        ('DataFreshness "t" <= 24 hours', None),
        ('DataFreshness "t" between 2 days and 5 days', None),
        ('ReferentialIntegrity "s" "ref_x.id" = 1.0', 'ReferentialIntegrity "s" "ref_x.id" = 1'),
        ('ReferentialIntegrity "s" "ref_x.id"', None),
        ('CustomSql "SELECT count(*) FROM primary WHERE a < 0" = 0', None),
        ('CustomSql "SELECT count(*) = 0 FROM primary"', None),
        ('IsComplete "e" where "country = \'BR\'"', None),
        ('ColumnValues "q" = "say \\"hi\\""', None),
    ],
)
def test_rules_parse_and_write_back_in_one_spelling(text: str, canonical: str | None) -> None:
    rule = dqdl.parse(text)
    assert rule.text == (canonical or text)
    assert dqdl.parse(rule.text) == rule


def test_the_parts_of_a_rule_are_kept() -> None:
    rule = dqdl.parse(
        'ColumnValues "a" between 0 and 10 with threshold >= 0.9 where "b > 1"', severity="warn"
    )
    assert rule.columns == ("a",) and rule.where == "b > 1" and rule.severity == "warn"
    assert rule.constraint is not None and rule.constraint.op == "between"
    assert rule.threshold is not None and rule.threshold.holds(0.95) and not rule.threshold.holds(0.5)
    ref = dqdl.parse('ReferentialIntegrity "loja" "ref_lojas.loja_id" >= 0.99')
    assert ref.columns == ("loja",) and ref.reference == ("ref_lojas", "loja_id")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", "a rule type"),
        ('Freshness "a"', "a rule type (IsComplete"),
        ("IsComplete", "1 quoted argument"),
        ('IsComplete "a" "b"', "1 quoted argument"),
        ('Completeness "a"', "a comparison for Completeness"),
        ('IsComplete "a" > 0.5', "no comparison after IsComplete"),
        ("RowCount between 1", "'and' between the two bounds"),
        ('ColumnValues "a" in [1 2]', "',' or ']' in the list"),
        ('ColumnValues "a" in 1', "'[' to start the list"),
        ('ColumnValues "a" ~ 1', "a rule part"),
        ("RowCount > 1 with threshold > 0.5", "no 'with threshold' on RowCount"),
        ('ReferentialIntegrity "a" "b"', '"<table>.<column>"'),
        ('CustomSql "SELECT 1" where "a > 1"', "no 'where' on CustomSql"),
        ("RowCount > avg(last(0))", "at least 1"),
        ('IsComplete "a" trailing', "the end of the rule"),
        ('DataFreshness "t" <= (now() - 3 weeks)', "a unit"),
    ],
)
def test_a_malformed_rule_says_what_was_expected_and_where(text: str, expected: str) -> None:
    with pytest.raises(dqdl.DqdlError) as caught:
        dqdl.parse(text)
    assert expected in str(caught.value)
    assert "at character" in str(caught.value) or "at the end" in str(caught.value)


def test_a_glue_ruleset_splits_into_rules_at_top_level_commas_only() -> None:
    text = 'Rules = [ IsComplete "a", ColumnValues "b" in ["x,y", "z"], RowCount between 1 and 5 ]'
    assert dqdl.parse_ruleset(text) == [
        'IsComplete "a"',
        'ColumnValues "b" in ["x,y", "z"]',
        "RowCount between 1 and 5",
    ]
    with pytest.raises(dqdl.DqdlError, match="Rules ="):
        dqdl.parse_ruleset('IsComplete "a"')


@pytest.mark.parametrize(
    ("check", "columns", "kwargs", "text"),
    [
        ("not_null", ("id",), {}, 'IsComplete "id"'),
        ("unique", ("id",), {}, 'IsUnique "id"'),
        ("unique", ("a", "b"), {}, 'Uniqueness "a" "b" = 1'),
        (
            "accepted_values",
            ("uf",),
            {"values": ("SP",)},
            'ColumnValues "uf" in ["SP"] where "uf IS NOT NULL"',
        ),
        ("range", ("q",), {"low": 1, "high": 9}, 'ColumnValues "q" between 1 and 9 where "q IS NOT NULL"'),
        ("range", ("q",), {"low": 1}, 'ColumnValues "q" >= 1 where "q IS NOT NULL"'),
        ("row_count", (), {"high": 5}, "RowCount <= 5"),
    ],
)
def test_the_old_check_names_become_their_dqdl_rules(
    check: str, columns: tuple[str, ...], kwargs: dict[str, object], text: str
) -> None:
    rule = dqdl.from_alias(check, columns, **kwargs)  # type: ignore[arg-type]
    assert rule.text == text and rule.alias == check
    assert dqdl.parse(text).constraint == rule.constraint


@pytest.mark.parametrize(
    ("text", "kinds", "expected"),
    [
        ('IsComplete "ghost"', {"a": "int"}, "a column of this dataset"),
        ('Completeness "a" >= "high"', {"a": "int"}, "a number for Completeness"),
        ("RowCount > 3 days", {"a": "int"}, "a number for RowCount"),
        ('ColumnValues "a" between "x" and "y"', {"a": "int"}, "numbers for the int column a"),
        ('ColumnValues "a" matches "["', {"a": "string"}, "a valid regular expression"),
        ('ColumnValues "a" matches "x"', {"a": "int"}, "a string column for 'matches'"),
        ('ColumnValues "a" > now()', {"a": "int"}, "now() is for dates"),
        ('ColumnValues "d" > "yesterday"', {"d": "date"}, "ISO dates"),
        ('ColumnLength "a" <= 3', {"a": "int"}, "a string column for ColumnLength"),
        ('ColumnLength "a" <= 2.5', {"a": "string"}, "whole numbers"),
        ('DataFreshness "a" <= 24 hours', {"a": "string"}, "a date or timestamp column"),
        ('DataFreshness "t" <= 24', {"t": "timestamp"}, "a duration"),
        ('ColumnValues "a" > 1 with threshold >= 2', {"a": "int"}, "a threshold between 0 and 1"),
        ('ColumnValues "a" > avg(last(3))', {"a": "int"}, "a fixed value"),
    ],
)
def test_a_rule_that_does_not_fit_the_columns_is_refused(
    text: str, kinds: dict[str, str], expected: str
) -> None:
    problem = dqdl.mismatch(dqdl.parse(text), kinds)
    assert problem is not None and expected in problem[0]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('CustomSql "DELETE FROM primary" = 0', "one SELECT statement"),
        ('CustomSql "SELECT 1; SELECT 2" = 0', "one SELECT statement"),
        ('CustomSql "SELECT count(*) FROM other" = 0', "a SELECT over 'primary'"),
        ("CustomSql \"SELECT count(*) FROM read_csv('/etc/passwd')\" = 0", "a SELECT over 'primary'"),
        ('CustomSql "SELECT count(* FROM primary" = 0', "valid Athena SQL"),
        ('IsComplete "a" where "ghost > 1"', "columns of this dataset in 'where'"),
    ],
)
def test_rule_sql_is_checked_as_athena_sql_over_the_batch(text: str, expected: str) -> None:
    problem = dqdl.sql_problem(dqdl.parse(text), {"a", "b"})
    assert problem is not None and expected in problem[0]


def test_good_rule_sql_passes() -> None:
    ok = 'CustomSql "WITH x AS (SELECT a FROM primary) SELECT count(*) FROM x WHERE a > 0" = 0'
    assert dqdl.sql_problem(dqdl.parse(ok), {"a"}) is None
    assert dqdl.sql_problem(dqdl.parse('IsComplete "a" where "b IS NOT NULL"'), {"a", "b"}) is None


def test_dynamic_bounds_come_from_history() -> None:
    constraint = dqdl.parse("RowCount > avg(last(2)) * 0.5").constraint
    assert constraint is not None
    assert constraint.holds(10, []) is None  # no history yet
    assert constraint.holds(11, [100, 30, 10]) is True  # the last 2 average 20: the bound is 10
    assert constraint.holds(10, [100, 30, 10]) is False
