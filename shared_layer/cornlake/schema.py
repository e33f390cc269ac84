"""Schema changes between contract versions: which type changes are safe for a table.

A table's files keep the types they were written with, so a contract may only *widen* a
column's type (what Athena and DuckDB read across old and new files): int → bigint,
decimal(p,s) → decimal(p2,s) with p2 > p, and the same type. Anything else would make old
files unreadable through the new schema, so the transform quarantines the whole raw object
with the reason until the contract is fixed (raw is kept; reprocess after the fix).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from cornlake.contracts import Contract
from cornlake.datatypes import DataType, TypeSyntaxError, parse_type

if TYPE_CHECKING:
    from mypy_boto3_glue import GlueClient

_WIDER = {("int", "bigint")}


def is_widening(old: DataType, new: DataType) -> bool:
    if old == new or (old.kind, new.kind) in _WIDER:
        return True
    if old.kind == new.kind == "decimal":
        return new.scale == old.scale and new.precision >= old.precision
    return False


def incompatible_changes(registered: dict[str, str], contract: Contract) -> list[str]:
    """Columns whose contract type is not the registered type or a widening of it."""
    problems = []
    for column in contract.columns:
        text = registered.get(column.name)
        if text is None:
            continue
        try:
            old = parse_type(text)
        except TypeSyntaxError:
            continue  # a type CornLake did not write; leave it to the catalog
        if not is_widening(old, column.type):
            problems.append(
                f"contract v{contract.version} changes column '{column.name}' from {old} to {column.type}, "
                "which is not a widening (allowed: int→bigint, a larger decimal precision)"
            )
    return problems


def registered_types(glue: GlueClient, database: str, table: str) -> dict[str, str]:
    """The column types of the table as the catalog has it now ({} before its first batch)."""
    try:
        found = glue.get_table(DatabaseName=database, Name=table)["Table"]
    except glue.exceptions.EntityNotFoundException:
        return {}
    return {c["Name"]: c["Type"] for c in found.get("StorageDescriptor", {}).get("Columns", [])}
