"""A model's rows as the lake stores them: Glue types, partitions, row hashes (DuckDB over the
Parquet the engine left); and a Python model held to its sidecar."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from cornlake.modeling import ModelError, load_project
from cornlake.modeling.output import model_table
from cornlake.modeling.rows import NULL_PARTITION, Rows, content_hash, open_rows, split_files
from cornlake.modeling.runner import compute


def rows_of(tmp_path: Path, sql: str, declared: list[tuple[str, str]] | None = None, name: str = "r") -> Rows:
    """The rows of a DuckDB SELECT, left as Parquet the way an engine leaves them, then opened."""
    path = tmp_path / f"{name}.parquet"
    duckdb.execute(f"COPY ({sql}) TO '{path}' (FORMAT parquet)")
    return open_rows([path], declared or [], tmp_path)


def test_duckdb_types_become_the_glue_types_a_dataset_uses(tmp_path: Path) -> None:
    rows = rows_of(
        tmp_path,
        "SELECT 1::BIGINT a, 1::INTEGER b, 1.5::DOUBLE c, 1.5::DECIMAL(38,2) d, DATE '2026-11-01' e, "
        "TIMESTAMPTZ '2026-11-01 10:00:00+00' f, true g, ['x'] h, {'os': 'a', 'w': 1::INTEGER} i, "
        "1::UINTEGER u, 1.5::FLOAT fl, TIMESTAMP_NS '2026-11-01 10:00:00' ns",
    )
    assert rows.columns == [
        ("a", "bigint"), ("b", "int"), ("c", "double"), ("d", "decimal(38,2)"), ("e", "date"),
        ("f", "timestamp"), ("g", "boolean"), ("h", "array<string>"), ("i", "struct<os:string,w:int>"),
        ("u", "bigint"), ("fl", "double"), ("ns", "timestamp"),
    ]  # fmt: skip
    assert rows.count == 1


def test_a_sum_duckdb_widened_to_hugeint_is_bigint_again_as_on_athena(tmp_path: Path) -> None:
    rows = rows_of(
        tmp_path,
        # as the local engine writes a sum of integers
        "SELECT sum(x)::DECIMAL(38,0) n, sum(x)::DECIMAL(38,0) d FROM range(4) t(x)",
        [("n", "bigint"), ("d", "decimal(38,0)")],
    )
    assert rows.columns == [("n", "bigint"), ("d", "decimal(38,0)")]
    assert rows.con.execute("SELECT n FROM rows").fetchall() == [(6,)]


def test_no_files_are_no_rows_with_the_declared_columns(tmp_path: Path) -> None:
    rows = open_rows([], [("uf", "string"), ("n", "bigint"), ("t", "timestamp")], tmp_path)
    assert rows.count == 0 and rows.columns == [("uf", "string"), ("n", "bigint"), ("t", "timestamp")]


def test_rows_split_into_partitions_without_the_partition_column_and_nulls_get_hives_name(
    tmp_path: Path,
) -> None:
    rows = rows_of(tmp_path, "SELECT * FROM (VALUES ('SP', 1), ('RJ', 2), (NULL, 3), ('SP', 4)) t(uf, v)")
    parts = split_files(rows, "uf", tmp_path / "parts")
    assert list(parts) == ["RJ", "SP", NULL_PARTITION]
    assert pq.read_table(parts["SP"][0]).to_pydict() == {"v": [1, 4]}
    assert pq.read_table(parts[NULL_PARTITION][0]).to_pydict() == {"v": [3]}
    [(whole, _, count)] = split_files(rows, "", tmp_path / "all").values()
    assert pq.read_table(whole).num_rows == count == 4
    assert [n for _, _, n in parts.values()] == [1, 2, 1]


def test_the_same_rows_hash_the_same_in_any_order_and_a_change_changes_it(tmp_path: Path) -> None:
    values = "SELECT * FROM (VALUES (DATE '2026-11-01', 1.50::DECIMAL(4,2)), (DATE '2026-11-02', {})) t(d, v)"
    a = rows_of(tmp_path, values.format("2.00::DECIMAL(4,2)"), name="a")
    b = rows_of(tmp_path, values.format("2.00::DECIMAL(4,2)") + " ORDER BY d DESC", name="b")
    c = rows_of(tmp_path, values.format("2.01::DECIMAL(4,2)"), name="c")
    doubled = rows_of(
        tmp_path, f"{values.format('2.00::DECIMAL(4,2)')} UNION ALL SELECT DATE '2026-11-01', 1.5", name="e"
    )
    assert content_hash(a) == content_hash(b) != content_hash(c)
    assert content_hash(doubled) != content_hash(a)  # a repeated row is a change


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
    """An engine that hands a Python model fixed input tables (as the Parquet an engine leaves)."""

    def __init__(self, tables: dict[str, pa.Table]) -> None:
        self.tables = tables

    def select_to(self, model: Any, folder: Path) -> list[Path]:
        raise AssertionError("a Python model runs no SQL")

    def read(self, table: str, folder: Path) -> list[Path]:
        folder.mkdir(parents=True, exist_ok=True)
        pq.write_table(self.tables[table], folder / "t.parquet")
        return [folder / "t.parquet"]


SIDECAR = (
    "description: d\nowner: o\ncolumns:\n  - name: uf\n    type: string\n  - name: n\n    type: bigint\n"
    "  - name: dia\n    type: date\n"
)


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("    return vendas_diarias_uf\n", "model() returned columns"),
        (
            "    return {'uf': np.array(['SP']), 'n': np.array([1], np.int32),"
            " 'dia': np.array(['2026-11-01'], 'M8[us]')}\n",
            "returned column n as int, the sidecar says bigint",
        ),
        (
            "    return 42\n",
            "model() returned int, not a DuckDB relation, a dict of columns or a pyarrow Table",
        ),
    ],
)
def test_a_python_model_must_return_the_columns_and_types_its_sidecar_declares(
    tmp_path: Path, body: str, expected: str
) -> None:
    (tmp_path / "m.py").write_text(f"import numpy as np\n\n\ndef model(vendas_diarias_uf):\n{body}")
    (tmp_path / "m.yml").write_text(SIDECAR)
    (tmp_path / "vendas_diarias_uf.sql").write_text("SELECT uf FROM erp_vendas")
    (tmp_path / "vendas_diarias_uf.yml").write_text("description: d\nowner: o\n")
    model = load_project(tmp_path).get("m")
    engine = Inputs({"vendas_diarias_uf": pa.table({"uf": ["SP"]})})
    with pytest.raises(ModelError) as caught:
        compute(model, engine, tmp_path)
    assert caught.value.message.startswith(str(tmp_path / "m.py")) and expected in caught.value.message


def test_a_python_model_gets_duckdb_relations_by_name_and_gives_back_numpy_columns_and_metadata(
    tmp_path: Path,
) -> None:
    body = (
        "    n = len(erp_vendas.fetchnumpy()['x'])\n"
        "    days = np.array(['2026-11-01'], 'M8[us]')  # how DuckDB hands numpy a date\n\n"
        "    return {'dia': days, 'n': np.array([n]), 'uf': np.array(['all'], object)}, {'window': 7}\n"
    )
    (tmp_path / "m.py").write_text(f"import numpy as np\n\n\ndef model(erp_vendas):\n{body}")
    (tmp_path / "m.yml").write_text(SIDECAR)
    rows, metadata = compute(
        load_project(tmp_path).get("m"), Inputs({"erp_vendas": pa.table({"x": [1, 2, 3]})}), tmp_path
    )
    assert rows.columns == [("uf", "string"), ("n", "bigint"), ("dia", "date")]  # the sidecar's order, cast
    assert rows.con.execute("SELECT * FROM rows").fetchall() == [("all", 3, date(2026, 11, 1))]
    assert metadata == {"window": "7"}


def test_a_python_model_may_return_a_relation_or_an_arrow_table(tmp_path: Path) -> None:
    (tmp_path / "m.yml").write_text(SIDECAR)
    (tmp_path / "r.yml").write_text(SIDECAR)
    (tmp_path / "m.py").write_text(
        "import pyarrow as pa\n\n\ndef model(erp_vendas):\n"
        "    return pa.table({'uf': ['SP'], 'n': pa.array([5], pa.int64()),"
        " 'dia': pa.array([None], pa.date32())})\n"
    )
    (tmp_path / "r.py").write_text(
        "def model(erp_vendas):\n"
        "    return erp_vendas.aggregate(\n"
        "        \"'RJ' AS uf, CAST(count(*) AS BIGINT) AS n, DATE '2026-11-02' AS dia\")\n"
    )
    engine = Inputs({"erp_vendas": pa.table({"x": [1, 2]})})
    project = load_project(tmp_path)
    arrow, _ = compute(project.get("m"), engine, tmp_path / "m")
    relation, _ = compute(project.get("r"), engine, tmp_path / "r")
    assert arrow.con.execute("SELECT * FROM rows").fetchall() == [("SP", 5, None)]
    assert relation.con.execute("SELECT * FROM rows").fetchall() == [("RJ", 2, date(2026, 11, 2))]
