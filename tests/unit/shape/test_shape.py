"""The library's shape, checked: small functions, thin handlers, no import cycles, errors that mean
what they say. A newcomer should be able to read any function on one screen."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from cornlake_toolkit.local import ROOT

MAX_FUNCTION_LINES = 50
MAX_HANDLER_LINES = 40
LIBRARIES = (ROOT / "shared_layer" / "cornlake", ROOT / "toolkit" / "cornlake_toolkit")


def sources() -> list[Path]:
    return sorted(p for folder in LIBRARIES for p in folder.rglob("*.py"))


def module_name(path: Path) -> str:
    parts = path.relative_to(path.parents[len(path.relative_to(ROOT).parts) - 2]).with_suffix("").parts
    return ".".join(p for p in parts if p != "__init__")


def test_no_function_is_longer_than_a_screen() -> None:
    long = []
    for path in sources():
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                length = (node.end_lineno or node.lineno) - node.lineno + 1
                if length > MAX_FUNCTION_LINES:
                    long.append(f"{path.relative_to(ROOT)}:{node.lineno} {node.name} ({length} lines)")
    assert not long, "functions over the limit:\n" + "\n".join(long)


@pytest.mark.parametrize("handler", sorted(ROOT.glob("lambda_*/app.py")), ids=lambda p: p.parent.name)
def test_handlers_are_thin(handler: Path) -> None:
    tree = ast.parse(handler.read_text())
    assert len(handler.read_text().splitlines()) <= MAX_HANDLER_LINES
    functions = [n for n in tree.body if isinstance(n, ast.FunctionDef)]
    assert [f.name for f in functions] == ["lambda_handler"]
    assert len(functions[0].body) == 1 and isinstance(functions[0].body[0], ast.Return)  # one call, returned


def test_the_library_raises_no_bare_runtime_errors() -> None:
    offenders = []
    for path in sources():
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Raise) and node.exc is not None:
                call = node.exc.func if isinstance(node.exc, ast.Call) else node.exc
                if isinstance(call, ast.Name) and call.id in ("RuntimeError", "Exception"):
                    offenders.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert not offenders, "raise a CornLakeError (terminal or transient) instead: " + ", ".join(offenders)


def top_level_imports(path: Path, modules: set[str]) -> set[str]:
    """The modules among ``modules`` that importing ``path`` imports (not inside functions or
    TYPE_CHECKING blocks). ``from pkg import mod`` imports the submodule, not pkg's names."""
    found = set()
    for node in ast.parse(path.read_text()).body:
        if isinstance(node, ast.ImportFrom) and node.module in modules:
            submodules = {f"{node.module}.{a.name}" for a in node.names} & modules
            found |= submodules or {node.module}
            if len(submodules) < len(node.names):
                found.add(node.module)
        elif isinstance(node, ast.Import):
            found |= {a.name for a in node.names} & modules
    return found


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected groups of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for nxt in graph[node]:
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for node in graph:
        if node not in index:
            visit(node)
    return found


def test_there_are_no_import_cycles() -> None:
    modules = {module_name(p): p for p in sources()}
    graph = {name: top_level_imports(path, set(modules)) - {name} for name, path in modules.items()}
    assert not cycles(graph)
    assert cycles({"a": {"b"}, "b": {"a"}, "c": set()}) == [["a", "b"]]  # the check itself can fail
