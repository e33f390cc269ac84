"""The one place that builds and parses CornLake's object keys and validates names.

Layout (every zone is its own bucket; keys are hive-style so Athena, Glue and DuckDB read
partitions straight from the path):

    landing     <source>/<dataset>/<file name>
    rejected    _rejected/<source>/<dataset>/<file name>        (landing bucket)
    raw         source=<s>/dataset=<d>/ingest_date=YYYY-MM-DD/<ingest_id>-<file name>
    curated     tables/<s>/<d>/<partition>=<value>/part-<ingest_id>.parquet
    staged      staging/<s>/<d>/<partition>=<value>/part-<ingest_id>.parquet  (curated bucket; audited
                datasets, until the batch passes its checks)
    compacted   tables/<s>/<d>/_gen/<partition>=<value>/<generation>/compacted-<n>.parquet  (a partition's
                small files merged; Glue points the partition here until a new batch lands)
    quarantine  source=<s>/dataset=<d>/ingest_date=YYYY-MM-DD/<ingest_id>.jsonl
    api rejects _rejected/api/ingest_date=YYYY-MM-DD/<ingest_id>.body   (quarantine bucket)
    ops         <table>/run_date=YYYY-MM-DD/<stage>-<run_id>.json
    claims      claims/<api|landing>/source=<s>/dataset=<d>/<sha256>.json     (ops bucket)
    state       state/<kind>/source=<s>/dataset=<d>/state.json                (ops bucket)
    held        held/source=<s>/dataset=<d>/<ingest_id>.json                  (ops bucket)

An ``ingest_id`` is ``YYYYMMDDTHHMMSSZ-<12 hex>``: sortable by arrival, unique, and
deterministic when derived from a landing object (so a repeated event lands the same key).
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, date, datetime
from urllib.parse import unquote_plus

from cornlake.errors import UnsafeNameError

NAME_RE = re.compile(r"^[a-z][a-z0-9_]{0,62}$")
NAME_RULE = "1-63 characters: lowercase letters, digits and '_', starting with a letter"
FILE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$")
FILE_RULE = "1-200 characters: letters, digits, '.', '_' and '-', starting with a letter or digit"
INGEST_ID_RE = re.compile(r"^\d{8}T\d{6}Z-[0-9a-f]{12}$")
PARTITION_VALUE_RE = re.compile(r"^[0-9A-Za-z_:.-]{1,64}$")
# The text of a date partition's value, by granularity (strftime; DuckDB's strftime reads it too).
PARTITION_FORMATS = {"day": "%Y-%m-%d", "month": "%Y-%m", "hour": "%Y-%m-%d-%H"}

REJECTED_PREFIX = "_rejected"


def validate_name(kind: str, value: str) -> str:
    """Check a source, dataset, table or column name; return it unchanged."""
    if not isinstance(value, str) or not NAME_RE.match(value):
        raise UnsafeNameError(kind, str(value), NAME_RULE)
    return value


def validate_file_name(value: str) -> str:
    """Check a file name that becomes the last part of a key (no '..', no '/')."""
    if not isinstance(value, str) or ".." in value or not FILE_RE.match(value):
        raise UnsafeNameError("file name", str(value), FILE_RULE + ", no '..'")
    return value


def new_ingest_id(now: datetime) -> str:
    return f"{now.astimezone(UTC):%Y%m%dT%H%M%SZ}-{secrets.token_hex(6)}"


def derived_ingest_id(when: datetime, *identity: str) -> str:
    """An ingest id that is the same every time for the same source object."""
    digest = hashlib.sha256("\x00".join(identity).encode()).hexdigest()[:12]
    return f"{when.astimezone(UTC):%Y%m%dT%H%M%SZ}-{digest}"


def ingest_id_time(ingest_id: str) -> datetime:
    return datetime.strptime(ingest_id[:16], "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)


@dataclass(frozen=True)
class RawKey:
    source: str
    dataset: str
    ingest_date: date
    ingest_id: str
    file_name: str

    def __str__(self) -> str:
        return (
            f"source={self.source}/dataset={self.dataset}/"
            f"ingest_date={self.ingest_date.isoformat()}/{self.ingest_id}-{self.file_name}"
        )


_RAW_RE = re.compile(
    r"^source=(?P<source>[^/]+)/dataset=(?P<dataset>[^/]+)/ingest_date=(?P<date>\d{4}-\d{2}-\d{2})/"
    r"(?P<ingest_id>\d{8}T\d{6}Z-[0-9a-f]{12})-(?P<file>[^/]+)$"
)


def raw_key(source: str, dataset: str, ingest_id: str, file_name: str) -> RawKey:
    validate_name("source", source)
    validate_name("dataset", dataset)
    validate_file_name(file_name)
    if not INGEST_ID_RE.match(ingest_id):
        raise UnsafeNameError("ingest id", ingest_id, "YYYYMMDDTHHMMSSZ-<12 hex digits>")
    return RawKey(source, dataset, ingest_id_time(ingest_id).date(), ingest_id, file_name)


def parse_raw_key(key: str) -> RawKey:
    """Parse a raw key (URL-decoded as S3 events deliver it) back into its parts."""
    decoded = unquote_plus(key) if "%" in key or "+" in key else key
    match = _RAW_RE.match(decoded)
    if not match:
        raise UnsafeNameError(
            "raw key",
            decoded,
            "source=<s>/dataset=<d>/ingest_date=YYYY-MM-DD/<ingest_id>-<file name>",
        )
    return raw_key(match["source"], match["dataset"], match["ingest_id"], match["file"])


def decode_event_key(key: str) -> str:
    """S3 event notifications URL-encode keys (spaces become '+')."""
    return unquote_plus(key)


@dataclass(frozen=True)
class LandingKey:
    source: str
    dataset: str
    file_name: str


def parse_landing_key(key: str) -> LandingKey:
    parts = key.split("/")
    if len(parts) != 3:
        raise UnsafeNameError("landing key", key, "expected <source>/<dataset>/<file name> (exactly two '/')")
    source, dataset, file_name = parts
    validate_name("source", source)
    validate_name("dataset", dataset)
    validate_file_name(file_name)
    return LandingKey(source, dataset, file_name)


def rejected_landing_key(key: str) -> str:
    return f"{REJECTED_PREFIX}/{key}"


TABLES_PREFIX = "tables"  # curated bucket: one folder per table, holding only its partitions


def hive_prefix(source: str, dataset: str) -> str:
    """One dataset's folder in raw and quarantine: ``source=<s>/dataset=<d>/``, so the quarantine
    zone reads as one table partitioned by source, dataset and ingest date."""
    return f"source={validate_name('source', source)}/dataset={validate_name('dataset', dataset)}/"


def table_prefix(source: str, dataset: str) -> str:
    """A curated table's location: ``tables/<s>/<d>/``. Below it there are only the table's own
    partitions, so hive-aware readers (Athena, awswrangler, Spark, DuckDB) invent no columns
    Glue lacks (``source=``/``dataset=`` folders would read as two more)."""
    return f"{TABLES_PREFIX}/{validate_name('source', source)}/{validate_name('dataset', dataset)}/"


def partition_path(values: dict[str, str]) -> str:
    parts = []
    for name, value in values.items():
        validate_name("partition column", name)
        if not PARTITION_VALUE_RE.match(value):
            raise UnsafeNameError("partition value", value, "1-64 of [0-9A-Za-z_:.-]")
        parts.append(f"{name}={value}")
    return "/".join(parts) + "/"


def curated_key(
    source: str, dataset: str, partition: dict[str, str], ingest_id: str, n: int = 0, *, staged: bool = False
) -> str:
    """A curated file's key: under the table, or (``staged``) under staging, where a batch of a
    write-audit-publish dataset waits for its audit, outside anything a reader reads."""
    suffix = "" if n == 0 else f"-{n:04d}"
    folder = staging_prefix(source, dataset) if staged else table_prefix(source, dataset)
    return f"{folder}{partition_path(partition)}part-{ingest_id}{suffix}.parquet"


GENERATIONS = "_gen"  # under a table: compacted generations ('_': hive readers skip the folder)
GENERATION_RE = re.compile(r"^\d{8}T\d{6}Z-[0-9a-f]{8}$")


def new_generation_id(now: datetime) -> str:
    return f"{now.astimezone(UTC):%Y%m%dT%H%M%SZ}-{secrets.token_hex(4)}"


def generation_time(generation: str) -> datetime:
    if not GENERATION_RE.match(generation):
        raise UnsafeNameError("generation", generation, "YYYYMMDDTHHMMSSZ-<8 hex>")
    return datetime.strptime(generation[:16], "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)


def generations_prefix(source: str, dataset: str) -> str:
    return f"{table_prefix(source, dataset)}{GENERATIONS}/"


def unload_prefix(source: str, dataset: str, generation: str) -> str:
    """Where Athena's UNLOAD leaves one model run's rows (``_`` folders are skipped by readers)."""
    generation_time(generation)
    return f"{table_prefix(source, dataset)}_unload/{generation}/"


def generation_prefix(source: str, dataset: str, partition: dict[str, str], generation: str) -> str:
    """Where one compaction of one partition writes its files."""
    generation_time(generation)
    return f"{generations_prefix(source, dataset)}{partition_path(partition)}{generation}/"


STAGING_PREFIX = "staging"  # curated bucket: audited batches before they are published


def staging_prefix(source: str, dataset: str) -> str:
    return f"{STAGING_PREFIX}/{validate_name('source', source)}/{validate_name('dataset', dataset)}/"


def published_key(staged_key: str) -> str:
    """Where a staged file goes when its batch is published: the same path under tables/."""
    if not staged_key.startswith(STAGING_PREFIX + "/"):
        raise UnsafeNameError("staged key", staged_key, f"a key under {STAGING_PREFIX}/")
    return f"{TABLES_PREFIX}/{staged_key[len(STAGING_PREFIX) + 1 :]}"


def held_key(source: str, dataset: str, ingest_id: str) -> str:
    """A held batch's record in the ops bucket (write-audit-publish)."""
    return f"held/{hive_prefix(source, dataset)}{ingest_id}.json"


def range_stem(ingest_id: str, part: int) -> str:
    """The output name stem of one byte range of a split raw object."""
    return f"{ingest_id}-r{part:03d}"


def quarantine_key(source: str, dataset: str, ingest_date: date, ingest_id: str) -> str:
    return f"{hive_prefix(source, dataset)}ingest_date={ingest_date.isoformat()}/{ingest_id}.jsonl"


def api_rejected_key(ingest_id: str) -> str:
    return (
        f"{REJECTED_PREFIX}/api/ingest_date={ingest_id_time(ingest_id).date().isoformat()}/{ingest_id}.body"
    )


CLAIMS_PREFIX = "claims"  # ops bucket: the first answer of each idempotency key and landed file


def claim_key(channel: str, source: str, dataset: str, digest: str) -> str:
    """Where the first answer for one API idempotency key or one landed file is kept."""
    if channel not in ("api", "landing") or not re.fullmatch(r"[0-9a-f]{64}", digest):
        raise UnsafeNameError("claim", f"{channel}/{digest}", "channel api or landing, a SHA-256 in hex")
    return f"{CLAIMS_PREFIX}/{channel}/{hive_prefix(source, dataset)}{digest}.json"


def state_key(kind: str, source: str, dataset: str) -> str:
    """A dataset's small state document in the ops bucket (quality history, holds...)."""
    validate_name("state", kind)
    return f"state/{kind}/{hive_prefix(source, dataset)}state.json"


def heartbeat_key(source: str, dataset: str, stage: str) -> str:
    """The last successful run of one stage for one dataset (the freshness check reads these)."""
    return f"state/heartbeat/{hive_prefix(source, dataset)}{validate_name('stage', stage)}.json"


def ops_key(table: str, run_date: date, stage: str, run_id: str) -> str:
    validate_name("ops table", table)
    validate_name("stage", stage)
    return f"{table}/run_date={run_date.isoformat()}/{stage}-{run_id}.json"
