"""The model function's stage on its own: the models a changed table feeds, each once per batch,
and messages that queued up while those models were building are answered without building again."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from models_lake import land_samples

from cornlake.messages import TablesChanged, parse_tables_changed
from cornlake.modeling import stage
from cornlake.settings import Settings
from cornlake_toolkit.local import LocalLake
from helpers import run_records


@pytest.fixture(autouse=True)
def nothing_built() -> Iterator[None]:
    stage._BUILT.clear()
    yield
    stage._BUILT.clear()


def changed(table: str, at: datetime) -> TablesChanged:
    body = TablesChanged((table,), "ref", "lojas", ("ingest_date=2026-11-20",), "catalog-run", at.isoformat())
    [message] = parse_tables_changed(body.to_json())
    return message


def handle(message: TablesChanged) -> dict[str, Any]:
    run = stage.start(message)
    stage.run_affected(message, run, Settings.from_env())
    assert run.parent_run_id == "catalog-run" and run.input_key == ",".join(message.tables)
    return run.details


def test_a_changed_table_builds_exactly_the_models_reading_it(
    stack: LocalLake, names: dict[str, Any]
) -> None:
    land_samples(stack, names)
    details = handle(changed("ref_lojas_latest", datetime.now(UTC)))
    assert details["models"] == {"receita_por_municipio": "succeeded"}
    assert details["partitions"] == ["ingest_date=2026-11-20"]
    [record] = run_records(stack, names["ops_bucket"], "model")
    assert record["dataset"] == "receita_por_municipio"


def test_a_message_from_before_the_last_build_is_answered_by_it(
    stack: LocalLake, names: dict[str, Any]
) -> None:
    land_samples(stack, names)
    registered = datetime.now(UTC) - timedelta(minutes=5)
    first = handle(changed("erp_vendas", registered))
    everything = ["vendas_diarias_uf", "anomalias_vendas", "receita_mensal_uf", "receita_por_municipio"]
    assert set(first["models"]) == {*everything, "vendas_por_uf"}
    # WHEN a message registered before that build arrives (it queued while the build ran)
    again = handle(changed("erp_vendas", registered + timedelta(seconds=1)))
    # THEN nothing is built again: the build already read its batch
    assert again["models"] == {} and sorted(again["already_built"]) == sorted(first["models"])
    # AND a batch registered after the build does build
    later = handle(changed("erp_vendas", datetime.now(UTC)))
    assert set(later["models"]) == set(first["models"]) and later["already_built"] == []
