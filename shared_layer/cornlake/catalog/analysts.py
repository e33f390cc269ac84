"""What the catalog sets up for analysts beyond the table: named queries, and Lake Formation tags.

* Named queries: the dataset's example queries (cornlake.catalog.queries) saved in the
  analysts' Athena workgroup, created once by name.
* Lake Formation (template option ``EnableLakeFormation``): the contract's PII columns are
  tagged ``cornlake_pii=true``; the template tags the database ``cornlake_pii=false`` and
  grants the analyst role only what is tagged false, so PII columns are not readable by it.
"""

from __future__ import annotations

from typing import Any

from cornlake.catalog.queries import example_queries
from cornlake.contracts import Contract

PII_TAG = "cornlake_pii"
_known: set[tuple[str, str]] = set()  # (workgroup, name) of queries seen, for this execution environment


def ensure_named_queries(athena: Any, *, workgroup: str, database: str, contract: Contract) -> list[str]:
    """Create the dataset's example queries in the workgroup where missing; return the new ones."""
    wanted = example_queries(contract, database)
    if not all((workgroup, q.name) in _known for q in wanted):
        _known.update((workgroup, name) for name in _existing(athena, workgroup))
    created = []
    for query in wanted:
        if (workgroup, query.name) in _known:
            continue
        athena.create_named_query(
            Name=query.name,
            Description=query.description[:1024],
            Database=database,
            QueryString=query.sql,
            WorkGroup=workgroup,
        )
        _known.add((workgroup, query.name))
        created.append(query.name)
    return created


def _existing(athena: Any, workgroup: str) -> set[str]:
    ids: list[str] = []
    for page in athena.get_paginator("list_named_queries").paginate(WorkGroup=workgroup):
        ids += page.get("NamedQueryIds", [])
    names = set()
    for start in range(0, len(ids), 50):  # BatchGetNamedQuery takes at most 50
        found = athena.batch_get_named_query(NamedQueryIds=ids[start : start + 50])
        names |= {q["Name"] for q in found.get("NamedQueries", [])}
    return names


def tag_pii_columns(lakeformation: Any, *, database: str, contract: Contract, table: str = "") -> list[str]:
    """Tag the PII columns of the contract's table (or ``table``) ``cornlake_pii=true``; return them."""
    pii = [c.name for c in contract.columns if c.pii]
    if pii:
        lakeformation.add_lf_tags_to_resource(
            Resource={
                "TableWithColumns": {
                    "DatabaseName": database,
                    "Name": table or contract.table_name,
                    "ColumnNames": pii,
                }
            },
            LFTags=[{"TagKey": PII_TAG, "TagValues": ["true"]}],
        )
    return pii
