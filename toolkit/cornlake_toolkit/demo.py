"""``cornlake demo``: the whole lake on sample data, on a throwaway local lake.

Files go in through the landing bucket, records through the HTTP API; every stage runs;
then Athena SQL answers questions over curated data and over the run records, which
show that every input row was curated or quarantined. Then the lake watches itself, through
the same functions as ``cornlake quality``, ``status``, ``held`` and ``publish``: the rules'
outcomes, the freshness schedule fired, and a batch held by its audit, invisible to queries
until it is released.

The held batch needs a dataset audited before publishing (``quality.mode:
audit_before_publish``), and the shipped examples are not: their tests rely on publish-then-check.
So the demo runs on a temporary copy of the contracts with one dataset of its own,
``ref/precos`` (``DEMO_CONTRACT``), that exists only there.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

from cornlake.settings import DATASETS_DIR_ENV
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
PRICES_SQL = "SELECT _ingest_id AS batch, produto, preco FROM ref_precos ORDER BY batch, produto"
DEMO_CONTRACT = """\
# Only in `cornlake demo`: a price list audited before publishing (write-audit-publish).
source: ref
dataset: precos
version: 1
description: Tabela de preços das lojas, enviada pelo ERP; auditada antes de ser publicada.
owner: comercial@cornlake.example
format:
  type: jsonl
  encoding: utf-8
columns:
  - name: produto
    type: string
    nullable: false
    description: Descrição do produto
  - name: preco
    type: decimal(12,2)
    nullable: false
    description: Preço de venda em reais
  - name: vigente_desde
    type: date
    nullable: false
    description: Primeiro dia do preço
primary_key: [produto]
freshness:
  expected_every: 1d
  grace: 6h
quality:
  mode: audit_before_publish  # a batch that fails an error rule is held, never read
  rules:
    - IsPrimaryKey "produto"
    - ColumnValues "preco" > 0
    - RowCount >= 1
"""
PRICE_LIST = """\
{"produto": "Café torrado 500g", "preco": 18.90, "vigente_desde": "2026-11-20"}
{"produto": "Pão de queijo 1kg", "preco": 32.50, "vigente_desde": "2026-11-20"}
{"produto": "Guaraná 2L", "preco": 9.99, "vigente_desde": "2026-11-20"}
"""
# The next list gives a mug away: a price of 0 fails `ColumnValues "preco" > 0`, an error rule.
PROMO_PRICE_LIST = PRICE_LIST.replace("2026-11-20", "2026-11-21") + (
    '{"produto": "Caneca CornLake (brinde)", "preco": 0.00, "vigente_desde": "2026-11-21"}\n'
)


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


def demo_contracts(folder: Path) -> Path:
    """The shipped contracts and the demo's audited one, in ``folder``."""
    for contract in SAMPLES.glob("*/*.yaml"):
        (folder / contract.parent.name).mkdir(parents=True, exist_ok=True)
        shutil.copy2(contract, folder / contract.parent.name / contract.name)
    (folder / "ref" / "precos.yaml").write_text(DEMO_CONTRACT, encoding="utf-8")
    return folder


def _ingest_samples(lake: LocalLake, target: Target) -> None:
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
    _wait(lake, "copy -> transform -> catalog + quality")


def _wait(lake: LocalLake, what: str) -> None:
    _step(f"waiting for {what} to finish")
    lake.wait_until_idle(timeout=120)
    if lake.errors:
        print(f"  handler errors: {lake.errors}")


def _queries(target: Target) -> bool:
    """Athena SQL over curated data and the run records; whether every row is accounted for."""
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
    return balanced


def _quality_and_freshness(lake: LocalLake, target: Target) -> None:
    """`cornlake quality` over the batches above, then the freshness schedule and `cornlake status`."""
    # The verbs are imported once the lake has set the log level: importing them makes the logger.
    from cornlake_toolkit.cli.maintenance import cmd_status
    from cornlake_toolkit.cli.ops import cmd_quality

    _step("cornlake quality: each rule's outcome on the batches just loaded")
    cmd_quality(argparse.Namespace(limit=100, format="table"), target)
    _step("freshness: the monitor's schedule (template.yaml `Freshness`), fired now")
    summary = lake.schedules.fire("Freshness")
    print(f"  late: {summary['late'] or 'none'}; alerts sent: {summary['alerts'] or 'none'}")
    _step("cornlake status: each dataset's last batch, freshness, quality and held batches")
    cmd_status(argparse.Namespace(format="table"), target)


def _push_prices(lake: LocalLake, target: Target, body: str, label: str) -> None:
    status, answer = post_records(target, "ref", "precos", body.encode(), "application/x-ndjson")
    print(f"  POST /v1/ingest/ref/precos ({label}) -> {status} {answer}")
    _wait(lake, "transform -> audit (quality) -> publish")


def _held_batch(lake: LocalLake, target: Target) -> str:
    """ref/precos: a list that passes its audit is published; one that fails is held until
    `cornlake publish` releases it. Returns the held batch's id."""
    from cornlake.quality import publish
    from cornlake_toolkit.cli.maintenance import cmd_held, cmd_publish

    _step("write-audit-publish: ref/precos is audited before readers see a batch")
    _push_prices(lake, target, PRICE_LIST, "a price list that passes its audit")
    _push_prices(lake, target, PROMO_PRICE_LIST, "a list with a free mug: preco = 0 fails an error rule")
    _step("cornlake held: batches held back by their checks")
    cmd_held(argparse.Namespace(), target)
    held = [h["ingest_id"] for h in publish.held_batches(target.client("s3"), target.ops_bucket)]
    _step("Athena SQL: readers see only the published list, not the held one")
    print(PRICES_SQL)
    print_table(run_sql(target, PRICES_SQL))
    for batch in held:
        _step(f"cornlake publish {batch}: released as it is (the mug really is free)")
        cmd_publish(argparse.Namespace(batch=batch), target)
    _wait(lake, "the catalog")
    _step("Athena SQL: the released batch's rows are there now")
    print_table(run_sql(target, PRICES_SQL))
    return ", ".join(held)


MODEL_QUERIES = {
    "vendas_diarias_uf": "SELECT * FROM vendas_diarias_uf ORDER BY receita DESC LIMIT 5",
    "receita_por_municipio": "SELECT * FROM receita_por_municipio ORDER BY receita DESC LIMIT 5",
    "anomalias_vendas": "SELECT * FROM anomalias_vendas ORDER BY abs(score) DESC LIMIT 5",
}


def _models(target: Target) -> bool:
    """The models over curated data (models/), built by the trigger as the batches landed."""
    from cornlake.ops import RUNS

    _step("models: built when the catalog registered their inputs (models/*.sql, *.py)")
    runs = run_sql(
        target,
        f"SELECT dataset AS model, status, rows_out, duration_ms FROM {target.ops_glue_database}.{RUNS.name} "
        "WHERE stage = 'model' AND status IN ('succeeded', 'held', 'failed') "
        "ORDER BY finished_at DESC LIMIT 10",
    )
    print_table(runs)
    built = True
    for name, sql in MODEL_QUERIES.items():
        _step(f"Athena SQL over the model {name}")
        print(sql)
        result = run_sql(target, sql)
        print_table(result)
        built = built and bool(result.rows)
    return built


def _catalog(target: Target, site: Path) -> None:
    """The data catalog site, built from everything above."""
    from cornlake_toolkit.site import build_site

    _step("data catalog site (cornlake docs): datasets, schemas, freshness, quality, lineage, runs")
    index = build_site(target, site)
    print(f"  {index}\n  open it in a browser: {index.as_uri()}")


def run_demo(site: Path = SITE) -> int:
    started = time.monotonic()
    before = os.environ.get(DATASETS_DIR_ENV)
    with tempfile.TemporaryDirectory(prefix="cornlake-demo-") as contracts:
        os.environ[DATASETS_DIR_ENV] = str(demo_contracts(Path(contracts)))
        try:
            _step("starting the local lake from template.yaml (moto server, no Docker)")
            with LocalLake(log_level="ERROR") as lake:
                target = Target(**lake.describe())
                print(target.banner())
                _ingest_samples(lake, target)
                balanced = _queries(target)
                modelled = _models(target)
                _quality_and_freshness(lake, target)
                held = _held_batch(lake, target)
                _catalog(target, site)
        finally:
            if before is None:
                os.environ.pop(DATASETS_DIR_ENV, None)
            else:
                os.environ[DATASETS_DIR_ENV] = before
    print(f"\ndemo finished in {time.monotonic() - started:.1f}s")
    return 0 if balanced and held and modelled else 1


if __name__ == "__main__":
    sys.exit(run_demo())
