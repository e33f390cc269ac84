"""Models load from files, with their dependencies read from the SQL; every bad model is refused
when it loads, with a message naming its file and what is wrong."""

from __future__ import annotations

from pathlib import Path

import pytest

from cornlake.modeling import ModelError, load_project

SIDECAR = "description: A model.\nowner: dados@cornlake.example\n"


def write(folder: Path, name: str, sql: str, sidecar: str = SIDECAR, suffix: str = ".sql") -> Path:
    (folder / f"{name}{suffix}").write_text(sql, encoding="utf-8")
    (folder / f"{name}.yml").write_text(sidecar, encoding="utf-8")
    return folder / f"{name}{suffix}"


def refused(folder: Path) -> str:
    with pytest.raises(ModelError) as caught:
        load_project(folder)
    return caught.value.message


def test_the_sample_models_load_in_dependency_order() -> None:
    project = load_project()
    names = [m.name for m in project.models]
    assert names.index("vendas_diarias_uf") < names.index("anomalias_vendas")
    assert names.index("vendas_diarias_uf") < names.index("receita_mensal_uf")
    daily = project.get("vendas_diarias_uf")
    assert daily.depends_on == ("erp_vendas",) and daily.materialization == "incremental"
    assert dict(daily.output)["dia"] == "date" and daily.partitioned_by == "mes"
    # the types Athena answers with: sum of decimal(14,2) is decimal(38,2), of int is bigint
    assert dict(daily.output) == {
        "dia": "date", "uf": "string", "receita": "decimal(38,2)", "vendas": "bigint", "itens": "bigint",
        "mes": "string",
    }  # fmt: skip
    assert project.get("receita_por_municipio").depends_on == ("erp_vendas", "ref_lojas_latest")
    assert project.get("anomalias_vendas").kind == "python"
    assert set(project.datasets) == {"erp_vendas", "ref_lojas_latest"}


def test_dependencies_come_from_the_sql_not_its_ctes(tmp_path: Path) -> None:
    write(tmp_path, "a", "WITH x AS (SELECT uf FROM erp_vendas) SELECT uf FROM x")
    write(tmp_path, "b", "SELECT a.uf, l.nome FROM a JOIN ref_lojas AS l ON a.uf = l.uf")
    project = load_project(tmp_path)
    assert [m.name for m in project.models] == ["a", "b"]
    assert project.get("a").depends_on == ("erp_vendas",)
    assert project.get("b").depends_on == ("a", "ref_lojas")
    assert [m.name for m in project.select("a+")] == ["a", "b"]
    assert [m.name for m in project.select("+b")] == ["a", "b"]
    assert [m.name for m in project.select("b")] == ["b"]
    assert [m.name for m in project.downstream("erp_vendas")] == ["a", "b"]


@pytest.mark.parametrize(
    ("sql", "expected"),
    [
        ("SELECT 1 AS a; SELECT 2 AS b", "one SELECT statement, this file has 2"),
        ("INSERT INTO erp_vendas SELECT * FROM erp_vendas", "one SELECT statement, not INSERT"),
        ("CREATE TABLE t AS SELECT 1 AS a", "one SELECT statement, not CREATE"),
        ("-- nothing here\n", "this file has 0"),
        ("SELEC uf FROM erp_vendas", "not valid Athena SQL"),
    ],
)
def test_a_model_that_is_not_one_select_is_refused(tmp_path: Path, sql: str, expected: str) -> None:
    path = write(tmp_path, "bad", sql)
    message = refused(tmp_path)
    assert message.startswith(str(path)) and expected in message


def test_an_unknown_table_is_refused_with_the_tables_there_are(tmp_path: Path) -> None:
    path = write(tmp_path, "bad", "SELECT uf FROM erp_vendass")
    with pytest.raises(ModelError) as caught:
        load_project(tmp_path)
    assert caught.value.message == f"{path}: unknown table erp_vendass"
    assert "erp_vendas" in caught.value.hint


def test_an_unknown_column_is_refused_naming_it(tmp_path: Path) -> None:
    path = write(tmp_path, "bad", "SELECT uf, valor_totl FROM erp_vendas")
    message = refused(tmp_path)
    assert message.startswith(str(path)) and "valor_totl" in message


def test_a_qualified_table_is_refused(tmp_path: Path) -> None:
    write(tmp_path, "bad", "SELECT uf FROM cornlake_prod.erp_vendas")
    assert "qualified with a database" in refused(tmp_path)


def test_a_cycle_is_refused_naming_every_model_on_it(tmp_path: Path) -> None:
    write(tmp_path, "a", "SELECT uf FROM c")
    write(tmp_path, "b", "SELECT uf FROM a")
    write(tmp_path, "c", "SELECT uf FROM b")
    write(tmp_path, "d", "SELECT uf FROM erp_vendas")
    assert "models form a cycle: a -> c -> b -> a" in refused(tmp_path)


def test_a_model_reading_itself_is_a_cycle(tmp_path: Path) -> None:
    write(tmp_path, "a", "SELECT uf FROM a")
    assert "models form a cycle: a -> a" in refused(tmp_path)


@pytest.mark.parametrize(
    ("sidecar", "expected"),
    [
        ("owner: x@y\n", "field 'description' is invalid: expected a value"),
        (
            SIDECAR + "materialization: ephemeral\n",
            "expected one of table, incremental, view, got 'ephemeral'",
        ),
        (SIDECAR + "colour: blue\n", "field 'colour' is invalid"),
        (SIDECAR + "partitioned_by: mes\n", "partitioned_by mes is not an output column (uf, receita)"),
        (SIDECAR + "columns:\n  - name: nope\n", "column nope is not an output of the model (uf, receita)"),
        (SIDECAR + 'quality:\n  - IsComplete "nope"\n', 'quality rule IsComplete "nope": expected a column'),
        (SIDECAR + 'quality:\n  - IsFine "uf"\n', "field 'quality[0].rule' is invalid: expected a DQDL rule"),
        ("description: [unclosed\n", "not valid YAML"),
    ],
)
def test_an_invalid_sidecar_is_refused_naming_the_file_and_field(
    tmp_path: Path, sidecar: str, expected: str
) -> None:
    write(tmp_path, "m", "SELECT uf, sum(valor_total) AS receita FROM erp_vendas GROUP BY uf", sidecar)
    message = refused(tmp_path)
    assert str(tmp_path / "m.") in message and expected in message


def test_a_model_without_a_sidecar_or_a_sidecar_without_a_model_is_refused(tmp_path: Path) -> None:
    (tmp_path / "lonely.sql").write_text("SELECT uf FROM erp_vendas", encoding="utf-8")
    assert "no sidecar lonely.yml" in refused(tmp_path)
    (tmp_path / "lonely.sql").unlink()
    (tmp_path / "orphan.yml").write_text(SIDECAR, encoding="utf-8")
    assert "a sidecar with no model" in refused(tmp_path)


def test_unnamed_output_columns_are_refused(tmp_path: Path) -> None:
    write(tmp_path, "m", "SELECT uf, sum(valor_total) FROM erp_vendas GROUP BY uf")
    assert "every output column needs its own name" in refused(tmp_path)


def test_a_model_named_like_a_dataset_table_is_refused(tmp_path: Path) -> None:
    write(tmp_path, "erp_vendas", "SELECT uf FROM ref_lojas")
    assert "has the name of a dataset's table" in refused(tmp_path)


def test_python_models_read_their_inputs_from_the_function_and_declare_typed_columns(tmp_path: Path) -> None:
    write(tmp_path, "base", "SELECT uf, valor_total FROM erp_vendas")
    sidecar = SIDECAR + "columns:\n  - name: uf\n    type: string\n"
    write(tmp_path, "py", "def model(base, ref_lojas):\n    return base\n", sidecar, ".py")
    project = load_project(tmp_path)
    assert project.get("py").depends_on == ("base", "ref_lojas") and project.get("py").output == (
        ("uf", "string"),
    )
    write(tmp_path, "py", "def model(base):\n    return base\n", SIDECAR + "columns:\n  - name: uf\n", ".py")
    assert "field 'columns[0].type' is invalid: expected a value" in refused(tmp_path)
    write(tmp_path, "py", "def train(base):\n    return base\n", sidecar, ".py")
    assert "no function model(<input tables>)" in refused(tmp_path)


def test_columns_inherit_descriptions_and_pii_from_the_columns_they_come_from(tmp_path: Path) -> None:
    sql = (
        "WITH v AS (SELECT cliente AS quem, uf, valor_total FROM erp_vendas) "
        "SELECT quem AS comprador, upper(quem) AS nome, uf, sum(valor_total) AS total FROM v GROUP BY 1, 2, 3"
    )
    write(tmp_path, "m", sql, SIDECAR + "columns:\n  - name: total\n    description: Soma das vendas\n")
    write(tmp_path, "n", "SELECT comprador, total FROM m")
    project = load_project(tmp_path)
    m = {c.name: c for c in project.get("m").columns}
    assert (m["comprador"].description, m["comprador"].pii) == ("Nome do cliente", True)
    assert (m["nome"].description, m["nome"].pii) == ("", True)  # transformed: still PII, not described
    assert (m["uf"].description, m["uf"].pii) == ("Unidade federativa (sigla)", False)
    assert (m["total"].description, m["total"].type) == ("Soma das vendas", "decimal(38,2)")
    n = {c.name: c for c in project.get("n").columns}
    assert n["comprador"].pii and n["total"].description == "Soma das vendas"  # through another model
