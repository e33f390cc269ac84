"""The catalog site in a real browser: built by ``cornlake docs`` from a local lake that ran every
stage on the sample data, opened from disk (file://) in headless Chromium over the DevTools
protocol: its content, the search, the copy buttons, both languages, and screenshots at desktop
and phone widths (paths printed)."""

from __future__ import annotations

import json
import struct
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from cornlake.contracts import registry
from cornlake.settings import MODELS_DIR_ENV
from cornlake_toolkit import cli, target
from cornlake_toolkit.client import post_records
from cornlake_toolkit.local import LocalLake
from cornlake_toolkit.site.browser import Browser, BrowserError, Page, find_browser
from helpers import sample

pytestmark = pytest.mark.e2e

BAD_VENDAS = (
    "id_venda;data_venda;registrada_em;cliente;Município;uf;produto;quantidade;valor_unitario;valor_total\n"
    "900001;05/11/2026;05/11/2026 10:00:00;Ana Souza;Recife;XX;Café;2;10,00;20,00\n"
    "900002;05/11/2026;05/11/2026 10:00:00;Bia Lima;Recife;PE;Café;0;10,00;0,00\n"
).encode("latin-1")  # curated, but accepted_values:uf and range:quantidade fail
VISIBLE_CARDS = "[...document.querySelectorAll('.card')].filter(c => !c.hidden).map(c => c.dataset.table)"


def _feed(lake: LocalLake) -> None:
    """The demo's inputs, then a batch that fails quality and a file the transform refuses."""
    names = lake.describe()
    s3, landing = lake.client("s3"), names["landing_bucket"]
    s3.upload_file(str(sample("erp/samples/vendas.csv")), landing, "erp/vendas/vendas-2026-11-20.csv")
    s3.upload_file(str(sample("ref/samples/lojas.json")), landing, "ref/lojas/lojas.json")
    events = sample("app/samples/events.jsonl").read_bytes()
    status, _ = post_records(target.Target(**names), "app", "events", events, "application/x-ndjson")
    assert status == 202
    lake.wait_until_idle(timeout=120)
    s3.put_object(Bucket=landing, Key="erp/vendas/vendas-2026-11-21.csv", Body=BAD_VENDAS)
    s3.upload_file(str(sample("erp/samples/vendas.csv")), landing, "ref/lojas/lojas-as.csv")
    lake.wait_until_idle(timeout=120)
    assert not lake.errors


@pytest.fixture(scope="module")
def sites(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Path]]:
    """The site in both languages, built with the CLI; the lake is stopped before any browsing."""
    out = tmp_path_factory.mktemp("catalog-site")
    patch = pytest.MonkeyPatch()
    patch.setenv("CORNLAKE_HOME", str(tmp_path_factory.mktemp("project")))
    patch.setenv(MODELS_DIR_ENV, str(tmp_path_factory.mktemp("no-models")))  # the datasets' pages only
    try:
        with LocalLake(log_level="CRITICAL") as lake:
            lake.reset()  # moto's state is the process's: start from nothing but the template
            _feed(lake)
            target.write_local_state(lake.describe())
            for lang in ("en", "pt-BR"):
                assert cli.main(["docs", "--out", str(out / lang), "--lang", lang]) == 0
        yield {lang: out / lang for lang in ("en", "pt-BR")}
    finally:
        patch.undo()


@pytest.fixture(scope="module")
def chromium() -> Iterator[Browser]:
    try:
        executable = find_browser()
    except BrowserError as err:
        pytest.fail(f"{err.message}: {err.hint} (`make test` installs Chromium on Debian as root)")
    with Browser(executable) as browser:
        browser.send(
            "Browser.grantPermissions", {"permissions": ["clipboardReadWrite", "clipboardSanitizedWrite"]}
        )
        yield browser


@pytest.fixture
def page(chromium: Browser) -> Iterator[Page]:
    opened = chromium.page()
    yield opened
    opened.close()


def settled(page: Page, expression: str, expected: Any, seconds: float = 5.0) -> Any:
    """The expression's value once it equals ``expected`` (what the page's scripts are still doing
    after an event is not this test's business), or its last value after ``seconds``."""
    deadline = time.monotonic() + seconds
    value = page.evaluate(expression)
    while value != expected and time.monotonic() < deadline:
        time.sleep(0.05)
        value = page.evaluate(expression)
    return value


def open_page(page: Page, site: Path, name: str) -> Any:
    page.goto((site / name).as_uri())
    return page


def test_a_dataset_page_shows_its_columns_freshness_quality_lineage_and_quarantine(
    page: Page, sites: dict[str, Path]
) -> None:
    open_page(page, sites["en"], "datasets/erp_vendas.html")
    columns = page.evaluate(
        "[...document.querySelectorAll('table.schema tr[data-column]')]"
        ".map(tr => [tr.dataset.column, !!tr.querySelector('.badge.pii'), tr.offsetParent !== null])"
    )
    assert ["cliente", True, True] in columns and ["uf", False, True] in columns
    assert [c[0] for c in columns if c[1]] == ["cliente"]
    freshness = page.evaluate("document.querySelector('#freshness').innerText")
    interval = getattr(getattr(registry().get("erp", "vendas"), "freshness", None), "expected_every", "")
    assert "Last successful batch" in freshness
    assert ("Expected every" if interval else "No expected interval") in freshness
    failed = page.evaluate(
        "[...document.querySelectorAll('table.rules tr.is-failed')].map(tr => tr.dataset.rule)"
    )
    assert len(failed) == 2 and all('"uf"' in r or ":uf" in r or "quantidade" in r for r in failed), failed
    assert page.evaluate("document.querySelectorAll('#quality svg circle.dot').length") == 2
    lineage = page.evaluate("document.querySelector('.lineage').innerText")
    for part in (
        "cornlake_local.erp_vendas",
        "source=erp/dataset=vendas/",
        "files through the landing bucket",
    ):
        assert part in lineage
    reasons = page.evaluate(
        "[...document.querySelectorAll('table.reasons tbody tr')].map(tr => tr.innerText)"
    )
    assert any("expected an integer" in r and "dez" in r for r in reasons), reasons
    assert any("expected a date like" in r and "31/02/2026" in r for r in reasons), reasons
    assert (
        page.evaluate("document.querySelector('.facts').innerText").count("financeiro-dados@cornlake.example")
        == 1
    )


def test_typing_a_column_name_filters_to_its_dataset(page: Page, sites: dict[str, Path]) -> None:
    open_page(page, sites["en"], "index.html")
    assert sorted(page.evaluate(VISIBLE_CARDS)) == ["app_events", "erp_vendas", "ref_lojas"]
    page.type("#q", "user_email")
    assert settled(page, VISIBLE_CARDS, ["app_events"]) == ["app_events"]
    matched = page.evaluate(
        "[...document.querySelectorAll('.card:not([hidden]) .match')].map(m => m.dataset.column)"
    )
    assert matched == ["user_email"]
    assert page.evaluate("document.getElementById('search-count').textContent") == "1 of 3 datasets"
    page.evaluate("window.cornlake.search('')")
    assert len(page.evaluate(VISIBLE_CARDS)) == 3
    page.type("#q", "Município")  # accents folded: both datasets with a municipio column
    both = ["erp_vendas", "ref_lojas"]
    assert sorted(settled(page, f"{VISIBLE_CARDS}.sort()", both)) == both
    page.evaluate("window.cornlake.search('nothing-like-this')")
    assert page.evaluate(VISIBLE_CARDS) == [] and page.evaluate(
        "!document.getElementById('no-results').hidden"
    )


def test_the_search_box_of_a_dataset_page_searches_the_index(page: Page, sites: dict[str, Path]) -> None:
    open_page(page, sites["en"], "datasets/ref_lojas.html")
    page.type("#topq", "cliente")
    page.press("Enter", 13)
    page.wait_for("location.href.endsWith('index.html?q=cliente') && document.readyState === 'complete'")
    assert page.wait_for(f"JSON.stringify({VISIBLE_CARDS}) === '[\"erp_vendas\"]'")


def test_the_copy_button_puts_the_query_on_the_clipboard(page: Page, sites: dict[str, Path]) -> None:
    open_page(page, sites["en"], "datasets/ref_lojas.html")
    first = page.evaluate("document.querySelector('#sql-1').textContent")
    page.click('button[data-copy="#sql-1"]')
    copied = page.wait_for("window.cornlake.lastCopy")
    assert copied == {"text": first, "method": "clipboard"} and first.startswith("SELECT")
    assert page.evaluate("navigator.clipboard.readText()", await_promise=True) == first
    assert (
        page.evaluate("document.querySelector('button[data-copy=\"#sql-1\"]').innerText").strip() == "Copied"
    )
    # WHEN the async clipboard is missing (older browsers): the fallback copies all the same
    page.evaluate(
        "window.realClipboard = navigator.clipboard;"
        "Object.defineProperty(navigator, 'clipboard', {value: undefined, configurable: true}); true"
    )
    third = page.evaluate("document.querySelector('#sql-3').textContent")
    page.click('button[data-copy="#sql-3"]')
    assert page.wait_for(f"window.cornlake.lastCopy.text === {json.dumps(third)} && window.cornlake.lastCopy")
    assert page.evaluate("window.cornlake.lastCopy.method") == "execCommand"
    assert page.evaluate("window.realClipboard.readText()", await_promise=True) == third
    assert "ref_lojas_latest" in third


def test_the_runs_page_lists_failures_and_filters_them(page: Page, sites: dict[str, Path]) -> None:
    open_page(page, sites["en"], "runs.html")
    failures = page.evaluate("[...document.querySelectorAll('#failures .status')].map(s => s.title)")
    assert sorted(failures) == ["checks_failed", "rejected"]
    page.click('#recent [data-filter="failed"]')
    shown = "[...document.querySelectorAll('#recent tbody tr')].filter(r => !r.hidden).length"
    assert settled(page, shown, 2) == 2
    page.click('#recent [data-filter="all"]')
    assert (
        page.evaluate("[...document.querySelectorAll('#recent tbody tr')].filter(r => r.hidden).length") == 0
    )


def test_the_site_in_portuguese(page: Page, sites: dict[str, Path]) -> None:
    open_page(page, sites["pt-BR"], "datasets/erp_vendas.html")
    assert page.evaluate("document.documentElement.lang") == "pt-BR"
    headings = page.evaluate("[...document.querySelectorAll('main h2')].map(h => h.innerText)")
    for word in ("Esquema", "Partições", "Qualidade", "Linhagem", "Quarentena", "Consultas de exemplo"):
        assert any(h.startswith(word) for h in headings), (word, headings)
    assert page.evaluate("document.querySelector('button.copy').innerText").strip() == "Copiar"
    assert "dado pessoal" in page.evaluate("document.querySelector('tr[data-column=\"cliente\"]').innerText")


def _png_width(path: Path) -> int:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return int(struct.unpack(">I", data[16:20])[0])


@pytest.mark.parametrize(("width", "mobile"), [(1280, False), (390, True)], ids=["desktop", "phone"])
def test_screenshots_at_desktop_and_phone_widths(
    chromium: Browser,
    sites: dict[str, Path],
    width: int,
    mobile: bool,
    tmp_path_factory: pytest.TempPathFactory,
    capsys: pytest.CaptureFixture[str],
) -> None:
    folder = tmp_path_factory.mktemp(f"screenshots-{width}")
    page = chromium.page(width=width, height=844 if mobile else 900, mobile=mobile)
    try:
        for name in ("index.html", "datasets/erp_vendas.html", "datasets/app_events.html", "runs.html"):
            page.goto((sites["en"] / name).as_uri())
            # nothing wider than the screen: no sideways scrolling on a phone
            assert page.evaluate("document.documentElement.scrollWidth") <= width, name
            shot = page.screenshot(folder / f"{name.replace('/', '-').removesuffix('.html')}-{width}.png")
            assert _png_width(shot) == width
            with capsys.disabled():
                print(f"\nscreenshot: {shot}")
    finally:
        page.close()
