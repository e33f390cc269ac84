"""The geometry of the site's small charts, drawn as inline SVG by the templates (no script, no
CDN): the share of rules each batch passed, and one strip of results per rule."""

from __future__ import annotations

from dataclasses import dataclass

from cornlake_toolkit.site.model import BatchQuality, Rule, RuleRun


@dataclass(frozen=True)
class Point:
    x: float
    y: float
    state: str  # pass | warn | fail
    batch: BatchQuality


@dataclass(frozen=True)
class LineChart:
    width: int
    height: int
    top: float  # y of 100 %
    bottom: float  # y of 0 %
    left: float
    right: float
    points: tuple[Point, ...]

    @property
    def polyline(self) -> str:
        return " ".join(f"{p.x:.1f},{p.y:.1f}" for p in self.points)

    @property
    def middle(self) -> float:
        return (self.top + self.bottom) / 2


@dataclass(frozen=True)
class Cell:
    x: int
    state: str
    run: RuleRun


@dataclass(frozen=True)
class Strip:
    width: int
    height: int
    size: int
    cells: tuple[Cell, ...]


def batch_state(batch: BatchQuality) -> str:
    if batch.errors_failed:
        return "fail"
    return "warn" if batch.failed else "pass"


def pass_rate_chart(
    batches: tuple[BatchQuality, ...], *, width: int = 640, height: int = 140
) -> LineChart | None:
    """One point per batch (oldest left): the share of its rules that passed."""
    if not batches:
        return None
    left, right, top, bottom = 40.0, width - 10.0, 10.0, height - 10.0
    step = (right - left) / (len(batches) - 1) if len(batches) > 1 else 0.0
    points = []
    for i, batch in enumerate(batches):
        total = batch.passed + batch.failed
        share = batch.passed / total if total else 1.0
        x = left + i * step if len(batches) > 1 else (left + right) / 2
        points.append(Point(x, bottom - share * (bottom - top), batch_state(batch), batch))
    return LineChart(width, height, top, bottom, left, right, tuple(points))


def run_state(rule: Rule, run: RuleRun) -> str:
    if run.passed:
        return "pass"
    return "fail" if rule.severity == "error" else "warn"


def rule_strip(rule: Rule, *, size: int = 10, gap: int = 3, last: int = 30) -> Strip:
    """One square per evaluation of the rule, oldest left, at most ``last``."""
    runs = rule.history[-last:]
    cells = tuple(Cell(i * (size + gap), run_state(rule, r), r) for i, r in enumerate(runs))
    return Strip(max(len(cells) * (size + gap) - gap, size), size, size, cells)
