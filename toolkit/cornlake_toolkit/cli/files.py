"""Verbs that bring data in: ``try`` (no lake), ``ingest`` (landing bucket), ``push`` (ingest API)."""

from __future__ import annotations

import argparse
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cornlake import keys
from cornlake.contracts import registry
from cornlake.settings import DEFAULT_MAX_BODY_BYTES
from cornlake_toolkit.cli.common import say, verb
from cornlake_toolkit.client import ndjson_chunks, post_records
from cornlake_toolkit.errors import UsageError
from cornlake_toolkit.follow import Followed, follow
from cornlake_toolkit.target import Target

CONTENT_TYPES = {
    ".jsonl": "application/x-ndjson",
    ".ndjson": "application/x-ndjson",
    ".json": "application/json",
}
FOLLOW_HINT = "add --wait to follow it through every stage, or see `cornlake runs`"


def register(sub: Any) -> None:
    trial = verb(
        sub, "try", cmd_try, "convert a local file under a contract, with no lake running", targeted=False
    )
    trial.add_argument("file")
    trial.add_argument(
        "--contract", required=True, help="the contract file (<source>/<dataset>.yaml, anywhere)"
    )
    trial.add_argument("--out", default="cornlake-try", help="where the Parquet and quarantine files go")
    trial.add_argument("--format", choices=("text", "json"), default="text")
    for name, run, text in (
        ("ingest", cmd_ingest, "upload a file to the landing bucket"),
        ("push", cmd_push, "send records to the ingest API"),
    ):
        cmd = verb(sub, name, run, text)
        cmd.add_argument("file")
        cmd.add_argument("--source", required=True)
        cmd.add_argument("--dataset", required=True)
        cmd.add_argument("--wait", action="store_true", help="follow the file through every stage")
        cmd.add_argument("--timeout", type=float, default=300, help="seconds --wait waits at most")
        if name == "ingest":
            cmd.add_argument("--name", help="file name in the lake (default: the file's name)")


def cmd_try(args: argparse.Namespace, target: Any) -> int:
    from cornlake_toolkit.trial import report_text, try_file

    report = try_file(Path(args.file), Path(args.contract), Path(args.out))
    print(json.dumps(report.to_dict(), indent=1) if args.format == "json" else report_text(report))
    return 1 if report.file_error else 0


def _file(path: str) -> Path:
    found = Path(path)
    if not found.is_file():
        raise UsageError(f"no file {found}", hint="give the path of the file to send")
    return found


def cmd_ingest(args: argparse.Namespace, target: Target) -> int:
    path = _file(args.file)
    key = f"{keys.validate_name('source', args.source)}/{keys.validate_name('dataset', args.dataset)}/"
    key += keys.validate_file_name(args.name or path.name)
    registry().get(args.source, args.dataset)
    started = datetime.now(UTC)
    target.client("s3").upload_file(str(path), target.landing_bucket, key)
    print(f"uploaded {path} to s3://{target.landing_bucket}/{key}")
    if not args.wait:
        say(FOLLOW_HINT)
        return 0
    return _outcome(follow(target, landing_key=key, timeout=args.timeout, say=say, since=started))


def cmd_push(args: argparse.Namespace, target: Target) -> int:
    path = _file(args.file)
    data = path.read_bytes()
    content_type = CONTENT_TYPES.get(path.suffix.lower(), "application/x-ndjson")
    chunks = ndjson_chunks(data, DEFAULT_MAX_BODY_BYTES) if content_type.endswith("ndjson") else [data]
    failed, landed, started = 0, [], datetime.now(UTC)
    for chunk in chunks:
        status, body = post_records(target, args.source, args.dataset, chunk, content_type)
        if status == 202:
            print(f"202 accepted: {body['records']} records as {body['key']}")
            landed.append(body["key"])
        else:
            failed += 1
            say(f"{status} {body.get('error', '')}: {body.get('message', '')}" + _hint(body))
    if not args.wait:
        if landed:
            say(FOLLOW_HINT)
        return 1 if failed else 0
    outcomes = [
        _outcome(follow(target, raw_key=key, timeout=args.timeout, say=say, since=started)) for key in landed
    ]
    return 1 if failed or any(outcomes) else 0


def _hint(body: dict[str, Any]) -> str:
    return f"\n  hint: {body['hint']}" if body.get("hint") else ""


def _outcome(done: Followed) -> int:
    if done.repeated:
        say(f"done: already in the lake as {done.repeated}")
        return 0
    if done.refused:
        say(f"refused: {done.refused}")
        return 1
    run = done.transform
    if not run:
        return 1
    say(f"done: {run['rows_in']} rows in, {run['rows_out']} curated, {run['rows_quarantined']} quarantined")
    return 0
