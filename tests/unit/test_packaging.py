"""Each function imports only what it needs: no moto, DuckDB or sqlglot anywhere, and no
pyarrow in the functions that only land bytes or write the catalog."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from cornlake_toolkit.local import ROOT

PROBE = """
import importlib.util, json, sys
spec = importlib.util.spec_from_file_location("app", sys.argv[1])
module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)
print(json.dumps(sorted(m.split(".")[0] for m in sys.modules)))
"""


def imported_by(folder: str) -> set[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "shared_layer")}
    out = subprocess.run(
        [sys.executable, "-c", PROBE, str(ROOT / folder / "app.py")],
        capture_output=True,
        text=True,
        check=True,
        env=env,
    )
    return set(json.loads(out.stdout))


@pytest.mark.parametrize(
    ("folder", "needs_arrow"),
    [
        ("lambda_ingest_api", False),
        ("lambda_ingest_s3_copy", False),
        ("lambda_catalog_sync", False),
        ("lambda_transform_curated", True),
        ("lambda_data_quality", True),
    ],
)
def test_functions_import_only_what_they_ship(folder: str, needs_arrow: bool) -> None:
    modules = imported_by(folder)
    assert not modules & {"moto", "duckdb", "sqlglot", "pandas", "cornlake_toolkit", "flask"}
    assert ("pyarrow" in modules) is needs_arrow
    requirements = (ROOT / folder / "requirements.txt").read_text()
    assert ("pyarrow" in requirements) is needs_arrow


def test_layer_holds_the_contracts() -> None:
    bundled = ROOT / "shared_layer" / "cornlake" / "datasets"
    assert (bundled / "erp" / "vendas.yaml").is_file()
