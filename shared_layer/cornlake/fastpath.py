"""The vectorized fast path: a contract's checks written as DuckDB column expressions.

For each column the fast path builds two SQL expressions over the raw value: the typed
value, and a flag saying the value is one the fast path is sure about. The fast path is
*sound, not complete*: it accepts only values whose meaning is unambiguous (a JSON integer
for an int column, an ISO timestamp, a decimal with no more digits than declared...). A
record with any value it is not sure of is flagged, and the row-by-row converter
(cornlake.convert, the reference) decides it: converts it, or quarantines it with the
column, the value and the reason. So both paths give the same rows; the fast path only
takes the common case off the slow one.

Contracts the fast path does not cover (formats it cannot express exactly, see
``fast_path_gap``) run on the row path alone.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from cornlake.contracts import Column, Contract, FormatSpec
from cornlake.convert import FALSE, TRUE
from cornlake.datatypes import DataType

DUCKDB_TYPES = {
    "string": "VARCHAR",
    "int": "INTEGER",
    "bigint": "BIGINT",
    "double": "DOUBLE",
    "boolean": "BOOLEAN",
    "date": "DATE",
    "timestamp": "TIMESTAMPTZ",
}
_JSON_INTEGER = "('BIGINT','UBIGINT')"
_JSON_NUMBER = "('BIGINT','UBIGINT','DOUBLE')"
_STRPTIME_DIRECTIVES = {"%d", "%m", "%Y", "%H", "%M", "%S"}  # the ones Python and DuckDB read alike
ISO_TIMESTAMP = r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?"
_OFFSET = r"(Z|[+-]\d{2}:\d{2})"
_INTEGER = r"[+-]?\d+"
_MAX_EPOCH_MS = 253_402_300_799_999  # 9999-12-31T23:59:59.999Z; Python's datetime stops there


def duckdb_type(dtype: DataType) -> str:
    if dtype.kind in DUCKDB_TYPES:
        return DUCKDB_TYPES[dtype.kind]
    if dtype.kind == "decimal":
        return f"DECIMAL({dtype.precision},{dtype.scale})"
    if dtype.kind == "array":
        assert dtype.item is not None
        return f"{duckdb_type(dtype.item)}[]"
    return "STRUCT(" + ", ".join(f"{ident(n)} {duckdb_type(t)}" for n, t in dtype.fields) + ")"


def ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _string_list(values: Sequence[str]) -> str:
    return "[" + ", ".join(literal(v) for v in values) + "]::VARCHAR[]"


def fast_path_gap(contract: Contract) -> str:
    """Why ``contract`` cannot use the fast path ('' when it can)."""
    spec = contract.format
    if spec.type not in ("jsonl", "csv"):
        return f"format {spec.type} is read record by record"
    for fmt in (spec.date_format, *spec.timestamp_formats):
        directives = set(re.findall(r"%.", fmt))
        if not directives <= _STRPTIME_DIRECTIVES:
            return f"date format {fmt!r} uses directives beyond {sorted(_STRPTIME_DIRECTIVES)}"
    for column in contract.columns:
        problem = _json_type_gap(column.type) if spec.type == "jsonl" else ""
        if problem:
            return f"column {column.name}: {problem}"
    if spec.type == "csv" and (spec.quote in ("\n", "\r") or spec.delimiter in ("\n", "\r")):
        return "CSV quote or delimiter is a line break"
    return ""


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


def _in(types: Sequence[str]) -> str:
    return "(" + ", ".join(literal(t) for t in types) + ")"


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

    def column(self, column: Column, null: str) -> tuple[str, str, Callable[[str], str]]:
        """A top-level column: null markers apply and the nullability of the contract.

        Returns the null test (selected once as ``null``), the value and the check."""
        path = f"$.{json_path_key(column.input_name)}"
        s, t = self._slot(path)
        self.top_types.append(t)
        value, inner_ok = self._typed(s, t, path, column.type)
        is_null = (
            f"({t} IS NULL OR {t} = 'NULL' OR ({t} = 'VARCHAR' AND {s} IN {_in(self.spec.null_values)}))"
        )
        nullable = str(column.nullable).lower()

        def ok(ref: str) -> str:
            return f"CASE WHEN {null} THEN {nullable} ELSE coalesce({inner_ok(ref)}, false) END"

        return is_null, f"CASE WHEN {null} THEN NULL ELSE {value} END", ok

    def _typed(self, s: str, t: str, path: str, dtype: DataType) -> tuple[str, Callable[[str], str]]:
        kind = dtype.kind
        if kind == "string":
            return s, lambda ref: f"{t} IN ('VARCHAR','BIGINT','UBIGINT')"
        if kind in ("int", "bigint"):
            return (
                f"TRY_CAST({s} AS {DUCKDB_TYPES[kind]})",
                lambda ref: f"{t} IN {_JSON_INTEGER} AND {ref} IS NOT NULL",
            )
        if kind == "double":
            return f"TRY_CAST({s} AS DOUBLE)", lambda ref: f"{t} IN {_JSON_NUMBER} AND isfinite({ref})"
        if kind == "decimal":
            # A JSON number is a double (as in Python's json): the decimal must be that double
            # exactly, or it had more decimal places than the scale allows.
            return (
                f"TRY_CAST({s} AS {duckdb_type(dtype)})",
                lambda ref: (
                    f"{t} IN {_JSON_NUMBER} AND {ref} IS NOT NULL "
                    f"AND ({t} <> 'DOUBLE' OR CAST({ref} AS DOUBLE) = TRY_CAST({s} AS DOUBLE))"
                ),
            )
        if kind == "boolean":
            return (
                f"CASE {s} WHEN 'true' THEN true WHEN 'false' THEN false END",
                lambda ref: f"{t} = 'BOOLEAN'",
            )
        if kind == "date":
            return date_from_text(s, self.spec), lambda ref: f"{t} = 'VARCHAR' AND {date_ok(ref)}"
        if kind == "timestamp":
            value = (
                f"CASE WHEN {t} = 'VARCHAR' THEN {timestamp_from_text(s, self.spec)} "
                f"WHEN {t} IN {_JSON_INTEGER} THEN {epoch_timestamp(f'TRY_CAST({s} AS BIGINT)')} END"
            )
            return value, lambda ref: timestamp_ok(ref, self.spec)
        if kind == "array":
            assert dtype.item is not None
            return self._array(s, t, dtype.item)
        return self._struct(s, t, path, dtype)

    def _array(self, s: str, t: str, item: DataType) -> tuple[str, Callable[[str], str]]:
        """Arrays of strings, integers or booleans; items may be null.

        The text is parsed only when it is an array (a string value is not JSON)."""
        items = f"CASE WHEN {t} = 'ARRAY' THEN json_extract_string({s}, '$[*]') END"
        refused = sorted(set(_JSON_TYPES) - set(_ARRAY_ITEM_TYPES[item.kind]) - {"NULL"})
        typed = f"NOT list_has_any(json_type({s}, '$[*]'), {_string_list(refused)})"
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

    def _struct(self, s: str, t: str, path: str, dtype: DataType) -> tuple[str, Callable[[str], str]]:
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


_DOUBLE_TEXT = r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?"


class CsvPlan:
    """One CSV contract as SQL over each field's text (NULL when the header lacks the column)."""

    def __init__(self, spec: FormatSpec) -> None:
        self.spec = spec

    def column(
        self, field: str, column: Column, null: str, prep: str
    ) -> tuple[str, str, str, Callable[[str], str]]:
        """The null test (selected once as ``null``), the field's cleaned text (selected once as
        ``prep``: trimmed, and for numbers without the thousands mark), the value and the check."""
        is_null = f"({field} IS NULL OR {field} IN {_in(self.spec.null_values)})"
        cleaned = self.clean(field, column.type)
        value, inner_ok = self._typed(prep, column.type)
        nullable = str(column.nullable).lower()

        def ok(ref: str) -> str:
            return f"CASE WHEN {null} THEN {nullable} ELSE coalesce({inner_ok(ref)}, false) END"

        return is_null, cleaned, f"CASE WHEN {null} THEN NULL ELSE {value} END", ok

    def clean(self, field: str, dtype: DataType) -> str:
        if dtype.kind == "string":
            return field
        if dtype.kind in ("int", "bigint", "double", "decimal"):
            return self.number_text(field)
        return f"trim({field})"

    def number_text(self, s: str) -> str:
        """The same cleaning as the row path: trim, drop the thousands mark, '.' as decimal mark."""
        text = f"trim({s})"
        if self.spec.thousands:
            text = f"replace({text}, {literal(self.spec.thousands)}, '')"
        if self.spec.decimal == ",":
            text = f"replace({text}, ',', '.')"
        return text

    def _typed(self, text: str, dtype: DataType) -> tuple[str, Callable[[str], str]]:
        """Value and check from the cleaned text (see ``clean``)."""
        kind = dtype.kind
        if kind == "string":
            return text, lambda ref: "true"
        if kind in ("int", "bigint"):
            return (
                f"TRY_CAST({text} AS {DUCKDB_TYPES[kind]})",
                lambda ref: f"{ref} IS NOT NULL AND regexp_full_match({text}, {literal(_INTEGER)})",
            )
        if kind == "double":
            return (
                f"TRY_CAST({text} AS DOUBLE)",
                lambda ref: f"isfinite({ref}) AND regexp_full_match({text}, {literal(_DOUBLE_TEXT)})",
            )
        if kind == "decimal":
            places = rf"\.\d{{0,{dtype.scale}}}" if dtype.scale else r"\.?"
            pattern = rf"[+-]?\d+({places})?"
            return (
                f"TRY_CAST({text} AS {duckdb_type(dtype)})",
                lambda ref: f"{ref} IS NOT NULL AND regexp_full_match({text}, {literal(pattern)})",
            )
        if kind == "boolean":
            value = (
                f"CASE WHEN lower({text}) IN {_in(sorted(TRUE))} THEN true "
                f"WHEN lower({text}) IN {_in(sorted(FALSE))} THEN false END"
            )
            return value, lambda ref: f"{ref} IS NOT NULL"
        if kind == "date":
            return date_from_text(text, self.spec, trimmed=True), date_ok
        if kind == "timestamp":
            return timestamp_from_text(text, self.spec, trimmed=True), lambda ref: timestamp_ok(
                ref, self.spec
            )
        return "NULL", lambda ref: "false"  # nested types exist only in JSON: the row path says why


def _strptime(text: str, fmt: str) -> str:
    return f"try_strptime({text}, {literal(fmt)})"


def date_from_text(text: str, spec: FormatSpec, *, trimmed: bool = False) -> str:
    """The contract's date format first, then ISO (YYYY-MM-DD) — the row path's order."""
    text = text if trimmed else f"trim({text})"
    parsed = f"CAST({_strptime(text, spec.date_format)} AS DATE)"
    iso_date = literal(r"\d{4}-\d{2}-\d{2}")
    iso = f"CASE WHEN regexp_full_match({text}, {iso_date}) THEN TRY_CAST({text} AS DATE) END"
    return f"coalesce({parsed}, {iso})"


def timestamp_from_text(text: str, spec: FormatSpec, *, trimmed: bool = False) -> str:
    """ISO 8601 (with Z or an offset, or naive in the contract's time zone), epoch digits,
    then the contract's formats; NULL for anything else. Cheap tests guard each pattern."""
    x = text if trimmed else f"trim({text})"
    zone = literal(spec.timezone)
    iso_shape = f"substr({x}, 5, 1) = '-'"
    with_offset = f"regexp_full_match({x}, {literal(ISO_TIMESTAMP + _OFFSET)})"
    naive = f"regexp_full_match({x}, {literal(ISO_TIMESTAMP)})"
    number = f"TRY_CAST({x} AS BIGINT)"
    digits = f"{number} IS NOT NULL AND regexp_full_match({x}, {literal(_INTEGER)})"
    choices = [
        f"WHEN {iso_shape} AND {with_offset} THEN TRY_CAST({x} AS TIMESTAMPTZ)",
        f"WHEN {iso_shape} AND {naive} THEN timezone({zone}, TRY_CAST({x} AS TIMESTAMP))",
        f"WHEN {digits} THEN {epoch_timestamp(number)}",
    ]
    formats = [f"timezone({zone}, {_strptime(x, fmt)})" for fmt in spec.timestamp_formats]
    fallback = f"coalesce({', '.join(formats)})" if formats else "NULL"
    return f"CASE {' '.join(choices)} ELSE {fallback} END"


def date_ok(ref: str) -> str:
    return f"{ref} IS NOT NULL AND year({ref}) BETWEEN 1 AND 9999"  # Python's dates stop at 9999


def timestamp_ok(ref: str, spec: FormatSpec) -> str:
    """A timestamp the row path reads the same way: within Python's years, and not within three
    hours after a UTC-offset change of the contract's zone. There a wall-clock time can happen
    twice; Python takes the first, DuckDB's ICU the second, so the row path decides."""
    checks = [f"{ref} IS NOT NULL", f"year({ref}) BETWEEN 1 AND 9999"]
    if spec.timezone != "UTC":
        zone = literal(spec.timezone)
        checks.append(
            f"timezone({zone}, {ref} - INTERVAL 3 HOUR) = timezone({zone}, {ref}) - INTERVAL 3 HOUR"
        )
    return " AND ".join(checks)


def epoch_timestamp(number: str) -> str:
    """Epoch seconds below 1e11 (year 5138), milliseconds above, as the row path reads them."""
    return (
        f"CASE WHEN abs({number}) >= 100000000000 AND abs({number}) <= {_MAX_EPOCH_MS} "
        f"THEN CAST(make_timestamp({number} * 1000) AS TIMESTAMPTZ) "
        f"WHEN abs({number}) < 100000000000 THEN CAST(make_timestamp({number} * 1000000) AS TIMESTAMPTZ) END"
    )
