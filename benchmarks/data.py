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
