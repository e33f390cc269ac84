"""Verbs that look after the lake: held batches (``held``, ``publish``)."""

from __future__ import annotations

import argparse
import getpass
from typing import Any

from cornlake.contracts import registry
from cornlake.quality import publish
from cornlake_toolkit.cli.common import verb
from cornlake_toolkit.output import table_text
from cornlake_toolkit.target import Target


def register(sub: Any) -> None:
    verb(sub, "held", cmd_held, "batches of audited datasets held back by their checks")
    release = verb(sub, "publish", cmd_publish, "publish a held batch as it is (write-audit-publish)")
    release.add_argument("batch", help="the batch's ingest id, as `cornlake held` shows it")


def who(target: Target) -> str:
    if target.is_local:
        return f"{getpass.getuser()} (local)"
    return str(target.client("sts").get_caller_identity()["Arn"])


def cmd_held(args: argparse.Namespace, target: Target) -> int:
    held = publish.held_batches(target.client("s3"), target.ops_bucket)
    if not held:
        print("no held batches")
        return 0
    rows = [
        [
            h["ingest_id"],
            h["dataset"],
            h["rows"],
            h["held_at"],
            "; ".join(f["rule_id"] for f in h["failures"]),
        ]
        for h in held
    ]
    print(table_text(["batch", "dataset", "rows", "held_at", "failed rules"], rows))
    print(f"\n{len(held)} held; `cornlake publish BATCH` releases one as it is, or fix and reprocess")
    return 0


def cmd_publish(args: argparse.Namespace, target: Target) -> int:
    published, run = publish.release(
        target.client("s3"),
        target.client("sqs"),
        registry(),
        args.batch,
        bucket=target.curated_bucket,
        ops_bucket=target.ops_bucket,
        catalog_queue=target.queue_url(target.catalog_queue),
        released_by=who(target),
    )
    print(
        f"published batch {args.batch} of {published.source}/{published.dataset}: "
        f"{published.rows_out} rows in {len(published.objects)} files (run {run.run_id}); "
        "the catalog registers it next"
    )
    return 0
