"""make bench's arithmetic: ratios are taken within a round and reported as their median with
the range, an engine's figure is its median run, and a failed run is reported, not averaged."""

from __future__ import annotations

from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture
def bench(monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    monkeypatch.syspath_prepend(str(ROOT))
    import benchmarks.run

    return benchmarks.run


def run(seconds: float, peak: float = 100.0) -> dict[str, Any]:
    return {"engine": "e", "seconds": seconds, "peak_mb": peak, "mb_per_s": 300 / seconds}


def test_an_engine_is_its_median_run_with_the_highest_peak(bench: ModuleType) -> None:
    combined = bench.combine([run(9.0, 240), run(12.0, 250), run(10.0, 260)])

    assert combined["seconds"] == 10.0
    assert combined["mb_per_s"] == pytest.approx(30.0)
    assert combined["peak_mb"] == 260
    assert combined["rounds"] == [9.0, 12.0, 10.0]


def test_ratios_are_taken_round_by_round_not_from_medians(bench: ModuleType) -> None:
    # GIVEN a machine that was slow in round 2 for both engines alike
    ours = bench.combine([run(10.0), run(13.0), run(10.0)])
    theirs = bench.combine([run(5.0), run(6.5), run(4.0)])

    # THEN each round compares the two runs it holds: 0.5, 0.5 and 0.4
    assert bench.ratio(ours, theirs) == pytest.approx((0.5, 0.4, 0.5))
    assert bench.spread(bench.ratio(ours, theirs)) == "0.50 (0.40-0.50)"


def test_against_a_group_each_round_takes_its_fastest(bench: ModuleType) -> None:
    ours = bench.combine([run(10.0), run(10.0)])
    duck = bench.combine([run(2.0), run(4.0)])
    polars = bench.combine([run(3.0), run(2.5)])

    assert bench.ratio(ours, [duck, polars]) == pytest.approx((0.225, 0.2, 0.25))


def test_an_engine_run_once_is_compared_in_its_round_only(bench: ModuleType) -> None:
    ours = bench.combine([run(10.0), run(20.0), run(20.0)])
    once = bench.combine([run(30.0), None, None])

    assert once["rounds"] == [30.0, None, None]
    assert bench.ratio(ours, once) == pytest.approx((3.0, 3.0, 3.0))
    assert bench.spread(bench.ratio(ours, once)) == "3.00"


def test_a_failed_run_is_the_result(bench: ModuleType) -> None:
    failed = {"engine": "e", "kind": "events", "error": ["MemoryError"]}

    assert bench.combine([run(9.0), failed, run(10.0)]) == failed
