"""Where the embedded moto differs from AWS in a way the lake would notice, put right.

``adjust_moto()`` patches moto in this process (the local lake's server runs in it):

* One event per multipart upload: S3 sends ``ObjectCreated:CompleteMultipartUpload`` for
  an object uploaded in parts; moto also sends ``ObjectCreated:Put`` for it (its completion
  stores the object through its own put), so every file over boto3's 8 MiB multipart
  threshold would be delivered twice. The inner event is dropped, per request thread.
* Events name the version: in a versioned bucket S3's event carries the object's
  ``versionId`` (and a ``sequencer``), so a consumer copies exactly the version that was
  written even after a newer one replaced it; moto's events carry neither.
* Conditional copies: S3 refuses ``CopyObject`` with ``If-None-Match: *`` when the
  destination exists (412); moto copies anyway.
* Athena's ``BatchGetNamedQuery``, which moto lacks (the catalog lists its named queries with it).
* Athena's ``UNLOAD`` runs (the models' engine, cornlake.modeling.athena): moto records every
  statement as succeeded and runs none; here an UNLOAD's SELECT runs on DuckDB over the lake.
* Optimistic Glue updates: Glue refuses ``UpdateTable`` with a ``VersionId`` that is no longer
  the table's (ConcurrentModificationException), and ``SkipArchive`` updates the table
  without keeping the old definition as a version; moto ignores both, so lost updates could
  not be seen.
"""

from __future__ import annotations

import itertools
import re
import threading
import time
from typing import Any

_completing = threading.local()
_sequence = itertools.count(1)


def adjust_moto() -> None:
    """Apply every adjustment once per process."""
    from moto.s3 import models

    if getattr(models.S3Backend.complete_multipart_upload, "_cornlake", False):
        return
    _one_event_per_multipart_upload()
    _events_name_the_version()
    _conditional_copies()
    _optimistic_glue_updates()
    _batch_get_named_query()
    _athena_runs_unload()


def _one_event_per_multipart_upload() -> None:
    from moto.s3 import models, notifications

    complete = models.S3Backend.complete_multipart_upload
    send = notifications.send_event

    def completing(self: Any, *args: Any, **kwargs: Any) -> Any:
        _completing.active = True
        try:
            return complete(self, *args, **kwargs)
        finally:
            _completing.active = False

    def send_event(account_id: str, event_name: Any, bucket: Any, key: Any) -> Any:
        put = notifications.S3NotificationEvent.OBJECT_CREATED_PUT_EVENT
        if getattr(_completing, "active", False) and event_name == put:
            return None  # the completion's own event follows
        return send(account_id, event_name, bucket, key)

    completing._cornlake = True  # type: ignore[attr-defined]
    models.S3Backend.complete_multipart_upload = completing  # type: ignore[method-assign]
    notifications.send_event = send_event


def _events_name_the_version() -> None:
    from moto.s3 import notifications

    build = notifications._get_s3_event

    def s3_event(event_name: str, bucket: Any, key: Any, notification_id: str) -> dict[str, Any]:
        event = build(event_name, bucket, key, notification_id)
        obj = event["Records"][0]["s3"]["object"]
        version = getattr(key, "version_id", None)
        if version and version != "null" and getattr(bucket, "is_versioned", False):
            obj["versionId"] = version
        obj["sequencer"] = f"{next(_sequence):016X}"
        return event

    notifications._get_s3_event = s3_event


def _conditional_copies() -> None:
    from moto.s3.exceptions import PreconditionFailed
    from moto.s3.responses import S3Response

    copy = S3Response.copy_object

    def copy_object(self: Any) -> Any:
        if self.headers.get("If-None-Match") == "*" and self.backend.get_object(
            self.bucket_name, self.parse_key_name()
        ):
            raise PreconditionFailed("If-None-Match")
        return copy(self)

    S3Response.copy_object = copy_object  # type: ignore[method-assign]


_glue_lock = threading.Lock()


def _optimistic_glue_updates() -> None:
    from moto.glue.exceptions import GlueClientError
    from moto.glue.responses import GlueResponse

    def update_table(self: Any) -> Any:
        from moto.core.responses import EmptyResult

        database, table_input = self.parameters.get("DatabaseName"), self.parameters.get("TableInput")
        version, skip = self.parameters.get("VersionId"), self.parameters.get("SkipArchive")
        with _glue_lock:  # compare and set, as one step
            table = self.glue_backend.get_table(database, table_input["Name"])
            if version is not None and str(version) != str(table._current_version):
                raise GlueClientError(
                    "ConcurrentModificationException",
                    f"table version {version} is not the current version {table._current_version}",
                )
            replaced = str(table._current_version)
            self.glue_backend.update_table(database, table_input["Name"], table_input)
            if skip:  # a new version id, and the old definition is not kept
                table.versions.pop(replaced, None)
        return EmptyResult()

    GlueResponse.update_table = update_table  # type: ignore[method-assign]


def _batch_get_named_query() -> None:
    import json

    from moto.athena.responses import AthenaResponse

    def batch_get_named_query(self: Any) -> str:
        found = []
        for query_id in self._get_param("NamedQueryIds") or []:
            nq = self.athena_backend.get_named_query(query_id)
            if nq is not None:
                found.append(
                    {
                        "Name": nq.name,
                        "Description": nq.description,
                        "Database": nq.database,
                        "QueryString": nq.query_string,
                        "NamedQueryId": nq.id,
                        "WorkGroup": nq.workgroup.name,
                    }
                )
        return json.dumps({"NamedQueries": found, "UnprocessedNamedQueryIds": []})

    AthenaResponse.batch_get_named_query = batch_get_named_query  # type: ignore[attr-defined]


_UNLOAD_RE = re.compile(
    r"^\s*UNLOAD\s*\((?P<select>.*)\)\s*TO\s*'(?P<target>s3://[^']+)'\s*WITH\s*\((?P<options>[^)]*)\)\s*$",
    re.IGNORECASE | re.DOTALL,
)


def _athena_runs_unload() -> None:
    """Athena's ``UNLOAD (SELECT ...) TO 's3://...' WITH (format = 'PARQUET')`` runs: the SELECT
    on DuckDB over the lake (the same translation ``cornlake query`` uses), its rows written as
    Parquet under the target, the execution RUNNING until then and FAILED with Athena's kind of
    reason when the SQL or the target is wrong. Moto only records statements."""
    import json

    from moto.athena import models
    from moto.athena.responses import AthenaResponse

    start = models.AthenaBackend.start_query_execution
    describe = AthenaResponse.get_query_execution

    def start_query_execution(self: Any, query: str, context: Any, *args: Any, **kwargs: Any) -> str:
        query_id: str = start(self, query, context, *args, **kwargs)
        found = _UNLOAD_RE.match(query)
        if found:
            execution = self.executions[query_id]
            execution._transitions = [("RUNNING", "RUNNING")]  # until the statement ends, below
            execution.status = "RUNNING"
            database = (context or {}).get("Database", "default")
            threading.Thread(target=_unload, args=(execution, found, database), daemon=True).start()
        return query_id

    def get_query_execution(self: Any) -> str:
        answer = json.loads(describe(self))
        execution = self.athena_backend.get_query_execution(self._get_param("QueryExecutionId"))
        if getattr(execution, "reason", ""):
            answer["QueryExecution"]["Status"]["StateChangeReason"] = execution.reason
        return json.dumps(answer)

    models.AthenaBackend.start_query_execution = start_query_execution  # type: ignore[method-assign]
    AthenaResponse.get_query_execution = get_query_execution  # type: ignore[method-assign]


def _unload(execution: Any, found: re.Match[str], database: str) -> None:
    import tempfile
    from pathlib import Path

    from cornlake import aws
    from cornlake_toolkit.sql.arrow import LocalArrowEngine

    bucket, _, prefix = found["target"].removeprefix("s3://").partition("/")
    s3 = aws.s3()
    try:
        if "parquet" not in found["options"].lower():
            raise ValueError("NOT_SUPPORTED: the local lake's Athena unloads only format = 'PARQUET'")
        if s3.list_objects_v2(Bucket=bucket, Prefix=prefix, MaxKeys=1).get("KeyCount", 0):
            raise ValueError(
                f"HIVE_PATH_ALREADY_EXISTS: Target directory for UNLOAD already exists: {found['target']}"
            )
        with (
            tempfile.TemporaryDirectory(prefix="cornlake-athena-") as tmp,
            LocalArrowEngine(aws.glue(), s3, database) as engine,
        ):
            path = Path(tmp) / "rows.parquet"
            if engine.parquet(found["select"], path):  # no rows: no file, as Athena
                with path.open("rb") as body:
                    s3.put_object(Bucket=bucket, Key=f"{prefix}{execution.id}_00000.parquet", Body=body)
        outcome, reason = "SUCCEEDED", ""
    except Exception as err:  # noqa: BLE001 - any failure is the query's, told as Athena tells it
        outcome, reason = "FAILED", str(err)[:4000]
    if execution.status == "RUNNING":  # not stopped meanwhile (StopQueryExecution: CANCELLED)
        execution.reason, execution.status, execution.end_time = reason, outcome, time.time()
