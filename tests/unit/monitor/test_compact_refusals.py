"""What compaction refuses before it touches anything: tables with partition projection (Glue
holds no partition to repoint), and generations whose name is not one compaction writes."""

from __future__ import annotations

import dataclasses

import pytest

from cornlake import keys
from cornlake.contracts import registry
from cornlake.errors import TerminalError, UnsafeNameError
from cornlake.monitor import compact


def test_a_projected_table_is_refused_with_the_reason() -> None:
    contract = registry().get("ref", "lojas")
    projected = dataclasses.replace(
        contract, partitioning=dataclasses.replace(contract.partitioning, projection=True)
    )
    plan = compact.Settings("bucket", "database")
    with pytest.raises(TerminalError) as caught:
        compact.compact_dataset(None, None, projected, plan)  # type: ignore[arg-type]
    assert "uses partition projection" in caught.value.message
    assert "turn projection off" in caught.value.hint


def test_generation_keys_are_built_only_from_generation_ids() -> None:
    generation = keys.new_generation_id(keys.ingest_id_time("20261120T101500Z-0123456789ab"))
    prefix = keys.generation_prefix("erp", "vendas", {"mes_venda": "2026-11"}, generation)
    assert prefix == f"tables/erp/vendas/_gen/mes_venda=2026-11/{generation}/"
    assert generation.startswith("20261120T101500Z-")
    with pytest.raises(UnsafeNameError):
        keys.generation_prefix("erp", "vendas", {"mes_venda": "2026-11"}, "../../raw")
