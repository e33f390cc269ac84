"""boto3 clients, built on demand from an injectable session (never at import time)."""

from __future__ import annotations

import os
from functools import cache
from typing import TYPE_CHECKING, Any

import boto3
from botocore.config import Config

if TYPE_CHECKING:
    from pathlib import Path

    from mypy_boto3_glue import GlueClient
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_sns import SNSClient
    from mypy_boto3_sqs import SQSClient


def _config() -> Config:
    """Standard retries; path-style S3 when an emulator endpoint is set (LocalStack, moto)."""
    emulated = any(os.environ.get(v) for v in ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3"))
    return _BASE_CONFIG.merge(Config(s3={"addressing_style": "path" if emulated else "auto"}))


_BASE_CONFIG = Config(retries={"mode": "standard", "max_attempts": 5}, connect_timeout=5, read_timeout=60)


@cache
def _client(service: str) -> Any:
    return boto3.session.Session().client(service, config=_config())  # type: ignore[call-overload]


def client(service: str, session: boto3.session.Session | None = None) -> Any:
    """A client for ``service``; cached per process unless a session is given."""
    if session is not None:
        return session.client(service, config=_config())  # type: ignore[call-overload]
    return _client(service)


def s3(session: boto3.session.Session | None = None) -> S3Client:
    return client("s3", session)  # type: ignore[no-any-return]


def glue(session: boto3.session.Session | None = None) -> GlueClient:
    return client("glue", session)  # type: ignore[no-any-return]


def sns(session: boto3.session.Session | None = None) -> SNSClient:
    return client("sns", session)  # type: ignore[no-any-return]


def sqs(session: boto3.session.Session | None = None) -> SQSClient:
    return client("sqs", session)  # type: ignore[no-any-return]


def reset_clients() -> None:
    """Forget cached clients (the local runtime calls this when the endpoint changes)."""
    _client.cache_clear()


STREAM_ATTEMPTS = 3  # a GET whose body breaks off mid-stream is started again this many times


def get_file(s3: S3Client, bucket: str, key: str, path: Path) -> None:
    """Stream one object to a local file with a single GET (no transfer threads, memory bounded).
    botocore retries the request; a body that breaks off while streaming is fetched again."""
    import shutil

    from botocore.exceptions import HTTPClientError, IncompleteReadError

    for attempt in range(1, STREAM_ATTEMPTS + 1):
        try:
            body = s3.get_object(Bucket=bucket, Key=key)["Body"]
            with path.open("wb") as out:
                shutil.copyfileobj(body, out, 1024 * 1024)
            return
        except (HTTPClientError, IncompleteReadError, ConnectionError):  # reset, timeout, cut short
            if attempt == STREAM_ATTEMPTS:
                raise
