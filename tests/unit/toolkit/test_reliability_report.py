"""The reliability report is written from the suite's records: totals, a table per group, the
figures of load scenarios, and a failing exit when anything was lost or doubled."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from cornlake_toolkit import reliability
from cornlake_toolkit.reliability import Ledger, Scenario


def ledger_file(tmp_path: Path, *scenarios: Scenario) -> Path:
    book = Ledger()
    for s in scenarios:
        book.record(s)
    path = tmp_path / "results.json"
    book.save(path)
    return path


def test_the_report_adds_up_every_scenario_and_shows_load_figures(tmp_path: Path) -> None:
    results = ledger_file(
        tmp_path,
        Scenario(
            "load", "32 producers", sent=500, curated=490, quarantined=10, figures={"records_per_s": 812.4}
        ),
        Scenario("hostile", "nul bytes | in a value", sent=1, refused=1, outcome="400 body is not UTF-8"),
    )
    report = tmp_path / "RELIABILITY.md"
    assert reliability.main([str(results), str(report)]) == 0
    text = report.read_text(encoding="utf-8")
    assert "**2 scenarios. Rows lost: 0. Rows duplicated: 0.**" in text
    assert "Sent 501: 490 curated, 10 quarantined, 1 refused with a status." in text
    assert "## Load (1)" in text and "## Hostile input (1)" in text and "## Injected faults" not in text
    assert "| nul bytes \\| in a value | 1 | 0 | 0 | 1 | 0 | 0 | 400 body is not UTF-8 |" in text
    assert "- 32 producers: records_per_s 812" in text


def test_a_lost_or_doubled_row_fails_the_run(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    results = ledger_file(tmp_path, Scenario("faults", "503 at 20%", sent=100, curated=99, lost=1))
    assert reliability.main([str(results), str(tmp_path / "r.md")]) == 1
    assert "1 lost, 0 doubled" in capsys.readouterr().out
    assert reliability.main([str(tmp_path / "missing.json"), str(tmp_path / "r.md")]) == 1


def test_a_scenario_names_a_known_group() -> None:
    with pytest.raises(ValueError, match="unknown reliability group 'speed'"):
        Scenario("speed", "x", sent=1)
    rendered = reliability.render([], datetime(2026, 12, 2, tzinfo=UTC))
    assert "**0 scenarios." in rendered
