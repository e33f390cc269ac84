"""A model's table shows on the catalog site as a model, not as a dataset whose contract is gone."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from cornlake.modeling import load_project
from cornlake.modeling.output import model_table
from cornlake_toolkit.site import gather, render_site
from cornlake_toolkit.site.model import Site

BUILT = "2026-11-23T12:00:00+00:00"


def test_a_model_table_in_glue_is_a_model_on_the_site() -> None:
    model = load_project().get("vendas_diarias_uf")
    columns = [("dia", "date"), ("uf", "string"), ("receita", "decimal(38,2)"), ("mes", "string")]
    table = model_table(model, columns, "curated", {"cornlake.row_count": "37"})
    facts = gather._Facts(since="2026-11-01", tables={table["Name"]: table})
    [found] = gather._glue_datasets(facts, known={"erp_vendas"})
    page = gather._glue_only(found, facts, "cornlake_local", datetime.now(UTC))
    assert page.model == "sql" and page.table == "vendas_diarias_uf" and page.owner == model.owner
    assert page.row_count == 37 and [c.name for c in page.columns][-1] == "mes"
    assert page.description == model.description


def test_a_model_page_shows_its_inputs_materialization_metadata_and_code(tmp_path: Path) -> None:
    daily = load_project().get("vendas_diarias_uf")
    columns = [("dia", "date"), ("uf", "string"), ("receita", "decimal(38,2)"), ("mes", "string")]
    table = model_table(
        daily, columns, "curated", {"cornlake.row_count": "37", "cornlake.last_run_id": "r-1"}
    )
    anomaly = load_project().get("anomalias_vendas")
    scores = model_table(
        anomaly, [("dia", "date"), ("score", "double")], "curated", {"cornlake.model.mape": "0.12"}
    )
    facts = gather._Facts(since="2026-11-01", tables={t["Name"]: t for t in (table, scores)})
    pages = [
        gather._glue_only(found, facts, "cornlake_local", datetime.now(UTC))
        for found in gather._glue_datasets(facts, known={"erp_vendas"})
    ]
    [sql] = [p for p in pages if p.table == "vendas_diarias_uf"]
    assert sql.model_facts is not None
    assert sql.model_facts.inputs == ("erp_vendas",) and sql.model_facts.materialization == "incremental"
    assert sql.model_facts.partitioned_by == "mes" and sql.model_facts.code == daily.sql
    [python] = [p for p in pages if p.table == "anomalias_vendas"]
    assert python.model_facts is not None and python.model_facts.metadata == (("mape", "0.12"),)
    assert python.model_facts.path == "models/anomalias_vendas.py" and "def model(" in python.model_facts.code
    site = Site("local", "cornlake-local", "us-east-1", "cornlake_local", "cornlake_local_ops", BUILT, 14,
                datasets=tuple(pages))  # fmt: skip
    out = render_site(site, tmp_path / "site").parent
    html = (out / "datasets" / "vendas_diarias_uf.html").read_text(encoding="utf-8")
    assert 'id="model"' in html and '<a class="mono" href="erp_vendas.html">erp_vendas</a>' in html
    assert "GROUP BY data_venda, uf, mes_venda" in html and "models/vendas_diarias_uf.sql" in html
    scored = (out / "datasets" / "anomalias_vendas.html").read_text(encoding="utf-8")
    assert "Model metadata" in scored and "0.12" in scored


def test_a_datasets_lineage_names_the_models_built_from_it_with_links() -> None:
    daily = load_project().get("vendas_diarias_uf")
    table = model_table(daily, [("dia", "date"), ("mes", "string")], "curated", {})
    facts = gather._Facts(since="2026-11-01", tables={table["Name"]: table})
    [node] = gather._views_on("erp_vendas", facts, "cornlake_local")
    assert (node.kind, node.label, node.href) == (
        "model",
        "cornlake_local.vendas_diarias_uf",
        "vendas_diarias_uf.html",
    )
    assert gather._views_on("ref_lojas", facts, "cornlake_local") == ()
