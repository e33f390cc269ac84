"""Athena itself: the same SQL text in the stack's analyst workgroup, every result row fetched."""

from __future__ import annotations

import time
from typing import Any

from cornlake_toolkit.errors import QueryError
from cornlake_toolkit.sql.result import QueryResult


class AthenaEngine:
    """Run SQL on Athena in the stack's analyst workgroup and fetch every result row."""

    def __init__(self, athena: Any, workgroup: str, database: str, poll_seconds: float = 1.0) -> None:
        self.athena, self.workgroup, self.database, self.poll = athena, workgroup, database, poll_seconds

    def query(self, sql: str, timeout: float = 600) -> QueryResult:
        started = self.athena.start_query_execution(
            QueryString=sql, WorkGroup=self.workgroup, QueryExecutionContext={"Database": self.database}
        )
        query_id = started["QueryExecutionId"]
        deadline = time.monotonic() + timeout
        while True:
            status = self.athena.get_query_execution(QueryExecutionId=query_id)["QueryExecution"]["Status"]
            state = status["State"]
            if state == "SUCCEEDED":
                break
            if state in ("FAILED", "CANCELLED"):
                raise QueryError(
                    f"Athena query {query_id} {state.lower()}: {status.get('StateChangeReason', '')}"
                )
            if time.monotonic() > deadline:
                self.athena.stop_query_execution(QueryExecutionId=query_id)
                raise QueryError(f"Athena query {query_id} took longer than {timeout}s and was stopped")
            time.sleep(self.poll)
        columns: list[str] = []
        types: tuple[str, ...] = ()
        rows: list[tuple[Any, ...]] = []
        paginator = self.athena.get_paginator("get_query_results")
        for page in paginator.paginate(QueryExecutionId=query_id):
            result = page["ResultSet"]
            if not columns:
                info = result.get("ResultSetMetadata", {}).get("ColumnInfo", [])
                columns = [c["Name"] for c in info]
                types = tuple(_type_name(c) for c in info)
            data = [tuple(d.get("VarCharValue") for d in r["Data"]) for r in result.get("Rows", [])]
            if not rows and data and list(data[0]) == columns:
                data = data[1:]  # Athena repeats the header as the first row
            rows.extend(data)
        return QueryResult(columns, rows, f"athena ({self.workgroup})", sql, types=types)


def _type_name(info: dict[str, Any]) -> str:
    """A column's Trino type from Athena's ColumnInfo (decimals with their precision and scale)."""
    kind = str(info.get("Type", "varchar"))
    if kind == "decimal" and "Precision" in info:
        return f"decimal({info['Precision']},{info.get('Scale', 0)})"
    return kind
