"""Example Athena queries for a dataset, written from its contract.

The catalog saves them as named queries in the analysts' workgroup (one click in the Athena
console) and the data catalog site shows them with a copy button: the same text both places.
Previews name their columns instead of ``SELECT *``: a column the contract flags as PII is
never in an example, so a click on one never shows personal data.
"""

from __future__ import annotations

from dataclasses import dataclass

from cornlake.contracts import Contract
from cornlake.sqlquote import ident

_RECENT = {  # how far back "recent" reaches for each partition granularity, and its Trino format
    "day": ("%Y-%m-%d", "day", 7),
    "month": ("%Y-%m", "month", 3),
    "hour": ("%Y-%m-%d-%H", "hour", 24),
}


@dataclass(frozen=True)
class ExampleQuery:
    name: str
    description: str
    sql: str


def preview_columns(contract: Contract) -> list[str]:
    """The columns a preview shows: the contract's, without those it flags as PII, then the
    partition column."""
    names = [c.name for c in contract.columns if not c.pii]
    return names if contract.partitioning.name in names else [*names, contract.partitioning.name]


def select_list(names: list[str], width: int = 72) -> str:
    """Quoted column names, comma-separated, in lines of about ``width`` characters."""
    lines = [""]
    for name in (ident(n) for n in names):
        if lines[-1] and len(lines[-1]) + len(name) + 2 > width:
            lines[-1] += ","
            lines.append(name)
        else:
            lines[-1] = f"{lines[-1]}, {name}" if lines[-1] else name
    return "\n       ".join(lines)


def example_queries(contract: Contract, database: str) -> list[ExampleQuery]:
    """A preview of recent partitions, rows per partition, and the latest rows per key if any."""
    table = f"{ident(database)}.{ident(contract.table_name)}"
    part = contract.partitioning
    fmt, unit, back = _RECENT[part.granularity]
    since = f"date_format(current_timestamp - interval '{back}' {unit}, '{fmt}')"
    listed = select_list(preview_columns(contract))
    without_pii = " PII columns are left out." if any(c.pii for c in contract.columns) else ""
    queries = [
        ExampleQuery(
            f"{contract.table_name}: recent rows",
            f"{contract.description} The last {back} {unit}s, read from their partitions only.{without_pii}",
            f"SELECT {listed}\nFROM {table}\nWHERE {ident(part.name)} >= {since}\nLIMIT 100",
        ),
        ExampleQuery(
            f"{contract.table_name}: rows per partition",
            "How many rows each partition holds, newest first.",
            f"SELECT {ident(part.name)}, count(*) AS rows\nFROM {table}\n"
            "GROUP BY 1\nORDER BY 1 DESC\nLIMIT 30",
        ),
    ]
    if contract.across_files == "latest_view":
        view = f"{ident(database)}.{ident(contract.latest_view_name)}"
        queries.append(
            ExampleQuery(
                f"{contract.table_name}: latest per key",
                f"Each {', '.join(contract.primary_key)} once, from the file that arrived last.{without_pii}",
                f"SELECT {listed}\nFROM {view}\nLIMIT 100",
            )
        )
    return queries
