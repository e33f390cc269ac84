"""What the CLI and the demo do against a lake: SQL, and records sent to the ingest API.

On AWS, requests to the API are signed with SigV4 (the API uses IAM authorization) and
SQL runs in the stack's analyst Athena workgroup; locally SQL runs on DuckDB.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

from cornlake_toolkit.errors import TargetError, ToolkitError
from cornlake_toolkit.sql import AthenaEngine, LocalSqlEngine, QueryResult
from cornlake_toolkit.sql.scan import prune_cache
from cornlake_toolkit.target import Target

SQL_CACHE_BYTES = 2 * 1024**3  # the local query cache keeps the most recently used objects up to this


def run_sql(target: Target, sql: str) -> QueryResult:
    """Athena SQL on the target: DuckDB over the local lake (objects cached by ETag under the
    project's .cornlake/sql-cache, so separate commands reuse what they downloaded), or Athena."""
    if target.is_local:
        from cornlake_toolkit.target import project_home

        cache = project_home() / ".cornlake" / "sql-cache"
        glue, s3 = target.client("glue"), target.client("s3")
        try:
            with LocalSqlEngine(glue, s3, target.glue_database, cache_dir=cache) as engine:
                return engine.query(sql)
        finally:
            prune_cache(cache, SQL_CACHE_BYTES)
    return AthenaEngine(target.client("athena"), target.workgroup, target.glue_database).query(sql)


def ingest_url(target: Target, source: str, dataset: str) -> str:
    return f"{target.api_url.rstrip('/')}/v1/ingest/{source}/{dataset}"


def _signed(target: Target, url: str, body: bytes, headers: dict[str, str]) -> dict[str, str]:
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest

    request = AWSRequest(method="POST", url=url, data=body, headers=headers)
    credentials = target.session().get_credentials()
    if credentials is None:
        raise TargetError("no AWS credentials found to sign the request", hint="set AWS_PROFILE or --profile")
    SigV4Auth(credentials, "execute-api", target.region).add_auth(request)
    return dict(request.headers.items())


def post_records(
    target: Target, source: str, dataset: str, body: bytes, content_type: str, *, idempotency_key: str = ""
) -> tuple[int, dict[str, Any]]:
    """POST one body to the ingest API; return (status, JSON answer). Transport failures raise
    a ToolkitError saying what happened."""
    url = ingest_url(target, source, dataset)
    headers = {"Content-Type": content_type} | (
        {"Idempotency-Key": idempotency_key} if idempotency_key else {}
    )
    if not target.is_local:
        headers = _signed(target, url, body, headers)
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")  # noqa: S310 - http(s) URL from config
    try:
        with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310
            return response.status, _json(response.read())
    except urllib.error.HTTPError as err:
        return err.code, _json(err.read())
    except (urllib.error.URLError, OSError) as err:
        reason = getattr(err, "reason", err)
        raise ToolkitError(
            f"could not send {len(body)} bytes to {url}: {reason}",
            hint="is the lake running (`cornlake local start`)? Bodies over the API's limit are refused "
            "mid-upload: send big files with `cornlake ingest FILE` instead",
        ) from None


def _json(data: bytes) -> dict[str, Any]:
    try:
        answer = json.loads(data or b"{}")
    except json.JSONDecodeError:
        return {"message": data[:500].decode("utf-8", "replace")}
    return answer if isinstance(answer, dict) else {"answer": answer}


def ndjson_chunks(data: bytes, limit: int) -> list[bytes]:
    """NDJSON cut into bodies of at most ``limit`` bytes at line ends (a longer line stays whole)."""
    chunks, current = [], b""
    for line in data.splitlines(keepends=True):
        if current and len(current) + len(line) > limit:
            chunks.append(current)
            current = b""
        current += line
    if current:
        chunks.append(current)
    return chunks
