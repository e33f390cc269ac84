"""Helpers for the local SQL tests: curated Parquet objects, and a count of the objects a
query reads (S3 GetObject calls, seen through botocore's own event hooks)."""

from __future__ import annotations

import io
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from cornlake_toolkit.local import LocalLake
from cornlake_toolkit.sql import LocalSqlEngine

MONTHS = [f"2026-{m:02d}" for m in range(1, 13)] + [f"2025-{m:02d}" for m in range(1, 13)]  # 24 partitions
STRAY = "2099-01"  # objects under this folder, but no such partition is registered


@dataclass
class Reads:
    """GetObject calls an S3 client made, by key."""

    keys: Counter[str] = field(default_factory=Counter)

    def __call__(self, params: dict[str, Any], **_: Any) -> None:
        self.keys[params["Key"]] += 1

    @property
    def total(self) -> int:
        return sum(self.keys.values())


def parquet(rows: dict[str, list[Any]]) -> bytes:
    schema = pa.schema(
        [
            ("id_venda", pa.int64()),
            ("uf", pa.string()),
            ("valor_total", pa.decimal128(14, 2)),
            ("registrada_em", pa.timestamp("us", tz="UTC")),
        ]
    )
    sink = io.BytesIO()
    pq.write_table(pa.Table.from_pydict(rows, schema=schema), sink)
    return sink.getvalue()


def month_rows(month: str, n: int = 3) -> dict[str, list[Any]]:
    year, number = (int(x) for x in month.split("-"))
    return {
        "id_venda": [year * 1000 + number * 10 + i for i in range(n)],
        "uf": ["PE", "SP", "SP"][:n],
        "valor_total": [Decimal("10.50")] * n,
        "registrada_em": [datetime(year, number, 5, 13, 30, tzinfo=UTC)] * n,
    }


@dataclass
class Lake:
    stack: LocalLake
    names: dict[str, Any]
    s3: Any
    glue: Any
    reads: Reads

    @property
    def database(self) -> str:
        return str(self.names["glue_database"])

    def engine(self, **kwargs: Any) -> LocalSqlEngine:
        return LocalSqlEngine(self.glue, self.s3, self.database, **kwargs)

    def put(self, key: str, body: bytes) -> None:
        self.s3.put_object(Bucket=self.names["curated_bucket"], Key=key, Body=body)
