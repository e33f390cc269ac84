"""One converter per function, each run in its own process pinned to one core.

    python -m benchmarks.engines ENGINE FORMAT INPUT OUTPUT_DIR

prints one JSON line: seconds spent converting, peak RSS, rows written.
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


def _one_core(engine: str) -> None:
    os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    if engine.startswith("cornlake") or engine == "duckdb_copy":
        return  # neither loads pyarrow; importing it here would add its memory to their peak
    import pyarrow as pa

    pa.set_cpu_count(1)
    pa.set_io_thread_count(1)


def cornlake(fmt: str, src: Path, out: Path, *, fast_path: bool = True) -> int:
    from cornlake.contracts import load_contract
    from cornlake.keys import raw_key
    from cornlake.transform import ConvertOptions, convert_object

    contract = load_contract(CONTRACTS / "bench" / ("events.yaml" if fmt == "jsonl" else "vendas.yaml"))
    raw = raw_key("bench", contract.dataset, "20261120T120000Z-0123456789ab", src.name)
    with src.open("rb") as body:
        done = convert_object(
            body, contract, raw, out, size=src.stat().st_size, options=ConvertOptions(fast_path=fast_path)
        )
    return done.rows_out


def cornlake_row_path(fmt: str, src: Path, out: Path) -> int:
    """CornLake with the fast path switched off: every record through the row converter."""
    return cornlake(fmt, src, out, fast_path=False)


def duckdb_copy(fmt: str, src: Path, out: Path) -> int:
    import duckdb

    con = duckdb.connect()
    con.execute("SET threads=1")
    if fmt == "jsonl":
        read = f"read_json('{src}', format='newline_delimited')"
    else:
        read = (
            f"read_csv('{src}', delim=';', decimal_separator=',', header=true, encoding='latin-1', "
            "dateformat='%d/%m/%Y', timestampformat='%d/%m/%Y %H:%M:%S')"
        )
    con.execute(f"COPY (SELECT * FROM {read}) TO '{out / 'out.parquet'}' (FORMAT parquet, COMPRESSION zstd)")
    return int(con.execute(f"SELECT count(*) FROM '{out / 'out.parquet'}'").fetchone()[0])  # type: ignore[index]


def pyarrow_stream(fmt: str, src: Path, out: Path) -> int:
    import pyarrow.csv as pcsv
    import pyarrow.json as pjson
    import pyarrow.parquet as pq

    if fmt == "jsonl":
        reader = pjson.open_json(str(src))
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


def _pandas_frame(fmt: str, src: Path) -> Any:
    import pandas as pd

    if fmt == "jsonl":
        return pd.read_json(src, lines=True)
    return pd.read_csv(src, sep=";", decimal=",", thousands=".", encoding="latin-1")


def pandas_to_parquet(fmt: str, src: Path, out: Path) -> int:
    frame = _pandas_frame(fmt, src)
    frame.to_parquet(out / "out.parquet", compression="zstd")
    return len(frame)


def awswrangler_s3(fmt: str, src: Path, out: Path) -> int:
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
    frame = _pandas_frame(fmt, src)
    wr.s3.to_parquet(frame, path="s3://bench-out/out.parquet", compression="zstd")
    server.stop()
    return len(frame)


ENGINES = {
    f.__name__: f
    for f in (cornlake, cornlake_row_path, duckdb_copy, pyarrow_stream, pandas_to_parquet, awswrangler_s3)
}


def main(argv: list[str]) -> int:
    engine, fmt, src, out = argv[0], argv[1], Path(argv[2]), Path(argv[3])
    out.mkdir(parents=True, exist_ok=True)
    _one_core(engine)
    started = time.perf_counter()
    rows = ENGINES[engine](fmt, src, out)
    seconds = time.perf_counter() - started
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"engine": engine, "format": fmt, "seconds": seconds, "peak_mb": peak_mb, "rows": rows}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
