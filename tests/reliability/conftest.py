"""The reliability suite: nothing lost, nothing doubled, under load, faults, races and hostile
input. Each scenario records in the ledger what it sent and what the lake holds (curated,
quarantined, refused with a status), and what was lost or doubled. `make reliability` runs
every scenario, the long ones too, and writes docs/RELIABILITY.md from the ledger
(cornlake_toolkit.reliability); `make test` runs the fast ones."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from cornlake_toolkit.reliability import LONG_ENV, RESULTS_ENV, Ledger


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if os.environ.get(LONG_ENV) == "1":
        return
    skip = pytest.mark.skip(reason=f"a long reliability scenario: `make reliability` runs it ({LONG_ENV}=1)")
    for item in items:
        if "long" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def ledger() -> Iterator[Ledger]:
    book = Ledger()
    yield book
    target = os.environ.get(RESULTS_ENV)
    if target:
        book.save(Path(target))
