"""Hostile files dropped in the landing bucket, taken through the copy and the transform as
Lambda runs them (the S3 notifications moto sent, handed to each handler): every record ends
curated or quarantined with a reason, a file CornLake cannot place is moved to the landing
bucket's ``_rejected/`` with its reason, and a file it cannot read at all is quarantined
whole while its raw object stays. Nothing reaches a dead-letter queue unexplained."""

from __future__ import annotations

import gzip
import json
from typing import Any

import pyarrow as pa
import pytest
from hostile import account, copy_all, curated_rows, doubled, quarantined, reasons, transform_all

from cornlake_toolkit.local import LocalLake
from cornlake_toolkit.reliability import Ledger
from helpers import list_keys

EVENT = {"event_id": "e1", "event_type": "click", "event_time": "2026-11-20T10:00:00Z"}
DEEP = b"[" * 100_000 + b"]" * 100_000
VENDAS_HEADER = (
    "id_venda;data_venda;registrada_em;cliente;Município;uf;produto;quantidade;valor_unitario;valor_total"
)
MiB = 1024 * 1024


def line(**changes: Any) -> bytes:
    return json.dumps({**EVENT, **changes}).encode() + b"\n"


def vendas(*rows: str) -> bytes:
    return ("\r\n".join([VENDAS_HEADER, *rows]) + "\r\n").encode("latin-1")


def land(stack: LocalLake, key: str, body: bytes) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Drop a file in landing and run the copy, then the transform, as Lambda would."""
    names = stack.describe()
    stack.client("s3").put_object(Bucket=names["landing_bucket"], Key=key, Body=body)
    [copied] = copy_all(stack)
    assert copied["status"] == "succeeded", copied
    [raw_key] = list_keys(stack, names["raw_bucket"])
    raw = stack.client("s3").get_object(Bucket=names["raw_bucket"], Key=raw_key)["Body"].read()
    assert raw == body  # landed byte for byte, and stays whatever the transform decides
    return copied, transform_all(stack)


# ---------------------------------------------------------------- keys CornLake cannot place


@pytest.mark.parametrize(
    ("name", "key"),
    [
        ("'..' as the source of a landing key", "../vendas/v.csv"),
        ("'..' as the dataset of a landing key", "erp/../v.csv"),
        ("'../..' inside a landing key", "erp/vendas/../../etc/passwd"),
        ("an absolute landing key", "/erp/vendas/v.csv"),
        ("a percent-encoded '../' file name", "erp/vendas/%2e%2e%2fsecret.csv"),
        ("'..' as the file name", "erp/vendas/.."),
        ("a file name with spaces and non-ASCII", "erp/vendas/vendas de março.csv"),
        ("an unknown dataset", "erp/nope/v.csv"),
    ],
)
def test_a_landing_key_cornlake_cannot_place_is_moved_to_rejected_with_its_reason(
    stack: LocalLake, ledger: Ledger, name: str, key: str
) -> None:
    names, s3 = stack.describe(), stack.client("s3")
    body = vendas("1;01/11/2026;;Ana;Recife;PE;Café;1;1,00;1,00")
    s3.put_object(Bucket=names["landing_bucket"], Key=key, Body=body)
    [run] = copy_all(stack)
    assert run["status"] == "rejected" and run["error"], run
    target = f"_rejected/{key}"
    assert s3.get_object(Bucket=names["landing_bucket"], Key=target)["Body"].read() == body
    reason = json.loads(
        s3.get_object(Bucket=names["landing_bucket"], Key=f"{target}.reason.json")["Body"].read()
    )
    assert reason["key"] == key and reason["message"] and reason["hint"], reason
    assert key not in list_keys(stack, names["landing_bucket"])  # moved, not copied into raw
    assert list_keys(stack, names["raw_bucket"]) == []
    kept = int(target in list_keys(stack, names["landing_bucket"], "_rejected/"))
    account(ledger, name, sent=1, refused=kept, outcome=f"rejected: {reason['error']}")


# ---------------------------------------------------------------- records refused one by one


ROW_CASES: dict[str, tuple[str, bytes, tuple[int, int], str]] = {
    # name: (landing key, body, (curated, quarantined), quarantine reason)
    "100,000-level nested array in a landed line": (
        "app/events/deep.jsonl",
        line(event_id="ok") + b'{"event_id": "e2", "tags": ' + DEEP + b"}\n",
        (1, 1),
        "nested too deeply",
    ),
    "lone surrogate escape in a landed file": (
        "app/events/surrogate.jsonl",
        line(event_id="ok") + b'{"event_id": "\\ud800", "event_type": "click"}\n',
        (1, 1),
        "without its pair",
    ),
    "5,000-digit integer in a landed file": (
        "app/events/digits.jsonl",
        line(event_id="ok") + b'{"event_id": "e2", "amount": ' + b"9" * 5000 + b"}\n",
        (1, 1),
        "Exceeds the limit",
    ),
    "raw NUL and control bytes in a JSON line": (
        "app/events/nul.jsonl",
        line(event_id="ok") + b'{"event_id": "e\x00\x1b", "event_type": "click"}\n',
        (1, 1),
        "invalid JSON",
    ),
    "invalid UTF-8 in a JSON line": (
        "app/events/utf8.jsonl",
        line(event_id="ok") + b'{"event_id": "caf\xe9", "event_type": "click\xff"}\n',
        (1, 1),
        "invalid utf-8 bytes",
    ),
    "an escaped emoji beside 600-level nesting": (
        "app/events/emoji.jsonl",
        line(event_id="ok") + b'{"event_id": "\\ud83d\\ude00", "event_type": "click", '
        b'"event_time": "2026-11-20T10:00:00Z", "tags": ' + b"[" * 600 + b"]" * 600 + b"}\n",
        (1, 1),
        "expected a string, got array",
    ),
    "a new field nested 950 levels deep": (
        "app/events/deepnew.jsonl",
        line(event_id="ok") + line(event_id="e2")[:-2] + b', "extra": ' + b"[" * 950 + b"]" * 950 + b"}\n",
        (1, 1),
        "nested too deeply",
    ),
    "NUL bytes in a CSV row": (
        "erp/vendas/nul.csv",
        vendas(
            "1;01/11/2026;;Ana;Recife;PE;Café;1;1,00;1,00", "2;01/11/2026;;A\x00na;Re\x00;PE;\x00;1;1,00;1,00"
        ),
        (2, 0),
        "",
    ),
    "a CSV row of 100,000 fields": (
        "erp/vendas/wide.csv",
        vendas("1;01/11/2026;;Ana;Recife;PE;Café;1;1,00;1,00", ";".join(["2"] * 100_000)),
        (1, 1),
        "expected 10 fields, got 100000",
    ),
    "a JSON array to a JSON-lines dataset": (
        "app/events/array.jsonl",
        json.dumps([EVENT, {**EVENT, "event_id": "e2"}]).encode(),
        (0, 1),
        "expected a JSON object, got list",
    ),
}


@pytest.mark.parametrize("name", list(ROW_CASES))
def test_a_hostile_record_in_a_file_is_quarantined_with_its_reason_and_the_rest_curated(
    stack: LocalLake, ledger: Ledger, name: str
) -> None:
    key, body, expected, reason = ROW_CASES[name]
    source, dataset, _ = key.split("/")
    _, [run] = land(stack, key, body)
    rows, entries = curated_rows(stack, source, dataset), quarantined(stack, source, dataset)
    assert (len(rows), len(entries)) == expected, reasons(entries)
    assert all(reason in r for r in reasons(entries)), reasons(entries)
    assert run["status"] == ("partial" if entries else "succeeded"), run
    assert run["rows_in"] == len(rows) + len(entries) == run["rows_out"] + run["rows_quarantined"]
    pk = "event_id" if source == "app" else "id_venda"
    account(
        ledger,
        name,
        sent=run["rows_in"],
        curated=len(rows),
        quarantined=len(entries),
        duplicated=doubled(rows, pk),
        outcome=f"{run['status']}; "
        + (f"quarantined: {reasons(entries)[0][:70]}" if entries else "all curated"),
    )


# ---------------------------------------------------------------- files read whole or refused whole


def zstd_frames(total: int, frame: int = 64 * MiB) -> bytes:
    """A zstd stream of ``total`` zero bytes, as concatenated frames (each of ``frame`` zeros)."""
    one = pa.compress(b"\x00" * frame, codec="zstd", asbytes=True)
    return one * (total // frame)


FILE_CASES: dict[str, tuple[str, Any, str, str]] = {
    # name: (landing key, body maker, run status, reason in the run record)
    "gzip bomb (128 MiB of zeros)": (
        "app/events/bomb.jsonl.gz",
        lambda: gzip.compress(b"\x00" * (128 * MiB), compresslevel=9),
        "rejected",
        "decompresses to more than",
    ),
    "zstd bomb (1 GiB of zeros in frames)": (
        "app/events/bomb.jsonl.zst",
        lambda: zstd_frames(1024 * MiB),
        "rejected",
        "decompresses to more than",
    ),
    "100,000-level nested JSON array file": (
        "ref/lojas/deep.json",
        lambda: b"[" + DEEP + b"]",
        "rejected",
        "nested too deeply",
    ),
    "a 0-byte file": ("app/events/empty.jsonl", lambda: b"", "rejected", "holds no records"),
}


@pytest.mark.parametrize("name", list(FILE_CASES))
def test_a_file_that_cannot_be_read_is_quarantined_whole_and_its_raw_object_stays(
    stack: LocalLake, ledger: Ledger, name: str
) -> None:
    key, make, status, reason = FILE_CASES[name]
    source, dataset, _ = key.split("/")
    _, [run] = land(stack, key, make())
    entries = quarantined(stack, source, dataset)
    assert run["status"] == status and reason in run["error"], run
    assert len(entries) == 1 and entries[0]["errors"][0]["reason"].startswith("file rejected"), entries
    assert curated_rows(stack, source, dataset) == []
    account(ledger, name, sent=1, quarantined=len(entries), outcome=f"{status}: {reason}")


def test_a_header_only_csv_is_an_empty_batch(stack: LocalLake, ledger: Ledger) -> None:
    _, [run] = land(stack, "erp/vendas/vazio.csv", vendas())
    assert (run["status"], run["rows_in"], run["rows_quarantined"]) == ("succeeded", 0, 0)
    rows, entries = curated_rows(stack, "erp", "vendas"), quarantined(stack, "erp", "vendas")
    assert rows == entries == []
    account(ledger, "a header-only CSV", sent=0, outcome="succeeded, 0 rows (an empty batch)")


def test_a_single_huge_record_is_quarantined_in_bounded_memory(stack: LocalLake, ledger: Ledger) -> None:
    body = line(event_id="ok") + b'{"event_id": "' + b"x" * (20 * MiB) + b'"}\n' + line(event_id="ok2")
    _, [run] = land(stack, "app/events/huge.jsonl", body)
    rows, entries = curated_rows(stack, "app", "events"), quarantined(stack, "app", "events")
    assert sorted(r["event_id"] for r in rows) == ["ok", "ok2"]
    [entry] = entries
    assert "record longer than 8388608 bytes" in entry["errors"][0]["reason"] and len(entry["raw"]) <= 1024
    account(
        ledger,
        "a single 20 MiB record",
        sent=run["rows_in"],
        curated=len(rows),
        quarantined=len(entries),
        duplicated=doubled(rows, "event_id"),
        outcome="succeeded; the record quarantined as longer than 8 MiB",
    )


@pytest.mark.long
def test_a_million_tiny_records_are_all_curated_once(stack: LocalLake, ledger: Ledger) -> None:
    body = b"".join(
        b'{"event_id":"%d","event_type":"c","event_time":"2026-11-20T10:00:00Z"}\n' % i
        for i in range(1_000_000)
    )
    _, [run] = land(stack, "app/events/million.jsonl", body)
    rows = curated_rows(stack, "app", "events")
    assert run["status"] == "succeeded" and run["rows_in"] == 1_000_000
    account(
        ledger,
        "a million tiny records in one file",
        sent=1_000_000,
        curated=len(rows),
        quarantined=run["rows_quarantined"],
        duplicated=doubled(rows, "event_id"),
        outcome=f"succeeded, {len(rows)} rows",
    )
