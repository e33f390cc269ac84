"""Partition values by ingest date or by an event-time column at day, month or hour."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime

import pytest

from cornlake.contracts import Partitioning, registry

MOMENT = datetime(2026, 11, 20, 17, 45, tzinfo=UTC)


@pytest.mark.parametrize(
    ("granularity", "expected"), [("day", "2026-11-20"), ("month", "2026-11"), ("hour", "2026-11-20-17")]
)
def test_event_time_partitions(granularity: str, expected: str) -> None:
    contract = dataclasses.replace(
        registry().get("app", "events"),
        partitioning=Partitioning("column", "event_time", granularity, f"event_{granularity}"),
    )
    assert contract.partitioning.value({"event_time": MOMENT}, date(2026, 11, 26)) == expected
    assert contract.partitioning.value({"event_time": None}, date(2026, 11, 26)) is None


def test_ingest_date_partitions_ignore_the_row() -> None:
    contract = registry().get("ref", "lojas")
    assert contract.partitioning.value({}, date(2026, 11, 26)) == "2026-11-26"
