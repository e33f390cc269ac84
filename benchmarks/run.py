"""``make bench``: CornLake's transform side by side with bare converters, one core each.

Generates its inputs deterministically (``BENCH_MB``, default 300, and ``BENCH_BIG_MB``,
default 1200, for the memory check), runs every engine in its own process pinned to one
core, prints MB/s, CornLake's ratio to each engine and peak RSS, measures the handlers'
import times with ``python -X importtime``, and writes docs/PERFORMANCE.md.

A shared machine's speed drifts by a quarter or more over minutes, so the engines of an
input run in ``BENCH_ROUNDS`` rounds (default 3), one engine after the other in each round
(the order reversed every other round). Each ratio is taken within a round, where both
engines ran within seconds of each other, and reported as the median over the rounds with
its range; an engine's MB/s is that of its median run.
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
ONCE = {"cornlake_row_path", "awswrangler_s3"}  # slow, and only for reference: the first round only
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


def run_input(label: str, kind: str, src: Path, engines: list[str], rounds: int) -> list[dict[str, Any]]:
    """Every engine of one input, round after round; one result per engine (its median run,
    with each round's seconds in ``rounds``: None where it did not run or failed)."""
    runs: dict[str, list[dict[str, Any] | None]] = {engine: [] for engine in engines}
    for n in range(rounds):
        for engine in engines if n % 2 == 0 else engines[::-1]:
            if n and engine in ONCE:
                runs[engine].append(None)
                continue
            print(f"{label}, round {n + 1}/{rounds}: {engine} ...", flush=True)
            runs[engine].append(run_engine(engine, kind, src))
    return [{**combine(runs[engine]), "label": label} for engine in engines]


def combine(runs: list[dict[str, Any] | None]) -> dict[str, Any]:
    """One engine's runs as one result: the median run (by seconds) with the highest peak RSS
    of all and ``rounds``, each round's seconds; the first failure if any run failed."""
    done = [r for r in runs if r is not None]
    failed = [r for r in done if "error" in r]
    if failed or not done:
        return failed[0] if failed else {"error": ["no run"]}
    median = sorted(done, key=lambda r: r["seconds"])[(len(done) - 1) // 2]
    return {
        **median,
        "peak_mb": max(r["peak_mb"] for r in done),
        "rounds": [None if r is None else r["seconds"] for r in runs],
    }


def ratio(ours: dict[str, Any], theirs: dict[str, Any] | list[dict[str, Any]]) -> tuple[float, float, float]:
    """How many times faster ``ours`` converts than ``theirs`` (for a list: the fastest of them
    in each round): the median over the rounds both ran, the lowest and the highest."""
    group = theirs if isinstance(theirs, list) else [theirs]
    ratios = []
    for n, seconds in enumerate(ours.get("rounds", [ours.get("seconds")])):
        others = [r.get("rounds", [r.get("seconds")]) for r in group]
        times = [t[n] for t in others if n < len(t) and t[n] is not None]
        if seconds is not None and times:
            ratios.append(min(times) / seconds)
    if not ratios:
        return (float("nan"),) * 3
    return statistics.median(ratios), min(ratios), max(ratios)


def spread(value: tuple[float, float, float]) -> str:
    """A median ratio and its range over the rounds: ``0.24 (0.22-0.26)``."""
    middle, low, high = value
    return f"{middle:.2f}" if low == high else f"{middle:.2f} ({low:.2f}-{high:.2f})"


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
        versus = spread(ratio(ours, r)) if "error" not in ours else "n/a"
        share = f"{100 * r['fast_path_rows'] / max(r['rows'], 1):.1f}%" if "fast_path_rows" in r else ""
        lines.append(
            f"| {r['label']} | {r['engine']} | {r['mb_per_s']:.1f} | {versus} "
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
        nan = (float("nan"),) * 3
        lines.append(
            f"| {label} | {spread(ratio(ours, bare))} | {fastest['engine']} "
            f"| {spread(ratio(ours, pandas) if pandas else nan)} "
            f"| {spread(ratio(two, ours) if two else nan)} |"
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
    rounds = max(int(os.environ.get("BENCH_ROUNDS", "3")), 1)
    results = []
    for suite, inputs in SUITES.items():
        for kind, engines in inputs.items():
            results += run_input(f"{suite} {kind} {size} MB", kind, dataset(kind, size), engines, rounds)
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
    write_report(lines, imports, size, big, rounds)
    return 0


def write_report(lines: list[str], imports: dict[str, float], size: int, big: int, rounds: int) -> None:
    report = ROOT / "docs" / "PERFORMANCE.md"
    text = report.read_text(encoding="utf-8") if report.exists() else ""
    measured = "\n".join(
        [
            "<!-- measured: written by `make bench`; everything outside these markers is prose -->",
            f"Measured {datetime.now(UTC):%Y-%m-%d} on: {machine()}.",
            f"Inputs: {size} MB (and {big} MB for the memory checks), generated by benchmarks/data.py. "
            "Every engine runs in its own process pinned to one core (`cornlake_2cores`: two), "
            f"in {rounds} rounds ({', '.join(sorted(ONCE))}: the first only); MB/s is an engine's median "
            "run, and each ratio the median of the ratios within a round, with their range. "
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
