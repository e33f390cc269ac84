"""With Lake Formation on, a model's PII columns are tagged as a dataset's are, so the analyst
role (granted untagged columns only) reads the model's other columns and not those."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from models_lake import land_samples

from cornlake.modeling import Lake, load_project, run_models
from cornlake.settings import Settings
from cornlake_toolkit.local import LocalLake
from cornlake_toolkit.sql.arrow import LocalArrowEngine

SIDECAR = """description: Vendas por cliente e UF.
owner: financeiro-dados@cornlake.example
columns:
  - name: cliente
    description: Nome do cliente
    pii: true
"""


def test_a_models_pii_columns_are_tagged_for_lake_formation(
    stack: LocalLake, names: dict[str, Any], tmp_path: Path
) -> None:
    land_samples(stack, names)
    (tmp_path / "clientes_por_uf.sql").write_text(
        "SELECT cliente, uf, count(*) AS vendas FROM erp_vendas GROUP BY cliente, uf"
    )
    (tmp_path / "clientes_por_uf.yml").write_text(SIDECAR)
    lf = stack.client("lakeformation")
    lf.create_lf_tag(TagKey="cornlake_pii", TagValues=["true", "false"])
    settings = Settings(lake_formation_tags="true", glue_database=names["glue_database"])
    glue, s3 = stack.client("glue"), stack.client("s3")
    with LocalArrowEngine(glue, s3, names["glue_database"]) as engine:
        lake = Lake(
            glue, s3, names["glue_database"], names["curated_bucket"], names["ops_bucket"], engine, settings
        )
        [record] = run_models(load_project(tmp_path), lake)
    assert record.status == "succeeded" and record.details["pii_columns_tagged"] == ["cliente"]
    tags = lf.get_resource_lf_tags(
        Resource={
            "TableWithColumns": {
                "DatabaseName": names["glue_database"],
                "Name": "clientes_por_uf",
                "ColumnNames": ["cliente"],
            }
        }
    )
    assert tags["LFTagsOnColumns"][0]["LFTags"] == [
        {"CatalogId": "123456789012", "TagKey": "cornlake_pii", "TagValues": ["true"]}
    ]
