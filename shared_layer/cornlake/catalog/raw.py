"""The raw zone as Glue tables, in a database of its own: each dataset as it arrived.

An engineer queries ``<stack>_raw.<source>_<dataset>`` to see exactly what a producer sent,
before any typing: every column is text, read with the SerDe of the dataset's format
(JSON lines with the OpenX JSON SerDe, mapping each column to its name in the source; CSV
with OpenCSVSerDe, columns by position in the contract's order, which is the file's). The
ingest date is projected, so no partitions are registered. JSON arrays and Parquet files
cannot be read as rows of text, so those datasets get no raw table (the sync says so).
"""

from __future__ import annotations

from typing import Any

from cornlake import keys
from cornlake.contracts import Contract

_PROJECTION = {
    "projection.enabled": "true",
    "projection.ingest_date.type": "date",
    "projection.ingest_date.format": "yyyy-MM-dd",
    "projection.ingest_date.range": "2020-01-01,NOW",
    "projection.ingest_date.interval": "1",
    "projection.ingest_date.interval.unit": "DAYS",
}
_ENCODINGS = {"latin-1": "ISO-8859-1", "cp1252": "windows-1252"}


def raw_table_input(contract: Contract, bucket: str) -> dict[str, Any] | None:
    """The Glue table of a dataset's raw objects; None for formats Athena cannot read as text rows."""
    serde = _serde(contract)
    if serde is None:
        return None
    location = f"s3://{bucket}/{keys.hive_prefix(contract.source, contract.dataset)}"
    columns = [
        {"Name": c.name, "Type": "string", "Comment": f"as sent, field {c.input_name!r}"}
        for c in contract.columns
    ]
    return {
        "Name": contract.table_name,
        "Description": f"{contract.description} As it arrived: every value as text.",
        "Owner": contract.owner,
        "TableType": "EXTERNAL_TABLE",
        "Parameters": {
            "EXTERNAL": "TRUE",
            "classification": contract.format.type,
            "cornlake.source": contract.source,
            "cornlake.dataset": contract.dataset,
            "cornlake.contract_version": str(contract.version),
            **_PROJECTION,
            "storage.location.template": location + "ingest_date=${ingest_date}/",
            **skip_header(contract),
        },
        "PartitionKeys": [{"Name": "ingest_date", "Type": "string", "Comment": "UTC day the object arrived"}],
        "StorageDescriptor": {
            "Columns": columns,
            "Location": location,
            "InputFormat": "org.apache.hadoop.mapred.TextInputFormat",
            "OutputFormat": "org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat",
            "SerdeInfo": serde,
        },
    }


def _serde(contract: Contract) -> dict[str, Any] | None:
    spec = contract.format
    if spec.type == "jsonl":
        mapping = {f"mapping.{c.name}": c.input_name for c in contract.columns if c.input_name != c.name}
        return {
            "SerializationLibrary": "org.openx.data.jsonserde.JsonSerDe",
            "Parameters": {"ignore.malformed.json": "true", "case.insensitive": "false", **mapping},
        }
    if spec.type == "csv":
        parameters = {"separatorChar": spec.delimiter, "quoteChar": spec.quote, "escapeChar": "\\"}
        if spec.encoding in _ENCODINGS:
            parameters["serialization.encoding"] = _ENCODINGS[spec.encoding]
        serde: dict[str, Any] = {
            "SerializationLibrary": "org.apache.hadoop.hive.serde2.OpenCSVSerde",
            "Parameters": parameters,
        }
        return serde
    return None


def skip_header(contract: Contract) -> dict[str, str]:
    return {"skip.header.line.count": "1"} if contract.format.type == "csv" and contract.format.header else {}
