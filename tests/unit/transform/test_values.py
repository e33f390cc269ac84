"""Value conversion: every type, Brazilian conventions, and every refusal with its reason."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest

from cornlake.contracts import FormatSpec, parse_contract
from cornlake.datatypes import parse_type
from cornlake.transform.rowpath import RowConverter
from cornlake.transform.values import ConversionError, build_converter

ISO = FormatSpec(type="jsonl")
BR = FormatSpec(
    type="csv",
    delimiter=";",
    decimal=",",
    thousands=".",
    date_format="%d/%m/%Y",
    timestamp_formats=("%d/%m/%Y %H:%M:%S",),
    timezone="America/Sao_Paulo",
)


def convert(type_text: str, value: Any, spec: FormatSpec = ISO) -> Any:
    return build_converter(parse_type(type_text), spec)(value)


@pytest.mark.parametrize(
    ("type_text", "value", "spec", "expected"),
    [
        ("string", "olá", ISO, "olá"),
        ("string", 42, ISO, "42"),
        ("int", "1.234", BR, 1234),
        ("int", 7.0, ISO, 7),
        ("bigint", 2**40, ISO, 2**40),
        ("double", "1.234,5", BR, 1234.5),
        ("double", 3, ISO, 3.0),
        ("decimal(12,2)", "2.424,26", BR, Decimal("2424.26")),
        ("decimal(12,2)", 19.9, ISO, Decimal("19.90")),
        ("boolean", "sim", BR, True),
        ("boolean", "false", ISO, False),
        ("date", "16/10/2026", BR, date(2026, 10, 16)),
        ("date", "2026-10-16", BR, date(2026, 10, 16)),
        ("timestamp", "2026-11-20T10:00:00-03:00", ISO, datetime(2026, 11, 20, 13, 0, tzinfo=UTC)),
        ("timestamp", "2026-11-20T13:00:00Z", ISO, datetime(2026, 11, 20, 13, 0, tzinfo=UTC)),
        ("timestamp", 1795694400000, ISO, datetime(2026, 11, 26, 12, 0, tzinfo=UTC)),
        ("timestamp", 1795694400, ISO, datetime(2026, 11, 26, 12, 0, tzinfo=UTC)),
        ("timestamp", "1795694400000", ISO, datetime(2026, 11, 26, 12, 0, tzinfo=UTC)),
        ("timestamp", "20/11/2026 10:00:00", BR, datetime(2026, 11, 20, 13, 0, tzinfo=UTC)),
        ("timestamp", "2026-11-20 10:00:00", BR, datetime(2026, 11, 20, 13, 0, tzinfo=UTC)),
        ("array<int>", [1, None, 3], ISO, [1, None, 3]),
        ("struct<os:string,w:int>", {"os": "ios", "w": 390, "x": 1}, ISO, {"os": "ios", "w": 390}),
    ],
)
def test_values_convert_to_their_declared_type(
    type_text: str, value: Any, spec: FormatSpec, expected: Any
) -> None:
    assert convert(type_text, value, spec) == expected


@pytest.mark.parametrize(
    ("type_text", "value", "reason"),
    [
        ("int", 2**31, "out of range for int"),
        ("bigint", 2**63, "out of range for bigint"),
        ("int", 1.5, "expected an integer"),
        ("int", True, "got boolean"),
        ("int", "doze", "expected an integer"),
        ("double", "NaN", "not a finite number"),
        ("double", {"a": 1}, "got object"),
        ("decimal(5,2)", "1.234", "more than 2 decimal places"),
        ("decimal(5,2)", "12345.6", "more than 3 integer digits"),
        ("boolean", "talvez", "expected a boolean"),
        ("date", "31/02/2026", "expected a date"),
        ("timestamp", "ontem", "expected a timestamp"),
        ("array<int>", "1,2", "expected an array"),
        ("struct<w:int>", {"w": "wide"}, "field 'w': expected an integer"),
        ("string", [1], "expected a string, got array"),
    ],
)
def test_values_that_do_not_fit_are_refused_with_a_reason(type_text: str, value: Any, reason: str) -> None:
    spec = BR if type_text == "date" else ISO
    with pytest.raises(ConversionError, match=reason):
        convert(type_text, value, spec)


def _contract(new_columns: str = "discard") -> Any:
    return parse_contract(
        {
            "source": "s",
            "dataset": "d",
            "description": "x",
            "owner": "o",
            "format": {"type": "csv", "null_values": ["", "-"]},
            "columns": [
                {"name": "id", "type": "int", "nullable": False},
                {"name": "cidade", "type": "string", "source_name": "Município"},
            ],
            "schema_evolution": {"new_columns": new_columns},
        },
        "datasets/s/d.yaml",
    )


def test_row_converter_maps_source_names_and_null_markers() -> None:
    row, problems = RowConverter(_contract()).convert({"id": "3", "Município": "-"})
    assert problems == [] and row == {"id": 3, "cidade": None}


def test_row_converter_reports_every_problem_in_a_row() -> None:
    _, problems = RowConverter(_contract()).convert({"id": "", "Município": 5.5})
    assert [(p.column, p.reason) for p in problems] == [("id", "required value is missing")]
    _, problems = RowConverter(_contract()).convert({"id": "x"})
    assert problems[0].column == "id" and problems[0].value == "x"


def test_new_columns_are_discarded_or_frozen_per_contract() -> None:
    loose = RowConverter(_contract("discard"))
    row, problems = loose.convert({"id": 1, "extra": "y"})
    assert problems == [] and "extra" not in row and loose.unexpected_columns == {"extra"}
    strict = RowConverter(_contract("freeze"))
    _, problems = strict.convert({"id": 1, "extra": "y"})
    assert problems[0].column == "extra" and "freeze" in problems[0].reason


def test_fast_strptime_agrees_with_strptime() -> None:
    from cornlake.transform.values import fast_strptime

    parse = fast_strptime("%d/%m/%Y %H:%M:%S")
    assert parse is not None
    for text in ("01/02/2026 03:04:05", "9/1/2026 7:05:00", "31/12/1999 23:59:59"):
        assert parse(text) == datetime.strptime(text, "%d/%m/%Y %H:%M:%S")
    for bad in ("31/02/2026 00:00:00", "01/02/2026", "01-02-2026 03:04:05", "1/2/26 3:04:05"):
        with pytest.raises(ValueError):
            parse(bad)
    assert fast_strptime("%d de %B de %Y") is None  # month names: strptime's job
