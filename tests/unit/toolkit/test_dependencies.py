"""One lock for the repository: what is installed here, and what goes to Lambda, is what uv.lock says."""

from __future__ import annotations

import importlib.metadata
import re
import tomllib

import pytest

from cornlake_toolkit import deps
from cornlake_toolkit.local import ROOT


def locked() -> dict[str, set[str]]:
    lock = tomllib.loads((ROOT / "uv.lock").read_text())
    versions: dict[str, set[str]] = {}
    for package in lock["package"]:
        versions.setdefault(_normal(package["name"]), set()).add(str(package.get("version", "")))
    return versions


def _normal(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def test_every_installed_package_is_the_locked_version() -> None:
    lock = locked()
    installed = {_normal(d.metadata["Name"]): d.version for d in importlib.metadata.distributions()}
    unlocked = sorted(name for name in installed if name not in lock)
    wrong = {
        name: (version, sorted(lock[name]))
        for name, version in installed.items()
        if name in lock and version not in lock[name]
    }
    assert not unlocked, f"installed but not in uv.lock: {unlocked}"
    assert not wrong, f"installed versions that differ from uv.lock: {wrong}"
    assert {"duckdb", "pyarrow", "moto", "sqlglot", "boto3"} <= installed.keys()


def test_the_requirements_files_are_the_lock_s() -> None:
    for path, text in deps.expected().items():
        assert path.read_text() == text, (
            f"{path.relative_to(ROOT)} differs from uv.lock: run `make requirements`"
        )


@pytest.mark.parametrize("folder", ["shared_layer", *deps.functions()])
def test_every_requirement_is_pinned_with_hashes(folder: str) -> None:
    text = (ROOT / folder / "requirements.txt").read_text()
    blocks = re.split(
        r"\n(?=\S)", "\n".join(line for line in text.splitlines() if not line.startswith("#")).strip()
    )
    for block in filter(None, blocks):
        assert re.match(r"^[a-z0-9-]+==[^ ]+", block), block
        assert "--hash=sha256:" in block, block


def test_a_function_ships_only_what_the_layer_does_not() -> None:
    layer = {r.name for r in deps.export(deps.member("shared_layer"))}
    assert {"boto3", "botocore", "aws-lambda-powertools", "pyyaml", "sqlglot"} <= layer
    shipped = {
        folder: {
            line.split("==")[0]
            for line in (ROOT / folder / "requirements.txt").read_text().splitlines()
            if "==" in line
        }
        for folder in deps.functions()
    }
    assert shipped == {
        "lambda_catalog_sync": set(),
        "lambda_data_quality": {"duckdb"},
        "lambda_ingest_api": set(),
        "lambda_ingest_s3_copy": set(),
        "lambda_models": {"duckdb", "numpy"},
        "lambda_monitor": {"duckdb"},
        "lambda_transform_curated": {"duckdb", "zstandard"},
    }


def test_the_bootstrapped_uv_is_the_locked_one() -> None:
    makefile = (ROOT / "Makefile").read_text()
    pinned = re.search(r"^UV_VERSION := (\S+)$", makefile, re.MULTILINE)
    assert pinned and locked()["uv"] == {pinned.group(1)}
