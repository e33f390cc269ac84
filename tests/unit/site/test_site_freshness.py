"""Intervals as contracts write them, and when a dataset is late."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest

from cornlake_toolkit.site.freshness import assess, expectation, parse_interval, parse_time

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1d", timedelta(days=1)),
        ("6h", timedelta(hours=6)),
        ("90m", timedelta(minutes=90)),
        ("2w", timedelta(weeks=2)),
        ("1d12h", timedelta(hours=36)),
        (" 45s ", timedelta(seconds=45)),
        ("0m", timedelta()),
    ],
)
def test_intervals(text: str, expected: timedelta) -> None:
    assert parse_interval(text) == expected


@pytest.mark.parametrize("text", ["", "daily", "1x", "d1", "1.5h", "-1d", "1d and 2h"])
def test_what_is_not_an_interval(text: str) -> None:
    assert parse_interval(text) is None


def test_times_are_utc_whatever_their_offset() -> None:
    assert parse_time("2026-11-23T09:00:00-03:00") == NOW - timedelta(hours=0)
    assert parse_time("2026-11-23T12:00:00Z") == NOW == parse_time("2026-11-23T12:00:00")
    assert parse_time("yesterday") is None


def test_late_only_after_the_interval_and_the_grace() -> None:
    last = (NOW - timedelta(hours=29)).isoformat()
    on_time = assess(last, "1d", "6h", NOW, basis="runs")
    assert on_time.state == "on_time" and on_time.due_by == "2026-11-23T13:00:00+00:00"
    late = assess(last, "1d", "", NOW, basis="runs")
    assert late.state == "late" and late.due_by == "2026-11-23T07:00:00+00:00"


def test_without_an_interval_or_without_a_batch() -> None:
    assert assess(NOW.isoformat(), "", "", NOW, basis="runs").state == "no_interval"
    assert assess(NOW.isoformat(), "every day", "", NOW, basis="runs").state == "no_interval"
    never = assess("", "1d", "1h", NOW, basis="glue")
    assert (never.state, never.last_success, never.expected_every, never.basis) == ("never", "", "1d", "glue")
    assert assess("", "", "", NOW, basis="runs").state == "never"


def test_the_expectation_comes_from_the_contract_then_from_glue() -> None:
    contract = SimpleNamespace(freshness=SimpleNamespace(expected_every="1d", grace="6h"))
    glue = {"cornlake.expected_update_interval": "2h", "cornlake.grace": "30m"}
    assert expectation(contract, glue) == ("1d", "6h")
    assert expectation(SimpleNamespace(freshness={"expected_every": "3h"}), glue) == ("3h", "")
    assert expectation(SimpleNamespace(), glue) == ("2h", "30m")  # a contract from before `freshness`
    assert expectation(None, {}) == ("", "")
