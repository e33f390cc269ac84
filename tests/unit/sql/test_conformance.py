"""The local engine against Trino's documented examples (tests/sql/trino_functions.yaml):
at least 95% give Trino's answer, every one that does not is listed with its reason in
tests/sql/known_differences.yaml, and docs/SQL.md says what this run measured."""

from __future__ import annotations

import pytest

from cornlake_toolkit.sql import conformance

MINIMUM_RATE = 0.95


@pytest.fixture(scope="module")
def outcomes() -> list[conformance.Outcome]:
    return conformance.run()


def test_at_least_95_percent_of_the_examples_give_trinos_answer(outcomes: list[conformance.Outcome]) -> None:
    passed, total = conformance.pass_count(outcomes)
    assert total == len(conformance.load_examples()) > 700
    assert passed / total >= MINIMUM_RATE, f"{passed} of {total}"


def test_every_example_that_differs_is_a_known_difference(outcomes: list[conformance.Outcome]) -> None:
    known = conformance.load_known()
    unexplained = [f"{o.id}: {o.detail}" for o in outcomes if not o.passed and o.id not in known]
    assert not unexplained, "list these in tests/sql/known_differences.yaml (or fix them):\n" + "\n".join(
        unexplained
    )


def test_every_known_difference_still_differs(outcomes: list[conformance.Outcome]) -> None:
    failing = {o.id for o in outcomes if not o.passed}
    ids = {e["id"] for e in conformance.load_examples()}
    stale = [i for i in conformance.load_known() if i not in failing]
    assert not stale, f"these pass now (or are no example): remove them from known_differences.yaml: {stale}"
    assert set(conformance.load_known()) <= ids


def test_every_known_difference_has_a_cause_and_a_reason() -> None:
    for entry in conformance.load_known().values():
        assert entry["cause"].strip() and len(entry["reason"].strip()) > 10


def test_docs_say_what_this_run_measured(outcomes: list[conformance.Outcome]) -> None:
    expected = conformance.summary_section(outcomes, conformance.load_known())
    assert conformance.docs_section() == expected, (
        "docs/SQL.md is out of date: run `cornlake sql conformance --write-docs`"
    )


def test_the_comparison_follows_the_readme_encoding() -> None:
    from datetime import UTC, date, datetime
    from decimal import Decimal

    assert conformance.encode(Decimal("1.50")) == "1.50"
    assert conformance.encode(b"he") == "6865"
    assert conformance.encode(date(2001, 8, 22)) == "2001-08-22"
    assert conformance.encode(datetime(2020, 6, 10, 15, 55, 23), "timestamp(0)") == "2020-06-10 15:55:23"
    assert conformance.encode(datetime(2012, 10, 31, 1, tzinfo=UTC), "timestamp(3) with time zone") == (
        "2012-10-31 01:00:00.000 UTC"
    )
    assert conformance.encode({"a": (1, None)}) == {"a": [1, None]}
    assert conformance.same(0.30000000000000004, 0.3, 1e-9) and not conformance.same(0.30000000000000004, 0.3)
    assert not conformance.same(1, True) and not conformance.same("1", 1)
    assert conformance.same({1: "x"}, {"1": "x"})
