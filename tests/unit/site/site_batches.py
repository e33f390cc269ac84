"""What the catalog site's tests share: transform events for any raw object, contracts with a
freshness expectation, and a batch that fails quality rules."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, fields
from types import SimpleNamespace
from typing import Any
from urllib.parse import quote

from cornlake.contracts import Contract, ContractRegistry, registry
from helpers import load_event

Land = Callable[..., str]
STAGES_AFTER_TRANSFORM = (
    ("cornlake-local-catalog", "lambda_catalog_sync"),
    ("cornlake-local-quality", "lambda_data_quality"),
)


def transform_event(bucket: str, key: str, size: int) -> dict[str, Any]:
    """events/transform_sqs.json, naming another raw object."""
    event = load_event("transform_sqs.json")
    body = json.loads(event["Records"][0]["body"])
    s3 = body["Records"][0]["s3"]
    s3["bucket"] |= {"name": bucket, "arn": f"arn:aws:s3:::{bucket}"}
    s3["object"] |= {"key": quote(key), "size": size}
    event["Records"][0]["body"] = json.dumps(body)
    return event


@dataclass(frozen=True)
class Expecting(Contract):
    """A contract with a ``freshness`` expectation, whatever the shipped Contract has."""

    freshness: Any = None


def expecting(contract: Contract, every: str, grace: str = "") -> Contract:
    values = {f.name: getattr(contract, f.name) for f in fields(Contract) if f.name != "freshness"}
    return Expecting(**values, freshness=SimpleNamespace(expected_every=every, grace=grace))


def contracts_with(*replacements: Contract) -> ContractRegistry:
    """The shipped contracts, with these in place of the ones of the same dataset."""
    by_key = {(c.source, c.dataset): c for c in registry()}
    by_key |= {(c.source, c.dataset): c for c in replacements}
    return ContractRegistry(by_key.values())


BAD_VENDAS = (
    "id_venda;data_venda;registrada_em;cliente;Município;uf;produto;quantidade;valor_unitario;valor_total\n"
    "900001;05/11/2026;05/11/2026 10:00:00;Ana Souza;Recife;XX;Café;2;10,00;20,00\n"
    "900002;05/11/2026;05/11/2026 10:00:00;Bia Lima;Recife;PE;Café;0;10,00;0,00\n"
).encode("latin-1")  # uf XX and quantidade 0: curated, but two quality rules fail
