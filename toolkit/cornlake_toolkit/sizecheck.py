"""Check each built function plus its layers against Lambda's 250 MB unzipped limit.

Reads ``.aws-sam/build/template.yaml`` (what ``sam build`` produced) to know which layers
each function uses, measures the built folders, prints a table and exits non-zero if any
function is over the limit.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

from cornlake_toolkit.cfn import load_yaml

LAMBDA_UNZIPPED_LIMIT = 250 * 1024 * 1024


@dataclass(frozen=True)
class FunctionSize:
    function: str
    code_bytes: int
    layer_bytes: int

    @property
    def total(self) -> int:
        return self.code_bytes + self.layer_bytes

    @property
    def within_limit(self) -> bool:
        return self.total <= LAMBDA_UNZIPPED_LIMIT


def folder_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file() and not p.is_symlink())


def measure(build_dir: Path) -> list[FunctionSize]:
    template = load_yaml(build_dir / "template.yaml")
    resources = template["Resources"]
    globals_layers = template.get("Globals", {}).get("Function", {}).get("Layers", [])
    sizes = []
    for logical_id, resource in sorted(resources.items()):
        if resource["Type"] != "AWS::Serverless::Function":
            continue
        layers = resource.get("Properties", {}).get("Layers", globals_layers)
        layer_ids = [layer["Ref"] for layer in layers if isinstance(layer, dict) and "Ref" in layer]
        code = folder_size(build_dir / logical_id)
        layer_bytes = sum(folder_size(build_dir / layer_id) for layer_id in layer_ids)
        sizes.append(FunctionSize(logical_id, code, layer_bytes))
    if not sizes:
        raise SystemExit(f"no functions found in {build_dir / 'template.yaml'}; run `sam build` first")
    return sizes


def report(sizes: list[FunctionSize]) -> str:
    mb = 1024 * 1024
    lines = [f"{'function':<24} {'code MB':>8} {'layers MB':>10} {'total MB':>9}  limit 250 MB"]
    for s in sizes:
        verdict = "ok" if s.within_limit else "OVER THE LIMIT"
        lines.append(
            f"{s.function:<24} {s.code_bytes / mb:>8.1f} {s.layer_bytes / mb:>10.1f} "
            f"{s.total / mb:>9.1f}  {verdict}"
        )
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    build_dir = Path(argv[0] if argv else ".aws-sam/build")
    sizes = measure(build_dir)
    print(report(sizes))  # noqa: T201 - a build check prints its table
    return 0 if all(s.within_limit for s in sizes) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
