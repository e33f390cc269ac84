"""The reliability report: docs/RELIABILITY.md written from what the suite's scenarios recorded,
never typed by hand.

Each scenario of ``tests/reliability`` records one ``Scenario``: its group (load, faults,
duplicates, concurrency, hostile), what it sent, what the lake holds (curated rows, quarantined
records, requests or files refused with a status), and what was lost or doubled. ``make
reliability`` runs them all with ``CORNLAKE_RELIABILITY_RESULTS`` set, then

    python -m cornlake_toolkit.reliability RESULTS.json docs/RELIABILITY.md

writes the report and exits 1 when a scenario lost or doubled anything, or none ran.
"""

from __future__ import annotations

import json
import sys
import threading
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

LONG_ENV = "CORNLAKE_RELIABILITY_LONG"  # "1": the long scenarios run too
RESULTS_ENV = "CORNLAKE_RELIABILITY_RESULTS"  # where the suite writes its ledger
GROUPS = {
    "load": "Load",
    "faults": "Injected faults",
    "duplicates": "Repeated and out-of-order delivery",
    "concurrency": "Concurrent writers",
    "hostile": "Hostile input",
}


@dataclass
class Scenario:
    group: str
    name: str
    sent: int  # records (or requests, or files) the scenario sent
    curated: int = 0  # rows in curated afterwards
    quarantined: int = 0  # records in quarantine afterwards
    refused: int = 0  # requests or files refused with a status, and kept where the docs say
    lost: int = 0  # sent but nowhere: not curated, quarantined or refused
    duplicated: int = 0  # curated more than once
    outcome: str = ""  # what a reader should know: the status, the reason, the figures
    figures: dict[str, float] = field(default_factory=dict)  # records/s, latency, drain time

    def __post_init__(self) -> None:
        if self.group not in GROUPS:
            raise ValueError(f"unknown reliability group {self.group!r}: one of {sorted(GROUPS)}")


class Ledger:
    """What every scenario of one run recorded (thread-safe: load scenarios record from threads)."""

    def __init__(self) -> None:
        self.scenarios: list[Scenario] = []
        self._lock = threading.Lock()

    def record(self, scenario: Scenario) -> Scenario:
        with self._lock:
            self.scenarios.append(scenario)
        return scenario

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        rows = [asdict(s) for s in self.scenarios]
        path.write_text(json.dumps({"scenarios": rows}, indent=1, ensure_ascii=False), encoding="utf-8")


def load(path: Path) -> list[Scenario]:
    data = json.loads(path.read_text(encoding="utf-8"))
    return [Scenario(**row) for row in data["scenarios"]]


def totals(scenarios: list[Scenario]) -> dict[str, int]:
    keys = ("sent", "curated", "quarantined", "refused", "lost", "duplicated")
    return {k: sum(getattr(s, k) for s in scenarios) for k in keys}


def render(scenarios: list[Scenario], when: datetime | None = None) -> str:
    when = when or datetime.now(UTC)
    sums = totals(scenarios)
    lines = [
        "# Reliability: nothing lost, nothing doubled",
        "",
        f"Written by `make reliability` on {when:%Y-%m-%d %H:%M} UTC from the run's own records "
        "(`tests/reliability`, `cornlake_toolkit/reliability.py`); do not edit by hand.",
        "",
        f"**{len(scenarios)} scenarios. Rows lost: {sums['lost']}. Rows duplicated: {sums['duplicated']}.** "
        f"Sent {sums['sent']}: {sums['curated']} curated, {sums['quarantined']} quarantined, "
        f"{sums['refused']} refused with a status.",
        "",
    ]
    for group, title in GROUPS.items():
        chosen = [s for s in scenarios if s.group == group]
        if not chosen:
            continue
        lines += [f"## {title} ({len(chosen)})", ""]
        lines += [
            "| scenario | sent | curated | quarantined | refused | lost | doubled | outcome |",
            "|---|---:|---:|---:|---:|---:|---:|---|",
        ]
        lines += [_row(s) for s in chosen]
        figures = [s for s in chosen if s.figures]
        for s in figures:
            shown = ", ".join(f"{k} {_figure(v)}" for k, v in s.figures.items())
            lines.append(f"\n- {s.name}: {shown}")
        lines.append("")
    return "\n".join(lines)


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _row(s: Scenario) -> str:
    outcome = _cell(s.outcome)
    return (
        f"| {_cell(s.name)} | {s.sent} | {s.curated} | {s.quarantined} | {s.refused} | {s.lost} "
        f"| {s.duplicated} | {outcome} |"
    )


def _figure(value: float) -> str:
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:.2f}"


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        sys.stderr.write("usage: python -m cornlake_toolkit.reliability RESULTS.json REPORT.md\n")
        return 2
    results, report = Path(argv[0]), Path(argv[1])
    if not results.exists():
        sys.stderr.write(f"no results at {results}: run the suite with {RESULTS_ENV} set\n")
        return 1
    scenarios = load(results)
    report.write_text(render(scenarios) + "\n", encoding="utf-8")
    sums = totals(scenarios)
    sys.stdout.write(
        f"wrote {report}: {len(scenarios)} scenarios, {sums['lost']} lost, {sums['duplicated']} doubled\n"
    )
    return 0 if scenarios and not sums["lost"] and not sums["duplicated"] else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
