"""Freshness from heartbeats: on time, late, never, no expectation, and stages gone silent."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from cornlake.contracts import Contract, parse_contract
from cornlake.monitor.freshness import judge

NOW = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)


def contract(freshness: dict[str, str] | None = None, **extra: Any) -> Contract:
    doc: dict[str, Any] = {
        "source": "shop",
        "dataset": "orders",
        "description": "d",
        "owner": "o",
        "format": {"type": "jsonl"},
        "columns": [{"name": "id", "type": "bigint"}],
        **extra,
    }
    if freshness is not None:
        doc["freshness"] = freshness
    return parse_contract(doc, "datasets/shop/orders.yaml")


DAILY = {"expected_every": "1d", "grace": "6h"}


@pytest.mark.parametrize(
    ("published_hours_ago", "state", "due_by"),
    [(29, "on_time", "2026-12-02T13:00:00+00:00"), (31, "late", "2026-12-02T11:00:00+00:00")],
)
def test_a_dataset_is_late_once_its_interval_and_grace_have_passed(
    published_hours_ago: int, state: str, due_by: str
) -> None:
    at = NOW - published_hours_ago * HOUR
    found = judge(contract(DAILY), {"ingest": at, "transform": at, "catalog": at, "quality": at}, NOW, HOUR)
    assert (found.state, found.due_by, found.lag_seconds) == (state, due_by, published_hours_ago * 3600)
    assert found.silent_stages == [] and found.alarming == (state == "late")


def test_expected_data_that_never_came_is_never_and_no_interval_is_no_expectation() -> None:
    assert judge(contract(DAILY), {}, NOW, HOUR).state == "never"
    assert judge(contract(), {"catalog": NOW - 90 * 24 * HOUR}, NOW, HOUR).state == "no_expectation"


def test_a_stage_that_does_not_follow_its_input_is_silent() -> None:
    beats = {"ingest": NOW - 3 * HOUR, "transform": NOW - 5 * HOUR, "catalog": NOW - 5 * HOUR}
    found = judge(contract(), beats, NOW, HOUR)
    assert found.silent_stages == ["transform", "quality"] and found.alarming
    recent = {"ingest": NOW - timedelta(minutes=10), "transform": NOW - 5 * HOUR}
    # the transform is not silent: its input arrived 10 minutes ago, it may be in flight
    assert judge(contract(), recent, NOW, HOUR).silent_stages == ["catalog", "quality"]


def test_an_audited_dataset_whose_batches_are_held_is_not_a_silent_catalog() -> None:
    audited = contract(quality={"mode": "audit_before_publish", "rules": ["RowCount > 0"]})
    beats = {"ingest": NOW - 5 * HOUR, "transform": NOW - 5 * HOUR, "quality": NOW - 5 * HOUR}
    assert judge(audited, beats, NOW, HOUR).silent_stages == []
