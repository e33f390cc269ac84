"""The message the transform publishes when a raw object has become curated data.

One message per raw object ("a batch"), fanned out by SNS to the catalog and quality
queues. It lists the curated objects and their partitions so consumers never list S3.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any

from cornlake.runs import RunRecord

EVOLVED_COMMENT = "Added by schema evolution (new field in the source, kept as text)"


@dataclass(frozen=True)
class CuratedObject:
    key: str
    partition: dict[str, str]
    rows: int


@dataclass(frozen=True)
class CuratedBatch:
    source: str
    dataset: str
    run_id: str
    ingest_id: str
    raw_key: str
    curated_bucket: str
    objects: tuple[CuratedObject, ...] = field(default_factory=tuple)
    rows_in: int = 0
    rows_quarantined: int = 0
    added_columns: tuple[str, ...] = ()  # new string columns from schema evolution (new_columns: evolve)

    def run_record(self, stage: str) -> RunRecord:
        """A run record for a stage that consumes this batch (catalog, quality)."""
        return RunRecord(
            stage=stage,
            source=self.source,
            dataset=self.dataset,
            input_key=self.raw_key,
            rows_in=self.rows_out,
        )

    @property
    def rows_out(self) -> int:
        return sum(o.rows for o in self.objects)

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, text: str) -> CuratedBatch:
        data: dict[str, Any] = json.loads(text)
        if "Message" in data and "TopicArn" in data:  # SNS envelope without raw delivery
            data = json.loads(data["Message"])
        objects = tuple(
            CuratedObject(o["key"], dict(o["partition"]), int(o["rows"])) for o in data.pop("objects", [])
        )
        added = tuple(data.pop("added_columns", ()))
        return cls(objects=objects, added_columns=added, **data)
