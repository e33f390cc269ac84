"""The key convention: builds, parses back, and refuses unsafe names."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from cornlake import keys
from cornlake.errors import UnsafeNameError


def test_raw_key_round_trips_through_an_s3_event_encoding() -> None:
    key = keys.raw_key("erp", "vendas", "20261120T120000Z-0123456789ab", "vendas-nov.csv")
    text = str(key)
    assert (
        text
        == "source=erp/dataset=vendas/ingest_date=2026-11-20/20261120T120000Z-0123456789ab-vendas-nov.csv"
    )
    encoded = text.replace("=", "%3D")  # S3 notifications URL-encode keys
    assert keys.parse_raw_key(encoded) == key


def test_curated_quarantine_and_ops_keys_are_hive_style() -> None:
    assert (
        keys.curated_key("app", "events", {"event_date": "2026-11-20"}, "20261120T120000Z-0123456789ab")
        == "tables/app/events/event_date=2026-11-20/part-20261120T120000Z-0123456789ab.parquet"
    )
    assert (
        keys.quarantine_key("app", "events", date(2026, 11, 20), "20261120T120000Z-0123456789ab")
        == "source=app/dataset=events/ingest_date=2026-11-20/20261120T120000Z-0123456789ab.jsonl"
    )
    assert (
        keys.ops_key("runs", date(2026, 11, 20), "transform", "r1")
        == "runs/run_date=2026-11-20/transform-r1.json"
    )


@pytest.mark.parametrize("name", ["", "Vendas", "ven das", "vendas/2026", "..", "a" * 64, "1abc", "ação"])
def test_unsafe_source_and_dataset_names_are_refused(name: str) -> None:
    with pytest.raises(UnsafeNameError) as caught:
        keys.validate_name("dataset", name)
    assert caught.value.status == 400
    assert "lowercase letters" in caught.value.message


@pytest.mark.parametrize("name", ["../x.csv", "a/b.csv", ".hidden", "x..csv", "a b.csv", "x" * 201, "é.csv"])
def test_unsafe_file_names_are_refused(name: str) -> None:
    with pytest.raises(UnsafeNameError, match="not a safe name"):
        keys.validate_file_name(name)


def test_landing_key_needs_exactly_source_dataset_file() -> None:
    assert keys.parse_landing_key("erp/vendas/a.csv") == keys.LandingKey("erp", "vendas", "a.csv")
    for bad in ("erp/a.csv", "erp/vendas/2026/a.csv", "ERP/vendas/a.csv"):
        with pytest.raises(UnsafeNameError):
            keys.parse_landing_key(bad)


def test_derived_ingest_id_is_stable_for_the_same_object_and_differs_otherwise() -> None:
    when = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
    first = keys.derived_ingest_id(when, "landing", "erp/vendas/a.csv", "etag1")
    assert first == keys.derived_ingest_id(when, "landing", "erp/vendas/a.csv", "etag1")
    assert first != keys.derived_ingest_id(when, "landing", "erp/vendas/a.csv", "etag2")
    assert keys.INGEST_ID_RE.match(first)
    assert keys.ingest_id_time(first) == when


def test_raw_key_parse_rejects_foreign_layouts() -> None:
    with pytest.raises(UnsafeNameError, match="raw key"):
        keys.parse_raw_key("uploads/vendas.csv")
