"""The models' engine on AWS (cornlake.modeling.athena) against the local lake's Athena, whose
UNLOAD runs on DuckDB: rows come back as Parquet and leave nothing behind, Athena's failures
and timeouts become errors with the reason, and the models workgroup is where they run."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any
from unittest import mock

import pyarrow.parquet as pq
import pytest

from cornlake.errors import TransientError
from cornlake.modeling.athena import AthenaEngine, QueryFailedError
from cornlake_toolkit.local import LocalLake


def engine(stack: LocalLake, names: dict[str, Any], **kwargs: Any) -> AthenaEngine:
    return AthenaEngine(
        stack.client("athena"), stack.client("s3"), workgroup=f"{names['stack_name']}-models",
        database=names["glue_database"], bucket=names["curated_bucket"], poll_seconds=0.05, **kwargs,
    )  # fmt: skip


def leftovers(stack: LocalLake, bucket: str) -> list[str]:
    found = stack.client("s3").list_objects_v2(Bucket=bucket, Prefix="tables/models/").get("Contents", [])
    return [o["Key"] for o in found]


def test_an_unload_gives_its_rows_as_parquet_and_deletes_them_from_s3(
    stack: LocalLake, names: dict[str, Any], tmp_path: Path
) -> None:
    athena = engine(stack, names)
    sql = "SELECT x AS n, 'SP' AS uf, CAST(x AS decimal(10,2)) / 4 AS v FROM UNNEST(sequence(1, 5)) AS t(x)"
    paths = athena.unload(sql, "receita", tmp_path)
    table = pq.read_table(paths[0])
    assert table.column_names == ["n", "uf", "v"] and table.column("n").to_pylist() == [1, 2, 3, 4, 5]
    assert leftovers(stack, names["curated_bucket"]) == []
    [query_id] = stack.client("athena").list_query_executions(WorkGroup=f"{names['stack_name']}-models")[
        "QueryExecutionIds"
    ]
    query = stack.client("athena").get_query_execution(QueryExecutionId=query_id)["QueryExecution"]
    assert query["Query"].startswith(
        f"UNLOAD ({sql}) TO 's3://{names['curated_bucket']}/tables/models/receita/_unload/"
    )
    assert "format = 'PARQUET'" in query["Query"]


def test_a_query_with_no_rows_gives_no_files(stack: LocalLake, names: dict[str, Any], tmp_path: Path) -> None:
    assert engine(stack, names).unload("SELECT 1 AS n WHERE 1 = 0", "vazio", tmp_path) == []


def test_a_query_athena_fails_is_an_error_with_its_reason(
    stack: LocalLake, names: dict[str, Any], tmp_path: Path
) -> None:
    with pytest.raises(QueryFailedError) as caught:
        engine(stack, names).unload("SELECT CAST('dez' AS integer) AS n", "quebrado", tmp_path)
    assert "failed:" in caught.value.message and "dez" in caught.value.message
    assert "models workgroup's history" in caught.value.hint


def test_a_query_still_running_at_the_deadline_is_stopped_and_retried_later(
    stack: LocalLake, names: dict[str, Any], tmp_path: Path
) -> None:
    athena = stack.client("athena")
    real = athena.get_query_execution

    def stuck(**kwargs: Any) -> Any:  # the fault: Athena's queue never starts the query
        answer = real(**kwargs)
        answer["QueryExecution"]["Status"]["State"] = "QUEUED"
        return answer

    slow = engine(stack, names, timeout_seconds=0.2)
    with mock.patch.object(athena, "get_query_execution", stuck), pytest.raises(TransientError) as caught:
        slow.unload("SELECT 1 AS n", "lento", tmp_path)
    # (how long it waited depends on the machine's pace: the message says it in whole seconds)
    assert re.search(
        r"still QUEUED after \d+ s, at the end of the function's time; it was stopped", caught.value.message
    )
    [query_id] = athena.list_query_executions(WorkGroup=f"{names['stack_name']}-models")["QueryExecutionIds"]
    assert real(QueryExecutionId=query_id)["QueryExecution"]["Status"]["State"] == "CANCELLED"
