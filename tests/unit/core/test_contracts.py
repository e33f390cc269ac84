"""Dataset contracts: the shipped ones load, and every kind of mistake names file, field, expectation."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from cornlake.contracts import ContractRegistry, load_contract, parse_contract
from cornlake.errors import ContractError, UnknownDatasetError, UnsafeNameError
from helpers import DATASETS


def minimal(**overrides: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "source": "shop",
        "dataset": "orders",
        "description": "Orders",
        "owner": "team@example.com",
        "format": {"type": "jsonl"},
        "columns": [
            {"name": "order_id", "type": "bigint", "nullable": False},
            {"name": "placed", "type": "date"},
        ],
    }
    doc.update(overrides)
    return doc


def test_shipped_contracts_load_with_their_details() -> None:
    registry = ContractRegistry.from_directory(DATASETS)
    assert registry.names() == ["app/events", "erp/vendas", "ref/lojas"]
    vendas = registry.get("erp", "vendas")
    assert (
        vendas.format.delimiter == ";"
        and vendas.format.decimal == ","
        and vendas.format.encoding == "latin-1"
    )
    assert vendas.column("municipio").source_name == "Município"
    assert vendas.column("valor_total").type.glue() == "decimal(14,2)"
    assert vendas.partitioning.name == "mes_venda" and vendas.partitioning.granularity == "month"
    events = registry.get("app", "events")
    assert events.column("device").type.glue() == "struct<os:string,app_version:string,screen_width:int>"
    assert events.column("user_email").pii is True
    assert [r.type for r in events.quality] == [
        "IsComplete",
        "IsUnique",
        "ColumnValues",
        "ColumnValues",
        "RowCount",
    ]
    assert events.quality[3].severity == "warn" and events.quality[3].where == "amount IS NOT NULL"


@pytest.mark.parametrize(
    ("change", "field", "expected"),
    [
        ({"source": None}, "source", "the field is required"),
        ({"source": "Shop"}, "source", "lowercase letters"),
        ({"dataset": "../etc"}, "dataset", "lowercase letters"),
        ({"owner": 7}, "owner", "a str"),
        ({"format": {"type": "xml"}}, "format.type", "one of jsonl, json_array, csv"),
        ({"format": {"type": "csv", "delimiter": ";;"}}, "format.delimiter", "a single character"),
        ({"format": {"type": "csv", "encoding": "ebcdic"}}, "format.encoding", "one of utf-8"),
        ({"format": {"type": "csv", "timezone": "Mars/Olympus"}}, "format.timezone", "IANA time zone"),
        ({"columns": []}, "columns", "a non-empty list"),
        ({"columns": [{"name": "a", "type": "varchar(3)"}]}, "columns[0].type", "unknown type"),
        ({"columns": [{"name": "a", "type": "decimal(40,2)"}]}, "columns[0].type", "1 <= p <= 38"),
        ({"columns": [{"name": "_a", "type": "int"}]}, "columns[0].name", "starting with a letter"),
        ({"columns": [{"name": "a", "type": "int"}, {"name": "a", "type": "int"}]}, "columns", "unique"),
        ({"columns": [{"name": "a", "type": "int", "colour": "red"}]}, "columns[0].colour", "known fields"),
        ({"primary_key": ["nope"]}, "primary_key", "names of columns"),
        (
            {"partitioning": {"by": "column", "column": "order_id"}},
            "partitioning.column",
            "date or timestamp",
        ),
        (
            {"quality": [{"check": "not_null", "column": "ghost"}]},
            "quality[0].column",
            "a column of this dataset",
        ),
        ({"quality": [{"check": "range", "column": "order_id"}]}, "quality[0].min", "min and/or max"),
        ({"quality": [{"check": "sometimes"}]}, "quality[0].check", "one of not_null"),
        (
            {"schema_evolution": {"new_columns": "maybe"}},
            "schema_evolution.new_columns",
            "discard, freeze, evolve",
        ),
        ({"extra_top_level": 1}, "extra_top_level", "known fields"),
    ],
)
def test_invalid_contract_names_file_field_and_expectation(
    change: dict[str, Any], field: str, expected: str
) -> None:
    doc = minimal(**change)
    if change.get("source", "x") is None:
        doc.pop("source")
    with pytest.raises(ContractError) as caught:
        parse_contract(doc, "datasets/shop/orders.yaml")
    assert caught.value.field == field
    assert caught.value.path == "datasets/shop/orders.yaml"
    assert expected in str(caught.value)
    assert caught.value.hint


def test_contract_file_must_match_its_path(tmp_path: Path) -> None:
    folder = tmp_path / "shop"
    folder.mkdir()
    (folder / "sales.yaml").write_text(yaml.safe_dump(minimal()))
    with pytest.raises(ContractError, match="shop/sales to match the file's path"):
        load_contract(folder / "sales.yaml")


def test_broken_yaml_is_reported_with_the_file_and_line_and_hides_no_other_dataset(tmp_path: Path) -> None:
    # GIVEN one good contract and one whose YAML does not parse
    (tmp_path / "shop").mkdir()
    (tmp_path / "shop" / "sales.yaml").write_text(yaml.safe_dump(minimal(dataset="sales")))
    (tmp_path / "shop" / "orders.yaml").write_text("source: shop\ndataset: [unclosed\n")
    # WHEN the folder is loaded
    contracts = ContractRegistry.from_directory(tmp_path)
    # THEN the good one works and the broken one answers with its file, line and problem
    assert contracts.names() == ["shop/sales"] and contracts.knows("shop", "orders")
    with pytest.raises(
        ContractError, match=r"orders.yaml:3: field '\(file\)' is invalid: expected valid YAML"
    ):
        contracts.get("shop", "orders")


def test_an_unquoted_decimal_in_a_flow_mapping_names_its_line_and_says_to_quote(tmp_path: Path) -> None:
    text = yaml.safe_dump(minimal(dataset="sales"), sort_keys=False).replace(
        "- name: order_id\n  type: bigint\n  nullable: false",
        "- {name: order_id, type: decimal(12,2), nullable: false}",
    )
    assert "type: decimal(12,2)," in text
    (tmp_path / "shop").mkdir()
    (tmp_path / "shop" / "sales.yaml").write_text(text)
    with pytest.raises(ContractError) as caught:
        load_contract(tmp_path / "shop" / "sales.yaml")
    line = next(n for n, t in enumerate(text.splitlines(), start=1) if "decimal(12" in t)
    assert caught.value.line == line and f"sales.yaml:{line}:" in caught.value.message
    assert "quote the value" in caught.value.hint and "'decimal(12,2)'" in caught.value.hint


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"format": {"type": "xml"}}, "format.type"),
        ({"quality": [{"check": "freshness", "column": "id"}]}, "quality[0].check"),
    ],
)
def test_an_unknown_format_or_check_is_refused_when_the_contract_loads(
    change: dict[str, Any], field: str
) -> None:
    with pytest.raises(ContractError) as caught:
        parse_contract(minimal(**change), "datasets/shop/orders.yaml")
    assert caught.value.field == field and "expected one of" in caught.value.message


@pytest.mark.parametrize(
    ("change", "field", "expected"),
    [
        ({"duplicates_across_files": "latest_view"}, "duplicates_across_files", "a primary_key"),
        ({"duplicates_across_files": "newest"}, "duplicates_across_files", "one of keep_all, latest_view"),
        ({"producers": []}, "producers", "a non-empty list"),
        (
            {"producers": [{"iam": "arn:aws:iam::1:role/a", "api_key": "k"}]},
            "producers[0].(entry)",
            "exactly one of",
        ),
        ({"producers": [{"email": "a@b"}]}, "producers[0].email", "one of the known fields"),
    ],
)
def test_producers_and_the_across_files_choice_are_checked(
    change: dict[str, Any], field: str, expected: str
) -> None:
    with pytest.raises(ContractError) as caught:
        parse_contract(minimal(**change), "datasets/shop/orders.yaml")
    assert caught.value.field == field and expected in caught.value.message


def test_every_contract_format_and_rule_type_has_its_implementation() -> None:
    from cornlake.contracts import FORMATS
    from cornlake.dqdl import RULE_TYPES
    from cornlake.quality import sql
    from cornlake.transform.formats import REGISTRY

    assert set(REGISTRY) == set(FORMATS)
    assert set(RULE_TYPES) == {*sql.SCANNED, *sql.GROUPED, "ReferentialIntegrity", "CustomSql"}


def test_registry_refuses_two_contracts_with_one_table_name() -> None:
    first = parse_contract(minimal(source="a_b", dataset="c"), "datasets/a_b/c.yaml")
    second = parse_contract(minimal(source="a", dataset="b_c"), "datasets/a/b_c.yaml")
    with pytest.raises(ContractError, match="a table name not already used"):
        ContractRegistry([first, second])


def test_unknown_dataset_is_a_404_listing_known_ones() -> None:
    registry = ContractRegistry.from_directory(DATASETS)
    with pytest.raises(UnknownDatasetError) as caught:
        registry.get("app", "nope")
    assert caught.value.status == 404
    assert "app/events" in caught.value.hint


def test_unsafe_lookup_is_refused_before_any_lookup() -> None:
    registry = ContractRegistry.from_directory(DATASETS)
    with pytest.raises(UnsafeNameError) as caught:
        registry.get("app", "../../etc")
    assert caught.value.status == 400


@pytest.mark.parametrize(
    ("rule", "expected"),
    [
        ('IsComplete "ghost"', "a column of this dataset (order_id, placed) in IsComplete, got 'ghost'"),
        ('Freshness "order_id"', "a rule type (IsComplete"),
        ('Completeness "order_id" >= "most"', "a number for Completeness's comparison"),
        ('CustomSql "DROP TABLE primary" = 0', "one SELECT statement for CustomSql"),
        ('CustomSql "SELECT 1; SELECT 2" = 0', "one SELECT statement for CustomSql"),
        ('IsComplete "order_id" where "nope = 1"', "columns of this dataset in 'where'"),
    ],
)
def test_a_bad_rule_is_refused_when_the_contract_loads_naming_file_and_rule(rule: str, expected: str) -> None:
    with pytest.raises(ContractError) as caught:
        parse_contract(minimal(quality=["RowCount >= 1", rule]), "datasets/shop/orders.yaml")
    assert caught.value.field == "quality[1].rule"
    assert caught.value.message.startswith("datasets/shop/orders.yaml")
    assert expected in caught.value.message


def test_rules_come_as_dqdl_strings_a_glue_ruleset_or_with_a_mode() -> None:
    listed = parse_contract(
        minimal(quality=['IsComplete "order_id"', {"rule": "RowCount >= 1", "severity": "warn"}]), "x.yaml"
    )
    assert [(r.text, r.severity) for r in listed.quality] == [
        ('IsComplete "order_id"', "error"),
        ("RowCount >= 1", "warn"),
    ]
    assert listed.quality_mode == "check_after_publish" and not listed.audited
    ruleset = parse_contract(
        minimal(
            quality={"mode": "audit_before_publish", "rules": 'Rules = [ IsUnique "order_id", RowCount > 0 ]'}
        ),
        "x.yaml",
    )
    assert [r.type for r in ruleset.quality] == ["IsUnique", "RowCount"] and ruleset.audited
    with pytest.raises(ContractError, match="one of check_after_publish, audit_before_publish"):
        parse_contract(minimal(quality={"mode": "later", "rules": []}), "x.yaml")


def test_a_reference_to_a_dataset_or_column_nobody_has_breaks_only_that_contract() -> None:
    stores = parse_contract(minimal(source="ref", dataset="stores"), "datasets/ref/stores.yaml")
    good = parse_contract(
        minimal(quality=['ReferentialIntegrity "order_id" "ref_stores.order_id" = 1.0']),
        "datasets/shop/orders.yaml",
    )
    ghost = parse_contract(
        minimal(dataset="returns", quality=['ReferentialIntegrity "order_id" "ref_shops.id"']),
        "datasets/shop/returns.yaml",
    )
    bad_column = parse_contract(
        minimal(dataset="refunds", quality=['ReferentialIntegrity "order_id" "ref_stores.ghost"']),
        "datasets/shop/refunds.yaml",
    )
    registry = ContractRegistry([stores, good, ghost, bad_column])
    assert registry.names() == ["ref/stores", "shop/orders"]
    with pytest.raises(ContractError) as caught:
        registry.get("shop", "returns")
    assert caught.value.field == "quality[0].rule" and "ref_stores, shop_orders" in caught.value.message
    assert caught.value.message.startswith("datasets/shop/returns.yaml")
    with pytest.raises(ContractError, match="a column of ref_stores"):
        registry.get("shop", "refunds")
