"""Deterministic sample data for the three example datasets (demo, tests, benchmarks).

The same seed always gives the same bytes. ``bad_every`` plants rows that the contracts
reject (a wrong type, a missing required value, an impossible date), so every run shows
quarantine at work.
"""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

EVENT_TYPES = ("page_view", "click", "purchase", "signup")
CITIES = (
    ("São Paulo", "SP"),
    ("Rio de Janeiro", "RJ"),
    ("Belo Horizonte", "MG"),
    ("Curitiba", "PR"),
    ("Porto Alegre", "RS"),
    ("Salvador", "BA"),
    ("Recife", "PE"),
    ("Goiânia", "GO"),
    ("Belém", "PA"),
)
PRODUCTS = (
    "Café torrado 500g",
    "Pão de queijo 1kg",
    "Açúcar cristal 5kg",
    "Farinha de mandioca 1kg",
    "Guaraná 2L",
    "Feijão carioca 1kg",
    "Arroz agulhinha 5kg",
    "Doce de leite 400g",
)
NAMES = (
    "Ana Souza",
    "João Silva",
    "Maria Oliveira",
    "José Santos",
    "Francisca Lima",
    "Antônio Pereira",
    "Luíza Carvalho",
    "Conceição Araújo",
)
BASE = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


def event_lines(n: int, *, seed: int = 7, bad_every: int = 0) -> list[str]:
    rng = random.Random(seed)
    lines = []
    for i in range(n):
        kind = EVENT_TYPES[rng.randrange(4)]
        when = BASE + timedelta(seconds=rng.randrange(0, 3 * 86400))
        record = {
            "event_id": f"evt-{seed}-{i:08d}",
            "event_type": kind,
            "event_time": when.isoformat().replace("+00:00", "Z") if i % 3 else int(when.timestamp() * 1000),
            "user_id": f"u{rng.randrange(10_000):05d}",
            "user_email": f"user{rng.randrange(10_000)}@example.com" if i % 4 == 0 else None,
            "amount": round(rng.uniform(5, 900), 2) if kind == "purchase" else None,
            "device": {
                "os": rng.choice(("android", "ios", "web")),
                "app_version": f"3.{rng.randrange(9)}.0",
                "screen_width": rng.choice((390, 412, 1280, 1920)),
            },
            "tags": rng.sample(["promo", "novo", "recorrente", "app", "site"], k=rng.randrange(0, 3)),
        }
        if bad_every and i % bad_every == bad_every - 1:
            bad = (i // bad_every) % 3
            if bad == 0:
                record["amount"] = "muito caro"
            elif bad == 1:
                record.pop("event_id")
            else:
                record["event_time"] = "ontem à tarde"
        lines.append(json.dumps(record, ensure_ascii=False))
    return lines


def vendas_csv(n: int, *, seed: int = 11, bad_every: int = 0) -> str:
    rng = random.Random(seed)
    header = (
        "id_venda;data_venda;registrada_em;cliente;Município;uf;produto;quantidade;valor_unitario;valor_total"
    )
    rows = [header]
    for i in range(n):
        city, uf = CITIES[rng.randrange(len(CITIES))]
        day = BASE.date() - timedelta(days=rng.randrange(0, 45))
        qty = rng.randrange(1, 30)
        unit = rng.randrange(150, 250_000) / 100
        total = round(qty * unit, 2)
        fields = [
            str(100_000 + i),
            day.strftime("%d/%m/%Y"),
            f"{day:%d/%m/%Y} {rng.randrange(8, 22):02d}:{rng.randrange(60):02d}:00",
            rng.choice(NAMES),
            city,
            uf,
            rng.choice(PRODUCTS),
            str(qty),
            _br(unit),
            _br(total),
        ]
        if bad_every and i % bad_every == bad_every - 1:
            bad = (i // bad_every) % 3
            if bad == 0:
                fields[1] = "31/02/2026"
            elif bad == 1:
                fields[7] = "dez"
            else:
                fields = fields[:5]
        rows.append(";".join(f'"{f}"' if ";" in f else f for f in fields))
    return "\r\n".join(rows) + "\r\n"


def _br(value: float) -> str:
    """1234.5 → '1.234,50' (Brazilian decimal comma and thousands dot)."""
    return f"{value:,.2f}".replace(",", "_").replace(".", ",").replace("_", ".")


def lojas_json(n: int, *, seed: int = 3) -> str:
    rng = random.Random(seed)
    stores = []
    for i in range(n):
        city, uf = CITIES[i % len(CITIES)]
        stores.append(
            {
                "loja_id": i + 1,
                "nome": f"Mercado Milho Verde {city} {i + 1}",
                "municipio": city,
                "uf": uf,
                "inaugurada_em": f"20{10 + rng.randrange(15)}-0{1 + rng.randrange(9)}-1{rng.randrange(10)}",
                "ativa": rng.random() > 0.1,
                "area_m2": round(rng.uniform(80, 2500), 1),
            }
        )
    return json.dumps(stores, ensure_ascii=False, indent=1)


def write_samples(root: Path) -> list[Path]:
    """The small samples committed under datasets/<source>/samples/."""
    paths = {
        root / "app" / "samples" / "events.jsonl": ("\n".join(event_lines(60, bad_every=20)) + "\n").encode(),
        root / "erp" / "samples" / "vendas.csv": vendas_csv(40, bad_every=15).encode("latin-1"),
        root / "ref" / "samples" / "lojas.json": lojas_json(12).encode(),
    }
    for path, data in paths.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return list(paths)


if __name__ == "__main__":
    for written in write_samples(Path(__file__).resolve().parents[2] / "datasets"):
        print(written)  # noqa: T201
