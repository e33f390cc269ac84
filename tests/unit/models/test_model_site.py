"""A model's table shows on the catalog site as a model, not as a dataset whose contract is gone."""

from __future__ import annotations

from datetime import UTC, datetime

from cornlake.modeling import load_project
from cornlake.modeling.output import model_table
from cornlake_toolkit.site import gather


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
