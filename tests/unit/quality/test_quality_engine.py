"""Every DQDL rule type, measured with DuckDB on crafted Parquet: each passes on good data,
fails on bad data with the rows counted, and a rule that cannot be evaluated is an error."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import pytest

from cornlake.contracts import Contract, parse_contract
from cornlake.quality.engine import Inputs, Limits, Measure, evaluate

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
COLUMNS = [
    {"name": "id", "type": "bigint"},
    {"name": "uf", "type": "string"},
    {"name": "valor", "type": "decimal(12,2)"},
    {"name": "code", "type": "string"},
    {"name": "sold_at", "type": "timestamp"},
    {"name": "store", "type": "int"},
]
ROWS = """
    (1, 'SP', 10.00, 'ABC', TIMESTAMPTZ '2026-12-01 11:00:00+00', 1),
    (2, 'RJ', -1.00, 'AB',  TIMESTAMPTZ '2026-11-30 10:00:00+00', 2),
    (2, 'XX', 5.50,  'ABCD', TIMESTAMPTZ '2026-12-01 10:30:00+00', 9),
    (3, NULL, NULL,  '',    TIMESTAMPTZ '2026-11-20 00:00:00+00', NULL),
    (NULL, 'MG', 999.99, 'XYZ', NULL, 1)
"""


def contract(
    rules: list[Any], dataset: str = "orders", columns: list[dict[str, Any]] | None = None
) -> Contract:
    return parse_contract(
        {
            "source": "shop",
            "dataset": dataset,
            "description": "d",
            "owner": "o",
            "format": {"type": "jsonl"},
            "columns": columns or COLUMNS,
            "quality": rules,
        },
        f"datasets/shop/{dataset}.yaml",
    )


def parquet(path: Path, select: str) -> Path:
    con = duckdb.connect()
    con.execute(f"COPY ({select}) TO '{path}' (FORMAT parquet)")
    con.close()
    return path


@pytest.fixture
def batch(tmp_path: Path) -> list[Path]:
    names = ", ".join(c["name"] for c in COLUMNS)
    select = (
        "SELECT id::BIGINT AS id, uf, valor::DECIMAL(12,2) AS valor, code, sold_at, store::INT AS store "
        f"FROM (VALUES {ROWS}) t({names})"
    )
    return [parquet(tmp_path / "b0.parquet", select)]


def measure(rule: str, files: list[Path], tmp: Path, **inputs: Any) -> Measure:
    found = evaluate(
        contract([rule]),
        Inputs(files, inputs.get("references", {}), inputs.get("history", {}), now=NOW),
        tmp,
        limits=inputs.get("limits"),
        reference_contracts=inputs.get("reference_contracts"),
    )
    assert len(found) == 1
    return found[0]


@pytest.mark.parametrize(
    ("rule", "outcome", "checked", "failed"),
    [
        ('IsComplete "code"', "passed", 5, 0),
        ('IsComplete "id"', "failed", 5, 1),
        ('Completeness "uf" >= 0.8', "passed", 5, 1),
        ('Completeness "uf" > 0.9', "failed", 5, 1),
        ('IsUnique "uf"', "passed", 4, 0),
        ('IsUnique "id"', "failed", 4, 2),
        ('Uniqueness "id" >= 0.5', "passed", 4, 2),
        ('Uniqueness "id" > 0.5', "failed", 4, 2),
        ('IsPrimaryKey "code"', "passed", 5, 0),
        ('IsPrimaryKey "id"', "failed", 5, 3),
        ('IsPrimaryKey "id" "uf"', "failed", 5, 2),
        ('ColumnValues "uf" in ["SP", "RJ", "XX", "MG", NULL]', "passed", 5, 0),
        ('ColumnValues "uf" in ["SP", "RJ", "MG"]', "failed", 5, 2),
        ('ColumnValues "uf" not in ["XX"]', "failed", 5, 1),
        ('ColumnValues "uf" not in ["AC"]', "passed", 5, 0),
        ('ColumnValues "uf" not in ["XX", NULL]', "failed", 5, 2),
        ('ColumnValues "uf" != "AC"', "passed", 5, 0),
        ('ColumnValues "valor" between -5 and 1000', "failed", 5, 1),
        ('ColumnValues "valor" between -5 and 1000 where "valor IS NOT NULL"', "passed", 4, 0),
        ('ColumnValues "valor" >= 0 with threshold >= 0.6', "passed", 5, 2),
        ('ColumnValues "valor" >= 0 with threshold > 0.6', "failed", 5, 2),
        ('ColumnValues "code" matches "[A-Z]{2,4}"', "failed", 5, 1),
        ('ColumnValues "code" in ["ABC", "AB", "ABCD", "XYZ", EMPTY]', "passed", 5, 0),
        ('ColumnValues "sold_at" > (now() - 2 days)', "failed", 5, 2),
        ('ColumnValues "sold_at" > "2026-11-25"', "failed", 5, 2),
        ('ColumnLength "code" between 2 and 4', "failed", 5, 1),
        ('ColumnLength "code" <= 4', "passed", 5, 0),
        ("RowCount between 1 and 5", "passed", 5, 0),
        ("RowCount > 5", "failed", 5, 5),
        ('RowCount >= 2 where "store = 1"', "passed", 2, 0),
        ('DataFreshness "sold_at" <= 48 hours', "failed", 5, 2),
        ('DataFreshness "sold_at" <= 48 hours with threshold >= 0.6', "passed", 5, 2),
        ('DataFreshness "sold_at" <= 30 days where "sold_at IS NOT NULL"', "passed", 4, 0),
        ('CustomSql "SELECT count(*) FROM primary WHERE valor < 0" = 0', "failed", 0, 0),
        ('CustomSql "SELECT count(*) FROM primary WHERE valor < -10" = 0', "passed", 0, 0),
        ('CustomSql "SELECT max(valor) < 1000 FROM primary"', "passed", 0, 0),
        ('CustomSql "SELECT bool_and(valor > 0) FROM primary"', "failed", 0, 1),
    ],
)
def test_each_rule_type_passes_and_fails_on_crafted_data(
    rule: str, outcome: str, checked: int, failed: int, batch: list[Path], tmp_path: Path
) -> None:
    found = measure(rule, batch, tmp_path)
    assert (found.outcome, found.rows_checked, found.rows_failed) == (outcome, checked, failed), (
        found.observed
    )
    assert found.observed


def test_referential_integrity_against_another_datasets_files(batch: list[Path], tmp_path: Path) -> None:
    stores_columns = [{"name": "store_id", "type": "int"}, {"name": "name", "type": "string"}]
    stores = contract([], dataset="stores", columns=stores_columns)
    ref = parquet(tmp_path / "stores.parquet", "SELECT * FROM (VALUES (1, 'a'), (2, 'b')) t(store_id, name)")
    kwargs = {"references": {"shop_stores": [ref]}, "reference_contracts": {"shop_stores": stores}}
    full = measure('ReferentialIntegrity "store" "shop_stores.store_id" = 1.0', batch, tmp_path, **kwargs)
    assert (full.outcome, full.rows_checked, full.rows_failed) == ("failed", 4, 1)
    assert "1 of 4 values of store are not in shop_stores.store_id" in full.observed
    most = measure('ReferentialIntegrity "store" "shop_stores.store_id" >= 0.75', batch, tmp_path, **kwargs)
    assert most.outcome == "passed" and most.value == 0.75
    empty = measure(
        'ReferentialIntegrity "store" "shop_stores.store_id"',
        batch,
        tmp_path,
        references={"shop_stores": []},
        reference_contracts={"shop_stores": stores},
    )
    assert empty.outcome == "failed" and empty.rows_failed == 4
    too_big = measure(
        'ReferentialIntegrity "store" "shop_stores.store_id"',
        batch,
        tmp_path,
        references={"shop_stores": "the reference table shop_stores holds 900 MiB"},
        reference_contracts={"shop_stores": stores},
    )
    assert too_big.outcome == "error" and "900 MiB" in too_big.observed


def test_row_count_relative_to_the_last_batches(batch: list[Path], tmp_path: Path) -> None:
    rule = "RowCount > avg(last(3)) * 0.5"
    first = measure(rule, batch, tmp_path)
    assert first.outcome == "passed" and "no earlier batches yet" in first.observed
    steady = measure(rule, batch, tmp_path, history={rule: [6.0, 8.0, 10.0]})
    assert steady.outcome == "passed" and "from 3 earlier batches" in steady.observed
    drop = measure(rule, batch, tmp_path, history={rule: [100.0, 20.0, 10.0, 12.0]})
    assert drop.outcome == "failed" and drop.value == 5.0 and drop.rows_failed == 5


def test_a_rule_that_cannot_finish_or_run_is_an_error_never_a_pass(batch: list[Path], tmp_path: Path) -> None:
    slow = (
        'CustomSql "WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r WHERE n < 10000000000) '
        'SELECT count(*) FROM r, primary" = 0'
    )
    late = measure(slow, batch, tmp_path, limits=Limits(timeout_s=0.5))
    assert late.outcome == "error" and "did not finish within 0.5 s" in late.observed
    broken = measure('CustomSql "SELECT CAST(code AS INTEGER) FROM primary" = 0', batch, tmp_path)
    assert broken.outcome == "error" and "could not be evaluated" in broken.observed
    wide = measure('CustomSql "SELECT 1, 2 FROM primary"', batch, tmp_path)
    assert wide.outcome == "error" and "2 columns" in wide.observed
    unjudged = measure('CustomSql "SELECT count(*) FROM primary"', batch, tmp_path)
    assert unjudged.outcome == "error" and "add a comparison" in unjudged.observed


def test_one_bad_rule_leaves_the_others_measured(batch: list[Path], tmp_path: Path) -> None:
    rules = [
        'IsComplete "id"',
        'ColumnValues "uf" in ["SP"] where "CAST(code AS INTEGER) > 0"',
        "RowCount > 1",
    ]
    found = evaluate(contract(rules), Inputs(batch, {}, {}, now=NOW), tmp_path)
    assert [m.outcome for m in found] == ["failed", "error", "passed"]


def test_an_empty_batch_has_no_rows_to_break_a_column_rule(tmp_path: Path) -> None:
    rules = ['IsComplete "id"', 'ColumnValues "uf" in ["SP"]', 'IsUnique "id"', "RowCount >= 1"]
    found = evaluate(contract(rules), Inputs([], {}, {}, now=NOW), tmp_path)
    assert [(m.outcome, m.rows_checked) for m in found] == [
        ("passed", 0),
        ("passed", 0),
        ("passed", 0),
        ("failed", 0),
    ]


def test_files_of_an_older_schema_read_the_new_column_as_null(batch: list[Path], tmp_path: Path) -> None:
    old = parquet(tmp_path / "old.parquet", "SELECT 7::BIGINT AS id, 'SP' AS uf")
    rules = ['IsComplete "code"', "RowCount = 6"]
    found = evaluate(contract(rules), Inputs([*batch, old], {}, {}, now=NOW), tmp_path)
    assert [(m.outcome, m.rows_failed) for m in found] == [("failed", 1), ("passed", 0)]
