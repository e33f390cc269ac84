"""The local query cache shared by CLI calls keeps the most recently used objects within its budget."""

from __future__ import annotations

import os
from pathlib import Path

from cornlake_toolkit.sql.scan import prune_cache


def test_the_least_recently_used_objects_go_first(tmp_path: Path) -> None:
    for n, age in enumerate((300, 200, 100)):
        path = tmp_path / f"o{n}.parquet"
        path.write_bytes(b"x" * 1000)
        os.utime(path, (1_700_000_000 - age, 1_700_000_000 - age))
    assert prune_cache(tmp_path, 2000) == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["o1.parquet", "o2.parquet"]
    assert prune_cache(tmp_path, 5000) == 0
    assert prune_cache(tmp_path / "missing", 0) == 0
