"""Every kind of bad input the transform meets: each is quarantined at row or file level with a
reason, nothing raises, and rows in = rows curated + rows quarantined."""

from __future__ import annotations

import codecs
import dataclasses
import gzip
import io
import json
from datetime import UTC, datetime
from typing import Any
from unittest import mock

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from cornlake.contracts import registry
from cornlake.transform import ConvertOptions, blocks, read, transform_object
from cornlake_toolkit.local import LocalLake
from helpers import list_keys, read_jsonl, sample, transform_key

INGEST_ID = "20261120T120000Z-0123456789ab"
GOOD_EVENT = {"event_id": "e1", "event_type": "click", "event_time": "2026-11-20T10:00:00Z"}


def run(
    stack: LocalLake, source: str, dataset: str, body: bytes, name: str = "f.data", ingest_id: str = INGEST_ID
) -> dict[str, Any]:
    names = stack.describe()
    key = f"source={source}/dataset={dataset}/ingest_date=2026-11-20/{ingest_id}-{name}"
    stack.client("s3").put_object(Bucket=names["raw_bucket"], Key=key, Body=body)
    record, outcome = transform_key(key)
    quarantined = (
        read_jsonl(stack, names["quarantine_bucket"], outcome.quarantine_key)
        if outcome.quarantine_key
        else []
    )
    assert record.rows_in == record.rows_out + record.rows_quarantined  # nothing is ever lost
    return {
        "run": record,
        "outcome": outcome,
        "quarantined": quarantined,
        "reasons": [e["errors"][0]["reason"] for e in quarantined],
    }


def events(*lines: bytes) -> bytes:
    return b"\n".join(lines) + b"\n"


def ok_line(**changes: Any) -> bytes:
    return json.dumps({**GOOD_EVENT, **changes}).encode()


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (events(ok_line(), b'{"event_id": "e2", "event_type": "click\xff"}'), "invalid utf-8 bytes"),
        (
            events(ok_line(), ok_line(user_id="S\xe3o Paulo").replace(b"\\u00e3", b"\xe3")),
            "invalid utf-8 bytes",
        ),
        (events(ok_line(), b"[1, 2]"), "expected a JSON object, got list"),
        (events(ok_line(), b"42"), "expected a JSON object, got int"),
        (events(ok_line(), b"null"), "expected a JSON object, got null"),
        (events(ok_line(), b'{"event_id": "a", "event_id": "b"}'), "appears twice in one object"),
        (events(ok_line(), ok_line(event_id="e3", amount="12.345")), "more than 2 decimal places"),
        (events(ok_line(), ok_line(event_id="e4", device={"screen_width": 2**40})), "out of range for int"),
    ],
)
def test_bad_json_lines_are_quarantined_row_by_row(stack: LocalLake, body: bytes, reason: str) -> None:
    result = run(stack, "app", "events", body)
    assert (result["run"].rows_in, result["run"].rows_out, result["run"].rows_quarantined) == (2, 1, 1)
    assert reason in result["reasons"][0]


def test_a_bom_and_crlf_line_ends_are_read_as_text(stack: LocalLake) -> None:
    body = codecs.BOM_UTF8 + ok_line() + b"\r\n" + ok_line(event_id="e2") + b"\r\n"
    assert run(stack, "app", "events", body)["run"].rows_out == 2


def test_five_timestamp_formats_land_in_utc(stack: LocalLake) -> None:
    body = events(
        ok_line(event_id="iso", event_time="2026-11-20T13:00:00Z"),
        ok_line(event_id="offset", event_time="2026-11-20T10:00:00-03:00"),
        ok_line(event_id="millis", event_time=1795694400000),
        ok_line(event_id="seconds", event_time=1795694400),
        ok_line(event_id="spaced", event_time="2026-11-20 13:00:00"),
        ok_line(event_id="words", event_time="quinta de manhã"),
    )
    result = run(stack, "app", "events", body)
    assert result["run"].rows_out == 5 and "expected a timestamp" in result["reasons"][0]
    names = stack.describe()
    rows = []
    for key in list_keys(stack, names["curated_bucket"]):
        data = stack.client("s3").get_object(Bucket=names["curated_bucket"], Key=key)["Body"].read()
        rows += pq.read_table(io.BytesIO(data)).to_pylist()
    times = {r["event_id"]: r["event_time"] for r in rows}
    assert times["iso"] == times["offset"] == times["spaced"] == datetime(2026, 11, 20, 13, 0, tzinfo=UTC)
    assert times["millis"] == times["seconds"] == datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


def test_csv_quirks_ragged_rows_and_overflows(stack: LocalLake) -> None:
    header = (
        "id_venda;data_venda;registrada_em;cliente;Município;uf;produto;quantidade;valor_unitario;valor_total"
    )
    rows = [
        '1;01/11/2026;;"Ana\r\nSouza";Recife;PE;Café;1;1,00;1,00',  # quoted CRLF inside a field
        "2;01/11/2026;;Ana;Recife;PE;Café;1;1,00;1,00;extra",  # too many fields
        "3;01/11/2026;;Ana;Recife",  # too few
        "4;01/11/2026;;Ana;Recife;PE;Café;3000000000;1,00;1,00",  # int overflow
        "5;01/11/2026;;Ana;Recife;PE;Café;1;1,005;1,00",  # too many decimal places
    ]
    body = ("\r\n".join([header, *rows]) + "\r\n").encode("latin-1")
    result = run(stack, "erp", "vendas", body, "v.csv")
    assert (result["run"].rows_in, result["run"].rows_out) == (5, 1)
    assert result["reasons"] == [
        "expected 10 fields, got 11",
        "expected 10 fields, got 5",
        "3000000000 is out of range for int (-2147483648..2147483647)",
        "'1,005' has more than 2 decimal places for decimal(12,2)",
    ]


@pytest.mark.parametrize(
    ("body", "name"),
    [
        (b"", "empty.jsonl"),
        (b"", "empty.jsonl.gz"),
        (gzip.compress(b""), "nothing.jsonl.gz"),
        (b"\n\n", "blank.jsonl"),
    ],
)
def test_empty_files_are_rejected_whole_with_a_reason(stack: LocalLake, body: bytes, name: str) -> None:
    result = run(stack, "app", "events", body, name)
    assert result["run"].status == "rejected" and result["run"].rows_in == 0
    assert "holds no records" in result["reasons"][0]


@pytest.mark.parametrize(
    ("source", "dataset", "body"),
    [
        ("erp", "vendas", "id_venda;data_venda\r\n".encode("latin-1")),  # a daily export with no sales
        ("erp", "vendas", b"id_venda;data_venda"),  # no newline after the header
        ("ref", "lojas", b" [ ] "),
    ],
)
def test_a_file_that_rightly_holds_no_records_is_an_empty_batch(
    stack: LocalLake, source: str, dataset: str, body: bytes
) -> None:
    # GIVEN a header-only CSV or an empty JSON array: a day with no data, not a broken file
    result = run(stack, source, dataset, body, "empty.data")
    # THEN the run succeeds with no rows, nothing is quarantined and nothing is curated
    assert (result["run"].status, result["run"].rows_in, result["run"].rows_quarantined) == (
        "succeeded",
        0,
        0,
    )
    assert result["outcome"].batch.objects == () and not result["quarantined"]


def test_a_zero_byte_csv_is_still_rejected_whole(stack: LocalLake) -> None:
    result = run(stack, "erp", "vendas", b"", "v.csv")
    assert result["run"].status == "rejected" and "holds no records" in result["reasons"][0]


DEEP = b"[" * 100_000 + b"]" * 100_000
GOOD_LINE = b'{"event_id": "e1", "event_type": "click", "event_time": "2026-11-20T10:00:00Z"'


@pytest.mark.parametrize(
    ("dataset", "body", "rows", "reason"),
    [
        (
            "events",
            GOOD_LINE + b', "tags": ' + DEEP + b"}\n" + GOOD_LINE + b"}\n",
            (2, 1, 1),
            "nested too deeply",
        ),
        ("events", GOOD_LINE.replace(b'"e1"', b'"\\ud800"') + b"}\n", (1, 0, 1), "without its pair"),
        ("events", GOOD_LINE + b', "note": "\\udc00 x"}\n', (1, 0, 1), "without its pair"),
        (
            "events",
            GOOD_LINE + b', "amount": ' + b"9" * 5000 + b"}\n",
            (1, 0, 1),
            "invalid JSON: Exceeds the limit",
        ),
        ("lojas", b'[{"loja_id": 1, "nome": "\\ud800", "ativa": true}]', (1, 0, 1), "without its pair"),
        (
            "lojas",
            b'[{"loja_id": 1, "nome": "a", "nome": "b", "ativa": true}, '
            b'{"loja_id": 2, "nome": "c", "ativa": true}]',
            (2, 1, 1),
            "appears twice",
        ),
    ],
    ids=[
        "deep-line",
        "lone-surrogate",
        "lone-surrogate-new-field",
        "huge-integer",
        "array-surrogate",
        "array-repeated-key",
    ],
)
def test_pathological_json_is_quarantined_by_record_with_a_reason(
    stack: LocalLake, dataset: str, body: bytes, rows: tuple[int, int, int], reason: str
) -> None:
    source = "app" if dataset == "events" else "ref"
    result = run(stack, source, dataset, body)
    assert (result["run"].rows_in, result["run"].rows_out, result["run"].rows_quarantined) == rows
    assert any(reason in r for r in result["reasons"])


def test_a_json_array_nested_too_deeply_is_rejected_whole_with_a_reason(stack: LocalLake) -> None:
    result = run(stack, "ref", "lojas", b"[" + DEEP + b"]")
    assert (
        result["run"].status == "rejected"
        and "array element 1: invalid JSON: nested too deeply" in result["run"].error
    )
    assert result["quarantined"][0]["errors"][0]["reason"].startswith("file rejected")


def test_utf8_text_under_a_latin1_contract_is_a_warning_in_the_run_record(stack: LocalLake) -> None:
    from cornlake_toolkit.samples import vendas_csv

    body = vendas_csv(5).encode("utf-8")  # the same export, written as UTF-8
    result = run(stack, "erp", "vendas", body, "v.csv")
    details = json.loads(json.loads(result["run"].to_json())["details"])
    # the mangled header (Município read as MunicÃ\xadpio) is a column the contract does not know
    assert result["run"].rows_quarantined == 5 and "not in the contract" in result["reasons"][0]
    [warning] = details["warnings"]
    assert "looks like UTF-8" in warning and "latin-1" in warning and "Ã" in warning
    # ... and a real latin-1 file under the same contract raises none
    plain = run(
        stack,
        "erp",
        "vendas",
        vendas_csv(5).encode("latin-1"),
        "w.csv",
        ingest_id="20261120T120000Z-0123456789ac",
    )
    assert json.loads(json.loads(plain["run"].to_json())["details"])["warnings"] == []


def test_a_single_huge_line_without_newline_is_quarantined_in_bounded_memory(stack: LocalLake) -> None:
    body = b'{"event_id": "' + b"x" * (3 * 1024 * 1024) + b'"'  # stands in for a 2 GB line
    with mock.patch.object(read, "MAX_RECORD_BYTES", 256 * 1024):
        result = run(stack, "app", "events", body)
    assert (result["run"].rows_in, result["run"].rows_quarantined) == (1, 1)
    assert "record longer than 262144 bytes" in result["reasons"][0]
    assert len(result["quarantined"][0]["raw"]) <= 256


def test_a_decompression_bomb_is_stopped_by_the_ratio_limit(stack: LocalLake) -> None:
    bomb = gzip.compress(b"\n" * (20 * 1024 * 1024))  # about 1000:1
    with (
        mock.patch.object(read, "BOMB_RATIO", 100),
        mock.patch.object(read, "MIN_DECOMPRESSED_LIMIT", 1024),
    ):
        result = run(stack, "app", "events", bomb, "bomb.jsonl.gz")
    assert result["run"].status == "rejected"
    assert "decompresses to more than" in result["reasons"][-1]


def test_zstd_inputs_are_read(stack: LocalLake) -> None:
    body = pa.compress(sample("app/samples/events.jsonl").read_bytes(), codec="zstd", asbytes=True)
    result = run(stack, "app", "events", body, "events.jsonl.zst")
    assert (result["run"].rows_in, result["run"].rows_out) == (60, 57)


def test_rows_repeated_by_primary_key_are_quarantined_as_duplicates(stack: LocalLake) -> None:
    body = events(ok_line(), ok_line(event_type="purchase"), ok_line(event_id="e2"), ok_line())
    result = run(stack, "app", "events", body)
    assert (result["run"].rows_out, result["run"].rows_quarantined) == (2, 2)
    assert result["reasons"] == ["duplicate primary key: an earlier record of this file has the same key"] * 2
    details = json.loads(json.loads(result["run"].to_json())["details"])
    assert details["duplicates_quarantined"] == 2
    assert details["fast_path_rows"] == 4  # every record was clean: the fast path took them all
    # ... and the run record says where the conversion's time went, phase by phase
    assert {"read and cut", "fast path: type and check", "duplicates", "write"} <= set(details["phase_ms"])
    assert all(isinstance(ms, int) and ms >= 0 for ms in details["phase_ms"].values())


def test_parquet_inputs_are_retyped_to_the_contract(stack: LocalLake) -> None:
    table = pa.table(
        {
            "loja_id": pa.array([1, 2, 3], pa.int64()),
            "nome": ["A", "B", None],
            "inaugurada_em": ["2020-01-02", "2021-03-04", "2022-05-06"],
            "ativa": [True, False, True],
            "area_m2": pa.array([100, 200, 300], pa.int32()),
        }
    )
    sink = io.BytesIO()
    pq.write_table(table, sink)
    contract = registry().get("ref", "lojas")
    parquet_contract = dataclasses.replace(
        contract, format=dataclasses.replace(contract.format, type="parquet")
    )
    names = stack.describe()
    key = f"source=ref/dataset=lojas/ingest_date=2026-11-20/{INGEST_ID}-lojas.parquet"
    stack.client("s3").put_object(Bucket=names["raw_bucket"], Key=key, Body=sink.getvalue())
    outcome = transform_object(
        stack.client("s3"),
        parquet_contract,
        raw_bucket=names["raw_bucket"],
        key=key,
        curated_bucket=names["curated_bucket"],
        quarantine_bucket=names["quarantine_bucket"],
        run_id="r",
    )
    assert (outcome.batch.rows_in, outcome.batch.rows_out, outcome.batch.rows_quarantined) == (3, 2, 1)
    data = stack.client("s3").get_object(Bucket=names["curated_bucket"], Key=outcome.batch.objects[0].key)
    typed = pq.read_table(io.BytesIO(data["Body"].read()))
    assert (
        typed.schema.field("loja_id").type == pa.int32()
        and typed.schema.field("area_m2").type == pa.float64()
    )
    assert str(typed.schema.field("inaugurada_em").type) == "date32[day]"


def test_outputs_roll_over_at_the_target_size_and_reprocessing_drops_stale_parts(stack: LocalLake) -> None:
    names = stack.describe()
    contract = registry().get("ref", "lojas")
    lojas = json.dumps(
        [{"loja_id": i, "nome": f"Loja {i} " + "x" * 200, "ativa": True} for i in range(10_000)]
    )
    key = f"source=ref/dataset=lojas/ingest_date=2026-11-20/{INGEST_ID}-lojas.json"
    stack.client("s3").put_object(Bucket=names["raw_bucket"], Key=key, Body=lojas.encode())
    common = {
        "raw_bucket": names["raw_bucket"],
        "key": key,
        "curated_bucket": names["curated_bucket"],
        "quarantine_bucket": names["quarantine_bucket"],
        "run_id": "r",
    }
    options = ConvertOptions(row_group_rows=2048, target_bytes=10_000)
    small = transform_object(stack.client("s3"), contract, options=options, **common)
    assert len(small.batch.objects) >= 2 and sum(o.rows for o in small.batch.objects) == 10_000
    assert small.batch.objects[1].key.endswith(f"part-{INGEST_ID}-0001.parquet")
    whole = transform_object(stack.client("s3"), contract, **common)
    assert len(whole.batch.objects) == 1
    assert list_keys(stack, names["curated_bucket"]) == [whole.batch.objects[0].key]


def test_duplicates_are_found_across_blocks_and_paths_and_the_first_record_wins(stack: LocalLake) -> None:
    # GIVEN e1 first as a record only the row path reads (amount as text), then again clean,
    # in blocks small enough that the two copies of e4 land in different blocks
    first = ok_line(event_id="e1", amount="12.50")
    body = events(
        first,
        *(ok_line(event_id=f"e{i}") for i in range(2, 40)),
        ok_line(event_id="e1"),
        ok_line(event_id="e4"),
    )
    with mock.patch.object(blocks, "BLOCK_BYTES", 1024):
        result = run(stack, "app", "events", body)
    # THEN the later copies are quarantined, the first one (from the row path) is kept
    assert (result["run"].rows_in, result["run"].rows_out, result["run"].rows_quarantined) == (41, 39, 2)
    assert [q["record"] for q in result["quarantined"]] == [40, 41]
    details = json.loads(json.loads(result["run"].to_json())["details"])
    assert details["fast_path_rows"] == 40 and details["duplicates_quarantined"] == 2


def test_new_fields_evolve_into_text_columns_the_catalog_keeps(stack: LocalLake) -> None:
    from cornlake import catalog
    from cornlake_toolkit.sql import LocalSqlEngine

    names = stack.describe()
    body = events(
        ok_line(event_id="a", campaign="black-friday", meta={"ab": "b", "n": 2}),
        ok_line(event_id="b", campaign="natal"),
        ok_line(event_id="c", **{"Bad-Name": 1}),
    )
    first = run(stack, "app", "events", body)
    assert (first["run"].rows_out, first["run"].rows_quarantined) == (2, 1)
    assert "lowercase name" in first["reasons"][0]
    batch = first["outcome"].batch
    assert batch.added_columns == ("campaign", "meta")
    glue = stack.client("glue")
    contract = registry().get("app", "events")
    assert catalog.sync_batch(
        glue, contract, batch, database=names["glue_database"], bucket=names["curated_bucket"]
    )["columns_added"] == [
        "campaign",
        "meta",
    ]
    # a later batch without the new fields neither drops nor re-adds them
    later_id = "20261120T130000Z-0123456789ac"
    later = run(stack, "app", "events", events(ok_line(event_id="d")), "later.jsonl", later_id)[
        "outcome"
    ].batch
    assert later.added_columns == ()
    assert (
        catalog.sync_batch(
            glue, contract, later, database=names["glue_database"], bucket=names["curated_bucket"]
        )["columns_added"]
        == []
    )
    columns = {
        c["Name"]: c
        for c in glue.get_table(DatabaseName=names["glue_database"], Name="app_events")["Table"][
            "StorageDescriptor"
        ]["Columns"]
    }
    assert columns["campaign"]["Type"] == "string" and "schema evolution" in columns["campaign"]["Comment"]
    with LocalSqlEngine(glue, stack.client("s3"), names["glue_database"]) as engine:
        rows = engine.query("SELECT event_id, campaign, meta FROM app_events ORDER BY event_id").rows
    assert rows == [("a", "black-friday", '{"ab": "b", "n": 2}'), ("b", "natal", None), ("d", None, None)]


def test_a_contract_that_narrows_a_registered_type_quarantines_the_file(stack: LocalLake) -> None:
    from cornlake import catalog
    from cornlake.datatypes import parse_type

    names = stack.describe()
    glue = stack.client("glue")
    contract = registry().get("ref", "lojas")
    first = run(stack, "ref", "lojas", sample("ref/samples/lojas.json").read_bytes(), "lojas.json")
    catalog.sync_batch(
        glue,
        contract,
        first["outcome"].batch,
        database=names["glue_database"],
        bucket=names["curated_bucket"],
    )

    def version2(column: str, new_type: str) -> Any:
        columns = tuple(
            dataclasses.replace(c, type=parse_type(new_type)) if c.name == column else c
            for c in contract.columns
        )
        return dataclasses.replace(contract, columns=columns, version=2)

    class Contracts:
        def __init__(self, changed: Any) -> None:
            self.changed = changed

        def get(self, source: str, dataset: str) -> Any:
            return self.changed

    key = f"source=ref/dataset=lojas/ingest_date=2026-11-20/{INGEST_ID}-lojas.json"
    narrowed, outcome = transform_key(key, contracts=Contracts(version2("nome", "int")))
    assert narrowed.status == "rejected" and outcome.batch.objects == ()
    assert "changes column 'nome' from string to int" in narrowed.error
    widened, _ = transform_key(key, contracts=Contracts(version2("loja_id", "bigint")))
    assert widened.status == "succeeded" and widened.rows_out == 12
