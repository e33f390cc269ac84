"""Shared fixtures: one embedded AWS (moto server) per test session, provisioned from
template.yaml exactly as the local runtime does, and reset between tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from cornlake_toolkit import target
from cornlake_toolkit.local import LocalLake


@pytest.fixture(scope="session")
def provisioned() -> Iterator[LocalLake]:
    """The template's resources on moto server; functions are invoked by the tests themselves."""
    lake = LocalLake(run_functions=False).start()
    yield lake
    lake.stop()


@pytest.fixture
def stack(provisioned: LocalLake) -> LocalLake:
    """A clean, freshly provisioned stack for one test."""
    provisioned.reset()
    provisioned.configure_process()
    return provisioned


@pytest.fixture
def names(stack: LocalLake) -> dict[str, Any]:
    return stack.describe()


@pytest.fixture(scope="module")
def lake(request: pytest.FixtureRequest) -> Iterator[LocalLake]:
    """The whole local lake, its functions running, one per test module (its ``LAKE_LOG_LEVEL``,
    ERROR unless it says otherwise)."""
    with LocalLake(log_level=getattr(request.module, "LAKE_LOG_LEVEL", "ERROR")) as running:
        yield running


@pytest.fixture
def fresh(lake: LocalLake, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> LocalLake:
    """The running lake emptied and provisioned again, with the CLI's state file pointing at it."""
    lake.wait_until_idle(timeout=120)
    lake.reset()
    monkeypatch.setenv("CORNLAKE_HOME", str(tmp_path))
    target.write_local_state(lake.describe())
    return lake
