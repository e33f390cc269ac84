"""Verbs about the lake's processes: ``runs``, ``quality`` (SQL over the ops tables) and ``reprocess``."""

from __future__ import annotations

import argparse
from datetime import date
from typing import Any

from cornlake.contracts import registry
from cornlake.ops import QUALITY_RESULTS, RUNS
from cornlake_toolkit.cli.common import add_format, verb
from cornlake_toolkit.cli.query import show
from cornlake_toolkit.client import run_sql
from cornlake_toolkit.errors import UsageError
from cornlake_toolkit.target import Target

DATASET_SQL = "CASE WHEN source = '' THEN '' ELSE source || '/' || dataset END AS dataset"


def register(sub: Any) -> None:
    for name, run in (("runs", cmd_runs), ("quality", cmd_quality)):
        cmd = verb(sub, name, run, f"the latest {name} (ops data, through SQL)")
        cmd.add_argument("--limit", type=int, default=20)
        add_format(cmd)
    again = verb(sub, "reprocess", cmd_reprocess, "transform a dataset's raw objects again, for ingest dates")
    again.add_argument("--source", required=True)
    again.add_argument("--dataset", required=True)
    again.add_argument("--from", dest="date_from", required=True, help="first ingest date, YYYY-MM-DD")
    again.add_argument("--to", dest="date_to", default="", help="last ingest date (default: --from)")


# The transform's fast-path share of the valid rows (empty for the other stages), from the details.
FAST_PATH_SQL = "TRY_CAST(json_extract_scalar(details, '$.fast_path_share') AS DOUBLE) AS fast_path_share"


def cmd_runs(args: argparse.Namespace, target: Target) -> int:
    sql = (
        f"SELECT stage, status, {DATASET_SQL}, rows_in, rows_out, rows_quarantined, {FAST_PATH_SQL}, "
        "duration_ms, started_at, error "
        f"FROM {target.ops_glue_database}.{RUNS.name} ORDER BY started_at DESC LIMIT {int(args.limit)}"
    )
    show(run_sql(target, sql), args.format)
    return 0


def cmd_quality(args: argparse.Namespace, target: Target) -> int:
    sql = (
        f"SELECT {DATASET_SQL}, rule_id, severity, passed, rows_failed, observed, evaluated_at "
        f"FROM {target.ops_glue_database}.{QUALITY_RESULTS.name} "
        f"ORDER BY evaluated_at DESC LIMIT {int(args.limit)}"
    )
    show(run_sql(target, sql), args.format)
    return 0


def _day(text: str, flag: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise UsageError(
            f"{flag} {text!r} is not a date", hint="dates are YYYY-MM-DD (ingest dates, as in raw keys)"
        ) from None


def cmd_reprocess(args: argparse.Namespace, target: Target) -> int:
    from cornlake_toolkit.reprocess import reprocess

    registry().get(args.source, args.dataset)
    first, last = _day(args.date_from, "--from"), _day(args.date_to or args.date_from, "--to")
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
    print(
        f"queued {count} raw objects of {args.source}/{args.dataset} ingested {first}..{last} "
        "for the transform"
    )
    return 0
