"""The raw zone's Glue tables read locally as Athena reads them: CSV with OpenCSVSerde (by
position, latin-1, the header skipped, every value text), JSON lines with the OpenX SerDe
(keys renamed by its mapping), their ingest_date projected (no Glue partitions)."""

from __future__ import annotations

import gzip
from datetime import UTC, datetime
from typing import Any

import pytest

from cornlake.catalog.tables import ensure_database, upsert_table
from cornlake.contracts import registry
from cornlake_toolkit.local import LocalLake
from cornlake_toolkit.sql import LocalSqlEngine
from helpers import sample

raw = pytest.importorskip("cornlake.catalog.raw")
RAW_DATABASE = "cornlake_local_raw"


def _raw_table(stack: LocalLake, names: dict[str, Any], source: str, dataset: str) -> str:
    glue = stack.client("glue")
    table = raw.raw_table_input(registry().get(source, dataset), names["raw_bucket"])
    ensure_database(glue, RAW_DATABASE, "raw")
    upsert_table(glue, RAW_DATABASE, table)
    return str(table["Name"])


def test_a_raw_csv_table_reads_the_sent_text_by_position(stack: LocalLake, names: dict[str, Any]) -> None:
    # GIVEN the ERP's latin-1 CSV sample, gzipped, in raw under today's ingest date
    name = _raw_table(stack, names, "erp", "vendas")
    today = datetime.now(UTC).date()
    key = f"source=erp/dataset=vendas/ingest_date={today}/20261120T120000Z-0123456789ab-vendas.csv.gz"
    body = sample("erp/samples/vendas.csv").read_bytes()
    stack.client("s3").put_object(Bucket=names["raw_bucket"], Key=key, Body=gzip.compress(body))
    lines = body.decode("latin-1").splitlines()
    with LocalSqlEngine(stack.client("glue"), stack.client("s3"), names["glue_database"]) as engine:
        # WHEN it is queried by its projected partition
        rows = engine.query(
            f"SELECT id_venda, municipio, valor_total, ingest_date FROM {RAW_DATABASE}.{name} "
            f"WHERE ingest_date = '{today}'"
        ).rows
    # THEN every line but the header is a row of the text as sent
    assert len(rows) == len(lines) - 1
    first = lines[1].split(";")
    assert rows[0] == (first[0], first[4], first[9], str(today))


def test_a_raw_json_lines_table_renames_keys_by_its_mapping(stack: LocalLake, names: dict[str, Any]) -> None:
    name = _raw_table(stack, names, "app", "events")
    contract = registry().get("app", "events")
    today = datetime.now(UTC).date()
    key = f"source=app/dataset=events/ingest_date={today}/20261120T120000Z-0123456789ab-events.jsonl"
    body = sample("app/samples/events.jsonl").read_bytes()
    stack.client("s3").put_object(Bucket=names["raw_bucket"], Key=key, Body=body)
    with LocalSqlEngine(stack.client("glue"), stack.client("s3"), names["glue_database"]) as engine:
        result = engine.query(f"SELECT * FROM {RAW_DATABASE}.{name}")
    assert result.columns == [c.name for c in contract.columns] + ["ingest_date"]
    assert len(result.rows) == len([line for line in body.splitlines() if line.strip()])
    assert all(isinstance(v, str | type(None)) for row in result.rows for v in row)
    first = dict(zip(result.columns, result.rows[0], strict=True))
    assert first["event_id"] == "evt-7-00000000" and first["event_time"] == "1795424477000"
    assert first["amount"] == "587.59" and '"os"' in first["device"] and first["ingest_date"] == str(today)
