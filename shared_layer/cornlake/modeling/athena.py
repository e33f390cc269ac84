"""The models' engine on AWS: Athena computes, in the stack's models workgroup.

A SQL model's SELECT runs as ``UNLOAD (SELECT ...) TO 's3://<curated>/tables/models/<name>/_unload/<generation>/'
WITH (format = 'PARQUET', compression = 'ZSTD')``: Athena scans the inputs (partitions pruned,
only the columns named) and writes the rows as Parquet; the function fetches those files to
local disk and deletes them, and the runner checks, splits, hashes and swaps with DuckDB
(cornlake.modeling.rows). A Python model's inputs are read the same way, whole, and handed
to it as DuckDB relations: DuckDB and numpy fit the zip function, pyarrow would not. The local
runtime's emulated Athena runs the same statements on DuckDB (cornlake_toolkit.local.emulator),
so this code is what runs locally too.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cornlake import aws, keys
from cornlake.errors import ConfigError, CornLakeError, TransientError
from cornlake.modeling import sqlcheck
from cornlake.modeling.spec import MODELS_SOURCE, Model
from cornlake.sqlquote import ident, literal

DONE = ("SUCCEEDED", "FAILED", "CANCELLED")


class QueryFailedError(CornLakeError):
    """Athena refused or failed a model's query (its SQL, a missing table, a scan limit)."""

    code = "query_failed"


class AthenaEngine:
    """Computes a model's rows with Athena and leaves them as Parquet files on local disk."""

    def __init__(
        self,
        athena: Any,
        s3: Any,
        *,
        workgroup: str,
        database: str,
        bucket: str,
        poll_seconds: float = 0.5,
        timeout_seconds: float = 600,  # for all of this engine's queries (the invocation's time left)
    ) -> None:
        self.athena, self.s3, self.workgroup, self.database, self.bucket = (
            athena,
            s3,
            workgroup,
            database,
            bucket,
        )
        self.poll, self.timeout = poll_seconds, timeout_seconds
        self.deadline = time.monotonic() + timeout_seconds
        self.scanned_bytes = 0  # what Athena billed for, over this engine's queries

    def select_to(self, model: Model, folder: Path) -> list[Path]:
        sql = sqlcheck.qualified_sql(sqlcheck.parse_select(model.path, model.sql), self.database)
        return self.unload(sql, model.name, folder)

    def read(self, table: str, folder: Path) -> list[Path]:
        """A whole input table (for a Python model) as Parquet files."""
        whole = f"SELECT * FROM {ident(self.database)}.{ident(table)}"  # noqa: S608 - quoted names
        return self.unload(whole, table, folder)

    def unload(self, sql: str, name: str, folder: Path) -> list[Path]:
        """The rows of ``sql`` as Parquet files in ``folder`` (none when it found no rows)."""
        prefix = keys.unload_prefix(MODELS_SOURCE, name, keys.new_generation_id(datetime.now(UTC)))
        target = literal(f"s3://{self.bucket}/{prefix}")
        self.run(f"UNLOAD ({sql}) TO {target} WITH (format = 'PARQUET', compression = 'ZSTD')")
        written = self._listed(prefix)
        folder.mkdir(parents=True, exist_ok=True)
        paths = []
        try:
            for n, key in enumerate(k for k in written if not k.rsplit("/", 1)[-1].startswith(("_", "."))):
                paths.append(folder / f"unload-{n:05d}.parquet")
                aws.get_file(self.s3, self.bucket, key, paths[-1])
        finally:
            for key in written:
                self.s3.delete_object(Bucket=self.bucket, Key=key)
        return paths

    def _listed(self, prefix: str) -> list[str]:
        pages = self.s3.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=prefix)
        return [o["Key"] for page in pages for o in page.get("Contents", [])]

    def run(self, sql: str) -> dict[str, Any]:
        """Start one statement in the workgroup and wait for it; its execution, or the reason it failed."""
        started = self.athena.start_query_execution(
            QueryString=sql, WorkGroup=self.workgroup, QueryExecutionContext={"Database": self.database}
        )
        query_id, began = started["QueryExecutionId"], time.monotonic()
        while True:
            execution = self.athena.get_query_execution(QueryExecutionId=query_id)["QueryExecution"]
            state = execution["Status"]["State"]
            if state in DONE:
                break
            if time.monotonic() > self.deadline:
                self.athena.stop_query_execution(QueryExecutionId=query_id)
                raise TransientError(
                    f"Athena query {query_id} still {state} after {time.monotonic() - began:.0f} s, at the "
                    "end of the function's time; it was stopped",
                    hint="the model's previous output is still readable; a smaller scan (partition "
                    "filters) or a longer function timeout lets it finish",
                )
            time.sleep(self.poll)
        self.scanned_bytes += int(execution.get("Statistics", {}).get("DataScannedInBytes", 0))
        if state != "SUCCEEDED":
            reason = execution["Status"].get("StateChangeReason", "no reason given")
            raise QueryFailedError(
                f"Athena query {query_id} {state.lower()}: {reason}",
                hint=f"the previous output stays; see the query in the {self.workgroup} workgroup's history",
            )
        return execution  # type: ignore[no-any-return]


def athena_engine(settings: Any, timeout_seconds: float = 600) -> AthenaEngine:
    """The engine the model function uses on AWS: Athena in the stack's models workgroup."""
    if not settings.models_workgroup:
        raise ConfigError("MODELS_WORKGROUP is not set", hint="template.yaml sets it on the models function")
    return AthenaEngine(
        aws.client("athena"),
        aws.s3(),
        workgroup=settings.models_workgroup,
        database=settings.glue_database,
        bucket=settings.curated_bucket,
        timeout_seconds=timeout_seconds,
    )
