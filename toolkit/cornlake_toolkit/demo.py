"""``cornlake demo``: the whole lake on sample data, on a throwaway local lake.

Files go in through the landing bucket, records through the HTTP API; every stage runs;
then Athena SQL answers questions over curated data and over the run records, which
show that every input row was curated or quarantined.
"""

from __future__ import annotations

import sys
import time

from cornlake_toolkit.client import post_records, run_sql
from cornlake_toolkit.local import ROOT, LocalLake
from cornlake_toolkit.output import write_rows
from cornlake_toolkit.sql import QueryResult
from cornlake_toolkit.target import Target

SAMPLES = ROOT / "datasets"
SITE = ROOT / ".cornlake" / "site"  # where `make demo` leaves the catalog site
SALES_SQL = """
SELECT uf, count(*) AS itens, sum(quantidade) AS unidades, sum(valor_total) AS faturamento
FROM erp_vendas
GROUP BY uf
ORDER BY faturamento DESC
LIMIT 5
"""
EVENTS_SQL = """
SELECT event_type, count(*) AS events, count(DISTINCT user_id) AS users, sum(amount) AS revenue_brl
FROM app_events
GROUP BY event_type
ORDER BY events DESC
"""


def counts_sql(ops_database: str) -> str:
    return f"""
SELECT source || '/' || dataset AS dataset, sum(rows_in) AS rows_in, sum(rows_out) AS rows_curated,
       sum(rows_quarantined) AS rows_quarantined
FROM {ops_database}.runs
WHERE stage = 'transform'
GROUP BY 1
ORDER BY 1
"""


def print_table(result: QueryResult) -> None:
    write_rows(result.columns, result.rows, footer=f"({len(result.rows)} rows, {result.engine})")


def _step(text: str) -> None:
    print(f"\n== {text}", flush=True)


def _quality_and_catalog(target: Target) -> None:
    """The quality results, then the data catalog site built from everything above."""
    from cornlake_toolkit.site import build_site

    _step("data quality results")
    print_table(
        run_sql(
            target,
            f"SELECT source || '/' || dataset AS dataset, rule_id, passed, observed FROM "
            f"{target.ops_glue_database}.quality_results ORDER BY dataset, rule_id",
        )
    )
    _step("data catalog site (cornlake docs): datasets, schemas, freshness, quality, lineage, runs")
    index = build_site(target, SITE)
    print(f"  {index}\n  open it in a browser: {index.as_uri()}")


def run_demo() -> int:
    started = time.monotonic()
    _step("starting the local lake from template.yaml (moto server, no Docker)")
    with LocalLake(log_level="ERROR") as lake:
        target = Target(**lake.describe())
        print(target.banner())
        s3 = target.client("s3")

        _step("landing bucket: partner files (CSV with Brazilian conventions, a JSON array)")
        for local, key in (
            (SAMPLES / "erp/samples/vendas.csv", "erp/vendas/vendas-2026-11-20.csv"),
            (SAMPLES / "ref/samples/lojas.json", "ref/lojas/lojas.json"),
        ):
            s3.upload_file(str(local), target.landing_bucket, key)
            print(f"  s3://{target.landing_bucket}/{key}")

        _step("ingest API: app events as NDJSON, and one malformed request")
        body = (SAMPLES / "app/samples/events.jsonl").read_bytes()
        status, answer = post_records(target, "app", "events", body, "application/x-ndjson")
        print(f"  POST /v1/ingest/app/events -> {status} {answer}")
        status, answer = post_records(target, "app", "events", b'{"event_id": "x", ', "application/json")
        print(f"  POST /v1/ingest/app/events (broken JSON) -> {status} {answer['message']}")

        _step("waiting for copy -> transform -> catalog + quality to finish")
        lake.wait_until_idle(timeout=120)
        if lake.errors:
            print(f"  handler errors: {lake.errors}")

        _step("Athena SQL over curated data: top states by revenue")
        print(SALES_SQL.strip())
        print_table(run_sql(target, SALES_SQL))
        _step("Athena SQL over curated data: app events")
        print_table(run_sql(target, EVENTS_SQL))

        _step("run records: every input row is curated or quarantined")
        counts = run_sql(target, counts_sql(target.ops_glue_database))
        print_table(counts)
        balanced = all(int(r[1]) == int(r[2]) + int(r[3]) for r in counts.rows) and len(counts.rows) == 3
        print("  in = curated + quarantined for every dataset" if balanced else "  COUNTS DO NOT ADD UP")

        _quality_and_catalog(target)
    print(f"\ndemo finished in {time.monotonic() - started:.1f}s")
    return 0 if balanced else 1


if __name__ == "__main__":
    sys.exit(run_demo())
