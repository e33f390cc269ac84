"""Landing bytes in the raw zone, as both ingest channels do: keys, ids and object metadata.

Raw objects live under ``keys.raw_key``; their metadata says when they
arrived, from whom, through which channel, and their SHA-256.
"""

from __future__ import annotations

from datetime import UTC, datetime


def object_metadata(
    ingest_id: str, received: datetime, sha256: str, producer: str, **extra: str
) -> dict[str, str]:
    """The S3 user metadata of a raw (or refused) object; empty values are left out."""
    meta = {
        "ingest-id": ingest_id,
        "received-at": received.astimezone(UTC).isoformat(timespec="milliseconds"),
        "content-sha256": sha256,
        "producer": producer or "unknown",
    }
    meta.update(extra)
    return {k: v for k, v in meta.items() if v}
