"""Where a big CSV object is cut: only after a newline outside quotes, whatever the chunking."""

from __future__ import annotations

import csv
import io
import itertools
import random

import pytest

from cornlake.transform.formats.csv import csv_bounds


def sample_csv(rows: int, seed: int = 3) -> bytes:
    rng = random.Random(seed)
    lines = ["id;nome;nota"]
    for i in range(rows):
        name = rng.choice(["Ana", '"Souza; Ana"', '"linha\nquebrada"', '"dito ""assim""\r\nfim"', "Bia"])
        lines.append(f'{i};{name};"{"x" * rng.randint(0, 40)}"')
    return ("\n".join(lines) + "\n").encode()


def records(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode(), newline=""), delimiter=";"))


@pytest.mark.parametrize(("step", "chunk"), [(50, 7), (200, 64), (1000, 1 << 20), (37, 37)])
def test_csv_ranges_end_records_and_hold_them_all(step: int, chunk: int) -> None:
    data = sample_csv(300)
    bounds = csv_bounds(io.BytesIO(data), size=len(data), step=step, quote=b'"', chunk_bytes=chunk)
    assert bounds[0] == 0 and bounds[-1] == len(data)
    assert bounds == sorted(set(bounds))
    assert len(bounds) > 3  # the object was really cut
    assert all(data[b - 1 : b] == b"\n" for b in bounds[1:])
    pieces = [records(data[a:b]) for a, b in itertools.pairwise(bounds)]
    assert [r for piece in pieces for r in piece] == records(data)  # no record cut in two


def test_a_quoted_field_longer_than_the_step_is_never_cut() -> None:
    data = b'id;texto\n1;"' + b"a\n" * 500 + b'"\n2;fim\n'
    bounds = csv_bounds(io.BytesIO(data), size=len(data), step=10, quote=b'"', chunk_bytes=16)
    assert bounds == [0, len(data) - 6, len(data)]  # the one cut is right after the quoted field
