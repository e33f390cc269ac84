"""Which type changes between contract versions a table can take."""

from __future__ import annotations

import dataclasses

import pytest

from cornlake.contracts import registry
from cornlake.datatypes import parse_type
from cornlake.schema import incompatible_changes, is_widening


@pytest.mark.parametrize(
    ("old", "new", "ok"),
    [
        ("int", "int", True),
        ("int", "bigint", True),
        ("bigint", "int", False),
        ("decimal(10,2)", "decimal(14,2)", True),
        ("decimal(10,2)", "decimal(10,3)", False),
        ("decimal(14,2)", "decimal(10,2)", False),
        ("string", "int", False),
        ("int", "double", False),
        ("struct<a:int>", "struct<a:int>", True),
    ],
)
def test_only_widenings_are_allowed(old: str, new: str, ok: bool) -> None:
    assert is_widening(parse_type(old), parse_type(new)) is ok


def test_incompatible_changes_name_the_column_and_types() -> None:
    contract = registry().get("ref", "lojas")
    columns = tuple(
        dataclasses.replace(c, type=parse_type("int")) if c.name == "nome" else c for c in contract.columns
    )
    changed = dataclasses.replace(contract, columns=columns, version=2)
    registered = {"loja_id": "int", "nome": "string", "novo": "string"}
    assert incompatible_changes(registered, changed) == [
        "contract v2 changes column 'nome' from string to int, which is not a widening "
        "(allowed: int→bigint, a larger decimal precision)"
    ]
    assert incompatible_changes(registered, contract) == []
