"""Values written as Athena writes them, and DuckDB's answers in Athena's shapes."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, timezone
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from cornlake_toolkit.sql import LocalSqlEngine
from cornlake_toolkit.sql.fetch import parse_zone
from cornlake_toolkit.sql.result import YearMonthInterval, athena_text, display_rows, java_double, java_real


@pytest.mark.parametrize(
    ("value", "type_name", "text"),
    [
        (datetime(2026, 11, 20, 10), "timestamp(3)", "2026-11-20 10:00:00.000"),
        (datetime(2026, 11, 20, 10), "", "2026-11-20 10:00:00.000"),
        (datetime(2026, 11, 20, 10, 0, 0, 123456), "", "2026-11-20 10:00:00.123456"),
        (datetime(2026, 11, 20, 10), "timestamp(0)", "2026-11-20 10:00:00"),
        (
            datetime(2026, 11, 20, 10, tzinfo=UTC),
            "timestamp(3) with time zone",
            "2026-11-20 10:00:00.000 UTC",
        ),
        (
            datetime(2026, 11, 20, 7, tzinfo=ZoneInfo("America/Sao_Paulo")),
            "",
            "2026-11-20 07:00:00.000 America/Sao_Paulo",
        ),
        (
            datetime(2026, 11, 20, 7, tzinfo=timezone(timedelta(hours=-8, minutes=-30))),
            "",
            "2026-11-20 07:00:00.000 -08:30",
        ),
        (date(2026, 11, 20), "date", "2026-11-20"),
        (time(1, 2, 3), "time(3)", "01:02:03.000"),
        (timedelta(days=2, hours=3), "interval day to second", "2 03:00:00.000"),
        (YearMonthInterval(41), "interval year to month", "3-5"),
        (Decimal("1.50"), "decimal(3,2)", "1.50"),
        (Decimal("0E-10"), "decimal(20,10)", "0.0000000000"),
        (True, "boolean", "true"),
        (b"he", "varbinary", "68 65"),
        ([1, None, 3], "array(integer)", "[1, null, 3]"),
        ({"a": 1}, "map(varchar, integer)", "{a=1}"),
        ((1, "x"), "row(integer, varchar)", "{1, x}"),
        (None, "varchar", None),
    ],
)
def test_values_are_written_as_athena_writes_them(value: object, type_name: str, text: str | None) -> None:
    assert athena_text(value, type_name) == text


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (1e10, "1.0E10"),
        (3.5, "3.5"),
        (0.001, "0.001"),
        (1e-4, "1.0E-4"),
        (1234567.0, "1234567.0"),
        (12345678.9, "1.23456789E7"),
        (-0.0, "-0.0"),
        (float("nan"), "NaN"),
        (float("-inf"), "-Infinity"),
    ],
)
def test_doubles_are_written_as_java_writes_them(value: float, text: str) -> None:
    assert java_double(value) == text


def test_reals_are_written_with_the_digits_a_real_has() -> None:
    assert java_real(1.100000023841858) == "1.1"


def test_tables_keep_numbers_as_numbers_and_write_the_rest() -> None:
    rows = display_rows(
        [(1, Decimal("2.50"), 0.5, datetime(2026, 1, 1), None)],
        ("integer", "decimal(3,2)", "double", "timestamp(3)", "varchar"),
    )
    assert rows == [(1, Decimal("2.50"), "0.5", "2026-01-01 00:00:00.000", None)]


@pytest.mark.parametrize(
    ("name", "offset"),
    [
        ("UTC", timedelta(0)),
        ("Z", timedelta(0)),
        ("+05:30", timedelta(hours=5, minutes=30)),
        ("GMT-08:30", -timedelta(hours=8, minutes=30)),
        ("-0300", -timedelta(hours=3)),
    ],
)
def test_zone_names_and_offsets(name: str, offset: timedelta) -> None:
    assert parse_zone(name).utcoffset(None) == offset


def test_results_carry_trino_types_zones_and_intervals() -> None:
    with LocalSqlEngine(None, None, "default") as engine:
        result = engine.query(
            "SELECT TIMESTAMP '2024-01-01 12:00:00.000 Europe/Lisbon', INTERVAL '14' MONTH, "
            "DECIMAL '1.50', ROW(1, 'a'), CAST(ROW(1) AS ROW(x BIGINT)), TIMESTAMP '2024-01-01 00:00:00'"
        )
    zoned, months, decimal, row, named, plain = result.rows[0]
    assert zoned.tzinfo == ZoneInfo("Europe/Lisbon") and zoned.hour == 12
    assert months == YearMonthInterval(14) and decimal == Decimal("1.50")
    assert row == (1, "a") and named == {"x": 1} and plain == datetime(2024, 1, 1)
    assert result.types == (
        "timestamp(3) with time zone",
        "interval year to month",
        "decimal(3,2)",
        "row(integer, varchar)",
        "row(x bigint)",
        "timestamp(0)",
    )
    assert result.columns == ["_col0", "_col1", "_col2", "_col3", "_col4", "_col5"]
