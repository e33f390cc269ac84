"""Deterministic benchmark inputs: JSON lines with 15 columns (nested) and Brazilian CSV."""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cornlake_toolkit.samples import CITIES, NAMES, PRODUCTS, _br

BASE = datetime(2026, 11, 1, tzinfo=UTC)
PAGES = ("/", "/busca", "/produto", "/carrinho", "/checkout", "/conta")
TYPES = ("page_view", "click", "purchase", "signup", "search")


def write_events(path: Path, megabytes: int, seed: int = 1) -> Path:
    rng = random.Random(seed)
    target = megabytes * 1024 * 1024
    written = 0
    with path.open("w", encoding="utf-8") as out:
        i = 0
        while written < target:
            kind = TYPES[rng.randrange(5)]
            city, _ = CITIES[rng.randrange(len(CITIES))]
            row = {
                "event_id": f"e{seed}-{i:010d}",
                "event_type": kind,
                "event_time": (BASE + timedelta(seconds=rng.randrange(30 * 86400)))
                .isoformat()
                .replace("+00:00", "Z"),
                "user_id": f"u{rng.randrange(10**6):07d}",
                "session_id": f"s{rng.randrange(10**9):010d}",
                "country": "BR",
                "city": city,
                "page": PAGES[rng.randrange(len(PAGES))],
                "referrer": rng.choice(("google", "instagram", "direct", "email", None)),
                "amount": round(rng.uniform(1, 2000), 2) if kind == "purchase" else None,
                "quantity": rng.randrange(1, 10) if kind == "purchase" else None,
                "duration_ms": rng.randrange(10, 600_000),
                "is_logged_in": rng.random() < 0.4,
                "device": {
                    "os": rng.choice(("android", "ios", "web")),
                    "app_version": f"3.{rng.randrange(20)}.0",
                    "screen_width": rng.choice((390, 412, 1280, 1920)),
                },
                "tags": rng.sample(
                    ["promo", "novo", "recorrente", "app", "site", "frete"], k=rng.randrange(0, 3)
                ),
            }
            line = json.dumps(row, ensure_ascii=False) + "\n"
            out.write(line)
            written += len(line.encode())
            i += 1
    return path


def write_vendas(path: Path, megabytes: int, seed: int = 2) -> Path:
    rng = random.Random(seed)
    target = megabytes * 1024 * 1024
    header = "id_venda;data_venda;registrada_em;cliente;Município;uf;produto;quantidade;"
    header += "valor_unitario;valor_total\r\n"
    written = 0
    with path.open("w", encoding="latin-1", newline="") as out:
        out.write(header)
        i = 0
        while written < target:
            city, uf = CITIES[rng.randrange(len(CITIES))]
            day = BASE - timedelta(days=rng.randrange(365))
            qty = rng.randrange(1, 30)
            unit = rng.randrange(150, 250_000) / 100
            line = (
                f"{i};{day:%d/%m/%Y};{day:%d/%m/%Y} {rng.randrange(8, 22):02d}:{rng.randrange(60):02d}:00;"
                f"{rng.choice(NAMES)};{city};{uf};{rng.choice(PRODUCTS)};{qty};"
                f"{_br(unit)};{_br(round(qty * unit, 2))}\r\n"
            )
            out.write(line)
            written += len(line)
            i += 1
    return path


# The realistic suite: files as databases export them, not as CornLake's samples look.
SHIP_MODES = ("AIR", "FOB", "MAIL", "RAIL", "REG AIR", "SHIP", "TRUCK")
INSTRUCTIONS = ("DELIVER IN PERSON", "COLLECT COD", "NONE", "TAKE BACK RETURN")
WORDS = ("carefully", "final", "deposits", "sleep", "quickly", "ironic", "packages", "blithely", "regular")
CARRIERS = ("UA", "AA", "B6", "DL", "EV", "MQ", "US", "WN", "VX", "FL", "AS", "9E", "F9", "HA", "YV", "OO")
AIRPORTS = ("EWR", "LGA", "JFK", "IAH", "MIA", "ATL", "ORD", "FLL", "IAD", "MCO", "BOS", "LAX", "SFO")


def _comment(rng: random.Random) -> str:
    text = " ".join(rng.choice(WORDS) for _ in range(rng.randrange(2, 7)))
    if rng.random() < 0.15:  # a database quotes a field that holds the delimiter or a quote
        return '"' + text.replace(" ", ", ", 1) + (' ""quoted""' if rng.random() < 0.3 else "") + '"'
    return text


def write_lineitem(path: Path, megabytes: int, seed: int = 3) -> Path:
    """A wide CSV like a database's ``COPY ... CSV HEADER`` of an order-lines table: integers,
    decimals with '.', ISO dates, and text quoted only where it must be."""
    rng = random.Random(seed)
    target = megabytes * 1024 * 1024
    header = (
        "l_orderkey,l_partkey,l_suppkey,l_linenumber,l_quantity,l_extendedprice,l_discount,l_tax,"
        "l_returnflag,l_linestatus,l_shipdate,l_commitdate,l_receiptdate,l_shipinstruct,l_shipmode,l_comment\n"
    )
    written, order = 0, 1
    start = datetime(1994, 1, 1)
    with path.open("w", encoding="utf-8", newline="") as out:
        out.write(header)
        while written < target:
            for line_no in range(1, rng.randrange(2, 8)):
                ship = start + timedelta(days=rng.randrange(365 * 3))
                qty = rng.randrange(1, 51)
                price = round(qty * rng.uniform(900, 2000), 2)
                line = (
                    f"{order},{rng.randrange(1, 200_000)},{rng.randrange(1, 10_000)},{line_no},{qty}.00,"
                    f"{price:.2f},0.{rng.randrange(0, 11):02d},0.0{rng.randrange(0, 9)},"
                    f"{rng.choice('ANR')},{rng.choice('OF')},{ship:%Y-%m-%d},"
                    f"{ship + timedelta(days=rng.randrange(-30, 60)):%Y-%m-%d},"
                    f"{ship + timedelta(days=rng.randrange(1, 31)):%Y-%m-%d},"
                    f"{rng.choice(INSTRUCTIONS)},{rng.choice(SHIP_MODES)},{_comment(rng)}\n"
                )
                out.write(line)
                written += len(line)
            order += 1
    return path


def write_flights(path: Path, megabytes: int, seed: int = 4) -> Path:
    """JSON lines as a database writes them (PostgreSQL's ``row_to_json``): timestamps like
    ``2013-01-01 10:00:00+00``, integral numbers in double columns, nulls for missing values."""
    rng = random.Random(seed)
    target = megabytes * 1024 * 1024
    written, i = 0, 0
    start = datetime(2013, 1, 1, 5, tzinfo=UTC)
    with path.open("w", encoding="utf-8") as out:
        while written < target:
            hour = start + timedelta(hours=rng.randrange(365 * 24))
            cancelled = rng.random() < 0.03
            delay = None if cancelled else float(rng.randrange(-20, 120))
            row = {
                "id": i,
                "year": hour.year,
                "month": hour.month,
                "day": hour.day,
                "dep_time": None if cancelled else hour.hour * 100 + rng.randrange(60),
                "dep_delay": int(delay) if delay is not None and rng.random() < 0.5 else delay,
                "arr_delay": None if cancelled else rng.randrange(-40, 150),
                "carrier": rng.choice(CARRIERS),
                "flight": rng.randrange(1, 6000),
                "tailnum": None
                if rng.random() < 0.01
                else f"N{rng.randrange(100, 999)}{rng.choice('ABUW')}A",
                "origin": rng.choice(AIRPORTS[:3]),
                "dest": rng.choice(AIRPORTS),
                "air_time": None if cancelled else rng.randrange(20, 700),
                "distance": float(rng.randrange(80, 5000)),
                "hour": hour.hour,
                "minute": rng.randrange(60),
                "time_hour": f"{hour:%Y-%m-%d %H}:00:00+00",
            }
            line = json.dumps(row) + "\n"
            out.write(line)
            written += len(line)
            i += 1
    return path


def write_curated(folder: Path, megabytes: int, seed: int = 5) -> list[Path]:
    """Curated Parquet files as the transform writes them (zstd, about 128 MB each) for the
    quality benchmark: the events table's columns, with hard-to-compress ids."""
    import duckdb

    folder.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect()
    con.execute(f"SELECT setseed({seed / 100})")
    rows = megabytes * 1024 * 1024 // 60  # about 60 bytes a row once compressed
    con.execute(
        f"""COPY (SELECT
            'e-' || md5(i::VARCHAR) || md5((i * 7)::VARCHAR) AS event_id,
            ['page_view', 'click', 'purchase', 'signup', 'search'][1 + i % 5] AS event_type,
            TIMESTAMPTZ '2026-11-01 00:00:00+00' + to_seconds(i % 2592000) AS event_time,
            'u' || (random() * 1e7)::BIGINT AS user_id,
            md5((i * 3)::VARCHAR) AS session_id,
            'BR' AS country,
            ['São Paulo', 'Recife', 'Curitiba', 'Manaus'][1 + i % 4] AS city,
            '/produto/' || (i % 5000) AS page,
            CASE WHEN i % 5 = 0 THEN NULL ELSE 'google' END AS referrer,
            (random() * 2000)::DECIMAL(12, 2) AS amount,
            (1 + i % 9)::INTEGER AS quantity,
            (random() * 600000)::BIGINT AS duration_ms,
            i % 3 = 0 AS is_logged_in,
            '20261120T120000Z-0123456789ab' AS _ingest_id
          FROM range({rows}) t(i))
        TO '{folder}' (FORMAT parquet, COMPRESSION zstd, FILE_SIZE_BYTES '128MB',
            FILENAME_PATTERN 'part-{{i}}')"""
    )
    return sorted(folder.glob("part-*.parquet"))
