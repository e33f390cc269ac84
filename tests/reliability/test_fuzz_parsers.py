"""Property-based fuzzing (hypothesis) of what reads untrusted input before anything else does:

* the ingest API's body parser: any bytes give accepted records or a CornLakeError with a
  message and a hint, never another exception;
* the contract loader: any mutation of a valid contract gives a contract or a ContractError
  naming the file, never another exception;
* the block cutters (blocks.line_cut, blocks.csv_cut) and the formats' split points: the
  pieces put back together are the input exactly, and every cut is on a record boundary.

The fast variants run in `make test`; the long ones try many more examples."""

from __future__ import annotations

import io
import itertools
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
import yaml
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from cornlake.contracts import Contract, load_contract, registry
from cornlake.errors import ContractError, CornLakeError
from cornlake.ingest.body import check_idempotency_key, check_shape, read_body
from cornlake.transform import blocks, read
from cornlake.transform.formats.csv import csv_bounds
from cornlake.transform.formats.jsonl import JsonLines
from cornlake_toolkit.local import ROOT

FAST = settings(max_examples=150, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
LONG = settings(max_examples=3000, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])

# ---------------------------------------------------------------- the ingest body parser

JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=8), inner, max_size=5),
    max_leaves=20,
)
HOSTILE_PIECES = st.sampled_from(
    [
        b"\\ud800",
        b'"\\udc00"',
        b"9" * 4400,
        b"[" * 3000,
        b"{" * 3000,
        b"\x00",
        b"\xff",
        b"\xef\xbb\xbf",
        b"\r\n",
        b"\n",
        b'{"a": 1, "a": 2}',
        b"NaN",
        b"Infinity",
        b"\x1b[2J",
        b'"\\ud83d\\ude00"',
        b"[" * 700 + b"]" * 700,
        b'{"a":' * 400 + b"1" + b"}" * 400,
    ]
)


def json_ish() -> st.SearchStrategy[bytes]:
    """Bytes near JSON records: documents and NDJSON lines, cut and spliced with hostile pieces."""
    document = JSON_VALUES.map(lambda v: json.dumps(v, allow_nan=True).encode())
    lines = st.lists(document, min_size=1, max_size=6).map(b"\n".join)
    spliced = st.tuples(lines, HOSTILE_PIECES, st.integers(min_value=0)).map(
        lambda t: t[0][: t[2] % (len(t[0]) + 1)] + t[1] + t[0][t[2] % (len(t[0]) + 1) :]
    )
    return st.one_of(st.binary(max_size=300), document, lines, spliced)


def assert_body_verdict(body: bytes) -> None:
    try:
        found = read_body(body)
    except CornLakeError as err:
        assert err.status == 400 and err.message and err.hint, err
        return
    assert found.records >= 1 and found.shape in ("lines", "array", "document")
    for fmt in ("jsonl", "json_array", "csv"):
        try:
            check_shape(found, fmt, "app/events")
        except CornLakeError as err:
            assert err.status == 400 and err.message and err.hint


@FAST
@given(json_ish())
@example(b'{"a": "\\ud83d\\ude00", "b": ' + b"[" * 600 + b"]" * 600 + b"}")  # was a RecursionError
def test_any_body_is_records_or_a_400_with_message_and_hint(body: bytes) -> None:
    assert_body_verdict(body)


@pytest.mark.long
@LONG
@given(json_ish())
def test_any_body_is_records_or_a_400_with_message_and_hint_many_examples(body: bytes) -> None:
    assert_body_verdict(body)


@FAST
@given(st.text(max_size=300))
def test_any_idempotency_key_is_accepted_or_refused_with_message_and_hint(key: str) -> None:
    try:
        check_idempotency_key(key)
    except CornLakeError as err:
        assert err.status == 400 and err.message and err.hint
        assert all(" " <= c <= "~" for c in err.message), err.message  # nothing of the key unescaped
    else:
        assert len(key) <= 255 and all(" " <= c <= "~" for c in key)


# ---------------------------------------------------------------- the contract loader

VALID = (ROOT / "datasets" / "app" / "events.yaml").read_text(encoding="utf-8")
SCALARS = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=12) | st.dates()
YAML_VALUES = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=10,
)


def paths_of(value: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    yield prefix
    if isinstance(value, dict):
        for key, item in value.items():
            yield from paths_of(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from paths_of(item, (*prefix, index))


def replaced(document: Any, path: tuple[Any, ...], value: Any) -> Any:
    if not path:
        return value
    head, rest = path[0], path[1:]
    if isinstance(document, dict):
        return {k: (replaced(v, rest, value) if k == head else v) for k, v in document.items()}
    return [replaced(v, rest, value) if i == head else v for i, v in enumerate(document)]


@st.composite
def mutated_contracts(draw: st.DrawFn) -> str:
    """A valid contract with one value replaced, one key dropped, or its text cut and spliced."""
    document = yaml.safe_load(VALID)
    kind = draw(st.sampled_from(["replace", "drop", "text"]))
    if kind == "text":
        cut = draw(st.integers(0, len(VALID)))
        junk = draw(
            st.text(max_size=30)
            | st.sampled_from(["\t", ": [", "&a *a", "!!python/object:os.system", "\x00", "{{{{"])
        )
        end = draw(st.integers(cut, min(len(VALID), cut + 40)))
        return VALID[:cut] + junk + VALID[end:]
    path = draw(st.sampled_from(list(paths_of(document))[1:]))
    if kind == "drop":
        parent = document
        for step in path[:-1]:
            parent = parent[step]
        parent.pop(path[-1])
        return yaml.safe_dump(document, allow_unicode=True)
    return yaml.safe_dump(replaced(document, path, draw(YAML_VALUES)), allow_unicode=True)


@pytest.fixture(scope="module")
def contract_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("contracts") / "app" / "events.yaml"
    path.parent.mkdir()
    return path


def assert_contract_verdict(path: Path, text: str) -> None:
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    try:
        contract = load_contract(path)
    except ContractError as err:
        assert str(path) in err.message and err.hint, err
        return
    assert isinstance(contract, Contract) and (contract.source, contract.dataset) == ("app", "events")


@FAST
@given(text=mutated_contracts())
@example(text=VALID.replace("primary_key: [event_id]", "primary_key: [[]]"))  # was a TypeError
def test_any_mutated_contract_loads_or_is_a_contract_error_naming_the_file(
    contract_file: Path, text: str
) -> None:
    assert_contract_verdict(contract_file, text)


@pytest.mark.long
@LONG
@given(text=mutated_contracts())
def test_any_mutated_contract_loads_or_is_a_contract_error_many_examples(
    contract_file: Path, text: str
) -> None:
    assert_contract_verdict(contract_file, text)


def test_the_unmutated_contract_loads(contract_file: Path) -> None:
    assert_contract_verdict(contract_file, VALID)
    assert load_contract(contract_file).primary_key == ("event_id",)


# ---------------------------------------------------------------- the block cutters

RECORD_BYTES = st.sampled_from([b"a", b"b", b'"', b"\n", b"\r", b";", b"x" * 7, b'""', b"\x00"])
STREAMS = st.lists(RECORD_BYTES, max_size=200).map(b"".join)


def cut_pieces(data: bytes, cut: Callable[[bytes], int], block_bytes: int, limit: int) -> list[bytes]:
    """What ``blocks`` makes of ``data``: each Block's bytes, and the Rest read to its end."""
    pieces: list[bytes] = []
    with mock.patch.object(read, "MAX_RECORD_BYTES", limit):
        for item in blocks.blocks(io.BytesIO(data), cut, block_bytes=block_bytes):
            pieces.append(item.data if isinstance(item, blocks.Block) else b"rest:" + item.stream.read())
    return pieces


def assert_blocks_rebuild(
    data: bytes, cut: Callable[[bytes], int], block_bytes: int, limit: int, quote: bytes
) -> None:
    pieces = cut_pieces(data, cut, block_bytes, limit)
    whole = [p for p in pieces if not p.startswith(b"rest:")]
    rest = [p.removeprefix(b"rest:") for p in pieces if p.startswith(b"rest:")]
    assert b"".join(whole) + b"".join(rest) == data  # nothing lost, nothing repeated, in order
    assert len(rest) <= 1 and (not rest or pieces[-1].startswith(b"rest:"))
    ended = whole if rest else whole[:-1]  # every block before the last ends a record
    for block in ended:
        assert block.endswith(b"\n"), block
        if quote:
            assert block.count(quote) % 2 == 0, block  # the cut is outside quotes


@FAST
@given(STREAMS, st.integers(1, 64), st.integers(4, 80))
def test_json_line_blocks_rebuild_the_input_and_end_on_newlines(
    data: bytes, block_bytes: int, limit: int
) -> None:
    assert_blocks_rebuild(data, blocks.line_cut, block_bytes, limit, b"")


@FAST
@given(STREAMS, st.integers(1, 64), st.integers(4, 80))
def test_csv_blocks_rebuild_the_input_and_end_outside_quotes(
    data: bytes, block_bytes: int, limit: int
) -> None:
    assert_blocks_rebuild(data, lambda d: blocks.csv_cut(d, b'"'), block_bytes, limit, b'"')


@pytest.mark.long
@LONG
@given(STREAMS, st.integers(1, 64), st.integers(4, 80))
def test_csv_blocks_rebuild_the_input_many_examples(data: bytes, block_bytes: int, limit: int) -> None:
    assert_blocks_rebuild(data, lambda d: blocks.csv_cut(d, b'"'), block_bytes, limit, b'"')


def assert_bounds(data: bytes, bounds: list[int], quote: bytes) -> None:
    assert bounds[0] == 0 and bounds[-1] == len(data)
    assert bounds == sorted(set(bounds)) or len(data) == 0, bounds
    for bound in bounds[1:-1]:
        assert data[bound - 1 : bound] == b"\n", (bound, data)
        if quote:
            assert data[:bound].count(quote) % 2 == 0, (bound, data)
    ranges = [data[a:b] for a, b in itertools.pairwise(bounds)]
    assert b"".join(ranges) == data


@FAST
@given(STREAMS, st.integers(1, 50), st.integers(1, 32))
def test_csv_split_points_are_newlines_outside_quotes(data: bytes, step: int, chunk: int) -> None:
    bounds = csv_bounds(io.BytesIO(data), size=len(data), step=step, quote=b'"', chunk_bytes=chunk)
    assert_bounds(data, bounds, b'"')


class _Ranges:
    """One object's bytes, served by byte range as S3's GetObject serves them."""

    def __init__(self, data: bytes) -> None:
        self.data = data

    def get_object(self, *, Bucket: str, Key: str, Range: str = "") -> dict[str, Any]:
        start, _, end = Range.removeprefix("bytes=").partition("-")
        return {"Body": io.BytesIO(self.data[int(start) : int(end) + 1])}


@pytest.fixture(scope="module")
def jsonl() -> JsonLines:
    return JsonLines(registry().get("app", "events"))


@FAST
@given(data=STREAMS, step=st.integers(1, 50), limit=st.integers(4, 80))
def test_json_line_split_points_are_line_ends(jsonl: JsonLines, data: bytes, step: int, limit: int) -> None:
    with mock.patch.object(read, "MAX_RECORD_BYTES", limit):
        bounds = jsonl.split_bounds(_Ranges(data), bucket="b", key="k", size=len(data), step=step)  # type: ignore[arg-type]
    assert_bounds(data, bounds, b"")
