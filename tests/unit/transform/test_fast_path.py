"""The fast path (DuckDB, set-based) against the row path (cornlake.transform.rowpath), the reference.

Each file is converted twice (tests/equivalence.py): as the transform does it, and with the
fast path switched off. Curated rows, quarantine reasons and counts must be identical: the
fast path may only take records off the row path, never decide one differently.
"""

from __future__ import annotations

import dataclasses
import json
import threading
import time
from pathlib import Path
from typing import Any
from unittest import mock

import duckdb
import pytest
from equivalence import assert_same, convert, curated_rows

from cornlake.contracts import Partitioning, registry
from cornlake.transform import blocks, stage
from cornlake.transform.formats import base
from cornlake.transform.formats.csv import csv_records


def event(**changes: Any) -> dict[str, Any]:
    base = {
        "event_id": "e1",
        "event_type": "click",
        "event_time": "2026-11-20T10:00:00Z",
        "user_id": "u1",
        "amount": 10.5,
        "device": {"os": "android", "app_version": "3.1", "screen_width": 390},
        "tags": ["a", "b"],
    }
    return {**base, **changes}


def watch_threads(threads: set[str], method: str) -> Any:
    """Patch a Stage cursor method to note the name of every thread that asks for a cursor."""
    original = getattr(stage.Stage, method)

    def spy(self: stage.Stage) -> Any:
        threads.add(threading.current_thread().name)
        return original(self)

    return mock.patch.object(stage.Stage, method, spy)


TRICKY_EVENTS: list[Any] = [
    event(),
    event(amount=12.345),  # more places than decimal(12,2)
    event(amount="12.50"),  # a decimal as text: only the row path reads it
    event(amount=1e2),
    event(amount=12345678901),  # too many integer digits
    event(amount=None, user_id=""),  # "" is a null marker
    event(user_id=123),
    event(user_id=-0),
    event(user_id=1.5),
    event(user_id=True),
    event(user_id={"x": 1}),
    event(user_id='S\u00e3o "Paulo" \\ tab\t'),
    event(event_time="2026-11-20T10:00:00.123456-03:00"),
    event(event_time="2026-11-20 10:00:00"),
    event(event_time="2026-11-20T10:00"),
    event(event_time=1763632800000),
    event(event_time=1763632800),
    event(event_time="1763632800000"),
    event(event_time="20/11/2026"),
    event(event_time="2026-11-20T10:00:00 UTC"),
    event(event_time=None),
    event(event_time=1.5e12),
    event(device={"os": "ios", "screen_width": 390.0}),
    event(device={"os": "ios", "screen_width": "390"}),
    event(device={"os": "ios", "screen_width": 390.5}),
    event(device={"os": "ios", "screen_width": 3_000_000_000}),
    event(device={"os": "ios", "extra": 1}),
    event(device={"os": 5}),
    event(device=[1]),
    event(device=None),
    event(tags=["a", None, 3]),
    event(tags=["a", {"b": 1}]),
    event(tags=[]),
    event(tags="a"),
    event(event_id=None),
    event(event_type=None),
    {"event_id": "e1"},
]


@pytest.mark.parametrize("policy", ["discard", "freeze", "evolve"])
def test_json_lines_fast_and_row_paths_agree(tmp_path: Path, policy: str) -> None:
    contract = dataclasses.replace(registry().get("app", "events"), new_columns=policy)
    lines = [
        json.dumps({**e, "event_id": f"e{n}"}, ensure_ascii=n % 2 == 0) for n, e in enumerate(TRICKY_EVENTS)
    ]
    lines += [
        json.dumps(event(event_id="x1", campaign="natal")),  # a new field
        json.dumps(event(event_id="x2", campaign="natal", meta={"a": [1, 2]})),
        json.dumps(event(event_id="x3", **{"Bad-Name": 1})),
        '{"event_id": "x4", "event_id": "x5", "event_type": "click", "event_time": "2026-11-20T10:00:00Z"}',
        '{"event_id": "x6", "event_type": "click", "event_time": "2026-11-20T10:00:00Z", '
        '"device": {"os": "a", "os": "b"}}',  # a repeated key inside a struct
        "[1, 2]",
        "null",
        '{"event_id": "x7", ',
        # a lone surrogate escape, then a pair (one character)
        '{"event_id": "\\ud800", "event_type": "click", "event_time": "2026-11-20T10:00:00Z"}',
        '{"event_id": "\\ud83d\\ude00", "event_type": "click", "event_time": "2026-11-20T10:00:00Z"}',
        '{"event_id": "x8", "event_type": "click", "event_time": "2026-11-20T10:00:00Z", "amount": '
        + "9" * 5000
        + "}",
        '{"event_id": "x9", "event_type": "click", "event_time": "2026-11-20T10:00:00Z", "tags": '
        + "[" * 5000
        + "]" * 5000
        + "}",
        "   ",
        "",
        json.dumps(event(event_id="e0")),  # a duplicate of the first record
    ]
    body = ("\n".join(lines) + "\n").encode()
    done = assert_same(contract, body, tmp_path)
    assert done.fast_path_rows > 0 and done.rows_out > 0 and done.quarantined > 0


def test_csv_fast_and_row_paths_agree(tmp_path: Path) -> None:
    contract = registry().get("erp", "vendas")
    header = (
        "id_venda;data_venda;registrada_em;cliente;Município;uf;produto;quantidade;valor_unitario;valor_total"
    )
    rows = [
        "1;01/11/2026;01/11/2026 10:00:00;Ana;Recife;PE;Café;1;1.234,56;1.234,56",
        "2;1/11/2026;01/11/2026 10:00;Ana;Recife;PE;Café;1;1,5;1,50",
        "3;2026-11-01;2026-11-01T10:00:00-03:00;Ana;Recife;PE;Café; 7 ;1,00;1,00",
        "4;31/02/2026;;Ana;Recife;PE;Café;+3;1,00;1,00",
        "5;01/11/2026;1763632800;-;NULL;PE;Café;007;1,005;1,00",
        '6;01/11/2026;;"Souza; Ana";"Rio\r\nde Janeiro";RJ;"Café ""forte""";2;1,00;2,00',
        "7;01/11/2026;;Ana;Recife;PE;Café;3000000000;1,00;1,00",
        "8;01/11/2026;;Ana;Recife;PE;Café;1;1e2;1,00",
        "9;01/11/2026;ontem;Ana;Recife;PE;Café;1;1,00;1,00",
        "10;01/11/2026;;Ana;Recife;PE;Café;1;;1,00",
        "x;01/11/2026;;Ana;Recife;PE;Café;1;1,00;1,00",
        "11;01/12/2026;;Ana;Recife;PE;Café;1;1,00;1,00",
        "1;01/11/2026;;Ana;Recife;PE;Café;1;1,00;1,00",  # a duplicate id
    ]
    body = ("\r\n".join([header, *rows]) + "\r\n").encode("latin-1")
    done = assert_same(contract, body, tmp_path)
    assert done.fast_path_rows > 0 and done.quarantined > 0


def test_csv_records_with_line_breaks_are_never_cut_between_blocks(tmp_path: Path) -> None:
    # GIVEN quoted fields with line breaks everywhere, and blocks of 64 bytes
    contract = registry().get("erp", "vendas")
    header = (
        "id_venda;data_venda;registrada_em;cliente;Município;uf;produto;quantidade;valor_unitario;valor_total"
    )
    rows = [f'{i};01/11/2026;;"Ana\nSouza {i}";"Rio\r\nde\nJaneiro";RJ;Café;1;1,00;1,00' for i in range(200)]
    body = ("\n".join([header, *rows]) + "\n").encode("latin-1")
    with mock.patch.object(blocks, "BLOCK_BYTES", 64):
        done = assert_same(contract, body, tmp_path)
    # THEN every record arrives whole, on the fast path
    assert (done.rows_in, done.rows_out, done.fast_path_rows) == (200, 200, 200)
    names = {row[4] for row in curated_rows(done)}
    assert names == {f"Ana\nSouza {i}" for i in range(200)}


def test_a_ragged_csv_block_falls_back_to_the_row_path_and_others_stay_fast(tmp_path: Path) -> None:
    contract = registry().get("erp", "vendas")
    header = (
        "id_venda;data_venda;registrada_em;cliente;Município;uf;produto;quantidade;valor_unitario;valor_total"
    )
    rows = [f"{i};01/11/2026;;Ana;Recife;PE;Café;1;1,00;1,00" for i in range(400)]
    rows[350] = "350;01/11/2026;;Ana"
    body = ("\n".join([header, *rows]) + "\n").encode("latin-1")
    with mock.patch.object(blocks, "BLOCK_BYTES", 4096):
        done = assert_same(contract, body, tmp_path)
    assert (done.rows_out, done.quarantined) == (399, 1)
    assert 0 < done.fast_path_rows < 399  # the block with the ragged row went record by record


VENDAS_HEADER = (
    "id_venda;data_venda;registrada_em;cliente;Município;uf;produto;quantidade;valor_unitario;valor_total"
)


@pytest.mark.parametrize(
    ("data", "records"),
    [
        (b"a;b\nc;d\n", 2),
        (b"a;b\nc;d", 2),  # the last record without a line break
        (b'a;"b\nc";d\ne;f\n', 2),  # a line break inside quotes
        (b'a;"b ""x""\n y";c\n"";d\n', 2),  # doubled quotes, and an empty quoted field
        (b"a;b\n\nc;d\n", 3),  # a blank line is a line of the file
        (b"", 0),
    ],
)
def test_a_csv_blocks_records_are_counted_when_it_is_cut(data: bytes, records: int) -> None:
    assert csv_records(data, b'"') == records


def test_csv_blocks_loaded_side_by_side_give_the_row_converters_answer(tmp_path: Path) -> None:
    # GIVEN four cores and 900 CSV records in many small blocks: quoted line breaks, wrong
    # values, ragged rows, repeated keys, blank lines between records, and a lone carriage
    # return, which DuckDB refuses and the row path reads as one more record than was counted
    contract = registry().get("erp", "vendas")
    rows = [f'{i % 700};01/11/2026;;"Ana\nSouza";Recife;PE;Café;{i};1,00;1,00' for i in range(900)]
    for i in range(3, 900, 41):
        rows[i] = f"{i};31/02/2026;;Ana;Recife;PE;Café;1;1,00;1,00"  # no such day
    for i in range(7, 900, 97):
        rows[i] = f"{i};01/11/2026;;Ana"  # ragged
    for i in range(11, 900, 150):
        rows[i] += "\n"  # a blank line after it: later records keep their numbers
    rows[60] = "60;01/11/2026;;Ana;Recife;PE;Café;1;1,00;1,00\r61;01/11/2026;;Bia;Recife;PE;Café;1;1,00;1,00"
    body = ("\n".join([VENDAS_HEADER, *rows]) + "\n").encode("latin-1")
    threads: set[str] = set()
    with (
        mock.patch.object(blocks, "BLOCK_BYTES", 2048),
        mock.patch.object(stage.os, "sched_getaffinity", return_value={0, 1, 2, 3}),
        watch_threads(threads, "_cursor"),
    ):
        done = assert_same(contract, body, tmp_path)
    # THEN rows, quarantine and record numbers are the row converter's, and the blocks were
    # loaded on more than one thread
    assert done.rows_in == 901 and done.quarantined > 200 and done.fast_path_rows > 300
    assert len(threads) > 1 and all(t.startswith("cornlake-block") for t in threads)


@pytest.mark.parametrize("encoding", ["cp1252", "latin-1", "utf-8-sig"])
def test_other_encodings_take_the_fast_path(tmp_path: Path, encoding: str) -> None:
    base = registry().get("app", "events")
    contract = dataclasses.replace(base, format=dataclasses.replace(base.format, encoding=encoding))
    text = "\n".join(
        json.dumps(
            event(event_id=f"e{i}", user_id="Conceição €"[: 10 if encoding == "latin-1" else 11]),
            ensure_ascii=False,
        )
        for i in range(50)
    )
    body = ("\ufeff" if encoding == "utf-8-sig" else "").encode("utf-8") + text.encode(
        "utf-8" if encoding == "utf-8-sig" else encoding
    )
    done = assert_same(contract, body, tmp_path)
    assert (done.rows_out, done.fast_path_rows) == (50, 50)
    assert {row[4] for row in curated_rows(done)} == {"Conceição €"[: 10 if encoding == "latin-1" else 11]}


def test_new_fields_join_the_fast_path_once_the_first_block_has_shown_them(tmp_path: Path) -> None:
    # GIVEN an evolving contract and 300 records with a new field, in many small blocks
    contract = registry().get("app", "events")
    lines = [
        json.dumps(event(event_id=f"e{i}", campaign=["natal", None, 7, True, {"a": 1}, 1.5][i % 6]))
        for i in range(300)
    ]
    body = ("\n".join(lines) + "\n").encode()
    with mock.patch.object(blocks, "BLOCK_BYTES", 4096):
        done = assert_same(contract, body, tmp_path)
    # THEN both paths add the column with the same text values, and most records stay fast
    assert done.evolved_columns == ["campaign"] and done.rows_out == 300
    # the first block and the records holding objects or floats (a third) go record by record
    assert 150 < done.fast_path_rows < 200
    campaigns = {row[-2] for row in curated_rows(done)}  # the evolved column, before _ingest_id
    assert campaigns == {"natal", None, "7", "true", '{"a": 1}', "1.5"}


def test_wall_clock_times_around_a_daylight_saving_change_read_the_same_on_both_paths(tmp_path: Path) -> None:
    # GIVEN a zone with daylight saving and naive times around its autumn and spring changes
    base = registry().get("app", "events")
    contract = dataclasses.replace(base, format=dataclasses.replace(base.format, timezone="America/New_York"))
    times = ["2025-11-02 00:59:00", "2025-11-02 01:30:00", "2025-11-02 02:30:00", "2025-03-09 02:30:00"]
    times += ["2025-06-01 12:00:00", "2025-11-02T05:30:00Z"]
    body = "\n".join(json.dumps(event(event_id=f"e{i}", event_time=t)) for i, t in enumerate(times)).encode()
    done = assert_same(contract, body, tmp_path)
    # THEN 01:30 on the autumn change (it happens twice) is the first one, as Python reads it
    assert done.rows_out == len(times) and 0 < done.fast_path_rows < len(times)
    moments = {row[1]: row[3] for row in curated_rows(done)}
    assert moments["e1"].isoformat() == "2025-11-02T05:30:00+00:00"


def test_blocks_loaded_side_by_side_give_the_row_converters_answer(tmp_path: Path) -> None:
    # GIVEN a contract that discards new fields (so blocks do not wait on each other), four
    # cores, and 600 records in many small blocks: malformed lines, wrong types, repeated keys
    contract = dataclasses.replace(registry().get("app", "events"), new_columns="discard")
    lines = [json.dumps(event(event_id=f"e{i % 450}", extra=i)) for i in range(600)]
    for i in range(0, 600, 37):
        lines[i] = lines[i][:-3]  # cut short: not JSON
    for i in range(5, 600, 50):
        lines[i] = json.dumps(event(event_id=f"x{i}", amount="dez"))
    body = ("\n".join(lines) + "\n").encode()
    threads: set[str] = set()
    with (
        mock.patch.object(blocks, "BLOCK_BYTES", 4096),
        mock.patch.object(stage.os, "sched_getaffinity", return_value={0, 1, 2, 3}),
        watch_threads(threads, "_cursor"),
    ):
        done = assert_same(contract, body, tmp_path)
    # THEN the answer is the row converter's (rows, quarantine, first record of a key wins),
    # and the blocks were loaded on more than one thread
    assert done.rows_in == 600 and done.quarantined >= 17 + 12 and done.fast_path_rows > 400
    assert len(threads) > 1 and all(t.startswith("cornlake-block") for t in threads)


@dataclasses.dataclass
class CountingSink:
    """The part of a Sink that settling a loaded block touches."""

    fast_records: int = 0


def held_loads(release: threading.Event, started: list[int]) -> Any:
    def load(data: bytes, first: int, records: int) -> int:
        started.append(first)
        assert release.wait(timeout=10), "the test never released the loads"
        return records

    return load


def test_with_two_workers_two_blocks_load_while_the_next_one_is_cut() -> None:
    # GIVEN two workers whose loads are held until the test releases them
    release, started = threading.Event(), []
    queue = base.SideBySide(
        CountingSink(), 2, held_loads(release, started), lambda d, f: iter(()), first_number=1
    )  # type: ignore[arg-type]
    with queue:
        # WHEN two blocks are added
        queue.add(b"a\nb\n", 2)
        queue.add(b"c\n", 1)
        # THEN both load at once and adding returned, so the third block is cut meanwhile
        assert wait_for(lambda: len(started) == 2) and started == [1, 3]
        release.set()
        queue.add(b"d\n", 1)
        assert queue.drain() == 5
    assert queue.sink.fast_records == 4


def test_with_one_worker_a_block_has_loaded_before_the_next_is_cut() -> None:
    # GIVEN one worker (one core, or `new_columns: evolve`): its load is held
    release, started = threading.Event(), []
    queue = base.SideBySide(
        CountingSink(), 1, held_loads(release, started), lambda d, f: iter(()), first_number=1
    )  # type: ignore[arg-type]
    added = threading.Thread(target=queue.add, args=(b"a\n", 1))
    with queue:
        added.start()
        # THEN adding waits for the load: no second block is cut while one loads
        assert wait_for(lambda: started == [1])
        added.join(timeout=0.3)
        assert added.is_alive()
        release.set()
        added.join(timeout=10)
        assert not added.is_alive() and queue.sink.fast_records == 1


def wait_for(condition: Any, seconds: float = 10.0) -> bool:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


def test_overlapping_block_loads_count_their_time_once(tmp_path: Path) -> None:
    # GIVEN a stage whose INSERTs overlap: the second starts while the first runs
    contract = registry().get("app", "events")
    sink = stage.Stage(contract, tmp_path, ingest_id="i1", memory_limit_mb=256)
    clock = iter([10.0, 11.0, 13.0, 14.0])
    with mock.patch.object(stage.time, "perf_counter", lambda: next(clock)):
        sink._loads(+1)  # 10: the first block starts
        sink._loads(+1)  # 11: the second starts beside it
        sink._loads(-1)  # 13: the first ends
        sink._loads(-1)  # 14: the second ends
    # THEN the loading phase is the 4 s of wall time, not the 7 s the two loads add up to
    assert sink.load_seconds == 4.0


def events_over_days(count: int, *, keys: int, days: int, bad: dict[int, dict[str, Any]]) -> bytes:
    """``count`` events as JSON lines, keys ``e0``... repeating after ``keys``, spread over
    ``days`` days of November, with the events at the ``bad`` positions changed."""
    lines = [
        json.dumps(event(event_id=f"e{i % keys}", event_time=f"2026-11-{1 + i % days:02d}T10:00:00Z"))
        for i in range(count)
    ]
    for i, changes in bad.items():
        lines[i] = json.dumps(event(**changes))
    return ("\n".join(lines) + "\n").encode()


def test_accepted_rows_are_staged_in_block_files_and_the_database_holds_only_flagged_records(
    tmp_path: Path,
) -> None:
    # GIVEN 600 events in small blocks over six days, two of them with a value only the row
    # path can decide, and one repeated key
    contract = registry().get("app", "events")
    bad = {5: {"event_id": "bad", "amount": "dez"}, 300: {"event_id": "text", "amount": "12.50"}}
    body = events_over_days(600, keys=599, days=6, bad=bad)
    seen: dict[str, Any] = {}
    deciding = stage.Stage.flagged

    def look(self: stage.Stage) -> Any:  # when the row path is about to decide the flagged records
        staged = self.tmp / "staged"
        seen["database"] = self.con.execute("SELECT count(*) FROM stage").fetchone()
        seen["files"] = len(list(staged.glob("block-*.parquet")))
        seen["in_files"] = self.con.execute(
            f"SELECT count(*), count(DISTINCT _part) FROM read_parquet('{staged}/block-*.parquet') WHERE _ok"
        ).fetchone()
        return deciding(self)

    with mock.patch.object(blocks, "BLOCK_BYTES", 8192), mock.patch.object(stage.Stage, "flagged", look):
        done = convert(contract, body, tmp_path / "fast", fast=True)
    # THEN the accepted rows were on disk in several block files, the database held the two
    # flagged records only, and the curated files hold each row once, the duplicate refused
    assert seen["database"] == (2,) and seen["files"] > 3 and seen["in_files"] == (598, 6)
    assert (done.rows_in, done.rows_out, done.duplicates) == (600, 598, 1)
    assert done.fast_path_rows == 598  # then less the duplicate; the row path took "12.50"
    assert len({f.partition for f in done.files}) == 7  # "12.50" came on 2026-11-20


def test_the_row_paths_rows_are_staged_in_chunks_so_no_sort_holds_them_all(tmp_path: Path) -> None:
    # GIVEN 400 events over four days with repeated keys and a bad value, and chunks of 4 KiB
    contract = registry().get("app", "events")
    body = events_over_days(400, keys=350, days=4, bad={123: {"event_id": "bad", "amount": "dez"}})
    with mock.patch.object(stage, "ROW_CHUNK_BYTES", 4096):
        done = assert_same(contract, body, tmp_path)
    # THEN the row converter's answer (every row through it) came from many chunk files, and the
    # duplicates across chunks were found
    chunks = list((tmp_path / "slow" / "staged").glob("row-path-*.parquet"))
    assert len(chunks) > 10
    assert (done.rows_out, done.duplicates, done.quarantined) == (349, 50, 51)


def test_staged_files_are_compressed_once_they_hold_enough_and_give_the_same_answer(tmp_path: Path) -> None:
    # GIVEN a stage that compresses its files from the first byte on, and small blocks
    contract = registry().get("app", "events")
    body = events_over_days(300, keys=280, days=3, bad={40: {"event_id": "bad", "amount": "dez"}})
    with mock.patch.object(blocks, "BLOCK_BYTES", 8192), mock.patch.object(stage, "PLAIN_STAGED_BYTES", 0):
        done = assert_same(contract, body, tmp_path)
    # THEN every staged file, the fast path's and the row path's, is snappy, and the rows are
    # the row converter's
    staged = sorted((tmp_path / "fast" / "staged").glob("*.parquet"))
    staged += sorted((tmp_path / "slow" / "staged").glob("*.parquet"))
    assert len(staged) > 3
    codecs = duckdb.sql(
        f"SELECT DISTINCT compression FROM parquet_metadata({[str(p) for p in staged]})"
    ).fetchall()
    assert codecs == [("SNAPPY",)]
    assert (done.rows_out, done.duplicates, done.quarantined) == (279, 20, 21)


def test_a_contract_partitioned_by_ingest_date_stages_and_writes_one_partition(tmp_path: Path) -> None:
    # GIVEN events over five days under a contract partitioned by the day they were ingested
    contract = dataclasses.replace(
        registry().get("app", "events"), partitioning=Partitioning("ingest_date", "", "day", "ingest_date")
    )
    body = events_over_days(200, keys=190, days=5, bad={9: {"event_id": "bad", "amount": "dez"}})
    with mock.patch.object(blocks, "BLOCK_BYTES", 4096):
        done = assert_same(contract, body, tmp_path)
    # THEN all of them are in the ingest date's partition, from several block files
    assert {f.partition for f in done.files} == {"2026-11-20"}
    assert (done.rows_out, done.duplicates, done.fast_path_rows) == (190, 9, 199)
    assert len(list((tmp_path / "fast" / "staged").glob("block-*.parquet"))) > 3


def test_partitions_written_side_by_side_hold_each_row_once_in_its_own_partition(tmp_path: Path) -> None:
    # GIVEN four cores and 300 events over twelve days, with repeated keys and bad values
    contract = registry().get("app", "events")
    body = events_over_days(300, keys=280, days=12, bad={17: {"event_id": "bad", "amount": "dez"}})
    threads: set[str] = set()
    with (
        mock.patch.object(stage.os, "sched_getaffinity", return_value={0, 1, 2, 3}),
        watch_threads(threads, "cursor"),
    ):
        done = assert_same(contract, body, tmp_path)
    # THEN every partition has its own files, with exactly its days' rows, written on several threads
    assert done.rows_out == 280 and done.quarantined == 20 and len({f.partition for f in done.files}) == 12
    for row in curated_rows(done):
        assert row[0] == row[3].strftime("%Y-%m-%d")  # partition value = the row's event day
    assert sum(f.rows for f in done.files) == 280
    assert len(threads) > 1 and all(t.startswith("cornlake-write") for t in threads)


def test_a_csv_with_a_new_column_under_evolve_gives_the_row_converters_answer_on_several_cores(
    tmp_path: Path,
) -> None:
    # GIVEN an evolving contract, a header with a field it lacks, four cores and many small
    # blocks, some with a ragged row (those go to the row path while others load)
    contract = dataclasses.replace(registry().get("erp", "vendas"), new_columns="evolve")
    rows = [f"{i};01/11/2026;;Ana;Recife;PE;Café;1;1,00;1,00;loja" for i in range(600)]
    for i in range(5, 600, 45):
        rows[i] = f"{i};01/11/2026;;Ana"
    body = ("\n".join([VENDAS_HEADER + ";canal", *rows]) + "\n").encode("latin-1")
    with (
        mock.patch.object(blocks, "BLOCK_BYTES", 2048),
        mock.patch.object(stage.os, "sched_getaffinity", return_value={0, 1, 2, 3}),
    ):
        done = assert_same(contract, body, tmp_path)
    # THEN the new column is added once, and every other row is curated with its value
    assert done.evolved_columns == ["canal"] and (done.rows_out, done.quarantined) == (586, 14)
    assert {row[-2] for row in curated_rows(done)} == {"loja"}
