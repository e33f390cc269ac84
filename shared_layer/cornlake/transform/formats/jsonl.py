"""JSON lines: one JSON object per line, the API's and most producers' format.

Read by line for the row path (a bad line is one refused record, never the whole file);
cut into blocks after a newline for the fast path, where each block is one SQL statement
over three parses of every line (values, their JSON types, and the object's keys: without
them ``"12"`` and ``12``, or a repeated key, could not be told apart). Split at any newline.
"""

from __future__ import annotations

import codecs
import functools
import io
import re
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from cornlake.contracts import MAX_NEW_COLUMNS, Column, FormatSpec
from cornlake.datatypes import DUCKDB_TYPES, DataType, duckdb_type
from cornlake.jsontext import (
    DECODE_ERRORS,
    DECODER,
    decode_problem,
    not_an_object,
    surrogate_problem,
)
from cornlake.keys import NAME_RE
from cornlake.sqlquote import ident, literal, string_list
from cornlake.transform import read
from cornlake.transform.blocks import Block, blocks, line_cut
from cornlake.transform.fastpath import (
    Check,
    boolean_from_text,
    date_format_gap,
    date_from_text,
    date_ok,
    double_from_text,
    epoch_timestamp,
    in_list,
    integer_from_double,
    integer_from_text,
    number_text,
    timestamp_from_text,
    timestamp_ok,
    verdicts,
)
from cornlake.transform.formats.base import InputFormat, SideBySide, Sink
from cornlake.transform.read import RAW_SNIPPET, RawRecord, bytes_stream, snippet
from cornlake.transform.stage import DATA_ERRORS, MAX_LINE_BYTES

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

    from cornlake.transform.stage import Flagged, Stage

_JSON_INTEGER = "('BIGINT','UBIGINT')"
_JSON_NUMBER = "('BIGINT','UBIGINT','DOUBLE')"


def _lines(stream: io.BufferedReader, first_number: int = 1) -> Iterator[tuple[int, bytes, str]]:
    """(line number, bytes, error) for each line; over-long lines are skipped with an error."""
    number = first_number - 1
    while True:
        line = stream.readline(read.MAX_RECORD_BYTES + 1)
        if not line:
            return
        number += 1
        if len(line) > read.MAX_RECORD_BYTES and not line.endswith(b"\n"):
            head = line[:256]
            while line and not line.endswith(b"\n"):
                line = stream.readline(read.MAX_RECORD_BYTES)
            yield number, head, f"record longer than {read.MAX_RECORD_BYTES} bytes"
            continue
        yield number, line, ""


def iter_json_lines(
    stream: io.BufferedReader, spec: FormatSpec, *, first_number: int = 1
) -> Iterator[RawRecord]:
    """JSON lines, numbered by line; blank lines are not records."""
    encoding = "utf-8" if spec.encoding == "utf-8-sig" else spec.encoding
    for number, data, error in _lines(stream, first_number):
        line = data[3:] if number == 1 and data.startswith(codecs.BOM_UTF8) else data
        if error:
            yield RawRecord(number, None, snippet(line, encoding), error)
            continue
        try:
            text = line.decode(encoding)
        except UnicodeDecodeError as err:
            yield RawRecord(
                number, None, snippet(line, encoding), f"invalid {encoding} bytes at byte {err.start}"
            )
            continue
        if not text.strip():
            continue
        yield json_record(number, text)


def json_record(number: int, text: str) -> RawRecord:
    line = text.rstrip("\r\n")
    raw = line[:RAW_SNIPPET]
    try:
        value = DECODER.decode(line)
    except DECODE_ERRORS as err:
        return RawRecord(number, None, raw, decode_problem(err))
    problem = not_an_object(value) or surrogate_problem(line, value)
    return RawRecord(number, None if problem else value, raw, problem)


def _json_type_gap(dtype: DataType) -> str:
    if dtype.kind == "array":
        assert dtype.item is not None
        if dtype.item.kind not in _ARRAY_ITEM_TYPES:
            return f"arrays of {dtype.item} are checked record by record"
    if dtype.kind == "struct":
        return next((g for _, t in dtype.fields if (g := _json_type_gap(t))), "")
    return ""


_JSON_TYPES = ("NULL", "VARCHAR", "BIGINT", "UBIGINT", "DOUBLE", "BOOLEAN", "OBJECT", "ARRAY")
_ARRAY_ITEM_TYPES = {
    "string": ("VARCHAR", "BIGINT", "UBIGINT"),
    "int": ("BIGINT", "UBIGINT"),
    "bigint": ("BIGINT", "UBIGINT"),
    "boolean": ("BOOLEAN",),
}


class JsonPlan:
    """One JSON-lines contract as SQL over three parses of each line: ``s``, every path's
    value as text; ``t``, every path's JSON type; ``k``, the top-level keys.

    ``value`` expressions use only ``s`` and ``t``; ``ok`` expressions may also use the
    computed value through ``ref`` (the column it is selected as), so nothing is computed twice.
    """

    def __init__(self, spec: FormatSpec) -> None:
        self.spec = spec
        self.paths: list[str] = []
        self.top_types: list[str] = []  # the type slot of each top-level column

    def _slot(self, path: str) -> tuple[str, str]:
        self.paths.append(path)
        i = len(self.paths)
        return f"s{i}", f"t{i}"

    def unpack(self) -> str:
        """The select list that names each path's text and type (s1, t1, ...) once."""
        return ", ".join(f"s[{i}] AS s{i}, t[{i}] AS t{i}" for i in range(1, len(self.paths) + 1))

    def evolved(self, name: str) -> tuple[str, str]:
        """A column schema evolution added (text): its value and check. Strings, integers and
        booleans are their text, as on the row path; nested values and floats go there."""
        s, t = self._slot(f"$.{json_path_key(name)}")
        self.top_types.append(t)
        kinds = "('VARCHAR','BIGINT','UBIGINT','BOOLEAN')"
        return f"CASE WHEN {t} IN {kinds} THEN {s} END", f"({t} IS NULL OR {t} = 'NULL' OR {t} IN {kinds})"

    def column(self, column: Column, null: str) -> tuple[str, str, Check]:
        """A top-level column: null markers apply and the nullability of the contract.

        Returns the null test (selected once as ``null``), the value and the check."""
        path = f"$.{json_path_key(column.input_name)}"
        s, t = self._slot(path)
        self.top_types.append(t)
        value, inner_ok = self._typed(s, t, path, column.type)
        is_null = (
            f"({t} IS NULL OR {t} = 'NULL' OR ({t} = 'VARCHAR' AND {s} IN {in_list(self.spec.null_values)}))"
        )
        nullable = str(column.nullable).lower()

        def ok(ref: str) -> str:
            return f"CASE WHEN {null} THEN {nullable} ELSE coalesce({inner_ok(ref)}, false) END"

        return is_null, f"CASE WHEN {null} THEN NULL ELSE {value} END", ok

    def _typed(self, s: str, t: str, path: str, dtype: DataType) -> tuple[str, Check]:
        """The value (NULL when the fast path is not sure of it) and its check."""
        kind = dtype.kind
        if kind == "string":  # a JSON integer or boolean is its text, as on the row path
            return s, lambda ref: f"{t} IN ('VARCHAR','BIGINT','UBIGINT','BOOLEAN')"
        if kind in ("int", "bigint", "double", "decimal", "boolean"):
            return self._scalar(
                s, t, dtype
            ), lambda ref: f"{ref} IS NOT NULL" + (f" AND isfinite({ref})" if kind == "double" else "")
        if kind == "date":
            return date_from_text(s, self.spec), lambda ref: f"{t} = 'VARCHAR' AND {date_ok(ref)}"
        if kind == "timestamp":
            value = (
                f"CASE WHEN {t} = 'VARCHAR' THEN {timestamp_from_text(s, self.spec)} "
                f"WHEN {t} IN {_JSON_NUMBER} THEN {epoch_timestamp(f'TRY_CAST({s} AS DOUBLE)')} END"
            )
            return value, lambda ref: timestamp_ok(ref, self.spec)
        if kind == "array":
            assert dtype.item is not None
            return self._array(s, t, dtype.item)
        return self._struct(s, t, path, dtype)

    def _scalar(self, s: str, t: str, dtype: DataType) -> str:
        """A number or a boolean from any JSON type the row path reads it from: its own, a
        double that is an integer (390.0), text (``"12.50"``, cleaned as on the row path)."""
        kind, text = dtype.kind, number_text(s, self.spec)
        target = DUCKDB_TYPES.get(kind) or duckdb_type(dtype)
        if kind in ("int", "bigint"):
            branches = [
                (_JSON_INTEGER, f"TRY_CAST({s} AS {target})"),
                ("('DOUBLE')", integer_from_double(s, target)),
                ("('VARCHAR')", integer_from_text(text, target)),
            ]
        elif kind == "double":
            branches = [(_JSON_NUMBER, f"TRY_CAST({s} AS DOUBLE)"), ("('VARCHAR')", double_from_text(text))]
        elif kind == "decimal":
            # A JSON number is a double (as in Python's json): the decimal must be that double
            # exactly, or it had more decimal places than the scale allows. A decimal as JSON
            # text stays with the row path: the bad-input tests use it as a row-path-only record.
            value = f"TRY_CAST({s} AS {target})"
            exact = f"CAST({value} AS DOUBLE) = TRY_CAST({s} AS DOUBLE)"
            branches = [(_JSON_INTEGER, value), ("('DOUBLE')", f"CASE WHEN {exact} THEN {value} END")]
        else:  # boolean: true/false, the integers 1 and 0, or the row path's words
            branches = [
                ("('BOOLEAN')", f"{s} = 'true'"),
                (_JSON_INTEGER, f"CASE {s} WHEN '1' THEN true WHEN '0' THEN false END"),
                ("('VARCHAR')", boolean_from_text(f"trim({s})")),
            ]
        return "CASE " + " ".join(f"WHEN {t} IN {types} THEN {value}" for types, value in branches) + " END"

    def _array(self, s: str, t: str, item: DataType) -> tuple[str, Check]:
        """Arrays of strings, integers or booleans; items may be null.

        The text is parsed only when it is an array (a string value is not JSON)."""
        items = f"CASE WHEN {t} = 'ARRAY' THEN json_extract_string({s}, '$[*]') END"
        refused = sorted(set(_JSON_TYPES) - set(_ARRAY_ITEM_TYPES[item.kind]) - {"NULL"})
        typed = f"NOT list_has_any(json_type({s}, '$[*]'), {string_list(refused)})"
        if item.kind == "string":
            return items, lambda ref: f"CASE WHEN {t} = 'ARRAY' THEN {typed} ELSE false END"
        if item.kind == "boolean":
            value = (
                f"list_transform({items}, lambda x: CASE x WHEN 'true' THEN true WHEN 'false' THEN false END)"
            )
        else:
            value = f"list_transform({items}, lambda x: TRY_CAST(x AS {DUCKDB_TYPES[item.kind]}))"

        def ok(ref: str) -> str:  # an integer out of range for the item type casts to NULL
            same = f"list_count({ref}) = list_count({items})"
            return f"CASE WHEN {t} = 'ARRAY' THEN {typed} AND {same} ELSE false END"

        return value, ok

    def _struct(self, s: str, t: str, path: str, dtype: DataType) -> tuple[str, Check]:
        members, checks = [], []
        for name, member_type in dtype.fields:
            ms, mt = self._slot(f"{path}.{json_path_key(name)}")
            value, member_ok = self._typed(ms, mt, f"{path}.{json_path_key(name)}", member_type)
            null = f"({mt} IS NULL OR {mt} = 'NULL')"
            members.append(f"{ident(name)} := CASE WHEN {null} THEN NULL ELSE {value} END")
            checks.append((null, member_ok, name, mt))

        # Every key of the object is a distinct member: no repeated key, no field the row
        # path would ignore. Counting is much cheaper than comparing key lists.
        present = " + ".join(f"({mt} IS NOT NULL)::INTEGER" for _, _, _, mt in checks)

        def ok(ref: str) -> str:
            parts = [f"CASE WHEN {t} = 'OBJECT' THEN len(json_keys({s})) = {present} ELSE false END"]
            parts += [
                f"({null} OR coalesce({member_ok(f'{ref}.{ident(name)}')}, false))"
                for null, member_ok, name, _ in checks
            ]
            return " AND ".join(parts)

        return "struct_pack(" + ", ".join(members) + ")", ok


def json_path_key(name: str) -> str:
    return name if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name) else '"' + name + '"'


class JsonLines(InputFormat):
    name = "jsonl"
    splittable = True
    has_fast_path = True

    def records(
        self, stream: io.BufferedReader, *, header: list[str] | None = None, first_number: int = 1
    ) -> Iterator[RawRecord]:
        return iter_json_lines(stream, self.spec, first_number=first_number)

    def fast_path_gap(self) -> str:
        gap = date_format_gap(self.spec)
        if gap:
            return gap
        for column in self.contract.columns:
            problem = _json_type_gap(column.type)
            if problem:
                return f"column {column.name}: {problem}"
        return ""

    def feed_fast(self, stream: io.BufferedReader, sink: Sink, header: list[str] | None) -> None:
        """Blocks load side by side, one per core (a block's record count is its line count),
        except under ``new_columns: evolve``, where a block's new fields become columns before
        the next block loads."""
        workers = self.block_workers(sink)
        load = functools.partial(self._load, sink, parallel=workers > 1)
        with SideBySide(sink, workers, load, self._block_records, first_number=1) as queue:
            for item in blocks(stream, line_cut):
                if not isinstance(item, Block):
                    sink.route(self.records(item.stream, first_number=queue.drain()))
                    return
                data = item.data
                if queue.next_number == 1 and data.startswith(codecs.BOM_UTF8):
                    data = data[3:]
                queue.add(data, data.count(b"\n") + (0 if data.endswith(b"\n") else 1))
            queue.drain()

    def _block_records(self, data: bytes, first: int) -> Iterator[RawRecord]:
        return self.records(bytes_stream(data), first_number=first)

    def _load(
        self, sink: Sink, data: bytes, number: int, records: int, *, parallel: bool = False
    ) -> int | None:
        """Records of one block loaded by the fast path; None if DuckDB cannot read the block."""
        if b"\x01" in data:  # the line reader's column delimiter: only in invalid JSON
            return None
        path = self.block_file(data, sink.tmp, f"block-{number}")
        if path is None:
            return None
        try:
            for guarded in (False, True):  # the unguarded query is faster; it fails on malformed JSON
                try:
                    sql = block_sql(sink.stage, path, number, self.duckdb_encoding, guarded)
                    loaded = sink.stage.insert(sql, first=number, parallel=parallel)
                except DATA_ERRORS:
                    continue
                if self.contract.new_columns == "evolve":
                    self._learn_new_fields(sink.stage, number)
                return loaded
            return None
        finally:
            path.unlink(missing_ok=True)

    def _learn_new_fields(self, stage: Stage, number: int) -> None:
        """New fields with usable names become columns now, so later blocks keep the fast path
        (the records that brought them are decided by the row path, which adds them too)."""
        known = {c.input_name for c in self.contract.columns} | {c.name for c in self.contract.columns}
        names = sorted(n for n in stage.new_fields(number) if NAME_RE.match(n) and n not in known)
        if names and len(set(stage.evolved) | set(names)) <= MAX_NEW_COLUMNS:
            stage.evolve(names)  # more than that: the row path quarantines the records that bring them

    def flagged_record(self, item: Flagged) -> RawRecord | None:
        if not item.line.strip():
            return None  # a line of blanks is not a record, as on the row path
        return json_record(item.number, item.line)

    def split_bounds(self, s3: S3Client, *, bucket: str, key: str, size: int, step: int) -> list[int]:
        """After every ``step`` bytes, the end of the line there (read from a small window)."""
        bounds = [0]
        for offset in range(step, size, step):
            if offset <= bounds[-1]:
                continue
            window = s3.get_object(
                Bucket=bucket, Key=key, Range=f"bytes={offset}-{offset + read.MAX_RECORD_BYTES}"
            )
            newline = window["Body"].read().find(b"\n")
            if newline < 0:
                continue  # an over-long record spans the window: it stays in the current range
            boundary = offset + newline + 1
            if bounds[-1] < boundary < size:
                bounds.append(boundary)
        bounds.append(size)
        return bounds


def _row_checks(stage: Stage, plan: JsonPlan, guarded: bool) -> tuple[list[str], dict[str, str]]:
    """(checks, select lists) of one block query: the null tests, typed values and final columns."""
    contract = stage.contract
    refs = {c.name: f"__c{i}" for i, c in enumerate(contract.columns)}
    nulls = {c.name: f"__n{i}" for i, c in enumerate(contract.columns)}
    built = [(c, *plan.column(c, nulls[c.name])) for c in contract.columns]
    evolved = {name: plan.evolved(name) for name in stage.evolved}
    # Each key is a distinct contract column exactly when there are as many keys as
    # columns found: no repeated key, no unknown one. Only other rows pay for list checks.
    present = " + ".join(f"({t} IS NOT NULL)::INTEGER" for t in plan.top_types)
    clean = f"len(k) = {present}"
    no_repeats = "len(list_distinct(k)) = len(k)" if contract.new_columns == "discard" else "false"
    checks = ["left(line, 1) = '{'", f"CASE WHEN {clean} THEN true ELSE {no_repeats} END"]
    checks += ["json_valid(line)"] if guarded else []
    judged, verdict_refs, off = verdicts(
        [(c.name, ok(refs[c.name])) for c, _, _, ok in built] + [(n, ok) for n, (_, ok) in evolved.items()]
    )
    checks += verdict_refs
    part = stage.partition_sql(refs)
    if part != "NULL":
        checks.append(f"{part} IS NOT NULL")
    known = string_list([c.input_name for c in contract.columns] + stage.evolved)
    lists = {
        "null_tests": ", ".join(f"{test} AS {nulls[c.name]}" for c, test, _, _ in built),
        "typed": ", ".join(f"{value} AS {refs[c.name]}" for c, _, value, _ in built),
        "final": ", ".join(
            [f"{refs[c.name]} AS {ident(c.name)}" for c in contract.columns]
            + [f"{value} AS {ident(name)}" for name, (value, _) in evolved.items()]
        ),
        "judged": judged,
        "verdicts": ", ".join(verdict_refs) or "__k",
        "off": off,
        "part": part,
        "clean": clean,
        "unknown": f"list_filter(k, lambda x: NOT list_contains({known}, x))",
    }
    return checks, lists


def block_sql(stage: Stage, path: Any, first_number: int, encoding: str, guarded: bool) -> str:
    """The SELECT that types and checks one block of JSON lines for the stage.

    ``guarded`` checks each line is valid JSON first: slower, but a malformed line is
    flagged instead of failing the block."""
    plan = JsonPlan(stage.contract.format)
    checks, x = _row_checks(stage, plan, guarded)
    paths = "[" + ", ".join(literal(p) for p in plan.paths) + "]"
    doc = "CASE WHEN json_valid(line) THEN line ELSE '{}' END" if guarded else "line"
    read = (
        f"read_csv({literal(str(path))}, columns={{'line': 'VARCHAR'}}, header=false, delim='\\x01', "
        f"quote='', escape='', auto_detect=false, new_line='\\n', encoding={literal(encoding)}, "
        f"max_line_size={MAX_LINE_BYTES}, buffer_size={2 * MAX_LINE_BYTES})"
    )
    return f"""
        WITH src AS (SELECT {first_number - 1} + row_number() OVER () AS _n, line FROM {read}),
        docs AS (SELECT _n, line, {doc} AS doc FROM src WHERE line IS NOT NULL),
        parsed AS (SELECT _n, line, json_extract_string(doc, {paths}) AS s, json_type(doc, {paths}) AS t,
                   json_keys(doc) AS k FROM docs),
        unpacked AS (SELECT _n, line, k, {plan.unpack()} FROM parsed),
        tested AS (SELECT *, {x["null_tests"]} FROM unpacked),
        typed AS (SELECT *, {x["typed"]} FROM tested),
        judged AS (SELECT *, {x["judged"]} FROM typed),
        checked AS (SELECT _n, line, {x["final"]}, {x["part"]} AS _part, {" AND ".join(checks)} AS _ok,
            CASE WHEN {x["clean"]} THEN NULL ELSE {x["unknown"]} END AS _extra, {x["verdicts"]}
            FROM judged)
        SELECT * EXCLUDE (line, {x["verdicts"]}), CASE WHEN _ok THEN NULL ELSE line END AS _raw,
            {x["off"]} AS _off FROM checked
        """
