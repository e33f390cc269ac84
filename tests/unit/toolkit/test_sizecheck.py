"""The 250 MB check reads the built template and counts each function with its layers."""

from __future__ import annotations

from pathlib import Path

from cornlake_toolkit import sizecheck


def build(tmp_path: Path, code_mb: int) -> Path:
    (tmp_path / "template.yaml").write_text(
        "Resources:\n"
        "  Layer: {Type: AWS::Serverless::LayerVersion, Properties: {ContentUri: Layer}}\n"
        "  Small: {Type: AWS::Serverless::Function, Properties: {CodeUri: Small, Layers: [!Ref Layer]}}\n"
        "  Big: {Type: AWS::Serverless::Function, Properties: {CodeUri: Big, Layers: [!Ref Layer]}}\n"
    )
    for name, size in (("Layer", 40), ("Small", 1), ("Big", code_mb)):
        (tmp_path / name).mkdir()
        with (tmp_path / name / "blob.bin").open("wb") as handle:
            handle.truncate(size * 1024 * 1024)
    return tmp_path


def test_functions_with_layers_under_the_limit_pass(tmp_path: Path) -> None:
    sizes = {s.function: s for s in sizecheck.measure(build(tmp_path, 150))}
    assert sizes["Big"].total == 190 * 1024 * 1024 and sizes["Big"].within_limit
    assert sizecheck.main([str(tmp_path)]) == 0


def test_a_function_over_the_limit_fails_the_check(tmp_path: Path) -> None:
    build(tmp_path, 215)
    assert sizecheck.main([str(tmp_path)]) == 1
    assert "OVER THE LIMIT" in sizecheck.report(sizecheck.measure(tmp_path))
