"""The typed messages that travel between CornLake's stages, and the one place they are parsed.

* ``S3ObjectRef``: an S3 ``ObjectCreated`` notification, delivered through SQS, naming one
  object (landing → copy, raw → transform). S3's ``s3:TestEvent`` holds none.
* ``ByteRange``: one byte range of a raw object too big for one invocation, put back on the
  transform queue by the transform itself.
* ``CuratedBatch``: what the transform publishes when a raw object has become curated data,
  fanned out by SNS to the catalog and quality queues. It lists the curated objects and
  their partitions so consumers never list S3.

A body that is none of these raises MalformedMessageError (terminal: recorded, not retried).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

from cornlake.errors import MalformedMessageError
from cornlake.keys import decode_event_key
from cornlake.ops import RunRecord

RANGE_MESSAGE_KEY = "cornlake_range"


@dataclass(frozen=True)
class S3ObjectRef:
    bucket: str
    key: str
    size: int
    etag: str
    event_time: datetime
    principal: str = ""
    version_id: str = ""
    event_name: str = ""


@dataclass(frozen=True)
class ByteRange:
    bucket: str
    key: str
    start: int
    end: int  # exclusive
    part: int
    parts: int
    parent_run_id: str

    @property
    def size(self) -> int:
        return self.end - self.start

    def to_message(self) -> str:
        return json.dumps({RANGE_MESSAGE_KEY: asdict(self)})


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
    rows_replaced: int = 0  # rows of earlier files of this raw object the batch replaced (a reprocess)
    staged: bool = False  # in staging, waiting for its audit (quality.mode: audit_before_publish)

    @property
    def rows_out(self) -> int:
        return sum(o.rows for o in self.objects)

    def run_record(self, stage: str) -> RunRecord:
        """The run record of a stage that consumes this batch (catalog, quality)."""
        return RunRecord(
            stage=stage,
            source=self.source,
            dataset=self.dataset,
            input_key=self.raw_key,
            rows_in=self.rows_out,
            parent_run_id=self.run_id,
            _parent_stage="transform",
        )

    def to_json(self) -> str:
        return json.dumps(asdict(self))


def _json(body: str, stage: str) -> Any:
    try:
        return json.loads(body)
    except (json.JSONDecodeError, RecursionError, TypeError) as err:
        raise MalformedMessageError(stage, f"not JSON ({err})") from None


def _s3_refs(document: dict[str, Any], stage: str) -> list[S3ObjectRef]:
    from aws_lambda_powertools.utilities.data_classes import S3Event

    refs = []
    try:
        for item in S3Event(document).records:
            obj = item.s3.get_object
            when = item.event_time
            refs.append(
                S3ObjectRef(
                    bucket=item.s3.bucket.name,
                    key=decode_event_key(obj.key),
                    size=int(obj.size or 0),
                    etag=obj.etag or "",
                    event_time=datetime.fromisoformat(when.replace("Z", "+00:00"))
                    if when
                    else datetime.now(UTC),
                    principal=item.user_identity.principal_id if "userIdentity" in item.raw_event else "",
                    version_id=obj.version_id or "",
                    event_name=item.event_name or "",
                )
            )
    except (KeyError, TypeError, ValueError) as err:
        raise MalformedMessageError(stage, f"not an S3 event notification ({err!r})") from None
    return refs


def parse_s3_event(body: str, stage: str = "ingest_s3_copy") -> list[S3ObjectRef]:
    """The objects an SQS message's S3 event names; empty for S3's test event."""
    document = _json(body, stage)
    if not isinstance(document, dict):
        raise MalformedMessageError(stage, "expected a JSON object")
    if document.get("Event") == "s3:TestEvent":
        return []
    if "Records" not in document:
        raise MalformedMessageError(stage, "no 'Records': not an S3 event notification")
    return _s3_refs(document, stage)


def s3_event_body(bucket: str, key: str, *, size: int, etag: str, event_name: str, principal: str) -> str:
    """An S3 ``ObjectCreated`` notification for one object, as S3 would send it (the reprocess and
    the reconciler announce raw objects to the transform with it)."""
    from urllib.parse import quote_plus

    record = {
        "eventVersion": "2.1",
        "eventSource": "aws:s3",
        "eventName": event_name,
        "eventTime": datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        "userIdentity": {"principalId": principal},
        "s3": {
            "s3SchemaVersion": "1.0",
            "bucket": {"name": bucket, "arn": f"arn:aws:s3:::{bucket}"},
            "object": {"key": quote_plus(key, safe="/=:"), "size": size, "eTag": etag.strip('"')},
        },
    }
    return json.dumps({"Records": [record]})


TransformRequest = S3ObjectRef | ByteRange


def parse_transform_request(body: str) -> list[TransformRequest]:
    """A transform queue message: an S3 notification for raw objects, or one byte range."""
    document = _json(body, "transform")
    if isinstance(document, dict) and RANGE_MESSAGE_KEY in document:
        try:
            return [ByteRange(**document[RANGE_MESSAGE_KEY])]
        except TypeError as err:
            raise MalformedMessageError("transform", f"a byte range with the wrong fields ({err})") from None
    return list(parse_s3_event(body, "transform"))


def parse_curated_batch(body: str, stage: str = "catalog") -> list[CuratedBatch]:
    """A curated batch, raw (RawMessageDelivery) or still in its SNS envelope."""
    data = _json(body, stage)
    if isinstance(data, dict) and "Message" in data and "TopicArn" in data:
        data = _json(data["Message"], stage)
    if not isinstance(data, dict):
        raise MalformedMessageError(stage, "expected a curated batch (a JSON object)")
    try:
        objects = tuple(
            CuratedObject(o["key"], dict(o["partition"]), int(o["rows"])) for o in data.pop("objects", [])
        )
        added = tuple(data.pop("added_columns", ()))
        return [CuratedBatch(objects=objects, added_columns=added, **data)]
    except (KeyError, TypeError, ValueError) as err:
        raise MalformedMessageError(stage, f"not a curated batch ({err!r})") from None


@dataclass(frozen=True)
class TablesChanged:
    """What the catalog sends the models queue once a batch is registered: the tables whose rows
    changed (a dataset's table and its latest view), the partitions the batch wrote, and the
    catalog run (the models' parent run). A scheduled run names no tables: every model runs."""

    tables: tuple[str, ...]
    source: str = ""
    dataset: str = ""
    partitions: tuple[str, ...] = ()
    run_id: str = ""
    registered_at: str = ""  # ISO 8601 UTC: when the catalog had registered the batch

    def to_json(self) -> str:
        return json.dumps(asdict(self))


def parse_tables_changed(body: str, stage: str = "models") -> list[TablesChanged]:
    data = _json(body, stage)
    if not isinstance(data, dict) or not isinstance(data.get("tables"), list):
        raise MalformedMessageError(stage, "expected {tables: [...], ...} (tables whose rows changed)")
    try:
        return [
            TablesChanged(
                tables=tuple(str(t) for t in data["tables"]),
                source=str(data.get("source", "")),
                dataset=str(data.get("dataset", "")),
                partitions=tuple(str(p) for p in data.get("partitions", ())),
                run_id=str(data.get("run_id", "")),
                registered_at=str(data.get("registered_at", "")),
            )
        ]
    except (TypeError, ValueError) as err:
        raise MalformedMessageError(stage, f"not a tables-changed message ({err!r})") from None
