"""`cornlake demo` from start to end, on its own throwaway lake: besides the sample data and its
queries, it shows the models built over them, the rules' outcomes, the freshness schedule's
verdicts and a batch held by its audit, invisible to a query until `cornlake publish` releases
it."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from cornlake.settings import DATASETS_DIR_ENV
from cornlake_toolkit.demo import run_demo

pytestmark = pytest.mark.e2e

BATCH = r"\d{8}T\d{6}Z-[0-9a-f]{12}"


def sections(out: str) -> dict[str, str]:
    """The demo's output by step: each `== title` line's first words, to the text under it."""
    found = {}
    for block in out.split("\n== ")[1:]:
        title, _, body = block.partition("\n")
        found[title] = body
    return found


def section(steps: dict[str, str], start: str) -> str:
    [body] = [body for title, body in steps.items() if title.startswith(start)]
    return body


def lines_of(body: str, *words: str) -> list[str]:
    return [line for line in body.splitlines() if all(w in line for w in words)]


def test_the_demo_shows_quality_freshness_and_a_held_batch_being_released(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    datasets_dir = os.environ.get(DATASETS_DIR_ENV)
    # WHEN the demo runs
    assert run_demo(site=tmp_path / "site") == 0
    out = capsys.readouterr().out
    steps = sections(out)
    # THEN the models were built by the trigger as the batches landed, and answer SQL
    models = section(steps, "models: built when the catalog")
    for name in ("vendas_diarias_uf", "receita_por_municipio", "anomalias_vendas"):
        assert lines_of(models, name, "succeeded"), models
        assert len(lines_of(section(steps, f"Athena SQL over the model {name}"), "(5 rows")) == 1
    # AND the quality step shows each rule's outcome on the batches it loaded
    quality = section(steps, "cornlake quality")
    assert re.search(r'ref/lojas\s+IsPrimaryKey "loja_id"\s+error\s+true\s+0\s+0 rows share a key', quality)
    assert re.search(r'erp/vendas\s+IsUnique "id_venda"\s+error\s+true', quality)
    assert re.search(r'app/events\s+ColumnValues "amount" between .*\s+warn\s+true', quality)
    # the freshness schedule fired, alerting on the dataset expected daily that has no data yet
    assert "late: ['ref/precos']; alerts sent: ['ref/precos:alarm']" in section(steps, "freshness")
    status = section(steps, "cornlake status")
    assert lines_of(status, "ref/lojas", "on_time (due ", "succeeded")
    assert lines_of(status, "ref/precos", "never")
    assert lines_of(status, "erp/vendas", "no_expectation") and lines_of(
        status, "app/events", "no_expectation"
    )
    # the batch with a free mug is held for its failed error rule
    [held_line] = lines_of(section(steps, "cornlake held"), "ref/precos", 'ColumnValues "preco" > 0')
    held = re.findall(BATCH, held_line)[0]
    before = section(steps, "Athena SQL: readers see only the published list")
    assert "(3 rows," in before and held not in before and "brinde" not in before
    # released by `cornlake publish`, after which the query sees its rows
    assert f"published batch {held} of ref/precos: 4 rows" in section(steps, f"cornlake publish {held}")
    after = section(steps, "Athena SQL: the released batch's rows are there now")
    assert len(lines_of(after, held)) == 4 and lines_of(after, held, "Caneca CornLake (brinde)", "0.00")
    assert "(7 rows," in after
    # and the rest of the demo still holds: rows add up, the catalog site is built
    assert "in = curated + quarantined for every dataset" in out
    assert (tmp_path / "site" / "index.html").is_file()
    assert os.environ.get(DATASETS_DIR_ENV) == datasets_dir  # the demo's contracts folder is gone
