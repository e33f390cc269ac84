"""Each function imports only what it needs and ships what it imports: DuckDB only in the
transform, the quality function and the monitor (compaction), never pyarrow, moto, sqlglot (at
import) or pandas; the model function ships no engine at all."""

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
    ("folder", "engines"),
    [
        ("lambda_ingest_api", set()),
        ("lambda_ingest_s3_copy", set()),
        ("lambda_catalog_sync", set()),
        ("lambda_transform_curated", {"duckdb"}),
        ("lambda_data_quality", {"duckdb"}),
        ("lambda_monitor", {"duckdb"}),  # compaction merges files with DuckDB
        ("lambda_models", {"duckdb"}),  # Athena computes; DuckDB checks and swaps (docs/MODELS.md, "Sizes")
    ],
)
def test_functions_import_only_what_they_ship(folder: str, engines: set[str]) -> None:
    modules = imported_by(folder)
    assert not modules & {"moto", "sqlglot", "pandas", "cornlake_toolkit", "flask"}
    assert modules & {"duckdb", "pyarrow"} == engines
    requirements = (ROOT / folder / "requirements.txt").read_text()
    assert {e for e in ("duckdb", "pyarrow") if f"{e}==" in requirements} == engines


def test_layer_holds_the_contracts() -> None:
    bundled = ROOT / "shared_layer" / "cornlake" / "datasets"
    assert (bundled / "erp" / "vendas.yaml").is_file()
