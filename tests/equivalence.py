"""The fast path against the row path (cornlake.transform.rowpath), the reference: one file
converted twice, as the transform does it and with the fast path switched off. Curated rows,
quarantine reasons and counts must be identical: the fast path may only take records off the
row path, never decide one differently."""

from __future__ import annotations

import io
import json
import math
from pathlib import Path
from typing import Any

import duckdb

from cornlake.contracts import Contract
from cornlake.keys import raw_key
from cornlake.transform import Converted, ConvertOptions, convert_object

INGEST_ID = "20261120T120000Z-0123456789ab"


def convert(contract: Contract, body: bytes, tmp: Path, *, fast: bool) -> Converted:
    tmp.mkdir()
    raw = raw_key(contract.source, contract.dataset, INGEST_ID, "f.data")
    options = ConvertOptions(fast_path=fast)
    return convert_object(io.BytesIO(body), contract, raw, tmp, size=len(body), options=options)


def _exact(value: Any) -> Any:
    """Floats as their text: -0.0 and 0.0 are equal, yet a different value in the file."""
    if isinstance(value, float):
        return repr(value) if math.isfinite(value) else str(value)
    if isinstance(value, dict):
        return {k: _exact(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_exact(v) for v in value]
    return value


def curated_rows(done: Converted) -> list[tuple[Any, ...]]:
    """(partition, *columns) of every curated row, sorted; columns as written in the file."""
    con = duckdb.connect()
    query = "SELECT * FROM read_parquet(?, hive_partitioning=false)"
    return sorted(
        (f.partition, *row) for f in done.files for row in con.execute(query, [str(f.path)]).fetchall()
    )


def exact_rows(done: Converted) -> list[tuple[Any, ...]]:
    """``curated_rows`` with every float as its text, so that a sign or a last digit counts."""
    return [tuple(_exact(v) for v in row) for row in curated_rows(done)]


def quarantine(done: Converted) -> list[tuple[int, list[str]]]:
    entries = [json.loads(line) for line in done.quarantine_path.read_text().splitlines()]
    return sorted((e["record"], [err["reason"] for err in e["errors"]]) for e in entries)


def assert_same(contract: Contract, body: bytes, tmp_path: Path) -> Converted:
    fast = convert(contract, body, tmp_path / "fast", fast=True)
    slow = convert(contract, body, tmp_path / "slow", fast=False)
    assert (fast.rows_in, fast.rows_out, fast.quarantined) == (slow.rows_in, slow.rows_out, slow.quarantined)
    assert fast.rows_in == fast.rows_out + fast.quarantined
    assert quarantine(fast) == quarantine(slow)
    assert exact_rows(fast) == exact_rows(slow)
    assert fast.evolved_columns == slow.evolved_columns
    assert fast.unexpected_columns == slow.unexpected_columns
    assert slow.fast_path_rows == 0
    return fast
