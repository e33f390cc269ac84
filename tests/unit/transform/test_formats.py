"""Readers: streaming records out of JSON lines, JSON arrays and CSV, bad parts flagged."""

from __future__ import annotations

import gzip
import io

import pytest

from cornlake.contracts import ContractRegistry, FormatSpec
from cornlake.errors import BadFileError
from cornlake.transform.formats import input_format
from cornlake.transform.read import open_input
from helpers import DATASETS

REGISTRY = ContractRegistry.from_directory(DATASETS)


def records(data: bytes, source: str, dataset: str) -> list:
    contract = REGISTRY.get(source, dataset)
    return list(input_format(contract).records(open_input(io.BytesIO(data), contract.format)))


def test_json_lines_flag_bad_lines_and_keep_going() -> None:
    data = b'{"a": 1}\n\nnot json\n[1, 2]\nnull\n{"b": 2}\r\n'
    out = records(data, "app", "events")
    assert [r.number for r in out] == [1, 3, 4, 5, 6]
    assert out[0].value == {"a": 1} and out[4].value == {"b": 2}
    assert out[1].error.startswith("invalid JSON") and out[1].raw == "not json"
    assert out[2].error == "expected a JSON object, got list"
    assert out[3].error == "expected a JSON object, got null"


def test_json_lines_with_bad_utf8_flag_only_that_line() -> None:
    out = records(b'{"a": "ok"}\n{"a": "\xff\xfe"}\n', "app", "events")
    assert out[0].error == "" and out[1].error.startswith("invalid utf-8 bytes")


def test_gzip_is_detected_and_a_truncated_one_is_a_bad_file() -> None:
    data = gzip.compress(b'{"a": 1}\n' * 1000)
    assert len(records(data, "app", "events")) == 1000
    with pytest.raises(BadFileError, match="damaged or truncated"):
        records(data[: len(data) // 2], "app", "events")


def test_decompression_limit_stops_a_bomb() -> None:
    bomb = gzip.compress(b"{}\n" * 200_000)
    spec = FormatSpec(type="jsonl")
    stream = open_input(io.BytesIO(bomb), spec, max_decompressed=100_000)
    with pytest.raises(BadFileError, match="decompresses to more than 100000 bytes"):
        stream.read()


def test_json_array_is_streamed_element_by_element() -> None:
    out = records(b'  [ {"loja_id": 1}, 7, {"loja_id": 2} ]  ', "ref", "lojas")
    assert [(r.value, r.error) for r in out] == [
        ({"loja_id": 1}, ""),
        (None, "expected a JSON object, got int"),
        ({"loja_id": 2}, ""),
    ]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b'{"loja_id": 1}', "expected a JSON array"),
        (b'[{"loja_id": 1}, ', "not closed"),
        (b"[{oops}]", "invalid JSON"),
    ],
)
def test_broken_json_arrays_are_bad_files(data: bytes, message: str) -> None:
    with pytest.raises(BadFileError, match=message):
        records(data, "ref", "lojas")


def test_brazilian_csv_maps_headers_and_flags_ragged_rows() -> None:
    text = (
        "id_venda;data_venda;registrada_em;cliente;Município;uf;produto;quantidade;valor_unitario;valor_total\r\n"
        '1;01/11/2026;;Ana;São Paulo;SP;"Café; torrado";2;1.234,50;2.469,00\r\n'
        "2;01/11/2026;;Ana;Recife;PE\r\n"
        '3;02/11/2026;;"João\nSilva";Belém;PA;Açúcar;1;5,00;5,00\r\n'
    )
    out = records(text.encode("latin-1"), "erp", "vendas")
    assert out[0].value["Município"] == "São Paulo" and out[0].value["produto"] == "Café; torrado"
    assert out[1].error == "expected 10 fields, got 6"
    assert out[2].value["cliente"] == "João\nSilva"  # a quoted newline stays inside its field


def test_header_only_and_empty_csv_give_no_records() -> None:
    assert records(b"id_venda;data_venda\r\n", "erp", "vendas") == []
    assert records(b"", "erp", "vendas") == []
