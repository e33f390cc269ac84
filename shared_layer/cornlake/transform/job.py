"""The transform stage on AWS: one transform-queue message, from raw object to announced batch.

``run_request`` takes one typed request (an S3 notification for a raw object, or one byte
range of a split object) and the run record the consumer started for it, then:

1. splits an object too big for one invocation into byte ranges and queues them (the run
   record says ``split``), or
2. reads the object (or its range) from raw, converts it (cornlake.transform.convert),
   uploads its curated and quarantine files under deterministic keys, fills in the run
   record, and announces the batch on the curated topic for the catalog and quality stages.

A key or dataset CornLake cannot place, or a broken contract, is a TerminalError: the
consumer records it and never retries it.
"""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import boto3

from cornlake import aws, keys
from cornlake.consumer import SqsStage
from cornlake.contracts import Contract, ContractRegistry, registry
from cornlake.errors import UnsafeNameError
from cornlake.messages import ByteRange, CuratedBatch, S3ObjectRef, TransformRequest, parse_transform_request
from cornlake.observability import count, logger
from cornlake.ops import RunRecord
from cornlake.schema import incompatible_changes, registered_types
from cornlake.settings import Settings
from cornlake.transform import split
from cornlake.transform.convert import Converted, ConvertOptions, convert_object
from cornlake.transform.coverage import Coverage
from cornlake.transform.formats import input_format
from cornlake.transform.write import upload_curated, upload_quarantine

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

STAGE = "transform"
REQUIRED = ("raw_bucket", "curated_bucket", "quarantine_bucket", "curated_topic_arn", "glue_database")


@dataclass
class TransformOutcome:
    batch: CuratedBatch
    quarantine_key: str = ""
    file_error: str = ""
    unexpected_columns: list[str] = field(default_factory=list)
    bytes_in: int = 0
    duplicates: int = 0
    fast_path_rows: int = 0
    coverage: Coverage = field(default_factory=Coverage)
    warnings: list[str] = field(default_factory=list)
    raw_metadata: dict[str, str] = field(default_factory=dict)  # the raw object's: its ingest run, channel
    phases: dict[str, float] = field(default_factory=dict)  # seconds per phase of the conversion


def start_run(request: TransformRequest) -> RunRecord:
    """The run record a request starts with: the raw key, and its dataset when the key parses."""
    run = RunRecord(stage=STAGE, input_key=request.key, bytes_in=request.size)
    try:
        raw = keys.parse_raw_key(request.key)
        run.source, run.dataset = raw.source, raw.dataset
    except UnsafeNameError:
        pass  # run_request refuses the key, with the reason
    return run


def run_request(
    request: TransformRequest,
    run: RunRecord,
    settings: Settings,
    *,
    session: boto3.session.Session | None = None,
    contracts: ContractRegistry | None = None,
) -> TransformOutcome | None:
    """Transform one raw object (or one byte range of it), filling in ``run``; the outcome, or
    None when the object was split into byte ranges."""
    raw = keys.parse_raw_key(request.key)
    contract = (contracts or registry()).get(raw.source, raw.dataset)
    s3 = aws.s3(session)
    if isinstance(request, S3ObjectRef) and _split(s3, contract, request, run, settings, session=session):
        return None
    byte_range = request if isinstance(request, ByteRange) else None
    problems = incompatible_changes(
        registered_types(aws.glue(session), settings.glue_database, contract.table_name), contract
    )
    outcome = transform_object(
        s3,
        contract,
        raw_bucket=request.bucket,
        key=request.key,
        curated_bucket=settings.curated_bucket,
        quarantine_bucket=settings.quarantine_bucket,
        run_id=run.run_id,
        byte_range=byte_range,
        schema_problems=problems,
        options=ConvertOptions(target_bytes=settings.target_file_bytes, memory_mb=settings.engine_memory_mb),
    )
    describe(run, outcome, contract, byte_range)
    parent_of(run, outcome, byte_range)
    run._facets["schema"] = {"schema": schema_facet(contract)}
    if outcome.batch.objects:
        announce(settings.curated_topic_arn, outcome.batch, session=session)
    for warning in outcome.warnings:
        logger.warning("input looks wrong", extra={"key": request.key, "warning": warning})
        count("InputWarnings", stage=STAGE, dataset=contract.qualified_name)
    warn_if_slow(request.key, outcome.coverage)
    count("RowsCurated", run.rows_out, stage=STAGE, dataset=contract.qualified_name)
    count("RowsQuarantined", run.rows_quarantined, stage=STAGE, dataset=contract.qualified_name)
    count("BytesTransformed", run.bytes_in, stage=STAGE, dataset=contract.qualified_name, unit="Bytes")
    logger.info("transformed", extra={"key": request.key, "status": run.status, "rows_in": run.rows_in})
    return outcome


def warn_if_slow(key: str, coverage: Coverage) -> None:
    """A file whose fast path took less than 90% of its valid rows is several times slower than
    it could be: say which column, and which form of value (masked), sent the rows away."""
    if not coverage.low:
        return
    column, form, rows = coverage.cause()
    logger.warning(
        "few rows took the fast path",
        extra={
            "key": key,
            "fast_path_share": coverage.share,
            "valid_rows": coverage.valid_rows,
            "rows_left": rows,
            "column": column,
            "value_form": form,
            "note": coverage.note(),
        },
    )


def _split(
    s3: S3Client,
    contract: Contract,
    request: S3ObjectRef,
    run: RunRecord,
    settings: Settings,
    *,
    session: boto3.session.Session | None,
) -> bool:
    """Queue the byte ranges of an object too big for one invocation; False when it is converted whole."""
    fmt = input_format(contract)
    size = request.size or int(s3.head_object(Bucket=request.bucket, Key=request.key)["ContentLength"])
    if not settings.transform_queue_url or not split.splittable(
        s3, fmt, bucket=request.bucket, key=request.key, size=size, split_bytes=settings.split_bytes
    ):
        return False
    ranges = split.plan(
        s3,
        fmt,
        bucket=request.bucket,
        key=request.key,
        size=size,
        split_bytes=settings.split_bytes,
        run_id=run.run_id,
    )
    split.queue_ranges(aws.client("sqs", session), settings.transform_queue_url, ranges)
    run.bytes_in = size
    raw_metadata = s3.head_object(Bucket=request.bucket, Key=request.key).get("Metadata", {})
    run.parent_run_id = raw_metadata.get("run-id", "")
    run._parent_stage = INGEST_STAGES.get(raw_metadata.get("channel", ""), "")
    run.details = {"parts": len(ranges), "ranges": [[r.start, r.end] for r in ranges]}
    run.finish("split")
    logger.info("split", extra={"key": request.key, "parts": len(ranges)})
    return True


def transform_object(
    s3: S3Client,
    contract: Contract,
    *,
    raw_bucket: str,
    key: str,
    curated_bucket: str,
    quarantine_bucket: str,
    run_id: str,
    byte_range: ByteRange | None = None,
    schema_problems: Sequence[str] = (),
    options: ConvertOptions | None = None,
) -> TransformOutcome:
    """Convert one raw object (or one byte range of it); upload its curated and quarantine outputs."""
    raw = keys.parse_raw_key(key)
    stem = keys.range_stem(raw.ingest_id, byte_range.part) if byte_range else raw.ingest_id
    fmt = input_format(contract)
    with tempfile.TemporaryDirectory(prefix="cornlake-") as tmp:
        extra = {"Range": f"bytes={byte_range.start}-{byte_range.end - 1}"} if byte_range else {}
        response = s3.get_object(Bucket=raw_bucket, Key=key, **extra)  # type: ignore[arg-type]
        size = int(response.get("ContentLength", 0))
        header = fmt.range_header(s3, bucket=raw_bucket, key=key) if byte_range and byte_range.start else None
        done = convert_object(
            response["Body"],
            contract,
            raw,
            Path(tmp),
            size=size,
            header=header,
            schema_problems=schema_problems,
            options=options,
        )
        uploaded = upload_curated(s3, contract, curated_bucket, stem, done.files)
        qkey = keys.quarantine_key(contract.source, contract.dataset, raw.ingest_date, stem)
        kept = upload_quarantine(s3, quarantine_bucket, qkey, done.quarantine_path, done.quarantine_entries)
    batch = CuratedBatch(
        contract.source,
        contract.dataset,
        run_id,
        raw.ingest_id,
        key,
        curated_bucket,
        tuple(uploaded.objects),
        done.rows_in,
        done.quarantined,
        tuple(done.evolved_columns),
        uploaded.rows_replaced,
        staged=contract.audited,
    )
    return _outcome(batch, kept, response, done)


def _outcome(batch: CuratedBatch, quarantine_key: str, response: Any, done: Converted) -> TransformOutcome:
    return TransformOutcome(
        batch,
        quarantine_key=quarantine_key,
        file_error=done.file_error,
        unexpected_columns=done.unexpected_columns,
        bytes_in=int(response.get("ContentLength", 0)),
        duplicates=done.duplicates,
        fast_path_rows=done.fast_path_rows,
        coverage=done.coverage,
        warnings=done.warnings,
        raw_metadata=dict(response.get("Metadata", {})),
        phases=dict(done.phases),
    )


def schema_facet(contract: Contract) -> dict[str, object]:
    """The curated table's columns, as OpenLineage's schema facet writes them."""
    from cornlake.lineage import facet

    fields = [{"name": c.name, "type": c.type.glue(), "description": c.description} for c in contract.columns]
    return facet("schema", fields=fields)


INGEST_STAGES = {"api": "ingest_api", "landing": "ingest_s3_copy"}  # raw metadata 'channel' -> stage


def parent_of(run: RunRecord, outcome: TransformOutcome, byte_range: ByteRange | None) -> None:
    """The run whose output this transform read: the ingest run that wrote the raw object, or,
    for one byte range, the transform run that split the object."""
    if byte_range is not None:
        run.parent_run_id, run._parent_stage = byte_range.parent_run_id, STAGE
        return
    run.parent_run_id = outcome.raw_metadata.get("run-id", "")
    run._parent_stage = INGEST_STAGES.get(outcome.raw_metadata.get("channel", ""), "")


def describe(
    run: RunRecord, outcome: TransformOutcome, contract: Contract, byte_range: ByteRange | None
) -> None:
    """Fill in the run record of a finished transform."""
    batch = outcome.batch
    run.rows_in, run.rows_out, run.rows_quarantined = batch.rows_in, batch.rows_out, batch.rows_quarantined
    run.bytes_in = outcome.bytes_in
    run.output_keys = [o.key for o in batch.objects] + (
        [outcome.quarantine_key] if outcome.quarantine_key else []
    )
    run.details = {
        "ingest_id": batch.ingest_id,
        "unexpected_columns": outcome.unexpected_columns,
        "duplicates_quarantined": outcome.duplicates,
        "fast_path_rows": outcome.fast_path_rows,
        **outcome.coverage.details(),
        "columns_added": list(batch.added_columns),
        "contract_version": contract.version,
        "transformed_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "warnings": outcome.warnings,
        # where the conversion's time went (docs/PERFORMANCE.md), in place of X-Ray subsegments
        "phase_ms": {name: round(seconds * 1000) for name, seconds in outcome.phases.items()},
    }
    if byte_range is not None:
        run.details |= {
            "range": [byte_range.start, byte_range.end],
            "part": byte_range.part,
            "parts": byte_range.parts,
            "split_run_id": byte_range.parent_run_id,
        }
    status = "rejected" if outcome.file_error else "partial" if batch.rows_quarantined else "succeeded"
    run.finish(status, outcome.file_error)


def announce(topic_arn: str, batch: CuratedBatch, *, session: boto3.session.Session | None = None) -> None:
    """Publish a finished batch on the curated topic (fanned out to the catalog and quality queues)."""
    aws.sns(session).publish(
        TopicArn=topic_arn,
        Message=batch.to_json(),
        MessageAttributes={
            "dataset": {"DataType": "String", "StringValue": f"{batch.source}.{batch.dataset}"},
            # the catalog subscribes to 'tables' only: a staged batch reaches it when it is published
            "zone": {"DataType": "String", "StringValue": "staging" if batch.staged else "tables"},
        },
    )


TRANSFORM = SqsStage(
    name="transform", required=REQUIRED, parse=parse_transform_request, start=start_run, handle=run_request
)
