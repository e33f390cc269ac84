"""Partition values by ingest date or by an event-time column at day, month or hour."""

from __future__ import annotations

import dataclasses
import io
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from cornlake.contracts import Partitioning, registry
from cornlake.keys import raw_key
from cornlake.transform import ConvertOptions, convert_object

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


@pytest.mark.parametrize("fast_path", [True, False])
def test_a_local_calendar_keeps_an_evening_sale_in_its_own_month(tmp_path: Path, fast_path: bool) -> None:
    # GIVEN a sale at 21:30 on 31 December in São Paulo: already 1 January in UTC
    contract = dataclasses.replace(
        registry().get("app", "events"),
        partitioning=Partitioning(
            "column", "event_time", "month", "event_month", timezone="America/Sao_Paulo"
        ),
    )
    body = (
        b'{"event_id": "e1", "event_type": "purchase", "event_time": "2026-12-31T21:30:00-03:00"}\n'
        b'{"event_id": "e2", "event_type": "purchase", "event_time": "2027-01-01T03:30:00Z"}\n'
    )
    raw = raw_key("app", "events", "20270101T120000Z-0123456789ab", "e.jsonl")
    # WHEN it is converted (by the fast path, and by the row path alone)
    done = convert_object(
        io.BytesIO(body), contract, raw, tmp_path, size=len(body), options=ConvertOptions(fast_path=fast_path)
    )
    # THEN the partitions follow the contract's calendar, not UTC's
    assert sorted(f.partition for f in done.files) == ["2026-12", "2027-01"]
    assert done.rows_out == 2 and (done.fast_path_rows > 0) == fast_path


def test_a_date_column_cannot_take_a_time_zone() -> None:
    from cornlake.contracts import parse_contract
    from cornlake.errors import ContractError

    doc = {
        "source": "shop",
        "dataset": "orders",
        "description": "d",
        "owner": "o",
        "format": {"type": "jsonl"},
        "columns": [{"name": "day", "type": "date"}],
        "partitioning": {"by": "column", "column": "day", "timezone": "America/Sao_Paulo"},
    }
    with pytest.raises(ContractError, match="UTC for a date column"):
        parse_contract(doc, "datasets/shop/orders.yaml")
