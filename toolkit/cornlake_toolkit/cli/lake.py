"""Verbs for the local lake: ``local start``, ``local provision`` and ``demo``."""

from __future__ import annotations

import argparse
import os
import signal
import time
from typing import Any

from cornlake_toolkit.cli.common import say, verb
from cornlake_toolkit.target import write_local_state

DEFAULT_MOTO_PORT = 4599  # not LocalStack's 4566, so both can run side by side
DEFAULT_API_PORT = 3000  # sam local start-api's default


def register(sub: Any) -> None:
    local = sub.add_parser("local", help="the local lake").add_subparsers(dest="local_command", required=True)
    start = verb(local, "start", cmd_local_start, "run the local lake in the foreground", targeted=False)
    start.add_argument(
        "--moto-port", type=int, default=DEFAULT_MOTO_PORT, help="the embedded AWS endpoint's port"
    )
    start.add_argument("--api-port", type=int, default=DEFAULT_API_PORT, help="the local ingest API's port")
    start.add_argument("--log-level", default="WARNING")
    provision = verb(
        local,
        "provision",
        cmd_local_provision,
        "create the template's resources on emulators you run",
        targeted=False,
    )
    provision.add_argument(
        "--endpoint", required=True, help="moto, e.g. http://localhost:5000 (docker compose up)"
    )
    provision.add_argument(
        "--localstack", default="", help="LocalStack for S3, SQS and SNS, e.g. http://localhost:4566"
    )
    verb(sub, "demo", cmd_demo, "run the whole lake on sample data and query it", targeted=False)


def cmd_local_start(args: argparse.Namespace, target: Any) -> int:
    from cornlake_toolkit.local import LocalLake

    lake = LocalLake(moto_port=args.moto_port, api_port=args.api_port, log_level=args.log_level).start()
    facts = lake.describe()
    path = write_local_state(facts | {"pid": os.getpid()})
    say(
        f"CornLake local lake is running (template.yaml on moto server, no Docker).\n"
        f"  AWS endpoint : {lake.endpoint}   (AWS_ENDPOINT_URL for boto3 and the AWS CLI)\n"
        f"  ingest API   : {lake.api_url}/v1/ingest/{{source}}/{{dataset}}\n"
        f"  landing      : s3://{facts['landing_bucket']}/<source>/<dataset>/<file>\n"
        f"  state file   : {path}\nPress Ctrl-C to stop."
    )
    stopping = False

    def stop(*_: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, stop)
    try:
        _watch(lake, lambda: stopping)
    except KeyboardInterrupt:
        pass
    finally:
        lake.stop()
        path.unlink(missing_ok=True)
        say("local lake stopped (its data was in memory and is gone)")
    return 0


def _watch(lake: Any, stopping: Any) -> None:
    """Say what the user should know while the lake runs: handler errors, contract changes."""
    errors = notices = 0
    while not stopping():
        time.sleep(0.5)
        for error in lake.errors[errors:]:
            say(f"handler error (will be retried, then sent to the DLQ): {error}")
        for notice in lake.notices[notices:]:
            say(notice)
        errors, notices = len(lake.errors), len(lake.notices)


def cmd_local_provision(args: argparse.Namespace, target: Any) -> int:
    from cornlake_toolkit.local import provision_external

    services = {s: args.localstack for s in ("s3", "sqs", "sns")} if args.localstack else {}
    facts = provision_external(args.endpoint, region=args.region or "us-east-1", service_endpoints=services)
    path = write_local_state(facts)
    say(f"provisioned template.yaml's buckets, queues, topics and Glue databases on {args.endpoint}")
    say(f"wrote {path}; `cornlake ingest`, `query` and the rest now use that endpoint")
    return 0


def cmd_demo(args: argparse.Namespace, target: Any) -> int:
    from cornlake_toolkit.demo import run_demo

    return run_demo()
