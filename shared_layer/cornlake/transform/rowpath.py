"""The row path: one record at a time, the reference converter and what it refuses.

``RowConverter`` turns one input record (a dict) into a typed row with the per-type
converters of cornlake.transform.values, or lists every problem in it. ``RowPath`` routes
records through it: typed rows to the staging area, refused ones to quarantine with the
column, the value and the reason. The fast path hands it every record it is not sure of.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from cornlake import keys
from cornlake.contracts import MAX_NEW_COLUMNS, Column, Contract
from cornlake.keys import NAME_RE
from cornlake.transform.read import RawRecord
from cornlake.transform.values import ConversionError, Converter, build_converter, to_string

if TYPE_CHECKING:
    from cornlake.transform.stage import Stage
    from cornlake.transform.write import Quarantine


@dataclass(frozen=True)
class Problem:
    column: str
    value: Any
    reason: str

    def to_dict(self) -> dict[str, Any]:
        value = (
            self.value
            if isinstance(self.value, str | int | float | bool) or self.value is None
            else repr(self.value)
        )
        return {"column": self.column, "value": value, "reason": self.reason}


class RowConverter:
    """Convert one input record (a dict) to a typed row, or explain every problem in it."""

    def __init__(self, contract: Contract) -> None:
        spec = contract.format
        self.contract = contract
        self._nulls = frozenset(spec.null_values)
        self._columns: list[tuple[Column, Converter]] = [
            (c, build_converter(c.type, spec)) for c in contract.columns
        ]
        self._known = frozenset(c.input_name for c in contract.columns)
        self._names = frozenset(c.name for c in contract.columns)
        self.unexpected_columns: set[str] = set()
        self.evolved_columns: set[str] = set()  # new_columns: evolve, all typed string

    def convert(self, record: dict[str, Any]) -> tuple[dict[str, Any], list[Problem]]:
        row: dict[str, Any] = {}
        problems: list[Problem] = []
        for column, convert in self._columns:
            value = record.get(column.input_name)
            if value is None or (isinstance(value, str) and value in self._nulls):
                if not column.nullable:
                    problems.append(Problem(column.name, value, "required value is missing"))
                row[column.name] = None
                continue
            try:
                row[column.name] = convert(value)
            except ConversionError as err:
                problems.append(Problem(column.name, value, str(err)))
        extra = record.keys() - self._known
        if extra:
            self.unexpected_columns.update(extra)
            if self.contract.new_columns == "freeze":
                reason = "column is not in the contract (schema_evolution.new_columns: freeze)"
                problems.extend(Problem(name, record[name], reason) for name in sorted(extra))
            elif self.contract.new_columns == "evolve":
                self._evolve(record, extra, row, problems)
        return row, problems

    def _evolve(
        self, record: dict[str, Any], extra: set[str], row: dict[str, Any], problems: list[Problem]
    ) -> None:
        """New fields become string columns (nested values as JSON text): lossless, and any
        later type can be read from them. Names must be usable as column names, and one file
        adds at most MAX_NEW_COLUMNS (a record of thousands of fields would exhaust memory)."""
        if len(self.evolved_columns | extra) > MAX_NEW_COLUMNS:
            reason = (
                f"the record brings {len(extra)} new fields; one file may add at most {MAX_NEW_COLUMNS} "
                "columns (schema_evolution.new_columns: evolve): add the fields to the contract"
            )
            problems.append(Problem("", f"{len(extra)} fields", reason))
            return
        for name in sorted(extra):
            if not NAME_RE.match(name) or name in self._names:
                problems.append(
                    Problem(
                        name,
                        record[name],
                        "a new field needs a lowercase name of "
                        "a-z, 0-9 and _ (starting with a letter) to become a column",
                    )
                )
                continue
            value = record[name]
            self.evolved_columns.add(name)
            if value is None or isinstance(value, str):
                row[name] = value
            elif isinstance(value, dict | list):
                row[name] = json.dumps(value, ensure_ascii=False, sort_keys=True)
            else:
                row[name] = to_string(value)


class RowPath:
    """Routes records through the row converter: typed rows to the stage, refused ones to quarantine."""

    def __init__(self, contract: Contract, raw: keys.RawKey, stage: Stage, quarantine: Quarantine) -> None:
        self.contract, self.raw, self.stage, self.quarantine = contract, raw, stage, quarantine
        self.converter = RowConverter(contract)
        self.records = 0
        self.accepted = 0  # records staged (valid rows)

    def route(self, record: RawRecord) -> bool:
        """Stage the record's typed row, or quarantine it; True when it was staged."""
        self.records += 1
        if record.error:
            self.quarantine.add(record, [Problem("", None, record.error)])
            return False
        row, problems = self.converter.convert(record.value)
        if problems:
            self.quarantine.add(record, problems)
            return False
        value = self.contract.partitioning.value(row, self.raw.ingest_date)
        if value is None:
            column = self.contract.partitioning.column
            self.quarantine.add(record, [Problem(column, None, "partition column is null")])
            return False
        if not self.converter.evolved_columns <= set(self.stage.evolved):
            self.stage.evolve(sorted(self.converter.evolved_columns))
        self.stage.add_row(record.number, row, value)
        self.accepted += 1
        return True
