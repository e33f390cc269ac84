"""Shared fixtures: one embedded AWS (moto server) per test session, provisioned from
template.yaml exactly as the local runtime does, and reset between tests."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

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
