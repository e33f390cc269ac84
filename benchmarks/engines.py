"""One converter per function, each run in its own process pinned to one core (two for
``cornlake_2cores``).

    python -m benchmarks.engines ENGINE KIND INPUT OUTPUT_DIR

KIND names the input (``events``, ``vendas``, ``lineitem``, ``flights``: its format and its
contract). Prints one JSON line: seconds spent converting, peak RSS, rows written (and, for
CornLake, the rows the fast path took).
"""

from __future__ import annotations

import json
import os
import resource
import sys
import time
from pathlib import Path
from typing import Any

CONTRACTS = Path(__file__).resolve().parent / "contracts"
KINDS = {"events": "jsonl", "vendas": "csv", "lineitem": "csv", "flights": "jsonl"}
FAST_PATH_ROWS: list[int] = []  # what the CornLake engines report besides rows
PHASES: list[dict[str, float]] = []


def _cores(engine: str) -> None:
    cores = sorted(os.sched_getaffinity(0))[: 2 if engine.endswith("_2cores") else 1]
    os.sched_setaffinity(0, set(cores))
    os.environ["POLARS_MAX_THREADS"] = str(len(cores))  # read when polars is imported
    if engine.startswith("cornlake") or engine in ("duckdb_copy", "polars_sink", "quality"):
        # none loads pyarrow (nor does the quality function): importing it here would add its
        # memory to their peak
        return
    import pyarrow as pa

    pa.set_cpu_count(1)
    pa.set_io_thread_count(1)


def cornlake(kind: str, src: Path, out: Path, *, fast_path: bool = True) -> int:
    from cornlake.contracts import load_contract
    from cornlake.keys import raw_key
    from cornlake.transform import ConvertOptions, convert_object

    contract = load_contract(CONTRACTS / "bench" / f"{kind}.yaml")
    raw = raw_key("bench", contract.dataset, "20261120T120000Z-0123456789ab", src.name)
    with src.open("rb") as body:
        done = convert_object(
            body, contract, raw, out, size=src.stat().st_size, options=ConvertOptions(fast_path=fast_path)
        )
    FAST_PATH_ROWS.append(done.fast_path_rows)
    PHASES.append(done.phases)
    return done.rows_out


def cornlake_row_path(kind: str, src: Path, out: Path) -> int:
    """CornLake with the fast path switched off: every record through the row converter."""
    return cornlake(kind, src, out, fast_path=False)


def cornlake_2cores(kind: str, src: Path, out: Path) -> int:
    """CornLake on two cores (DuckDB uses the cores the process may run on)."""
    return cornlake(kind, src, out)


def duckdb_copy(kind: str, src: Path, out: Path) -> int:
    import duckdb

    con = duckdb.connect()
    con.execute("SET threads=1")
    if KINDS[kind] == "jsonl":
        read = f"read_json('{src}', format='newline_delimited')"
    elif kind == "vendas":
        read = (
            f"read_csv('{src}', delim=';', decimal_separator=',', header=true, encoding='latin-1', "
            "dateformat='%d/%m/%Y', timestampformat='%d/%m/%Y %H:%M:%S')"
        )
    else:
        read = f"read_csv('{src}', header=true)"
    con.execute(f"COPY (SELECT * FROM {read}) TO '{out / 'out.parquet'}' (FORMAT parquet, COMPRESSION zstd)")
    return int(con.execute(f"SELECT count(*) FROM '{out / 'out.parquet'}'").fetchone()[0])  # type: ignore[index]


def polars_sink(kind: str, src: Path, out: Path) -> int:
    """polars' streaming engine: scan_csv / scan_ndjson → sink_parquet, one thread."""
    import polars as pl

    if KINDS[kind] == "jsonl":
        frame = pl.scan_ndjson(src)
    elif kind == "vendas":
        frame = pl.scan_csv(
            src, separator=";", encoding="utf8-lossy", decimal_comma=True, try_parse_dates=True
        )
    else:
        frame = pl.scan_csv(src, try_parse_dates=True)
    frame.sink_parquet(out / "out.parquet", compression="zstd")
    return int(pl.scan_parquet(out / "out.parquet").select(pl.len()).collect().item())


def pyarrow_stream(kind: str, src: Path, out: Path) -> int:
    import pyarrow.csv as pcsv
    import pyarrow.json as pjson
    import pyarrow.parquet as pq

    if KINDS[kind] == "jsonl":
        reader = pjson.open_json(str(src))
    elif kind != "vendas":
        reader = pcsv.open_csv(str(src))
    else:
        reader = pcsv.open_csv(
            str(src),
            read_options=pcsv.ReadOptions(encoding="latin-1"),
            parse_options=pcsv.ParseOptions(delimiter=";"),
        )
    rows = 0
    writer = None
    for batch in reader:
        if writer is None:
            writer = pq.ParquetWriter(str(out / "out.parquet"), batch.schema, compression="zstd")
        writer.write_batch(batch)
        rows += batch.num_rows
    if writer is not None:
        writer.close()
    return rows


def _pandas_frame(kind: str, src: Path) -> Any:
    import pandas as pd

    if KINDS[kind] == "jsonl":
        return pd.read_json(src, lines=True)
    if kind != "vendas":
        return pd.read_csv(src)
    return pd.read_csv(src, sep=";", decimal=",", thousands=".", encoding="latin-1")


def pandas_to_parquet(kind: str, src: Path, out: Path) -> int:
    frame = _pandas_frame(kind, src)
    frame.to_parquet(out / "out.parquet", compression="zstd")
    return len(frame)


def awswrangler_s3(kind: str, src: Path, out: Path) -> int:
    """pandas + awswrangler's s3.to_parquet, against an in-process moto server."""
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    port = server._server.server_port  # type: ignore[union-attr]
    os.environ.update(
        {
            "AWS_ENDPOINT_URL": f"http://127.0.0.1:{port}",
            "AWS_ACCESS_KEY_ID": "bench",
            "AWS_SECRET_ACCESS_KEY": "bench",
            "AWS_DEFAULT_REGION": "us-east-1",
        }
    )
    import awswrangler as wr
    import boto3

    boto3.client("s3").create_bucket(Bucket="bench-out")
    frame = _pandas_frame(kind, src)
    wr.s3.to_parquet(frame, path="s3://bench-out/out.parquet", compression="zstd")
    server.stop()
    return len(frame)


def quality(kind: str, src: Path, out: Path) -> int:
    """The quality check of the events contract over a folder of curated Parquet files."""
    from cornlake.contracts import load_contract
    from cornlake.quality.engine import Inputs, Limits, evaluate

    contract = load_contract(CONTRACTS / "quality" / "bench" / f"{kind}.yaml")
    files = sorted(src.glob("part-*.parquet"))
    from cornlake.settings import Settings

    memory = Settings().quality_memory_mb  # what the template gives the quality function
    measures = evaluate(contract, Inputs(files, {}, {}), out, limits=Limits(memory_mb=memory, timeout_s=3600))
    failed = [m.rule.text for m in measures if m.outcome == "error"]
    if failed:
        raise SystemExit(f"rules that could not be evaluated: {failed}")
    return max(m.rows_checked for m in measures)


ENGINES = {
    f.__name__: f
    for f in (
        cornlake,
        cornlake_row_path,
        cornlake_2cores,
        duckdb_copy,
        polars_sink,
        pyarrow_stream,
        pandas_to_parquet,
        awswrangler_s3,
        quality,
    )
}


def main(argv: list[str]) -> int:
    engine, kind, src, out = argv[0], argv[1], Path(argv[2]), Path(argv[3])
    out.mkdir(parents=True, exist_ok=True)
    _cores(engine)
    started = time.perf_counter()
    rows = ENGINES[engine](kind, src, out)
    seconds = time.perf_counter() - started
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    result = {"engine": engine, "kind": kind, "seconds": seconds, "peak_mb": peak_mb, "rows": rows}
    if FAST_PATH_ROWS:
        result["fast_path_rows"] = FAST_PATH_ROWS[-1]
        result["phases"] = PHASES[-1]
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
