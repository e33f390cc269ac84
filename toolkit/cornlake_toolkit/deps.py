"""Each function's requirements.txt, written from uv.lock, and the check that they still match it.

    python -m cornlake_toolkit.deps write     write shared_layer/ and lambda_*/requirements.txt
    python -m cornlake_toolkit.deps check     exit 1, saying which, when one differs from uv.lock

``sam build`` installs each function from its requirements.txt (pinned, with hashes, so pip
installs exactly the locked files). The layer's file holds the layer's locked packages; a
function's holds what it needs beyond the layer, since the layer comes with every function.
So a version in a Lambda artifact is always one the tests ran against, and changing one
function's dependency changes only that function's file.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path

from cornlake_toolkit.errors import ToolkitError
from cornlake_toolkit.local.process import ROOT

LAYER = "shared_layer"
EXPORT_OPTIONS = (
    "--no-emit-workspace",
    "--no-dev",
    "--no-annotate",
    "--no-header",
    "--format",
    "requirements-txt",
)
HEADER = (
    "# Written by `make requirements` from uv.lock ({what}): do not edit.\n"
    "# Change the dependencies in pyproject.toml, then run `make update-deps` (see README).\n"
)


@dataclass(frozen=True)
class Requirement:
    name: str
    text: str  # the pinned line with its hashes, as uv exports it


def uv() -> str:
    """The uv the Makefile installed (UV), or the one next to this Python, or one on PATH."""
    found = os.environ.get("UV") or str(Path(sys.executable).with_name("uv"))
    if Path(found).exists():
        return found
    on_path = shutil.which("uv")
    if on_path is None:
        raise ToolkitError("uv is not installed", hint="run `make venv`: it installs the pinned uv")
    return on_path


def member(folder: str) -> str:
    """The uv package name of a workspace member folder."""
    project = tomllib.loads((ROOT / folder / "pyproject.toml").read_text(encoding="utf-8"))
    return str(project["project"]["name"])


def export(package: str) -> list[Requirement]:
    """The locked requirements of one member (not the workspace's own packages), with hashes."""
    out = subprocess.run(  # noqa: S603 - uv with fixed arguments
        [uv(), "export", "--frozen", "--package", package, *EXPORT_OPTIONS],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    if out.returncode:
        raise ToolkitError(f"uv export failed for {package}: {out.stderr.strip()}", hint="run `uv lock`")
    blocks: list[list[str]] = []
    for line in out.stdout.splitlines():
        if line.startswith((" ", "\t")) and blocks:
            blocks[-1].append(line)
        elif line.strip() and not line.startswith("#"):
            blocks.append([line])
    return [Requirement(b[0].split("==")[0].split(";")[0].strip().lower(), "\n".join(b)) for b in blocks]


def functions() -> list[str]:
    return sorted(p.parent.name for p in ROOT.glob("lambda_*/pyproject.toml"))


def expected() -> dict[Path, str]:
    """Every requirements.txt as uv.lock says it should read."""
    layer = export(member(LAYER))
    provided = {r.name for r in layer}
    files = {ROOT / LAYER / "requirements.txt": _render(layer, "the layer: cornlake's own dependencies")}
    for folder in functions():
        own = [r for r in export(member(folder)) if r.name not in provided]
        what = f"{folder}: what it needs beyond the layer" if own else f"{folder}: nothing beyond the layer"
        files[ROOT / folder / "requirements.txt"] = _render(own, what)
    return files


def _render(requirements: list[Requirement], what: str) -> str:
    return HEADER.format(what=what) + "".join(r.text + "\n" for r in requirements)


def main(argv: list[str]) -> int:
    command = argv[0] if argv else "check"
    stale = [path for path, text in expected().items() if not path.exists() or path.read_text() != text]
    if command == "write":
        for path, text in expected().items():
            path.write_text(text, encoding="utf-8")
        return 0
    for path in stale:
        print(f"{path.relative_to(ROOT)} differs from uv.lock: run `make requirements`", file=sys.stderr)  # noqa: T201
    return 1 if stale else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
