"""Glue catalog from contracts: databases, tables, column comments and partitions.

No crawlers: the contract already knows the schema, so tables are created or updated from
it and partitions are added through the Glue API as batches arrive. The ops tables (run
records, quality results) are registered with partition projection, so they need no
partition management at all.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from cornlake import keys
from cornlake.contracts import Contract
from cornlake.messages import EVOLVED_COMMENT, CuratedBatch
from cornlake.runs import RESULT_COLUMNS, RESULTS_TABLE, RUN_COLUMNS, RUNS_TABLE

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


def ensure_database(glue: GlueClient, name: str, description: str) -> None:
    try:
        glue.get_database(Name=name)
    except glue.exceptions.EntityNotFoundException:
        with contextlib.suppress(glue.exceptions.AlreadyExistsException):  # a concurrent run made it
            glue.create_database(DatabaseInput={"Name": name, "Description": description})


def table_input(contract: Contract, bucket: str, evolved: Iterable[str] = ()) -> dict[str, Any]:
    """The Glue table for a contract, plus string columns schema evolution added."""
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
    columns.append(
        {"Name": "_ingest_id", "Type": "string", "Comment": "Ingest id of the raw object the row came from"}
    )
    part = contract.partitioning
    location = f"s3://{bucket}/{keys.table_prefix(contract.source, contract.dataset)}"
    return {
        "Name": contract.table_name,
        "Description": contract.description,
        "Owner": contract.owner,
        "TableType": "EXTERNAL_TABLE",
        "Parameters": {
            "classification": "parquet",
            "parquet.compression": "ZSTD",
            "cornlake.source": contract.source,
            "cornlake.dataset": contract.dataset,
            "cornlake.contract_version": str(contract.version),
            "cornlake.primary_key": ",".join(contract.primary_key),
            "cornlake.pii_columns": ",".join(c.name for c in contract.columns if c.pii),
            "EXTERNAL": "TRUE",
        },
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


def upsert_table(glue: GlueClient, database: str, table: dict[str, Any]) -> str:
    """Create the table, or update it when its definition changed; return what happened."""
    try:
        current = glue.get_table(DatabaseName=database, Name=table["Name"])["Table"]
    except glue.exceptions.EntityNotFoundException:
        try:
            glue.create_table(DatabaseName=database, TableInput=table)  # type: ignore[arg-type]
            return "created"
        except glue.exceptions.AlreadyExistsException:
            current = glue.get_table(DatabaseName=database, Name=table["Name"])["Table"]
    same = (
        current.get("StorageDescriptor", {}).get("Columns") == table["StorageDescriptor"]["Columns"]
        and current.get("Description", "") == table["Description"]
        and current.get("Parameters", {}) == table["Parameters"]
        and current.get("PartitionKeys", []) == table["PartitionKeys"]
    )
    if same:
        return "unchanged"
    glue.update_table(DatabaseName=database, TableInput=table)  # type: ignore[arg-type]
    return "updated"


def add_partitions(glue: GlueClient, database: str, table: dict[str, Any], batch: CuratedBatch) -> int:
    """Register the batch's partitions; existing ones are left alone. Returns how many were new."""
    location = table["StorageDescriptor"]["Location"]
    names = [k["Name"] for k in table["PartitionKeys"]]
    wanted = {tuple(o.partition[n] for n in names) for o in batch.objects}
    inputs = [
        {
            "Values": list(values),
            "StorageDescriptor": {
                **table["StorageDescriptor"],
                "Location": location + keys.partition_path(dict(zip(names, values, strict=True))),
            },
        }
        for values in sorted(wanted)
    ]
    created = 0
    for start in range(0, len(inputs), 100):  # BatchCreatePartition takes at most 100
        chunk = inputs[start : start + 100]
        result = glue.batch_create_partition(
            DatabaseName=database,
            TableName=table["Name"],
            PartitionInputList=chunk,  # type: ignore[arg-type]
        )
        errors = result.get("Errors", [])
        hard = [e for e in errors if e.get("ErrorDetail", {}).get("ErrorCode") != "AlreadyExistsException"]
        if hard:
            detail = hard[0].get("ErrorDetail", {})
            raise RuntimeError(f"Glue refused partition {hard[0].get('PartitionValues')}: {detail}")
        created += len(chunk) - len(errors)
    return created


def sync_batch(glue: GlueClient, contract: Contract, batch: CuratedBatch, *, database: str) -> dict[str, Any]:
    ensure_database(glue, database, "CornLake curated datasets (one table per dataset contract)")
    known = {c.name for c in contract.columns} | {"_ingest_id"}
    evolved = set(batch.added_columns) | {
        c["Name"] for c in _current_columns(glue, database, contract.table_name) if c["Name"] not in known
    }  # columns are only ever added: older files still hold earlier evolutions
    table = table_input(contract, batch.curated_bucket, evolved)
    table_state = upsert_table(glue, database, table)
    created = add_partitions(glue, database, table, batch) if batch.objects else 0
    return {
        "table": f"{database}.{table['Name']}",
        "table_state": table_state,
        "partitions_created": created,
        "columns_added": sorted(set(batch.added_columns) - known),
    }


def _current_columns(glue: GlueClient, database: str, name: str) -> list[dict[str, Any]]:
    try:
        table = glue.get_table(DatabaseName=database, Name=name)["Table"]
    except glue.exceptions.EntityNotFoundException:
        return []
    return [dict(c) for c in table.get("StorageDescriptor", {}).get("Columns", [])]


def ops_table_input(
    name: str, bucket: str, columns: tuple[tuple[str, str, str], ...], description: str
) -> dict[str, Any]:
    location = f"s3://{bucket}/{name}/"
    return {
        "Name": name,
        "Description": description,
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
            "Columns": [{"Name": n, "Type": t, "Comment": c} for n, t, c in columns],
            "Location": location,
            **JSON_SERDE,
        },
    }


def ensure_ops_tables(glue: GlueClient, *, database: str, bucket: str) -> list[str]:
    ensure_database(glue, database, "CornLake operations: run records and data-quality results")
    tables = [
        ops_table_input(
            RUNS_TABLE, bucket, RUN_COLUMNS, "One row per stage run: what it read, wrote, rejected"
        ),
        ops_table_input(
            RESULTS_TABLE, bucket, RESULT_COLUMNS, "One row per quality rule evaluated on a batch"
        ),
    ]
    return [f"{t['Name']}:{upsert_table(glue, database, t)}" for t in tables]
