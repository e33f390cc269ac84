"""Ingestion: land bytes in the raw zone exactly as they arrived, through two channels.

    api        records POSTed to the ingest API (lambda_ingest_api): checked, landed, answered
    landing    files dropped in the landing bucket (lambda_ingest_s3_copy): copied byte for byte
    body       what an API body must be (JSON records, media type, size)
    raw        what both channels write: raw objects' metadata

Neither channel parses more than it must, and everything refused is kept (quarantine
bucket, or the landing bucket's ``_rejected/`` prefix) with its reason.

The names below load their module on first use: the API function's cold start must not
pay for the landing channel's SQS batch machinery, nor the other way round.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "ApiRequest": "api",
    "ApiResponse": "api",
    "Landed": "api",
    "answer": "api",
    "land_api_payload": "api",
    "check_request": "body",
    "count_records": "body",
    "LANDING_COPY": "landing",
    "CopyOutcome": "landing",
    "copy_landing_object": "landing",
}
__all__ = [
    "LANDING_COPY",
    "ApiRequest",
    "ApiResponse",
    "CopyOutcome",
    "Landed",
    "answer",
    "check_request",
    "copy_landing_object",
    "count_records",
    "land_api_payload",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'cornlake.ingest' has no attribute {name!r}")
    return getattr(importlib.import_module(f"cornlake.ingest.{module}"), name)
