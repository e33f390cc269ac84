"""Reading a table's objects: only those of the partitions the query reads, each downloaded
at most once per engine into a cache keyed by bucket, key and ETag.

A partition's objects are the data files under its location (not the ones whose name
starts with ``_`` or ``.``, as Athena skips them). Few partitions are listed one by one;
many are found in one listing of the table's location, keeping only keys under a chosen
partition's location, so objects under a folder that is not a partition are never read.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cornlake_toolkit.sql.catalog import Partition

LIST_EACH_UP_TO = 16  # partitions listed one by one; above, one listing of the table


@dataclass(frozen=True)
class S3Object:
    bucket: str
    key: str
    etag: str
    size: int


@dataclass
class ScanStats:
    listed: int = 0  # ListObjectsV2 calls
    downloaded: int = 0  # objects fetched from S3
    reused: int = 0  # objects served from the cache


def split_location(location: str) -> tuple[str, str]:
    bucket, _, prefix = location.removeprefix("s3://").partition("/")
    return bucket, prefix


def _prefix(location: str) -> str:
    return location if location.endswith("/") else location + "/"


def is_data(key: str) -> bool:
    """Whether Athena reads an object as data: not a folder marker, not a hidden name."""
    name = key.rsplit("/", 1)[-1]
    return bool(name) and not name.startswith(("_", ".")) and not name.endswith("$folder$")


def extensions(key: str) -> str:
    """The object's extensions (``.csv.gz``), kept on its local copy so readers decompress it."""
    name = key.rsplit("/", 1)[-1]
    parts = name.split(".")[1:]
    kept = [p for p in parts[-2:] if p.isalnum() and len(p) <= 8]
    return "".join("." + p for p in kept)


def prune_cache(folder: Path, max_bytes: int) -> int:
    """Delete the least recently used files of a cache folder until it holds at most
    ``max_bytes``; the number deleted."""
    if not folder.is_dir():
        return 0
    files = sorted((p for p in folder.iterdir() if p.is_file()), key=lambda p: p.stat().st_mtime)
    total = sum(p.stat().st_size for p in files)
    removed = 0
    for path in files:
        if total <= max_bytes:
            break
        total -= path.stat().st_size
        path.unlink(missing_ok=True)
        removed += 1
    return removed


class ObjectCache:
    """S3 objects as local files, each fetched once per engine (keyed by bucket, key and ETag)."""

    def __init__(self, s3: Any, folder: Path) -> None:
        self.s3, self.folder = s3, folder
        self.stats = ScanStats()

    def list_objects(self, location: str) -> list[S3Object]:
        bucket, prefix = split_location(_prefix(location))
        self.stats.listed += 1
        pages = self.s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
        return [
            S3Object(bucket, o["Key"], str(o.get("ETag", "")).strip('"'), int(o.get("Size", 0)))
            for page in pages
            for o in page.get("Contents", [])
        ]

    def path(self, obj: S3Object) -> Path:
        """The local copy of one object, downloaded the first time it is asked for."""
        digest = hashlib.sha256(f"{obj.bucket}/{obj.key}\0{obj.etag}".encode()).hexdigest()[:32]
        path = self.folder / f"{digest}{extensions(obj.key)}"
        if path.exists():
            self.stats.reused += 1
            os.utime(path)  # recently used: kept longest when a shared cache is pruned (prune_cache)
            return path
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(path.suffix + ".part")
        self.s3.download_file(obj.bucket, obj.key, str(partial))
        partial.replace(path)
        self.stats.downloaded += 1
        return path

    def objects(self, root: str, partitions: Iterable[Partition | None]) -> dict[int, list[S3Object]]:
        """The data objects of each partition (by index; ``None``: the whole table location)."""
        chosen = list(partitions)
        found: dict[int, list[S3Object]] = {i: [] for i in range(len(chosen))}
        inside = all(
            p is None
            or (
                split_location(_prefix(p.location))[1].startswith(split_location(_prefix(root))[1])
                and split_location(p.location)[0] == split_location(root)[0]
            )
            for p in chosen
        )
        if len(chosen) <= LIST_EACH_UP_TO or not root or not inside:
            for i, partition in enumerate(chosen):
                location = root if partition is None else partition.location
                found[i] = [o for o in self.list_objects(location) if is_data(o.key) and o.size > 0]
            return found
        prefixes = {split_location(_prefix(p.location)): i for i, p in enumerate(chosen) if p is not None}
        for obj in self.list_objects(root):
            if not is_data(obj.key) or obj.size == 0:
                continue
            parts = obj.key.split("/")
            for depth in range(len(parts) - 1, 0, -1):
                index = prefixes.get((obj.bucket, "/".join(parts[:depth]) + "/"))
                if index is not None:
                    found[index].append(obj)
                    break
        return found
