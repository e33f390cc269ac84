"""Helpers for the model tests: sample datasets through the real transform and catalog, and
a model runner over the local lake."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

from cornlake import aws, catalog
from cornlake.contracts import registry
from cornlake.messages import CuratedBatch
from cornlake.modeling import Lake, Project, load_project, run_models
from cornlake.modeling.output import GRACE
from cornlake.ops import RunRecord
from cornlake_toolkit.local import LocalLake
from cornlake_toolkit.sql.arrow import LocalArrowEngine
from helpers import sample, transform_key

SAMPLES = {
    ("erp", "vendas"): "erp/samples/vendas.csv",
    ("ref", "lojas"): "ref/samples/lojas.json",
    ("app", "events"): "app/samples/events.jsonl",
}


def land(
    stack: LocalLake, names: dict[str, Any], source: str, dataset: str, body: bytes, stem: str
) -> CuratedBatch:
    """A file through the transform and the catalog, as the pipeline would take it."""
    name = Path(SAMPLES[(source, dataset)]).name
    key = f"source={source}/dataset={dataset}/ingest_date=2026-11-20/20261120T120000Z-{stem}-{name}"
    stack.client("s3").put_object(Bucket=names["raw_bucket"], Key=key, Body=body)
    batch: CuratedBatch = transform_key(key)[1].batch
    contract = registry().get(source, dataset)
    catalog.sync_batch(
        aws.glue(), contract, batch, database=names["glue_database"], bucket=names["curated_bucket"]
    )
    return batch


def land_samples(stack: LocalLake, names: dict[str, Any]) -> None:
    for n, (source, dataset) in enumerate(SAMPLES):
        land(stack, names, source, dataset, sample(SAMPLES[(source, dataset)]).read_bytes(), f"{n:012d}")


@contextmanager
def models_lake(stack: LocalLake, names: dict[str, Any], grace: timedelta = GRACE) -> Iterator[Lake]:
    with LocalArrowEngine(stack.client("glue"), stack.client("s3"), names["glue_database"]) as engine:
        yield Lake(
            stack.client("glue"),
            stack.client("s3"),
            names["glue_database"],
            names["curated_bucket"],
            names["ops_bucket"],
            engine,
            grace=grace,
        )


def run(
    stack: LocalLake,
    names: dict[str, Any],
    project: Project | None = None,
    grace: timedelta = GRACE,
    **kwargs: Any,
) -> dict[str, RunRecord]:
    with models_lake(stack, names, grace) as lake:
        records = run_models(project or load_project(), lake, **kwargs)
    return {r.dataset: r for r in records}


def curated_rows(stack: LocalLake, names: dict[str, Any], source: str, dataset: str) -> list[dict[str, Any]]:
    """Every row of a dataset's curated Parquet, read here with pyarrow (not through any model)."""
    import io

    import pyarrow.parquet as pq

    from helpers import list_keys

    s3 = stack.client("s3")
    rows: list[dict[str, Any]] = []
    for key in list_keys(stack, names["curated_bucket"], f"tables/{source}/{dataset}/"):
        body = s3.get_object(Bucket=names["curated_bucket"], Key=key)["Body"].read()
        rows += pq.read_table(io.BytesIO(body)).to_pylist()
    return rows


def query(stack: LocalLake, names: dict[str, Any], sql: str) -> list[dict[str, Any]]:
    """Athena SQL over the lake (the Glue tables the models registered), as dicts."""
    from cornlake_toolkit.sql import LocalSqlEngine

    with LocalSqlEngine(stack.client("glue"), stack.client("s3"), names["glue_database"]) as engine:
        result = engine.query(sql)
    return [dict(zip(result.columns, row, strict=True)) for row in result.rows]


def partitions(stack: LocalLake, names: dict[str, Any], table: str) -> dict[str, str]:
    """The model table's registered partitions: value -> location."""
    pages = (
        stack.client("glue")
        .get_paginator("get_partitions")
        .paginate(DatabaseName=names["glue_database"], TableName=table)
    )
    return {p["Values"][0]: p["StorageDescriptor"]["Location"] for page in pages for p in page["Partitions"]}


def new_sale(id_venda: int, day: str, uf: str, city: str, total: str) -> bytes:
    """One more ERP sale, as the ERP writes its CSV (latin-1, ';', decimal comma, dd/mm/yyyy)."""
    header = sample("erp/samples/vendas.csv").read_bytes().decode("latin-1").splitlines()[0]
    line = f"{id_venda};{day};{day} 10:00:00;Ana Souza;{city};{uf};Café 500g;1;{total};{total}"
    return f"{header}\n{line}\n".encode("latin-1")
