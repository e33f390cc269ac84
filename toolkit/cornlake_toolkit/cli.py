"""``cornlake``: the daily verbs, the same locally and on AWS.

    cornlake local start                       run the local lake in the foreground
    cornlake ingest FILE --source S --dataset D   upload a file to the landing bucket
    cornlake push FILE --source S --dataset D     send records to the ingest API
    cornlake query "SQL"                       Athena SQL (DuckDB over the local lake)
    cornlake datasets | describe S/D           the dataset contracts and their tables
    cornlake runs | quality                    run records and quality results (SQL)
    cornlake demo                              everything above, on a throwaway local lake

``--target local`` (default) or ``--target aws --stack NAME [--profile P] [--region R]``.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import signal
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from cornlake import keys
from cornlake.contracts import Contract, registry
from cornlake.errors import CornLakeError
from cornlake.settings import DEFAULT_MAX_BODY_BYTES
from cornlake_toolkit.sql import AthenaEngine, LocalSqlEngine, QueryError, QueryResult
from cornlake_toolkit.target import Target, TargetError, resolve, write_local_state

CONTENT_TYPES = {
    ".jsonl": "application/x-ndjson",
    ".ndjson": "application/x-ndjson",
    ".json": "application/json",
}


def _say(message: str) -> None:
    print(message, file=sys.stderr)


def print_table(result: QueryResult, fmt: str = "table") -> None:
    if fmt == "json":
        print(
            json.dumps(
                [dict(zip(result.columns, row, strict=True)) for row in result.rows], default=str, indent=1
            )
        )
        return
    if fmt == "csv":
        writer = csv.writer(sys.stdout)
        writer.writerow(result.columns)
        writer.writerows(result.rows)
        return
    cells = [[("" if v is None else str(v)) for v in row] for row in result.rows]
    widths = [max([len(c)] + [len(r[i]) for r in cells]) for i, c in enumerate(result.columns)]
    line = "+".join("-" * (w + 2) for w in widths)
    print(" | ".join(c.ljust(w) for c, w in zip(result.columns, widths, strict=True)))
    print(line)
    for row in cells:
        print(" | ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)))
    print(f"({len(result.rows)} rows, {result.engine})")


def run_sql(target: Target, sql: str) -> QueryResult:
    if target.is_local:
        with LocalSqlEngine(target.client("glue"), target.client("s3"), target.glue_database) as engine:
            return engine.query(sql)
    return AthenaEngine(target.client("athena"), target.workgroup, target.glue_database).query(sql)


# -- commands -----------------------------------------------------------------------------
def cmd_local_start(args: argparse.Namespace) -> int:
    from cornlake_toolkit.local import LocalLake

    lake = LocalLake(moto_port=args.moto_port, api_port=args.api_port, log_level=args.log_level).start()
    facts = lake.describe()
    path = write_local_state(facts | {"pid": os.getpid()})
    _say(
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
        seen = 0
        while not stopping:
            time.sleep(0.5)
            for error in lake.errors[seen:]:
                _say(f"handler error (will be retried, then sent to the DLQ): {error}")
            seen = len(lake.errors)
    except KeyboardInterrupt:
        pass
    finally:
        lake.stop()
        path.unlink(missing_ok=True)
        _say("local lake stopped (its data was in memory and is gone)")
    return 0


def cmd_local_provision(args: argparse.Namespace) -> int:
    from cornlake_toolkit.local import provision_external

    services = {s: args.localstack for s in ("s3", "sqs", "sns")} if args.localstack else {}
    facts = provision_external(args.endpoint, region=args.region or "us-east-1", service_endpoints=services)
    path = write_local_state(facts)
    _say(f"provisioned template.yaml's buckets, queues, topics and Glue databases on {args.endpoint}")
    _say(f"wrote {path}; `cornlake ingest`, `query` and the rest now use that endpoint")
    return 0


def cmd_ingest(args: argparse.Namespace, target: Target) -> int:
    path = Path(args.file)
    name = args.name or path.name
    key = f"{keys.validate_name('source', args.source)}/{keys.validate_name('dataset', args.dataset)}/"
    key += keys.validate_file_name(name)
    registry().get(args.source, args.dataset)
    target.client("s3").upload_file(str(path), target.landing_bucket, key)
    print(f"uploaded {path} to s3://{target.landing_bucket}/{key}")
    return 0


def _ndjson_chunks(data: bytes, limit: int) -> list[bytes]:
    chunks, current = [], b""
    for line in data.splitlines(keepends=True):
        if current and len(current) + len(line) > limit:
            chunks.append(current)
            current = b""
        current += line
    if current:
        chunks.append(current)
    return chunks


def post_records(
    target: Target, source: str, dataset: str, body: bytes, content_type: str
) -> tuple[int, dict[str, Any]]:
    url = f"{target.api_url.rstrip('/')}/v1/ingest/{source}/{dataset}"
    headers = {"Content-Type": content_type}
    if not target.is_local:
        from botocore.auth import SigV4Auth
        from botocore.awsrequest import AWSRequest

        request = AWSRequest(method="POST", url=url, data=body, headers=headers)
        credentials = target.session().get_credentials()
        if credentials is None:
            raise TargetError("no AWS credentials found to sign the request (set AWS_PROFILE or --profile)")
        SigV4Auth(credentials, "execute-api", target.region).add_auth(request)
        headers = dict(request.headers.items())
    req = urllib.request.Request(url, data=body, headers=headers, method="POST")  # noqa: S310 - http(s) URL from config
    try:
        with urllib.request.urlopen(req, timeout=60) as response:  # noqa: S310
            return response.status, json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read() or b"{}")


def cmd_push(args: argparse.Namespace, target: Target) -> int:
    path = Path(args.file)
    data = path.read_bytes()
    content_type = CONTENT_TYPES.get(path.suffix.lower(), "application/x-ndjson")
    chunks = _ndjson_chunks(data, DEFAULT_MAX_BODY_BYTES) if content_type.endswith("ndjson") else [data]
    failed = 0
    for chunk in chunks:
        status, body = post_records(target, args.source, args.dataset, chunk, content_type)
        if status == 202:
            print(f"202 accepted: {body['records']} records as {body['key']}")
        else:
            failed += 1
            print(
                f"{status} {body.get('error')}: {body.get('message')}\n  hint: {body.get('hint')}",
                file=sys.stderr,
            )
    return 1 if failed else 0


def cmd_query(args: argparse.Namespace, target: Target) -> int:
    print_table(run_sql(target, args.sql), args.format)
    return 0


def cmd_datasets(args: argparse.Namespace, target: Target | None) -> int:
    for contract in registry():
        print(
            f"{contract.source}/{contract.dataset:<20} table {contract.table_name:<22} "
            f"{contract.format.type:<10} owner {contract.owner}\n    {contract.description}"
        )
    return 0


def describe_contract(contract: Contract) -> str:
    lines = [
        f"{contract.source}/{contract.dataset} (contract v{contract.version}, {contract.path})",
        f"  {contract.description}",
        f"  owner: {contract.owner}",
        f"  format: {contract.format.type}, encoding {contract.format.encoding}"
        + (
            f", delimiter {contract.format.delimiter!r}, decimal {contract.format.decimal!r}"
            if contract.format.type == "csv"
            else ""
        ),
        f"  table: {contract.table_name}, partitioned by {contract.partitioning.name}"
        + (
            f" ({contract.partitioning.column} by {contract.partitioning.granularity})"
            if contract.partitioning.column
            else ""
        ),
        f"  primary key: {', '.join(contract.primary_key) or '-'}",
        f"  new columns: {contract.new_columns}",
        "  columns:",
    ]
    for col in contract.columns:
        flags = ("" if col.nullable else " NOT NULL") + (" PII" if col.pii else "")
        lines.append(f"    {col.name:<16} {col.type.glue():<24}{flags:<14} {col.description}")
    lines.append("  quality rules:")
    lines += [f"    {r.rule_id} ({r.severity})" for r in contract.quality] or ["    -"]
    return "\n".join(lines)


def cmd_describe(args: argparse.Namespace, target: Target | None) -> int:
    source, _, dataset = args.dataset.replace(".", "/").partition("/")
    print(describe_contract(registry().get(source, dataset)))
    return 0


def cmd_runs(args: argparse.Namespace, target: Target) -> int:
    sql = (
        "SELECT stage, status, source, dataset, rows_in, rows_out, rows_quarantined, duration_ms, "
        "started_at "
        f"FROM {target.ops_glue_database}.runs ORDER BY started_at DESC LIMIT {int(args.limit)}"
    )
    print_table(run_sql(target, sql), args.format)
    return 0


def cmd_quality(args: argparse.Namespace, target: Target) -> int:
    sql = (
        f"SELECT source, dataset, rule_id, severity, passed, rows_failed, observed, evaluated_at "
        f"FROM {target.ops_glue_database}.quality_results ORDER BY evaluated_at DESC LIMIT {int(args.limit)}"
    )
    print_table(run_sql(target, sql), args.format)
    return 0


def cmd_reprocess(args: argparse.Namespace, target: Target) -> int:
    from datetime import date

    from cornlake_toolkit.reprocess import reprocess

    registry().get(args.source, args.dataset)
    try:
        first, last = date.fromisoformat(args.date_from), date.fromisoformat(args.date_to or args.date_from)
        count = reprocess(
            target.client("s3"),
            target.client("sqs"),
            raw_bucket=target.raw_bucket,
            queue=target.transform_queue,
            source=args.source,
            dataset=args.dataset,
            first=first,
            last=last,
        )
    except ValueError as err:
        _say(f"error: {err}\n  hint: dates are YYYY-MM-DD (ingest dates, as in the raw keys)")
        return 2
    print(
        f"queued {count} raw objects of {args.source}/{args.dataset} ingested {first}..{last} "
        "for the transform"
    )
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from cornlake_toolkit.demo import run_demo

    return run_demo()


# -- parser -------------------------------------------------------------------------------
def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="cornlake", description="CornLake: the serverless data lake, locally and on AWS."
    )
    parser.add_argument(
        "--target", choices=("local", "aws"), default=os.environ.get("CORNLAKE_TARGET", "local")
    )
    parser.add_argument(
        "--stack", default=os.environ.get("CORNLAKE_STACK", ""), help="deployed stack name (aws)"
    )
    parser.add_argument("--profile", default=os.environ.get("AWS_PROFILE", ""))
    parser.add_argument("--region", default=os.environ.get("AWS_REGION", ""))
    sub = parser.add_subparsers(dest="command", required=True)

    local = sub.add_parser("local", help="the local lake").add_subparsers(dest="local_command", required=True)
    start = local.add_parser("start", help="run the local lake in the foreground")
    start.add_argument("--moto-port", type=int, default=4566)
    start.add_argument("--api-port", type=int, default=3000)
    start.add_argument("--log-level", default="WARNING")
    provision = local.add_parser("provision", help="create the template's resources on an emulator you run")
    provision.add_argument(
        "--endpoint", required=True, help="moto, e.g. http://localhost:5000 (docker compose up)"
    )
    provision.add_argument(
        "--localstack", default="", help="LocalStack for S3, SQS and SNS, e.g. http://localhost:4566"
    )

    for name, helptext in (
        ("ingest", "upload a file to the landing bucket"),
        ("push", "send records to the ingest API"),
    ):
        cmd = sub.add_parser(name, help=helptext)
        cmd.add_argument("file")
        cmd.add_argument("--source", required=True)
        cmd.add_argument("--dataset", required=True)
        if name == "ingest":
            cmd.add_argument("--name", help="file name in the lake (default: the file's name)")

    query = sub.add_parser("query", help="run Athena SQL")
    query.add_argument("sql")
    for name in ("runs", "quality"):
        cmd = sub.add_parser(name, help=f"latest {name} (ops data, via SQL)")
        cmd.add_argument("--limit", type=int, default=20)
    for cmd in (query, sub.choices["runs"], sub.choices["quality"]):
        cmd.add_argument("--format", choices=("table", "csv", "json"), default="table")
    again = sub.add_parser("reprocess", help="transform a dataset's raw objects again, for ingest dates")
    again.add_argument("--source", required=True)
    again.add_argument("--dataset", required=True)
    again.add_argument("--from", dest="date_from", required=True, help="first ingest date, YYYY-MM-DD")
    again.add_argument("--to", dest="date_to", default="", help="last ingest date (default: --from)")
    sub.add_parser("datasets", help="list dataset contracts")
    describe = sub.add_parser("describe", help="show one dataset's contract")
    describe.add_argument("dataset", help="source/dataset")
    sub.add_parser("demo", help="run the whole lake on sample data and query it")
    return parser


TARGETED = {
    "ingest": cmd_ingest,
    "push": cmd_push,
    "query": cmd_query,
    "runs": cmd_runs,
    "quality": cmd_quality,
    "reprocess": cmd_reprocess,
}
UNTARGETED = {"datasets": cmd_datasets, "describe": cmd_describe}


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        if args.command == "local":
            return cmd_local_provision(args) if args.local_command == "provision" else cmd_local_start(args)
        if args.command == "demo":
            return cmd_demo(args)
        if args.command in UNTARGETED:
            return UNTARGETED[args.command](args, None)
        target = resolve(args.target, stack=args.stack, profile=args.profile, region=args.region)
        _say(target.banner())
        return TARGETED[args.command](args, target)
    except (CornLakeError, TargetError, QueryError) as err:
        hint = getattr(err, "hint", "")
        _say(f"error: {getattr(err, 'message', err)}" + (f"\n  hint: {hint}" if hint else ""))
        return 2


if __name__ == "__main__":
    sys.exit(main())
