"""This process, pointed at the local lake: the local account, credentials and environment.

``configure_process`` is what the local runtime and the tests do before any handler runs:
every boto3 client in the process (the handlers' too) then talks to the emulator, with the
local lake's fixed fake credentials, and the handlers' cached clients and settings are
forgotten. Nothing here starts anything.
"""

from __future__ import annotations

import os
import socket
from pathlib import Path

import boto3

from cornlake_toolkit.errors import UsageError

ROOT = Path(__file__).resolve().parents[3]
LOCAL_ACCOUNT = "123456789012"
# A 12-digit access key id: LocalStack takes it as the account id, moto ignores it.
LOCAL_CREDENTIALS = {
    "aws_access_key_id": LOCAL_ACCOUNT,
    "aws_secret_access_key": "cornlake-local",
    "aws_session_token": "cornlake-local",
}
LOCAL_ENV = {
    "AWS_ACCESS_KEY_ID": LOCAL_CREDENTIALS["aws_access_key_id"],
    "AWS_SECRET_ACCESS_KEY": LOCAL_CREDENTIALS["aws_secret_access_key"],
    "AWS_SESSION_TOKEN": LOCAL_CREDENTIALS["aws_session_token"],
    "POWERTOOLS_TRACE_DISABLED": "true",
    "POWERTOOLS_METRICS_DISABLED": "true",
}


def local_session(region: str) -> boto3.session.Session:
    """A boto3 session with the local lake's fake credentials."""
    return boto3.session.Session(
        region_name=region,
        aws_access_key_id=LOCAL_CREDENTIALS["aws_access_key_id"],
        aws_secret_access_key=LOCAL_CREDENTIALS["aws_secret_access_key"],
        aws_session_token=LOCAL_CREDENTIALS["aws_session_token"],
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def check_port(port: int, flag: str) -> None:
    """Refuse a busy port with the flag that picks another one."""
    if not port:
        return
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            raise UsageError(
                f"port {port} is already in use",
                hint=f"stop what listens there, or choose another port with {flag} PORT",
            ) from None


def configure_process(endpoint: str, *, region: str = "us-east-1", log_level: str = "WARNING") -> None:
    """Point every boto3 client in this process (the handlers' too) at the emulator."""
    from cornlake import aws, contracts
    from cornlake.settings import settings_for

    os.environ.update(LOCAL_ENV)
    os.environ.update(
        {
            "AWS_ENDPOINT_URL": endpoint,
            "AWS_DEFAULT_REGION": region,
            "AWS_REGION": region,
            "POWERTOOLS_LOG_LEVEL": log_level,
        }
    )
    aws.reset_clients()
    settings_for.cache_clear()
    contracts.refresh()
    # The logger may exist already (a CLI verb imported the library first): give it the level too.
    from cornlake.observability import logger

    logger.setLevel(log_level)
