from __future__ import annotations

import pytest

from cornlake.datatypes import TypeSyntaxError, parse_type


@pytest.mark.parametrize(
    "text",
    [
        "string",
        "int",
        "bigint",
        "double",
        "boolean",
        "date",
        "timestamp",
        "decimal(12,2)",
        "array<string>",
        "struct<a:int,b:array<struct<c:string>>>",
    ],
)
def test_types_round_trip_to_glue_text(text: str) -> None:
    assert parse_type(text).glue() == text


def test_whitespace_and_case_are_normalised() -> None:
    assert parse_type(" Decimal( 10 , 3 ) ").glue() == "decimal(10,3)"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("varchar", "unknown type"),
        ("decimal(2,3)", "s <= p"),
        ("struct<a>", "expected name:type"),
        ("array<int", "unclosed"),
        ("decimal(12", "unclosed .\\(. in .decimal\\(12."),
        ("intx", "unknown type"),
    ],
)
def test_bad_types_say_what_was_expected(text: str, message: str) -> None:
    with pytest.raises(TypeSyntaxError, match=message):
        parse_type(text)
