"""``cornlake docs`` against a lake on moto server, and how the browser test finds its browser."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from site_batches import Land

from cornlake_toolkit import cli, target
from cornlake_toolkit.site import browser
from helpers import sample


def test_docs_writes_the_site_and_prints_its_index(
    land: Land,
    names: dict[str, Any],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    land("ref", "lojas", "lojas.json", sample("ref/samples/lojas.json").read_bytes())
    monkeypatch.setenv("CORNLAKE_HOME", str(tmp_path))
    target.write_local_state(names)
    assert cli.main(["docs", "--out", str(tmp_path / "site")]) == 0
    out = capsys.readouterr()
    assert out.out.strip() == str((tmp_path / "site" / "index.html").resolve())
    assert "target: local lake" in out.err and "catalog site written to" in out.err
    page = (tmp_path / "site" / "datasets" / "ref_lojas.html").read_text(encoding="utf-8")
    assert "Cadastro de lojas" in page and "ref_lojas_latest" in page
    assert cli.main(["docs", "--out", str(tmp_path / "pt"), "--lang", "pt-BR", "--history-days", "7"]) == 0
    index = (tmp_path / "pt" / "index.html").read_text(encoding="utf-8")
    assert '<html lang="pt-BR">' in index and "dados de operação dos últimos 7 dias" in index


def test_docs_refuses_an_unknown_language(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        cli.main(["docs", "--out", str(tmp_path), "--lang", "fr"])
    assert exit_.value.code == 2 and "pt-BR" in capsys.readouterr().err


def test_the_browser_named_in_the_environment_comes_first(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    chrome = tmp_path / "my-chrome"
    chrome.write_text("#!/bin/sh\n")
    chrome.chmod(0o755)
    monkeypatch.setenv(browser.BROWSER_ENV, str(chrome))
    assert browser.find_browser() == str(chrome)
    chrome.chmod(0o644)
    with pytest.raises(browser.BrowserError, match="is not an executable"):
        browser.find_browser()


def test_without_a_browser_the_error_says_how_to_install_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv(browser.BROWSER_ENV, raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setattr(browser, "PLACES", ())
    with pytest.raises(browser.BrowserError) as err:
        browser.find_browser()
    assert "apt-get install -y chromium" in err.value.hint and browser.BROWSER_ENV in err.value.hint
    assert browser.main() == 2 and "hint: install one" in capsys.readouterr().err
    monkeypatch.setenv("PATH", os.defpath)
