"""The models function's Athena queries must end before the invocation does: the engine's
deadline is the Lambda context's time left, less the margin for run records and SQS."""

from __future__ import annotations

import time

import pytest

from cornlake.modeling import stage
from cornlake.settings import Settings


class Context:
    def __init__(self, left_ms: int) -> None:
        self.left_ms = left_ms

    def get_remaining_time_in_millis(self) -> int:
        return self.left_ms


SETTINGS = Settings(glue_database="db", curated_bucket="curated", models_workgroup="wg-models")


@pytest.mark.parametrize(("left_ms", "budget"), [(900_000, 810.0), (100_000, 10.0)])
def test_the_engine_stops_queries_before_the_invocation_ends(
    left_ms: int, budget: float, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")  # clients are built, never called
    stage.note_time_left(Context(left_ms))
    engine = stage.engine_for(SETTINGS)
    assert engine.workgroup == "wg-models"  # type: ignore[attr-defined]
    assert engine.deadline - time.monotonic() == pytest.approx(budget, abs=2)  # type: ignore[attr-defined]
