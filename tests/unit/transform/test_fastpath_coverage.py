"""Fast-path coverage: every value form a common producer writes and the contract accepts takes
the fast path, with the row path's values.

For JSON lines and for CSV (quoted and unquoted fields), one file holds every form: ISO 8601
timestamps with a T or a space, offsets Z, +00, +0000, +00:00 and others, 0 to 9 fractional
digits, a date alone, epoch seconds and milliseconds (integers, text, and in JSON doubles);
integers, exponents and negative zero in double columns; integral doubles and numbers as text
(as BigQuery and pandas write them); true/false, 1/0 and the row path's words; empty strings
as nulls. The fast path must take at least 99% of the valid rows, as the run record counts
them, and give exactly the rows the row path gives (tests/equivalence.py). A file that falls
below 90% logs a warning naming the column and the (masked) form of the values that left it.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from equivalence import assert_same, convert, exact_rows

from cornlake.contracts import Contract, parse_contract
from cornlake.messages import CuratedBatch
from cornlake.ops import RunRecord
from cornlake.transform import Converted, job
from cornlake.transform.coverage import shape

COLUMNS = {
    "ts": "timestamp",
    "x": "double",
    "i": "int",
    "b": "bigint",
    "dec": "decimal(12,2)",
    "flag": "boolean",
    "day": "date",
    "s": "string",
}
BASE: dict[str, Any] = {
    "ts": "2013-01-01T10:00:00Z",
    "x": 1.5,
    "i": 1,
    "b": 2,
    "dec": 1.25,
    "flag": True,
    "day": "2013-01-01",
    "s": "a",
}
OFFSETS = ["", "Z", "+00", "-00", "+0000", "+00:00", "-03:00", "-0300", "+0530", "+05:30", "+05", "+14:00"]
FRACTIONS = [""] + ["." + "123456789"[:n] for n in range(1, 10)]
TIMESTAMPS: list[Any] = [
    f"2013-01-01{sep}10:00:00{fraction}{offset}"
    for sep in "T "
    for fraction in FRACTIONS
    for offset in OFFSETS
]
TIMESTAMPS += ["2013-01-01T10:00", "2013-01-01 10:00+00", "2013-01-01", "1969-07-20 20:17:40-00"]
TIMESTAMPS += [1357034400, -86400, 1357034400123, "1357034400", "1357034400123", 253402300799999]
# Both kinds of form: what the row path reads from JSON, and from CSV text.
JSON_FORMS: dict[str, list[Any]] = {
    "ts": [*TIMESTAMPS, 1357034400.5, 1357034400123.0, 1.357034400123e12, -0.25],
    "x": [1, -1, 0, -0, 0.0, -0.0, 1.5, 1e5, 1.5e-7, -2.5e-3, 12345678901234567890, 3.0, "1.5", "-0", "1e5"],
    "i": [1, -0, 390.0, 1e3, -0.0, "7", " 8 ", "+9", 2147483647, -2147483648, 2147483647.0],
    "b": [9007199254740993, 2**62, 4.0, "-12", -9223372036854775808],
    "dec": [10, 10.5, 1e2, -0.0, 0.1, 1.25, -3],
    "flag": [True, False, 1, 0, "true", "FALSE", " yes ", "n", "sim", "não"],
    "day": ["2013-01-01", " 2013-12-31 "],
    "s": ["abc", 123, True, 'São "Paulo"', "a, b"],
}
CSV_FORMS: dict[str, list[Any]] = {
    "ts": TIMESTAMPS,
    "x": ["1", "-1", "0", "-0", "-0.0", "1.5", "1e5", "1E+5", ".5", "5.", "1.5e-7", "12345678901234567890"],
    "i": ["1", "-0", "007", " 8 ", "+9", "2147483647", "-2147483648"],
    "b": ["9007199254740993", "-9223372036854775808"],
    "dec": ["10", "10.5", "-0.00", "12.50", "-3", "1."],
    "flag": ["true", "false", "TRUE", "f", "1", "0", "yes", "sim", "não", "NÃO"],
    "day": ["2013-01-01", "2013-12-31"],
    "s": ["abc", "123", 'São "Paulo"', "a, b", "line\nbreak"],
}
ROWS_PER_FORM = 3


def contract(kind: str, timezone: str = "UTC") -> Contract:
    columns = [{"name": "id", "type": "bigint", "nullable": False}]
    columns += [{"name": name, "type": type_text} for name, type_text in COLUMNS.items()]
    return parse_contract(
        {
            "source": "shop",
            "dataset": "forms",
            "description": "Every value form a producer writes",
            "owner": "o",
            "format": {"type": kind, "timezone": timezone, **({"delimiter": ","} if kind == "csv" else {})},
            "columns": columns,
            "primary_key": ["id"],
        },
        "datasets/shop/forms.yaml",
    )


def records(forms: dict[str, list[Any]]) -> list[dict[str, Any]]:
    """ROWS_PER_FORM records per form (the other columns plain), then empty strings as nulls."""
    rows = [
        {**BASE, column: value}
        for column, values in forms.items()
        for value in values
        for _ in range(ROWS_PER_FORM)
    ]
    rows += [{**BASE, column: ""} for column in COLUMNS for _ in range(ROWS_PER_FORM)]
    return [{"id": n, **row} for n, row in enumerate(rows)]


def json_lines(rows: list[dict[str, Any]]) -> bytes:
    return "".join(json.dumps(row, ensure_ascii=n % 2 == 0) + "\n" for n, row in enumerate(rows)).encode()


def csv_text(rows: list[dict[str, Any]]) -> bytes:
    """Odd records with every field quoted (a database export), even ones quoted only where needed."""
    out = io.StringIO()
    minimal = csv.writer(out, lineterminator="\n")
    quoted = csv.writer(out, lineterminator="\n", quoting=csv.QUOTE_ALL)
    minimal.writerow(["id", *COLUMNS])
    for n, row in enumerate(rows):
        (quoted if n % 2 else minimal).writerow(
            [str(row[c]).lower() if row[c] is True else row[c] for c in row]
        )
    return out.getvalue().encode()


def run_details(done: Converted, target: Contract) -> dict[str, Any]:
    """The run record's details of a transform that converted ``done``, as the ops table has them."""
    batch = CuratedBatch(target.source, target.dataset, "r1", "i1", "k", "b", rows_in=done.rows_in)
    outcome = job.TransformOutcome(batch, fast_path_rows=done.fast_path_rows, coverage=done.coverage)
    run = RunRecord(stage=job.STAGE)
    job.describe(run, outcome, target, None)
    details: dict[str, Any] = json.loads(json.loads(run.to_json())["details"])
    return details


@pytest.mark.parametrize("timezone", ["UTC", "America/Sao_Paulo"])
@pytest.mark.parametrize("kind", ["jsonl", "csv"])
def test_every_common_value_form_takes_the_fast_path_with_the_row_paths_values(
    tmp_path: Path, kind: str, timezone: str
) -> None:
    # GIVEN a file with every form, in every column, as JSON lines or as CSV
    rows = records(JSON_FORMS if kind == "jsonl" else CSV_FORMS)
    body = json_lines(rows) if kind == "jsonl" else csv_text(rows)
    target = contract(kind, timezone)
    # WHEN it is converted with the fast path and without it
    done = assert_same(target, body, tmp_path)  # THEN both give the same rows, values and reasons
    # ... every record is valid, and the fast path took at least 99% of them, as the run record says
    assert (done.rows_in, done.rows_out, done.quarantined) == (len(rows), len(rows), 0)
    details = run_details(done, target)
    assert details["fast_path_rows"] == done.fast_path_rows
    assert details["fast_path_valid_rows"] == len(rows)
    assert details["fast_path_share"] >= 0.99, f"forms left on the row path: {dict(done.coverage.left)}"


def test_a_file_mostly_off_the_fast_path_warns_naming_the_column_and_the_form(tmp_path: Path) -> None:
    # GIVEN timestamps in a form only the row path reads ('2013-01-01T10:00:00.Z'), in 95% of the rows
    rows = records({"ts": ["2013-01-01T10:00:00.Z"] * 19 + ["2013-01-01T10:00:00Z"]})
    target = contract("jsonl")
    done = convert(target, json_lines(rows), tmp_path / "t", fast=True)
    # THEN the run record holds the share and what sent the rows away: the column, and the masked form
    details = run_details(done, target)
    assert done.rows_out == len(rows) and details["fast_path_share"] < 0.9
    left = details["fast_path_left"]
    assert left == {"column": "ts", "form": "timestamp given as string '9999-99-99T99:99:99.Z'", "rows": 57}
    # ... and the transform logs a warning with them, through the shared logger
    with mock.patch.object(job.logger, "warning") as warning:
        job.warn_if_slow("raw/key.jsonl", done.coverage)
    [(message,), kwargs] = warning.call_args
    fields = kwargs["extra"]
    assert message == "few rows took the fast path"
    assert (fields["column"], fields["value_form"], fields["rows_left"]) == ("ts", left["form"], 57)
    assert fields["fast_path_share"] == details["fast_path_share"] and fields["key"] == "raw/key.jsonl"
    assert "57 of 84 valid rows left the fast path; the most for column ts" in fields["note"]


def test_a_file_on_the_fast_path_logs_no_warning(tmp_path: Path) -> None:
    rows = records({"ts": ["2013-01-01 10:00:00+00"]})
    target = contract("csv")
    done = convert(target, csv_text(rows), tmp_path / "t", fast=True)
    assert run_details(done, target)["fast_path_share"] == 1.0
    assert run_details(done, target)["fast_path_left"] == {}
    with mock.patch.object(job.logger, "warning") as warning:
        job.warn_if_slow("raw/key.csv", done.coverage)
    warning.assert_not_called()


def test_the_form_in_a_warning_never_shows_the_value(tmp_path: Path) -> None:
    # GIVEN dates written as basic ISO 8601 (20130101), which only the row path reads, in a CSV
    rows = records({"day": ["20130101"]})
    target = contract("csv")
    done = convert(target, csv_text(rows), tmp_path / "t", fast=True)
    column, form, count = done.coverage.cause()
    assert (column, form) == ("day", "date given as string '99999999'") and count == ROWS_PER_FORM
    # ... and text that is not a number or a time has every letter masked
    assert shape("Zoe Teixeira, 1980") == "aaa aaaaaaaa, 9999"
    assert shape("2013-01-01T10:00:00.123+0530") == "9999-99-99T99:99:99.999+9999"
    assert shape("x" * 50) == "a" * 40 + "…"


@pytest.mark.parametrize("kind", ["jsonl", "csv"])
def test_values_duckdb_reads_differently_from_python_stay_off_the_fast_path(
    tmp_path: Path, kind: str
) -> None:
    # GIVEN values DuckDB alone would read differently from the row converter
    rows = records(
        {
            "ts": [
                "2013-01-01T24:00:00Z",  # DuckDB: the next day; Python refuses hour 24
                "2013-01-01T10:00:00+24:00",  # an offset of a whole day: Python refuses it
                253402300799999,  # ms: Python's float division gives 23:59:59.998993
                -65674203631,  # 113 BC, whose era year passes a year() check
            ],
            "flag": ["sİm"],  # DuckDB lowers it to 'sim'; Python to 's' + 'i̇' + 'm'
        }
    )
    body = json_lines(rows) if kind == "jsonl" else csv_text(rows)
    done = assert_same(contract(kind), body, tmp_path)  # THEN both paths decide them alike
    # ... the refused ones are quarantined, and the late millisecond keeps Python's microseconds
    assert done.quarantined == 4 * ROWS_PER_FORM
    moments = {row[2] for row in exact_rows(done)}  # (partition, id, ts, ...)
    assert datetime(9999, 12, 31, 23, 59, 59, 998993, tzinfo=UTC) in moments


@pytest.mark.parametrize("kind", ["jsonl", "csv"])
def test_a_decimal_with_more_digits_than_python_keeps_is_quarantined_on_both_paths(
    tmp_path: Path, kind: str
) -> None:
    # GIVEN 1e26 for a decimal(12,2): quantizing it to two places needs 29 digits, beyond Python's 28
    rows = records({"dec": [1e26 if kind == "jsonl" else "1e26"]})
    body = json_lines(rows) if kind == "jsonl" else csv_text(rows)
    done = assert_same(contract(kind), body, tmp_path)
    # THEN its records are quarantined with the reason, not a failed transform
    reasons = {
        json.loads(line)["errors"][0]["reason"] for line in done.quarantine_path.read_text().splitlines()
    }
    assert done.quarantined == ROWS_PER_FORM and len(reasons) == 1
    assert "has more than 10 integer digits for decimal(12,2)" in reasons.pop()
