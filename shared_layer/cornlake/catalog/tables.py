"""Glue tables from contracts: the curated table of each dataset, and the ops tables.

No crawlers: the contract already knows the schema, so tables are created or updated from
it: types, column comments (with PII marks), description, owner, and parameters that
describe the table to people and tools (owner, source, contract and schema versions, PII
columns, expected update interval, last update, row count). Every update is optimistic: it
names the table version it read (Glue's ``VersionId``) and, when another writer got there
first, reads again and retries; a change of structure keeps the old definition as a Glue
table version. Tables may use Athena partition projection (``partitioning.projection``);
the ops tables always do, so they need no partition management at all.
"""

from __future__ import annotations

import contextlib
import hashlib
import random
import time
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from cornlake import keys
from cornlake.contracts import LINEAGE_COLUMN, Contract, Partitioning
from cornlake.errors import ConflictError
from cornlake.ops import OPS_TABLES, QUARANTINE, OpsTable

if TYPE_CHECKING:
    from mypy_boto3_glue import GlueClient

PARQUET_SERDE = {
    "InputFormat": "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat",
    "OutputFormat": "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat",
    "SerdeInfo": {
        "SerializationLibrary": "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe",
        "Parameters": {"serialization.format": "1"},
    },
}
JSON_SERDE = {
    "InputFormat": "org.apache.hadoop.mapred.TextInputFormat",
    "OutputFormat": "org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat",
    "SerdeInfo": {"SerializationLibrary": "org.openx.data.jsonserde.JsonSerDe", "Parameters": {}},
}
COMMENT_LIMIT = 255
EVOLVED_COMMENT = "Added by schema evolution (new field in the source, kept as text)"
LINEAGE_COMMENT = "Ingest id of the raw object the row came from"


def ensure_database(glue: GlueClient, name: str, description: str) -> None:
    try:
        glue.get_database(Name=name)
    except glue.exceptions.EntityNotFoundException:
        with contextlib.suppress(glue.exceptions.AlreadyExistsException):  # a concurrent run made it
            glue.create_database(DatabaseInput={"Name": name, "Description": description})


STATS_PARAMETERS = ("cornlake.last_update", "cornlake.row_count", "cornlake.recent_batches")
UPDATE_ATTEMPTS = 8


def table_input(
    contract: Contract, bucket: str, evolved: Iterable[str] = (), stats: dict[str, str] | None = None
) -> dict[str, Any]:
    """The Glue table for a contract, plus string columns schema evolution added, described by its
    parameters (owner, description, source, versions, PII columns, freshness, statistics)."""
    columns = [
        {
            "Name": c.name,
            "Type": c.type.glue(),
            "Comment": (c.description + (" [PII]" if c.pii else ""))[:COMMENT_LIMIT],
            "Parameters": {"cornlake.pii": str(c.pii).lower(), "cornlake.nullable": str(c.nullable).lower()},
        }
        for c in contract.columns
    ]
    columns += [{"Name": name, "Type": "string", "Comment": EVOLVED_COMMENT} for name in sorted(evolved)]
    columns.append({"Name": LINEAGE_COLUMN, "Type": "string", "Comment": LINEAGE_COMMENT})
    part = contract.partitioning
    location = f"s3://{bucket}/{keys.table_prefix(contract.source, contract.dataset)}"
    parameters = _parameters(contract, columns) | projection_parameters(part, location) | dict(stats or {})
    return {
        "Name": contract.table_name,
        "Description": contract.description,
        "Owner": contract.owner,
        "TableType": "EXTERNAL_TABLE",
        "Parameters": parameters,
        "PartitionKeys": [
            {
                "Name": part.name,
                "Type": "string",
                "Comment": f"Partition: {part.by}"
                + (f" {part.column} by {part.granularity}" if part.column else ""),
            }
        ],
        "StorageDescriptor": {"Columns": columns, "Location": location, **PARQUET_SERDE},
    }


def _parameters(contract: Contract, columns: list[dict[str, Any]]) -> dict[str, str]:
    schema = ",".join(f"{c['Name']}:{c['Type']}" for c in columns)
    return {
        "classification": "parquet",
        "parquet.compression": "ZSTD",
        "EXTERNAL": "TRUE",
        "cornlake.source": contract.source,
        "cornlake.dataset": contract.dataset,
        "cornlake.owner": contract.owner,
        "cornlake.description": contract.description[: COMMENT_LIMIT * 4],
        "cornlake.contract_version": str(contract.version),
        "cornlake.schema_version": hashlib.sha256(schema.encode()).hexdigest()[:12],
        "cornlake.primary_key": ",".join(contract.primary_key),
        "cornlake.pii_columns": ",".join(c.name for c in contract.columns if c.pii),
        "cornlake.expected_update_interval": contract.freshness.expected_every,
        "cornlake.grace": contract.freshness.grace if contract.freshness.expected_every else "",
        "cornlake.duplicates_across_files": contract.across_files,
    }


_PROJECTION_UNITS = {
    "day": ("yyyy-MM-dd", "DAYS"),
    "month": ("yyyy-MM", "MONTHS"),
    "hour": ("yyyy-MM-dd-HH", "HOURS"),
}


def projection_parameters(part: Partitioning, location: str) -> dict[str, str]:
    """Athena partition projection for a date partition: no partitions to register at all."""
    if not part.projection:
        return {}
    fmt, unit = _PROJECTION_UNITS[part.granularity]
    return {
        "projection.enabled": "true",
        f"projection.{part.name}.type": "date",
        f"projection.{part.name}.format": fmt,
        f"projection.{part.name}.range": f"{part.projection_start[: len(fmt)]},NOW",
        f"projection.{part.name}.interval": "1",
        f"projection.{part.name}.interval.unit": unit,
        "storage.location.template": f"{location}{part.name}=${{{part.name}}}/",
    }


def structure(table: dict[str, Any]) -> tuple[Any, ...]:
    """What a table is, apart from its statistics: a change here keeps a new Glue table version."""
    parameters = {k: v for k, v in table.get("Parameters", {}).items() if k not in STATS_PARAMETERS}
    return (
        table.get("StorageDescriptor", {}).get("Columns"),
        table.get("StorageDescriptor", {}).get("Location"),
        table.get("Description", ""),
        table.get("Owner", ""),
        parameters,
        table.get("PartitionKeys", []),
        table.get("ViewOriginalText", ""),
    )


def current_table(glue: GlueClient, database: str, name: str) -> dict[str, Any] | None:
    try:
        return dict(glue.get_table(DatabaseName=database, Name=name)["Table"])
    except glue.exceptions.EntityNotFoundException:
        return None


def write_table(
    glue: GlueClient, database: str, table: dict[str, Any], current: dict[str, Any] | None
) -> str:
    """Create or update one table against the version ``current`` was read at: a concurrent writer
    raises ConflictError (transient), so the caller reads again and retries. Statistics alone
    replace the current version; any other change keeps the old one as a Glue table version."""
    try:
        if current is None:
            glue.create_table(DatabaseName=database, TableInput=table)  # type: ignore[arg-type]
            return "created"
        if structure(current) == structure(table):
            stats = {k: current.get("Parameters", {}).get(k) for k in STATS_PARAMETERS}
            if stats == {k: table["Parameters"].get(k) for k in STATS_PARAMETERS}:
                return "unchanged"
            glue.update_table(
                DatabaseName=database,
                TableInput=table,  # type: ignore[arg-type]
                VersionId=current["VersionId"],
                SkipArchive=True,
            )
            return "statistics"
        glue.update_table(DatabaseName=database, TableInput=table, VersionId=current["VersionId"])  # type: ignore[arg-type]
        return "updated"
    except (glue.exceptions.ConcurrentModificationException, glue.exceptions.AlreadyExistsException) as err:
        raise ConflictError(f"Glue table {database}.{table['Name']}", type(err).__name__) from None


def upsert_table(glue: GlueClient, database: str, table: dict[str, Any]) -> str:
    """Create the table, or update it when its definition changed, retrying on conflict."""
    for attempt in range(UPDATE_ATTEMPTS):
        try:
            return write_table(glue, database, table, current_table(glue, database, table["Name"]))
        except ConflictError:
            if attempt == UPDATE_ATTEMPTS - 1:
                raise
            backoff(attempt)
    raise AssertionError("unreachable")


def backoff(attempt: int) -> None:
    """A short, jittered wait before reading a conflicting table again."""
    time.sleep(min(2.0, 0.05 * 2**attempt) * random.uniform(0.5, 1.5))  # noqa: S311 - jitter, not secrets


def ops_table_input(table: OpsTable, bucket: str) -> dict[str, Any]:
    location = f"s3://{bucket}/{table.name}/"
    return {
        "Name": table.name,
        "Description": table.description,
        "TableType": "EXTERNAL_TABLE",
        "Parameters": {
            "classification": "json",
            "EXTERNAL": "TRUE",
            "projection.enabled": "true",
            "projection.run_date.type": "date",
            "projection.run_date.format": "yyyy-MM-dd",
            "projection.run_date.range": "2024-01-01,NOW",
            "projection.run_date.interval": "1",
            "projection.run_date.interval.unit": "DAYS",
            "storage.location.template": location + "run_date=${run_date}/",
        },
        "PartitionKeys": [{"Name": "run_date", "Type": "string", "Comment": "UTC date the run started"}],
        "StorageDescriptor": {
            "Columns": [{"Name": n, "Type": t, "Comment": c} for n, t, c in table.columns],
            "Location": location,
            **JSON_SERDE,
        },
    }


def quarantine_table_input(bucket: str, contracts: Iterable[Contract]) -> dict[str, Any]:
    """The quarantine zone as one table: partitions projected over the contracts' sources and
    datasets and the ingest dates, so a new refusal is queryable without registering anything."""
    known = list(contracts)
    location = f"s3://{bucket}/"
    parameters = {
        "classification": "json",
        "EXTERNAL": "TRUE",
        "projection.enabled": "true",
        "projection.source.type": "enum",
        "projection.source.values": ",".join(sorted({c.source for c in known})) or "none",
        "projection.dataset.type": "enum",
        "projection.dataset.values": ",".join(sorted({c.dataset for c in known})) or "none",
        "projection.ingest_date.type": "date",
        "projection.ingest_date.format": "yyyy-MM-dd",
        "projection.ingest_date.range": "2020-01-01,NOW",
        "projection.ingest_date.interval": "1",
        "projection.ingest_date.interval.unit": "DAYS",
        "storage.location.template": location
        + "source=${source}/dataset=${dataset}/ingest_date=${ingest_date}/",
    }
    return {
        "Name": QUARANTINE.name,
        "Description": QUARANTINE.description,
        "TableType": "EXTERNAL_TABLE",
        "Parameters": parameters,
        "PartitionKeys": [
            {"Name": "source", "Type": "string", "Comment": "Dataset source"},
            {"Name": "dataset", "Type": "string", "Comment": "Dataset name"},
            {"Name": "ingest_date", "Type": "string", "Comment": "UTC date the raw object arrived"},
        ],
        "StorageDescriptor": {
            "Columns": [{"Name": n, "Type": t, "Comment": c} for n, t, c in QUARANTINE.columns],
            "Location": location,
            **JSON_SERDE,
        },
    }


_ENSURED: set[tuple[str, str, int]] = set()


def forget_ensured() -> None:
    """Check the ops tables again on the next batch (the local runtime calls this after a reset)."""
    _ENSURED.clear()


def ensure_ops_tables(
    glue: GlueClient,
    *,
    database: str,
    bucket: str,
    quarantine_bucket: str = "",
    contracts: Iterable[Contract] = (),
) -> list[str]:
    """The ops tables (and the quarantine table), checked once per execution environment and
    whenever the contracts change (the quarantine table lists their sources and datasets)."""
    known = list(contracts)
    marker = (database, bucket, hash(tuple(sorted(c.table_name for c in known))))
    if marker in _ENSURED:
        return []
    ensure_database(glue, database, "CornLake operations: run records, quality, freshness, quarantine")
    tables = [ops_table_input(table, bucket) for table in OPS_TABLES]
    if quarantine_bucket:
        tables.append(quarantine_table_input(quarantine_bucket, known))
    done = [f"{t['Name']}:{upsert_table(glue, database, t)}" for t in tables]
    _ENSURED.add(marker)
    return done
