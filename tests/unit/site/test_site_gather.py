"""Gathering the catalog site's facts from a lake on moto server, with batches the real handlers
produced: contracts, Glue tables and partitions, run records, quality results, quarantine."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from unittest import mock

from site_batches import BAD_VENDAS, Land, contracts_with, expecting

from cornlake.catalog.tables import table_input
from cornlake.contracts import ContractRegistry, registry
from cornlake.errors import ContractError
from cornlake_toolkit.client import run_sql
from cornlake_toolkit.errors import QueryError
from cornlake_toolkit.local import LocalLake
from cornlake_toolkit.site import Limits, gather_site, render_site
from cornlake_toolkit.site import model as m
from cornlake_toolkit.site.freshness import parse_time
from cornlake_toolkit.target import Target
from helpers import run_records, sample


def test_a_dataset_gets_every_fact_from_its_source(
    land: Land, target: Target, stack: LocalLake, names: dict[str, Any]
) -> None:
    # GIVEN the sample sales file (2 rows quarantined), then a batch that fails two quality rules
    land("erp", "vendas", "vendas.csv", sample("erp/samples/vendas.csv").read_bytes())
    land("erp", "vendas", "vendas-2.csv", BAD_VENDAS)
    site = gather_site(target)
    vendas = site.dataset("erp", "vendas")
    # THEN the contract's schema, with what the table adds
    columns = {c.name: c for c in vendas.columns}
    assert columns["cliente"].pii and not columns["uf"].pii and vendas.pii_columns == ("cliente",)
    assert columns["id_venda"].primary_key and not columns["id_venda"].nullable
    assert columns["municipio"].source_name == "Município"
    assert (columns["_ingest_id"].role, columns["mes_venda"].role) == ("lineage", "partition")
    assert vendas.owner == "financeiro-dados@cornlake.example" and vendas.format == "csv"
    # partitions from Glue, rows from a count query: 38 + 2 curated rows
    assert vendas.partitions is not None and vendas.partitions.counts_read
    assert {p.value for p in vendas.partitions.values} == {"2026-10", "2026-11"}
    assert sum(p.rows or 0 for p in vendas.partitions.values) == vendas.row_count == 40
    assert all(p.registered_at for p in vendas.partitions.values)
    # freshness: the last transform that curated rows
    transforms = [r for r in run_records(stack, names["ops_bucket"], "transform")]
    assert vendas.freshness.last_success == max(r["finished_at"] for r in transforms)[:19] + "+00:00"
    # quality: the rules' history, and each batch's score
    uf = rule_on(vendas.quality.rules, "uf")  # accepted values; its id is `accepted_values:uf` or DQDL
    assert [run.passed for run in uf.history] == [True, False]
    assert "AC" in uf.params + uf.rule_id
    assert [b.errors_failed for b in vendas.quality.batches] == [0, 2]
    assert vendas.quality.latest_failed == vendas.quality.latest_errors_failed == 2
    # quarantine, read with SQL over the ops quarantine table the catalog registered
    reasons = {r.reason: r for r in vendas.quarantine.reasons}
    assert vendas.quarantine.basis == "table" and vendas.quarantine.rows == 2
    assert (
        reasons["expected an integer"].column == "quantidade"
        and reasons["expected an integer"].example == "dez"
    )
    assert (vendas.quarantine.files_read, vendas.quarantine.capped) == (0, False)  # no object read whole
    assert vendas.rows_quarantined_recently == 2


def rule_on(rules: tuple[m.Rule, ...], column: str) -> m.Rule:
    """The one rule that checks ``column``, whichever way its contract writes rules."""
    [rule] = [r for r in rules if re.search(rf'[:"]{column}("|$|,)', r.rule_id)]
    return rule


def test_lineage_runs_and_examples_of_a_dataset(land: Land, target: Target) -> None:
    land("erp", "vendas", "vendas.csv", sample("erp/samples/vendas.csv").read_bytes())
    land("erp", "vendas", "vendas-2.csv", BAD_VENDAS)
    site = gather_site(target)
    vendas = site.dataset("erp", "vendas")
    assert vendas.lineage is not None
    assert vendas.lineage.curated.label == f"{target.glue_database}.erp_vendas"
    assert ("bucket", target.raw_bucket) in vendas.lineage.raw.facts
    assert vendas.lineage.source.facts == (("node_format", "csv"),)  # put in raw directly: no channel ran
    assert ("rows_read", "2") in vendas.lineage.quarantine.facts
    # the catalog's example queries, each of which runs
    assert [e.kind for e in vendas.examples] == ["preview", "count_by_partition"]
    for example in vendas.examples:
        run_sql(target, example.sql)
    # runs: the dataset's own, the failures, a summary per stage
    assert {(r.stage, r.status) for r in vendas.runs} >= {
        ("transform", "partial"),
        ("quality", "checks_failed"),
    }
    assert [(r.stage, r.status, r.table) for r in site.failures] == [
        ("quality", "checks_failed", "erp_vendas")
    ]
    transform = next(s for s in site.stages if s.stage == "transform")
    assert transform.runs == 2 and dict(transform.by_status) == {"partial": 1, "succeeded": 1}
    assert transform.rows_in == 42 and transform.rows_quarantined == 2
    assert site.recent_runs[0].started_at >= site.recent_runs[-1].started_at


def test_the_preview_never_shows_a_pii_column_or_value(land: Land, target: Target, tmp_path: Path) -> None:
    # GIVEN events of today (inside the preview's last 7 days), each with a PII e-mail
    now = datetime.now(UTC).isoformat(timespec="seconds")
    events = [
        {
            "event_id": f"e{i}",
            "event_type": "click",
            "event_time": now,
            "user_email": f"pessoa{i}@example.com",
        }
        for i in range(3)
    ]
    land("app", "events", "e.jsonl", "\n".join(json.dumps(e) for e in events).encode())
    land("erp", "vendas", "vendas.csv", sample("erp/samples/vendas.csv").read_bytes())
    site = gather_site(target)
    # THEN no example of a dataset with PII names a PII column
    for dataset in (site.dataset("app", "events"), site.dataset("erp", "vendas")):
        assert dataset.pii_columns and dataset.examples
        for example in dataset.examples:
            assert not [c for c in dataset.pii_columns if c in example.sql], example.sql
    # and the preview's rows have every other column, but no PII value
    [preview] = [e for e in site.dataset("app", "events").examples if e.kind == "preview"]
    rows = run_sql(target, preview.sql)
    assert len(rows.rows) == 3 and "user_email" not in rows.columns
    assert {"event_id", "event_type", "user_id", "event_date"} <= set(rows.columns)
    assert not [v for row in rows.rows for v in row if "@example.com" in str(v)]
    # nor does the page's examples section
    render_site(site, tmp_path / "site")
    page = (tmp_path / "site" / "datasets" / "app_events.html").read_text(encoding="utf-8")
    examples = page[page.index('<section id="examples"') :].split("</section>")[0]
    assert "event_type" in examples and "user_email" not in examples


def test_a_dataset_is_late_once_its_interval_and_grace_have_passed(land: Land, target: Target) -> None:
    land("ref", "lojas", "lojas.json", sample("ref/samples/lojas.json").read_bytes())
    lojas = registry().get("ref", "lojas")
    contracts = contracts_with(expecting(lojas, "1d", "6h"))
    last = parse_time(gather_site(target, contracts=contracts).dataset("ref", "lojas").freshness.last_success)
    assert last is not None
    on_time = gather_site(target, contracts=contracts, now=last + timedelta(hours=29)).dataset("ref", "lojas")
    assert (
        on_time.freshness.state == "on_time"
        and on_time.freshness.due_by == (last + timedelta(hours=30)).isoformat()
    )
    late = gather_site(target, contracts=contracts, now=last + timedelta(hours=31)).dataset("ref", "lojas")
    assert late.freshness.state == "late" and (late.freshness.expected_every, late.freshness.grace) == (
        "1d",
        "6h",
    )
    # erp/vendas expects no interval, in its contract or in Glue
    land("erp", "vendas", "vendas.csv", sample("erp/samples/vendas.csv").read_bytes())
    site = gather_site(target, contracts=contracts, now=last + timedelta(days=30))
    assert site.dataset("erp", "vendas").freshness.state == "no_interval"
    assert site.dataset("app", "events").freshness.state == "never"  # no batch at all


def test_views_built_on_a_table_and_files_refused_whole(land: Land, target: Target) -> None:
    lojas = sample("ref/samples/lojas.json").read_bytes()
    land("ref", "lojas", "lojas.json", lojas)
    land("ref", "lojas", "lojas-2.json", lojas)
    land("ref", "lojas", "wrong.csv", sample("erp/samples/vendas.csv").read_bytes())  # latin-1 CSV: refused
    site = gather_site(target)
    dataset = site.dataset("ref", "lojas")
    assert dataset.lineage is not None
    assert [n.label for n in dataset.lineage.built_on] == [f"{target.glue_database}.ref_lojas_latest"]
    assert [e.kind for e in dataset.examples] == ["preview", "count_by_partition", "latest_view"]
    assert dataset.row_count == 24
    [refused] = site.failures
    assert (refused.stage, refused.status) == ("transform", "rejected") and "utf-8" in refused.error
    [whole_file] = dataset.quarantine.reasons
    assert whole_file.column == "" and whole_file.example == "" and "utf-8" in whole_file.reason


def _put_quarantine(
    stack: LocalLake, bucket: str, day: str, ingest_id: str, errors: list[dict[str, str]]
) -> str:
    key = f"source=erp/dataset=vendas/ingest_date={day}/{ingest_id}.jsonl"
    lines = [
        {"raw_key": "k", "record": n, "errors": [e], "raw": "secret raw text"} for n, e in enumerate(errors)
    ]
    body = "".join(json.dumps(line) + "\n" for line in lines)
    stack.client("s3").put_object(Bucket=bucket, Key=key, Body=body.encode())
    return key


def test_quarantine_is_read_within_its_caps_and_pii_values_are_never_kept(
    stack: LocalLake, names: dict[str, Any], target: Target
) -> None:
    today = datetime.now(UTC).date().isoformat()
    bucket = names["quarantine_bucket"]
    pii = {"column": "cliente", "value": "Ana Souza", "reason": "expected text, got 'Ana Souza'"}
    number = {"column": "quantidade", "value": "dez", "reason": "expected an integer, got 'dez'"}
    _put_quarantine(stack, bucket, today, "20260101T000000Z-000000000001", [pii, number, number])
    _put_quarantine(stack, bucket, today, "20260101T000000Z-000000000002", [number])
    _put_quarantine(stack, bucket, "2001-01-01", "20010101T000000Z-000000000003", [number])  # too old
    everything = gather_site(target).dataset("erp", "vendas").quarantine
    assert (everything.rows, everything.files_read, everything.files_total, everything.capped) == (
        4,
        2,
        2,
        False,
    )
    reasons = {r.column: r for r in everything.reasons}
    assert reasons["quantidade"].rows == 3 and reasons["quantidade"].example == "dez"
    assert reasons["cliente"].example == "" and "Ana" not in reasons["cliente"].reason
    newest = gather_site(target, limits=Limits(quarantine_files=1)).dataset("erp", "vendas").quarantine
    assert (newest.rows, newest.files_read, newest.files_total, newest.capped) == (1, 1, 2, True)
    cut = gather_site(target, limits=Limits(quarantine_bytes=250)).dataset("erp", "vendas").quarantine
    assert cut.capped and 1 <= cut.rows < 4  # a line cut by the byte cap is left out


def test_the_ops_quarantine_table_is_used_when_the_catalog_has_one(
    land: Land, stack: LocalLake, names: dict[str, Any], target: Target
) -> None:
    land("erp", "vendas", "vendas.csv", sample("erp/samples/vendas.csv").read_bytes())
    tables = stack.client("glue").get_tables(DatabaseName=names["ops_glue_database"])["TableList"]
    assert "quarantine" in {t["Name"] for t in tables}  # registered by the catalog, projected
    quarantine = gather_site(target).dataset("erp", "vendas").quarantine
    assert quarantine.basis == "table" and quarantine.rows == 2
    assert {(r.column, r.reason, r.rows) for r in quarantine.reasons} == {
        ("data_venda", "expected a date like '%d/%m/%Y' or YYYY-MM-DD", 1),
        ("quantidade", "expected an integer", 1),
    }


def test_what_cannot_be_read_becomes_a_note_and_glue_answers_instead(land: Land, target: Target) -> None:
    land("ref", "lojas", "lojas.json", sample("ref/samples/lojas.json").read_bytes())
    refused = QueryError("Athena refused the query", hint="check the workgroup")
    with mock.patch("cornlake_toolkit.site.gather.run_sql", side_effect=refused):  # a fault: SQL is down
        site = gather_site(target)
    assert any(n.startswith("run records: Athena refused") for n in site.notes)
    assert site.recent_runs == () and site.failures == ()
    lojas = site.dataset("ref", "lojas")
    assert lojas.partitions is not None and not lojas.partitions.counts_read
    if lojas.freshness.last_success:  # the catalog writes cornlake.last_update: freshness from Glue
        assert lojas.freshness.basis == "glue"


def test_glue_tables_without_a_contract_and_broken_contracts_are_listed(
    land: Land, stack: LocalLake, names: dict[str, Any], target: Target
) -> None:
    land("ref", "lojas", "lojas.json", sample("ref/samples/lojas.json").read_bytes())
    lojas = registry().get("ref", "lojas")
    # GIVEN a CornLake table whose contract was removed, and a contract that does not load
    orphan = table_input(lojas, names["curated_bucket"]) | {"Name": "shop_stores"}
    orphan["Parameters"] = orphan["Parameters"] | {"cornlake.source": "shop", "cornlake.dataset": "stores"}
    stack.client("glue").create_table(DatabaseName=names["glue_database"], TableInput=orphan)
    broken = ContractError("datasets/x/y.yaml", "owner", "a value (the field is required)")
    contracts = ContractRegistry(list(registry()), {("x", "y"): broken})
    site = gather_site(target, contracts=contracts)
    stores = site.dataset("shop", "stores")
    assert not stores.has_contract and stores.cataloged and stores.owner == lojas.owner
    assert [c.name for c in stores.columns if c.role == "partition"] == ["ingest_date"]
    assert site.dataset("x", "y").error == broken.message and site.datasets[-1].key == "x/y"
    assert {d.key for d in site.datasets} == {"app/events", "erp/vendas", "ref/lojas", "shop/stores", "x/y"}
