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

from benchmarks.data import write_curated, write_events, write_flights, write_lineitem, write_vendas

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "benchmarks" / "data"
BARE = ["duckdb_copy", "polars_sink", "pyarrow_stream", "pandas_to_parquet"]
# The generated suite (CornLake's own shapes) and the realistic one (files as databases export
# them); each input: its kind (format and contract) and the engines it runs.
SUITES = {
    "generated": {
        "events": ["cornlake", "cornlake_row_path", "cornlake_2cores", *BARE, "awswrangler_s3"],
        "vendas": ["cornlake", "cornlake_row_path", "cornlake_2cores", *BARE],
    },
    "realistic": {
        "flights": ["cornlake", "cornlake_2cores", *BARE],
        "lineitem": ["cornlake", "cornlake_2cores", *BARE],
    },
}
WRITERS = {
    "events": write_events,
    "vendas": write_vendas,
    "flights": write_flights,
    "lineitem": write_lineitem,
}
EXTENSIONS = {"events": "jsonl", "vendas": "csv", "flights": "jsonl", "lineitem": "csv"}
HANDLERS = [
    "lambda_ingest_api",
    "lambda_ingest_s3_copy",
    "lambda_transform_curated",
    "lambda_catalog_sync",
    "lambda_data_quality",
    "lambda_monitor",
]


def dataset(kind: str, megabytes: int) -> Path:
    DATA.mkdir(parents=True, exist_ok=True)
    path = DATA / f"{kind}-{megabytes}mb.{EXTENSIONS[kind]}"
    if not path.exists():
        print(f"generating {path.name} ...", flush=True)
        WRITERS[kind](path, megabytes)
    return path


def curated(megabytes: int) -> Path:
    folder = DATA / f"curated-{megabytes}mb"
    if not folder.exists():
        print(f"generating {megabytes} MB of curated Parquet ...", flush=True)
        write_curated(folder, megabytes)
    return folder


def input_mb(src: Path) -> float:
    files = sorted(src.glob("*.parquet")) if src.is_dir() else [src]
    return sum(f.stat().st_size for f in files) / 1024 / 1024


def run_engine(engine: str, kind: str, src: Path) -> dict[str, Any]:
    out = DATA / "out" / f"{engine}-{kind}"
    shutil.rmtree(out, ignore_errors=True)
    proc = subprocess.run(
        [sys.executable, "-m", "benchmarks.engines", engine, kind, str(src), str(out)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    shutil.rmtree(out, ignore_errors=True)
    if proc.returncode != 0:
        return {"engine": engine, "kind": kind, "error": proc.stderr.strip().splitlines()[-1:]}
    result: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    result["mb_per_s"] = input_mb(src) / result["seconds"]
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
    names = ("pyarrow", "duckdb", "polars", "pandas", "awswrangler")
    versions = ", ".join(f"{p} {metadata.version(p)}" for p in names)
    return f"{cpu}; {os.cpu_count()} cores; Python {platform.python_version()}; {versions}"


def table(results: list[dict[str, Any]]) -> list[str]:
    lines = [
        "| input | engine | MB/s | CornLake ÷ engine | peak RSS MB | rows | fast path |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        if "error" in r:
            lines.append(f"| {r['label']} | {r['engine']} | failed: {r['error']} | | | | |")
            continue
        ours = next((x for x in results if x["label"] == r["label"] and x["engine"] == "cornlake"), r)
        ratio = ours["mb_per_s"] / r["mb_per_s"] if "mb_per_s" in ours else float("nan")
        share = f"{100 * r['fast_path_rows'] / max(r['rows'], 1):.1f}%" if "fast_path_rows" in r else ""
        lines.append(
            f"| {r['label']} | {r['engine']} | {r['mb_per_s']:.1f} | {ratio:.2f} "
            f"| {r['peak_mb']:.0f} | {r['rows']} | {share} |"
        )
    return lines


def targets(results: list[dict[str, Any]]) -> list[str]:
    """Each input's ratios against the targets of docs/PERFORMANCE.md."""
    lines = [
        "| input | CornLake ÷ fastest bare (≥ 0.5) | fastest | CornLake ÷ pandas | 2 cores ÷ 1 (≥ 1.6) |",
        "|---|---:|---|---:|---:|",
    ]
    by_label: dict[str, dict[str, dict[str, Any]]] = {}
    for r in results:
        if "error" not in r:
            by_label.setdefault(r["label"], {})[r["engine"]] = r
    for label, engines in by_label.items():
        ours, bare = engines.get("cornlake"), [engines[e] for e in BARE if e in engines]
        if not ours or not bare:
            continue
        fastest = max(bare, key=lambda r: r["mb_per_s"])
        pandas = engines.get("pandas_to_parquet")
        two = engines.get("cornlake_2cores")
        lines.append(
            f"| {label} | {ours['mb_per_s'] / fastest['mb_per_s']:.2f} | {fastest['engine']} "
            f"| {ours['mb_per_s'] / pandas['mb_per_s'] if pandas else float('nan'):.2f} "
            f"| {two['mb_per_s'] / ours['mb_per_s'] if two else float('nan'):.2f} |"
        )
    return lines


def phases(results: list[dict[str, Any]]) -> list[str]:
    """Where CornLake's time goes, per input: each phase's share of the run (one core)."""
    names = ["read and cut", "fast path: type and check", "row path", "duplicates", "write"]
    lines = [
        "| input | seconds | " + " | ".join(names) + " | other |",
        "|---|---:|" + "---:|" * (len(names) + 1),
    ]
    for r in results:
        if r.get("engine") != "cornlake" or "phases" not in r:
            continue
        split = [r["phases"].get(n, 0.0) for n in names]
        other = max(r["seconds"] - sum(split), 0.0)
        shares = " | ".join(f"{100 * v / r['seconds']:.0f}%" for v in [*split, other])
        lines.append(f"| {r['label']} | {r['seconds']:.1f} | {shares} |")
    return lines


def main() -> int:
    size = int(os.environ.get("BENCH_MB", "300"))
    big = int(os.environ.get("BENCH_BIG_MB", "1200"))
    results = []
    for suite, inputs in SUITES.items():
        for kind, engines in inputs.items():
            src = dataset(kind, size)
            for engine in engines:
                print(f"{suite} {kind} {size} MB: {engine} ...", flush=True)
                results.append({**run_engine(engine, kind, src), "label": f"{suite} {kind} {size} MB"})
    if big:
        for kind in ("events", "vendas"):
            print(f"{kind} {big} MB: cornlake (memory check) ...", flush=True)
            results.append({**run_engine("cornlake", kind, dataset(kind, big)), "label": f"{kind} {big} MB"})
        for mb in (size, big):
            print(f"quality check over {mb} MB of curated Parquet ...", flush=True)
            results.append({**run_engine("quality", "events", curated(mb)), "label": f"quality {mb} MB"})
    imports = import_times()
    lines = [*table(results), "", *targets(results), "", *phases(results)]
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
            f"Inputs: {size} MB (and {big} MB for the memory checks), generated by benchmarks/data.py. "
            "Every engine runs in its own process pinned to one core (`cornlake_2cores`: two). "
            "`fast path`: the share of curated rows the fast path took; `quality N MB`: the "
            "quality check of the events contract's rules over N MB of curated Parquet.",
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
