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
print(json.dumps(sorted(sys.modules)))
"""


def imported_by(folder: str, *, whole_names: bool = False) -> set[str]:
    """The modules (top-level packages, unless ``whole_names``) importing a handler loads."""
    env = {**os.environ, "PYTHONPATH": str(ROOT / "shared_layer")}
    out = subprocess.run(
        [sys.executable, "-c", PROBE, str(ROOT / folder / "app.py")],
        capture_output=True,
        text=True,
        check=True,
        env=env,
    )
    modules = json.loads(out.stdout)
    return set(modules) if whole_names else {m.split(".")[0] for m in modules}


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


@pytest.mark.parametrize(
    "folder",
    ["lambda_ingest_s3_copy", "lambda_transform_curated", "lambda_catalog_sync", "lambda_data_quality"],
)
def test_queue_fed_functions_build_their_batch_response_without_powertools_batch_utility(folder: str) -> None:
    # the utility imports every event data class: 35-48 ms of each cold start (docs/PERFORMANCE.md)
    modules = imported_by(folder, whole_names=True)
    assert "cornlake.consumer" in modules
    assert not {m for m in modules if m.startswith("aws_lambda_powertools.utilities.batch")}


def test_converting_local_files_does_not_import_the_aws_sdk() -> None:
    # `cornlake try` and make bench convert local files: boto3 and botocore's session are for
    # the Lambda stage only (0.3-0.4 s of imports)
    probe = (
        "import json, sys\nfrom cornlake.transform import convert_object\nprint(json.dumps([*sys.modules]))"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT / "shared_layer")}
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True, env=env)
    modules = set(json.loads(out.stdout))
    assert "cornlake.transform.convert" in modules
    assert "duckdb" in modules
    assert not modules & {"boto3", "botocore.session", "s3transfer", "cornlake.transform.job"}
    assert "boto3" in imported_by("lambda_transform_curated")  # the function itself still has it


def test_layer_holds_the_contracts() -> None:
    bundled = ROOT / "shared_layer" / "cornlake" / "datasets"
    assert (bundled / "erp" / "vendas.yaml").is_file()
