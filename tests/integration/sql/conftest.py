"""A curated table with many partitions in the emulated lake (see sql_lake for helpers)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sql_lake import MONTHS, STRAY, Lake, Reads, month_rows, parquet

from cornlake.catalog.tables import table_input, upsert_table
from cornlake.contracts import registry
from cornlake_toolkit.local import LocalLake


@pytest.fixture
def vendas(stack: LocalLake, names: dict[str, Any]) -> Iterator[Lake]:
    """erp_vendas in Glue with 24 registered monthly partitions of one object each, plus
    objects under a month folder that is not a registered partition."""
    glue, s3 = stack.client("glue"), stack.client("s3")
    contract = registry().get("erp", "vendas")
    table = table_input(contract, names["curated_bucket"])
    upsert_table(glue, names["glue_database"], table)
    location = table["StorageDescriptor"]["Location"]
    lake = Lake(stack, names, s3, glue, Reads())
    prefix = location.removeprefix(f"s3://{names['curated_bucket']}/")
    for month in [*MONTHS, STRAY]:
        lake.put(
            f"{prefix}mes_venda={month}/part-20261120T120000Z-0123456789ab.parquet",
            parquet(month_rows(month)),
        )
    partitions = [
        {
            "Values": [m],
            "StorageDescriptor": {**table["StorageDescriptor"], "Location": f"{location}mes_venda={m}/"},
        }
        for m in MONTHS
    ]
    glue.batch_create_partition(
        DatabaseName=names["glue_database"], TableName=table["Name"], PartitionInputList=partitions
    )
    s3.meta.events.register("before-parameter-build.s3.GetObject", lake.reads)
    yield lake
    s3.meta.events.unregister("before-parameter-build.s3.GetObject", lake.reads)
