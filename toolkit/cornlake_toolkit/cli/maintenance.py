"""Verbs that look after the lake: ``status``, ``held``, ``publish``, ``quarantine``,
``reconcile``, ``compact`` and ``redrive``."""

from __future__ import annotations

import argparse
import getpass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from cornlake import documents, keys
from cornlake.contracts import registry
from cornlake.monitor import freshness
from cornlake.ops import QUARANTINE
from cornlake.quality import publish
from cornlake.sqlquote import literal
from cornlake_toolkit.cli.common import add_format, verb
from cornlake_toolkit.client import run_sql
from cornlake_toolkit.errors import UsageError
from cornlake_toolkit.output import table_text, write_rows
from cornlake_toolkit.target import Target

REDRIVEN = ("ingest-copy", "transform", "catalog", "quality")  # the queues whose DLQs take messages back


def register(sub: Any) -> None:
    status = verb(
        sub, "status", cmd_status, "one screen: each dataset's last batch, freshness, quality, held"
    )
    add_format(status)
    verb(sub, "held", cmd_held, "batches of audited datasets held back by their checks")
    release = verb(sub, "publish", cmd_publish, "publish a held batch as it is (write-audit-publish)")
    release.add_argument("batch", help="the batch's ingest id, as `cornlake held` shows it")
    refused = verb(
        sub, "quarantine", cmd_quarantine, "a dataset's refused records: counts by reason, examples"
    )
    refused.add_argument("dataset", help="SOURCE/DATASET, e.g. erp/vendas")
    refused.add_argument("--days", type=int, default=30, help="ingest days to look back over (default 30)")
    add_format(refused)
    check = verb(
        sub, "reconcile", cmd_reconcile, "check every raw object got every stage; re-queue what did not"
    )
    check.add_argument("--since", default="", help="first ingest date, YYYY-MM-DD (default: 2 days ago)")
    check.add_argument("--dry-run", action="store_true", help="report only, re-queue nothing")
    merge = verb(
        sub, "compact", cmd_compact, "merge each partition's small files (readers see one or the other)"
    )
    merge.add_argument("dataset", help="SOURCE/DATASET, e.g. erp/vendas")
    merge.add_argument(
        "--partition", action="append", default=None, help="a partition value to compact (repeatable)"
    )
    merge.add_argument(
        "--min-files", type=int, default=0, help="compact partitions with at least this many small files"
    )
    add_format(merge)
    again = verb(sub, "redrive", cmd_redrive, "move a dead-letter queue's messages back to its queue")
    again.add_argument("queue", choices=REDRIVEN)


def who(target: Target) -> str:
    if target.is_local:
        return f"{getpass.getuser()} (local)"
    return str(target.client("sts").get_caller_identity()["Arn"])


def dataset_arg(text: str) -> tuple[str, str]:
    source, _, dataset = text.partition("/")
    if not dataset:
        raise UsageError(
            f"{text!r} is not SOURCE/DATASET", hint="for example: cornlake quarantine erp/vendas"
        )
    registry().get(source, dataset)
    return source, dataset


def cmd_status(args: argparse.Namespace, target: Target) -> int:
    s3 = target.client("s3")
    held: dict[str, int] = {}
    for record in publish.held_batches(s3, target.ops_bucket):
        held[record["dataset"]] = held.get(record["dataset"], 0) + 1
    now = datetime.now(UTC)
    rows = []
    for contract in registry():
        beats = freshness.heartbeats(s3, target.ops_bucket, contract)
        found = freshness.judge(contract, beats, now, timedelta(hours=1))
        quality, _ = documents.read(
            s3, target.ops_bucket, keys.heartbeat_key(contract.source, contract.dataset, "quality")
        )
        rows.append(
            [
                f"{contract.source}/{contract.dataset}",
                found.last_published_at or "-",
                found.state + (f" (due {found.due_by})" if found.due_by else ""),
                (quality or {}).get("status", "-"),
                held.get(f"{contract.source}/{contract.dataset}", 0),
                ", ".join(found.silent_stages) or "-",
            ]
        )
    columns = ["dataset", "last published batch", "freshness", "last quality", "held", "silent stages"]
    write_rows(columns, rows, args.format)
    return 0


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


def quarantine_sql(target: Target, source: str, dataset: str, since: date) -> str:
    """Refused records by column and kind of reason (the reason without the value it quotes), with
    an example value, never a PII column's."""
    pii = [c.name for c in registry().get(source, dataset).columns if c.pii] or ["-"]
    listed = ", ".join(literal(c) for c in pii)
    kind = "regexp_replace(e.reason, ', got .*$', '')"
    return (
        f'SELECT e."column" AS "column", {kind} AS reason, count(*) AS records, '
        f"CASE WHEN e.\"column\" IN ({listed}) THEN '(PII, not shown)' ELSE min(e.value) END AS example, "
        "min(raw_key) AS raw_object, min(record) AS first_record "
        f"FROM {target.ops_glue_database}.{QUARANTINE.name} CROSS JOIN UNNEST(errors) AS t(e) "
        f"WHERE source = {literal(source)} AND dataset = {literal(dataset)} "
        f"AND ingest_date >= {literal(since.isoformat())} "
        f'GROUP BY e."column", {kind} ORDER BY records DESC, "column"'
    )


def cmd_quarantine(args: argparse.Namespace, target: Target) -> int:
    source, dataset = dataset_arg(args.dataset)
    since = datetime.now(UTC).date() - timedelta(days=args.days)
    result = run_sql(target, quarantine_sql(target, source, dataset, since))
    if not result.rows:
        print(f"nothing quarantined for {source}/{dataset} since {since}")
        return 0
    write_rows(result.columns, result.rows, args.format)
    if args.format == "table":
        total = sum(int(r[2]) for r in result.rows)
        print(
            f"\n{total} refusals since {since} (a record refused for two columns counts twice); after a "
            f"contract fix, `cornlake reprocess --source {source} --dataset {dataset} --from DAY` turns the "
            "records that are now valid into curated rows"
        )
    return 0


def cmd_reconcile(args: argparse.Namespace, target: Target) -> int:
    from cornlake.monitor import reconcile
    from cornlake.ops import RECONCILIATION, RunRecord, write_run_record
    from cornlake.ops import write_rows as write_ops_rows
    from cornlake_toolkit.progress import Progress

    today = datetime.now(UTC).date()
    since = date.fromisoformat(args.since) if args.since else today - timedelta(days=2)
    s3, sqs = target.client("s3"), target.client("sqs")
    run = RunRecord(stage="reconcile")
    buckets = {
        "raw": target.raw_bucket,
        "curated": target.curated_bucket,
        "quarantine": target.quarantine_bucket,
        "ops": target.ops_bucket,
    }
    contracts = list(registry())
    found: list[reconcile.Finding] = []
    with Progress("reconcile", len(contracts)) as bar:
        for contract in contracts:
            found += reconcile.reconcile(
                s3,
                None if args.dry_run else sqs,
                [contract],
                buckets=buckets,
                transform_queue=target.queue_url(target.transform_queue),
                since=since,
                until=today,
                run_id=run.run_id,
            )
            bar.advance()
    key = write_ops_rows(
        s3, target.ops_bucket, RECONCILIATION, [f.row() for f in found], stage="reconcile", run_id=run.run_id
    )
    run.output_keys = [key] if key else []
    run.details = {"since": since.isoformat(), "findings": len(found), "by": who(target)}
    write_run_record(s3, target.ops_bucket, run.finish())
    if not found:
        print(f"every raw object ingested since {since} got every stage, and its rows add up")
        return 0
    rows = [[f.finding, f"{f.source}/{f.dataset}", f.raw_key, f.detail, f.action] for f in found]
    print(table_text(["finding", "dataset", "raw object", "detail", "action"], rows))
    requeued = sum(f.action == "requeued" for f in found)
    print(f"\n{len(found)} findings; {requeued} re-queued to the transform (rows ops table: reconciliation)")
    return 0


def cmd_redrive(args: argparse.Namespace, target: Target) -> int:
    from cornlake_toolkit.redrive import redrive

    queue = f"{target.stack_name}-{args.queue}"
    sqs = target.client("sqs")
    moved = redrive(
        sqs,
        dlq_url=target.queue_url(f"{queue}-dlq"),
        queue_url=target.queue_url(queue),
        local=target.is_local,
        label=args.queue,
    )
    if not moved:
        print(f"the {args.queue} dead-letter queue ({queue}-dlq) is empty: nothing to redrive")
        return 0
    print(f"moved {moved} messages from {queue}-dlq back to {queue}; each is processed again")
    return 0


def cmd_compact(args: argparse.Namespace, target: Target) -> int:
    from cornlake.monitor import compact
    from cornlake.ops import RunRecord, write_run_record
    from cornlake_toolkit.progress import Progress

    source, dataset = dataset_arg(args.dataset)
    contract = registry().get(source, dataset)
    plan = compact.Settings(
        target.curated_bucket, target.glue_database, min_files=args.min_files or compact.MIN_FILES
    )
    run = RunRecord(stage="compact", source=source, dataset=dataset)
    with Progress("compact", 0) as bar:

        def advanced(_: compact.Compaction, total: int) -> None:
            bar.total = total
            bar.advance()

        done = compact.compact_dataset(
            target.client("s3"), target.client("glue"), contract, plan, only=args.partition, each=advanced
        )
    run.details = {"partitions": [d.row() for d in done], "by": who(target)}
    write_run_record(target.client("s3"), target.ops_bucket, run.finish())
    columns = ["partition", "state", "files_before", "files_after", "rows", "generation", "reason"]
    write_rows(columns, [[d.row()[c] for c in columns] for d in done], args.format)
    if args.format == "table":
        merged = [d for d in done if d.state == "compacted"]
        before, after = sum(d.files_before for d in merged), sum(d.files_after for d in merged)
        print(f"\n{len(merged)} of {len(done)} partitions compacted: {before} small files read as {after}")
    return 0
