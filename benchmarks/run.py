"""``make bench``: CornLake's transform side by side with bare converters, one core each.

Generates its inputs deterministically (``BENCH_MB``, default 300, and ``BENCH_BIG_MB``,
default 1200, for the memory check), runs every engine in its own process pinned to one
core, prints MB/s, CornLake's ratio to each engine and peak RSS, measures the handlers'
import times with ``python -X importtime``, and writes docs/PERFORMANCE.md.
"""

from __future__ import annotations

import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

from benchmarks.data import write_events, write_vendas

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "benchmarks" / "data"
ENGINES = {
    "jsonl": [
        "cornlake",
        "cornlake_row_path",
        "duckdb_copy",
        "pyarrow_stream",
        "pandas_to_parquet",
        "awswrangler_s3",
    ],
    "csv": ["cornlake", "cornlake_row_path", "duckdb_copy", "pyarrow_stream", "pandas_to_parquet"],
}
HANDLERS = [
    "lambda_ingest_api",
    "lambda_ingest_s3_copy",
    "lambda_transform_curated",
    "lambda_catalog_sync",
    "lambda_data_quality",
]


def dataset(fmt: str, megabytes: int) -> Path:
    DATA.mkdir(parents=True, exist_ok=True)
    path = (
        DATA
        / f"{'events' if fmt == 'jsonl' else 'vendas'}-{megabytes}mb.{'jsonl' if fmt == 'jsonl' else 'csv'}"
    )
    if not path.exists():
        print(f"generating {path.name} ...", flush=True)
        (write_events if fmt == "jsonl" else write_vendas)(path, megabytes)
    return path


def run_engine(engine: str, fmt: str, src: Path) -> dict[str, Any]:
    out = DATA / "out" / f"{engine}-{fmt}"
    shutil.rmtree(out, ignore_errors=True)
    proc = subprocess.run(
        [sys.executable, "-m", "benchmarks.engines", engine, fmt, str(src), str(out)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    shutil.rmtree(out, ignore_errors=True)
    if proc.returncode != 0:
        return {"engine": engine, "format": fmt, "error": proc.stderr.strip().splitlines()[-1:]}
    result: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    result["mb_per_s"] = src.stat().st_size / 1024 / 1024 / result["seconds"]
    return result


def import_times(runs: int = 5) -> dict[str, float]:
    """Each handler's import time, the median of ``runs`` fresh processes (the first ones
    also pay for reading the files from disk, which the benchmark's big inputs evict)."""
    times = {}
    env = {**os.environ, "PYTHONPATH": str(ROOT / "shared_layer")}
    for handler in HANDLERS:
        samples = []
        for _ in range(runs):
            proc = subprocess.run(
                [sys.executable, "-X", "importtime", "-c", "import app"],
                cwd=ROOT / handler,
                capture_output=True,
                text=True,
                env=env,
                check=True,
            )
            line = next(x for x in proc.stderr.splitlines() if re.search(r"\|\s+app$", x))
            samples.append(int(line.split("|")[1]) / 1000)  # cumulative microseconds → ms
        times[handler] = statistics.median(samples)
    return times


def machine() -> str:
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor() or platform.machine(),
    )
    versions = ", ".join(f"{p} {metadata.version(p)}" for p in ("pyarrow", "duckdb", "pandas", "awswrangler"))
    return f"{cpu}; {os.cpu_count()} cores; Python {platform.python_version()}; {versions}"


def table(results: list[dict[str, Any]]) -> list[str]:
    lines = [
        "| input | engine | MB/s | CornLake ÷ engine | peak RSS MB | rows |",
        "|---|---|---:|---:|---:|---:|",
    ]
    for r in results:
        if "error" in r:
            lines.append(f"| {r['label']} | {r['engine']} | failed: {r['error']} | | | |")
            continue
        ours = next(x for x in results if x["label"] == r["label"] and x["engine"] == "cornlake")
        ratio = ours["mb_per_s"] / r["mb_per_s"] if "mb_per_s" in ours else float("nan")
        lines.append(
            f"| {r['label']} | {r['engine']} | {r['mb_per_s']:.1f} | {ratio:.2f} "
            f"| {r['peak_mb']:.0f} | {r['rows']} |"
        )
    return lines


def main() -> int:
    size = int(os.environ.get("BENCH_MB", "300"))
    big = int(os.environ.get("BENCH_BIG_MB", "1200"))
    results = []
    for fmt in ("jsonl", "csv"):
        src = dataset(fmt, size)
        for engine in ENGINES[fmt]:
            print(f"{fmt} {size} MB: {engine} ...", flush=True)
            results.append({**run_engine(engine, fmt, src), "label": f"{fmt} {size} MB"})
    if big:
        for fmt in ("jsonl", "csv"):
            print(f"{fmt} {big} MB: cornlake (memory check) ...", flush=True)
            results.append({**run_engine("cornlake", fmt, dataset(fmt, big)), "label": f"{fmt} {big} MB"})
    imports = import_times()
    lines = table(results)
    print("\n".join(lines))
    print("\n".join(f"{h}: imports in {ms:.0f} ms" for h, ms in imports.items()))
    write_report(lines, imports, size, big)
    return 0


def write_report(lines: list[str], imports: dict[str, float], size: int, big: int) -> None:
    report = ROOT / "docs" / "PERFORMANCE.md"
    text = report.read_text(encoding="utf-8") if report.exists() else ""
    measured = "\n".join(
        [
            "<!-- measured: written by `make bench`; everything outside these markers is prose -->",
            f"Measured {datetime.now(UTC):%Y-%m-%d} on: {machine()}.",
            f"Inputs: {size} MB (and {big} MB for the memory check), generated by benchmarks/data.py. "
            "Every engine runs in its own process pinned to one core.",
            "",
            *lines,
            "",
            "| handler | import time (python -X importtime, median of 5 fresh processes) |",
            "|---|---:|",
            *[f"| {h} | {ms:.0f} ms |" for h, ms in imports.items()],
            "<!-- /measured -->",
        ]
    )
    if "<!-- measured" in text:
        text = re.sub(r"<!-- measured.*?<!-- /measured -->", lambda _: measured, text, flags=re.S)
    else:
        text = text + "\n" + measured + "\n"
    report.write_text(text, encoding="utf-8")
    print(f"wrote {report}")


if __name__ == "__main__":
    sys.exit(main())
