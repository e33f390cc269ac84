"""A model's rows as the lake stores them: Glue types, partitions, row hashes; and a Python model
held to its sidecar."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

from cornlake.modeling import ModelError, load_project
from cornlake.modeling.output import (
    NULL_PARTITION,
    as_typed,
    content_hash,
    glue_type,
    model_table,
    normalize,
    split,
)
from cornlake.modeling.runner import compute


def test_arrow_types_become_the_glue_types_a_dataset_uses() -> None:
    schema = pa.schema(
        [
            ("a", pa.int64()),
            ("b", pa.int32()),
            ("c", pa.float64()),
            ("d", pa.decimal128(38, 2)),
            ("e", pa.date32()),
            ("f", pa.timestamp("us", tz="UTC")),
            ("g", pa.bool_()),
            ("h", pa.list_(pa.string())),
            ("i", pa.struct([("os", pa.string()), ("w", pa.int32())])),
            ("j", pa.large_string()),
        ]
    )
    assert [glue_type(f.type) for f in schema] == [
        "bigint", "int", "double", "decimal(38,2)", "date", "timestamp", "boolean",
        "array<string>", "struct<os:string,w:int>", "string",
    ]  # fmt: skip
    table = normalize(pa.table({"u": pa.array([1], pa.uint32()), "t": pa.array(["x"], pa.large_string())}))
    assert table.schema.types == [pa.int64(), pa.string()]


def test_a_sum_duckdb_widened_to_hugeint_is_bigint_again_as_on_athena() -> None:
    table = pa.table(
        {"n": pa.array([Decimal(3)], pa.decimal128(38, 0)), "d": pa.array([Decimal(3)], pa.decimal128(38, 0))}
    )
    typed = as_typed(table, {"n": "bigint", "d": "decimal(38,0)"})
    assert typed.schema.types == [pa.int64(), pa.decimal128(38, 0)] and typed.column("n").to_pylist() == [3]


def test_rows_split_into_partitions_without_the_partition_column_and_nulls_get_hives_name() -> None:
    table = pa.table({"uf": ["SP", "RJ", None, "SP"], "v": [1, 2, 3, 4]})
    parts = split(table, "uf")
    assert list(parts) == ["RJ", "SP", NULL_PARTITION]
    assert parts["SP"].to_pydict() == {"v": [1, 4]} and parts[NULL_PARTITION].to_pydict() == {"v": [3]}
    assert split(table, "") == {"": table}


def test_the_same_rows_hash_the_same_in_any_order_and_a_change_changes_it() -> None:
    a = pa.table({"d": [date(2026, 11, 1), date(2026, 11, 2)], "v": [Decimal("1.50"), Decimal("2.00")]})
    b = pa.table({"d": [date(2026, 11, 2), date(2026, 11, 1)], "v": [Decimal("2.00"), Decimal("1.50")]})
    c = pa.table({"d": [date(2026, 11, 2), date(2026, 11, 1)], "v": [Decimal("2.01"), Decimal("1.50")]})
    assert content_hash(a) == content_hash(b) != content_hash(c)


def test_a_model_table_is_described_like_a_dataset_table() -> None:
    model = load_project().get("vendas_por_uf")
    columns = [("id_venda", "bigint"), ("valor_total", "decimal(14,2)"), ("uf", "string")]
    table = model_table(model, columns, "curated-bucket", {"cornlake.row_count": "3"})
    assert table["Name"] == "vendas_por_uf" and table["Owner"] == model.owner
    assert [c["Name"] for c in table["StorageDescriptor"]["Columns"]] == ["id_venda", "valor_total"]
    assert table["PartitionKeys"] == [
        {"Name": "uf", "Type": "string", "Comment": "Unidade federativa (sigla), a partição"}
    ]
    assert table["StorageDescriptor"]["Location"] == "s3://curated-bucket/tables/models/vendas_por_uf/"
    assert table["Parameters"]["cornlake.materialization"] == "incremental"
    assert (
        table["Parameters"]["cornlake.row_count"] == "3"
        and table["Parameters"]["cornlake.source"] == "models"
    )


class Inputs:
    """An engine that hands a Python model fixed input tables."""

    def __init__(self, tables: dict[str, pa.Table]) -> None:
        self.tables = tables

    def select(self, model: Any) -> pa.Table:
        raise AssertionError("a Python model runs no SQL")

    def read(self, table: str) -> pa.Table:
        return self.tables[table]


SIDECAR = (
    "description: d\nowner: o\ncolumns:\n  - name: uf\n    type: string\n  - name: n\n    type: bigint\n"
)


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("    return vendas_diarias_uf\n", "model() returned columns"),
        ("    return pa.table({'uf': ['SP'], 'n': pa.array([1], pa.int32())})\n", "returned column n as int"),
        ("    return 42\n", "model() returned int, not a pyarrow Table"),
    ],
)
def test_a_python_model_must_return_the_columns_and_types_its_sidecar_declares(
    tmp_path: Path, body: str, expected: str
) -> None:
    (tmp_path / "m.py").write_text(f"import pyarrow as pa\n\n\ndef model(vendas_diarias_uf):\n{body}")
    (tmp_path / "m.yml").write_text(SIDECAR)
    (tmp_path / "vendas_diarias_uf.sql").write_text("SELECT uf FROM erp_vendas")
    (tmp_path / "vendas_diarias_uf.yml").write_text("description: d\nowner: o\n")
    model = load_project(tmp_path).get("m")
    engine = Inputs({"vendas_diarias_uf": pa.table({"uf": ["SP"]})})
    with pytest.raises(ModelError) as caught:
        compute(model, engine)
    assert caught.value.message.startswith(str(tmp_path / "m.py")) and expected in caught.value.message


def test_a_python_model_gets_its_inputs_by_name_and_gives_back_its_metadata(tmp_path: Path) -> None:
    body = "    return pa.table({'n': pa.array([t.num_rows], pa.int64()), 'uf': ['all']}), {'window': 7}\n"
    (tmp_path / "m.py").write_text(
        f"import pyarrow as pa\n\n\ndef model(erp_vendas):\n    t = erp_vendas\n{body}"
    )
    (tmp_path / "m.yml").write_text(SIDECAR)
    table, metadata = compute(
        load_project(tmp_path).get("m"), Inputs({"erp_vendas": pa.table({"x": [1, 2, 3]})})
    )
    assert table.to_pydict() == {"uf": ["all"], "n": [3]} and metadata == {"window": "7"}
