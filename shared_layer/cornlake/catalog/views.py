"""Views over curated tables, stored in Glue the way Athena stores its own views.

With ``duplicates_across_files: latest_view`` a dataset gets ``<table>_latest`` beside its
table: every primary key once, from the raw object that arrived last (ingest ids sort by
arrival). The table itself keeps every copy, so nothing is lost and history stays
queryable. Athena reads a Glue view from ``ViewOriginalText`` (``/* Presto View: <base64
JSON> */``); the local SQL engine reads the same text.
"""

from __future__ import annotations

import base64
import hashlib
import json
from typing import Any

from cornlake.contracts import LINEAGE_COLUMN, Contract
from cornlake.datatypes import parse_type
from cornlake.sqlquote import ident

PRESTO_VIEW_PREFIX = "/* Presto View: "
PRESTO_VIEW_SUFFIX = " */"


def latest_view_sql(contract: Contract, database: str, columns: list[str]) -> str:
    """Athena SQL for the last row of each primary key."""
    key = ", ".join(ident(c) for c in contract.primary_key)
    listed = ", ".join(ident(c) for c in columns)
    table = f"{ident(database)}.{ident(contract.table_name)}"
    ranked = f"row_number() OVER (PARTITION BY {key} ORDER BY {ident(LINEAGE_COLUMN)} DESC) AS cornlake_rank"
    return f"SELECT {listed} FROM (SELECT {listed}, {ranked} FROM {table}) WHERE cornlake_rank = 1"  # noqa: S608 - quoted names


def view_input(contract: Contract, database: str, table: dict[str, Any]) -> dict[str, Any]:
    """The Glue table input of ``<table>_latest`` over the table input ``table``."""
    columns = [*table["StorageDescriptor"]["Columns"], *table["PartitionKeys"]]
    names = [c["Name"] for c in columns]
    sql = latest_view_sql(contract, database, names)
    presto = {
        "originalSql": sql,
        "catalog": "awsdatacatalog",
        "schema": database,
        "columns": [{"name": c["Name"], "type": parse_type(c["Type"]).presto()} for c in columns],
    }
    encoded = base64.b64encode(json.dumps(presto).encode()).decode()
    return {
        "Name": contract.latest_view_name,
        "Description": f"{contract.description} (the latest row of each {', '.join(contract.primary_key)})",
        "Owner": contract.owner,
        "TableType": "VIRTUAL_VIEW",
        "Parameters": {
            "presto_view": "true",
            "comment": "Presto View",
            "cornlake.view_of": contract.table_name,
            "cornlake.view_sql_sha256": hashlib.sha256(sql.encode()).hexdigest(),
        },
        "PartitionKeys": [],
        "ViewOriginalText": PRESTO_VIEW_PREFIX + encoded + PRESTO_VIEW_SUFFIX,
        "ViewExpandedText": "/* Presto View */",
        "StorageDescriptor": {"Columns": [{"Name": c["Name"], "Type": c["Type"]} for c in columns]},
    }


def view_sql(table: dict[str, Any]) -> str:
    """The SQL of a Glue view written by Athena (or by CornLake), '' for a table."""
    text = str(table.get("ViewOriginalText") or "")
    if table.get("TableType") != "VIRTUAL_VIEW" or not text.startswith(PRESTO_VIEW_PREFIX):
        return ""
    encoded = text.removeprefix(PRESTO_VIEW_PREFIX).removesuffix(PRESTO_VIEW_SUFFIX)
    return str(json.loads(base64.b64decode(encoded))["originalSql"])
