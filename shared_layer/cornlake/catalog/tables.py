"""Glue tables from contracts: the curated table of each dataset, and the ops tables.

No crawlers: the contract already knows the schema, so tables are created or updated from
it: types, column comments (with PII marks), description, owner and parameters. The ops
tables (run records, quality results) are registered with partition projection, so they
need no partition management at all.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from cornlake import keys
from cornlake.contracts import LINEAGE_COLUMN, Contract
from cornlake.ops import OPS_TABLES, OpsTable

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
    columns.append({"Name": LINEAGE_COLUMN, "Type": "string", "Comment": LINEAGE_COMMENT})
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


def ensure_ops_tables(glue: GlueClient, *, database: str, bucket: str) -> list[str]:
    ensure_database(glue, database, "CornLake operations: run records and data-quality results")
    tables = [ops_table_input(table, bucket) for table in OPS_TABLES]
    return [f"{t['Name']}:{upsert_table(glue, database, t)}" for t in tables]
