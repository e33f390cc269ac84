"""Local SQL over tables in the emulated lake reads what the query needs: the partitions its
filters keep, registered (or projected) as Athena sees them, each object once per engine."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sql_lake import MONTHS, STRAY, Lake, Reads, month_rows, parquet

from cornlake.catalog.tables import ensure_ops_tables
from cornlake_toolkit.errors import QueryError
from cornlake_toolkit.local import LocalLake
from cornlake_toolkit.sql import LocalSqlEngine


def test_a_query_over_one_partition_reads_only_that_partitions_objects(vendas: Lake) -> None:
    # GIVEN 24 registered monthly partitions of one object each
    with vendas.engine() as engine:
        # WHEN one month is asked for
        result = engine.query("SELECT count(*), sum(valor_total) FROM erp_vendas WHERE mes_venda = '2026-03'")
        # THEN only that month's object was downloaded
        assert result.rows == [(3, Decimal("31.50"))]
        assert list(vendas.reads.keys) == [
            "tables/erp/vendas/mes_venda=2026-03/part-20261120T120000Z-0123456789ab.parquet"
        ]
        assert engine.cache.stats.downloaded == 1


def test_filters_of_any_form_on_partition_columns_prune(vendas: Lake) -> None:
    with vendas.engine() as engine:
        rows = engine.query(
            "SELECT mes_venda, count(*) FROM erp_vendas v WHERE v.mes_venda BETWEEN '2026-01' AND '2026-03' "
            "AND uf = 'SP' GROUP BY 1 ORDER BY 1"
        ).rows
        assert rows == [("2026-01", 2), ("2026-02", 2), ("2026-03", 2)]
        assert vendas.reads.total == 3
        engine.query(
            "SELECT count(*) FROM erp_vendas WHERE substr(mes_venda, 1, 4) = '2025' OR mes_venda = '2026-12'"
        )
        assert vendas.reads.total == 3 + 13


def test_each_object_is_downloaded_once_per_engine_and_again_when_it_changes(vendas: Lake) -> None:
    key = "tables/erp/vendas/mes_venda=2026-05/part-20261120T120000Z-0123456789ab.parquet"
    with vendas.engine() as engine:
        for _ in range(3):
            assert engine.query("SELECT count(*) FROM erp_vendas WHERE mes_venda = '2026-05'").rows == [(3,)]
        assert vendas.reads.keys[key] == 1 and engine.cache.stats.reused == 2
        # WHEN the object is rewritten (a new ETag)
        vendas.put(key, parquet(month_rows("2026-05", n=1)))
        # THEN the next query downloads it again and sees the new rows
        assert engine.query("SELECT count(*) FROM erp_vendas WHERE mes_venda = '2026-05'").rows == [(1,)]
        assert vendas.reads.keys[key] == 2


def test_a_folder_that_is_not_a_registered_partition_is_never_read(vendas: Lake) -> None:
    with vendas.engine() as engine:
        total = engine.query("SELECT count(*), count(DISTINCT mes_venda) FROM erp_vendas").rows
        stray = engine.query(f"SELECT count(*) FROM erp_vendas WHERE mes_venda = '{STRAY}'").rows
        # many partitions are found with one listing of the table, not one per partition
        assert engine.cache.stats.listed == 1
    assert total == [(3 * len(MONTHS), len(MONTHS))] and stray == [(0,)]
    assert not [k for k in vendas.reads.keys if STRAY in k]


def test_columns_the_files_lack_read_as_null_and_timestamps_read_as_athena_reads_them(vendas: Lake) -> None:
    with vendas.engine() as engine:
        result = engine.query(
            "SELECT cliente, registrada_em, registrada_em AT TIME ZONE 'America/Sao_Paulo' AS local "
            "FROM erp_vendas WHERE mes_venda = '2026-11' LIMIT 1"
        )
    cliente, utc, local = result.rows[0]
    assert cliente is None
    # a Glue timestamp reads as Athena reads it: timestamp(3), the UTC clock, no zone
    assert utc == datetime(2026, 11, 5, 13, 30) and local == datetime(2026, 11, 5, 13, 30, tzinfo=UTC)
    assert str(local.tzinfo) == "America/Sao_Paulo" and local.hour == 10
    assert result.types[1:] == ("timestamp(3)", "timestamp(3) with time zone")


def test_a_glue_view_reads_its_tables_with_the_same_pruning(vendas: Lake) -> None:
    import base64

    from cornlake.catalog.views import PRESTO_VIEW_PREFIX, PRESTO_VIEW_SUFFIX

    table = f'"{vendas.database}"."erp_vendas"'
    sql = f"SELECT uf, count(*) AS n FROM {table} WHERE mes_venda = '2026-07' GROUP BY uf"
    encoded = base64.b64encode(json.dumps({"originalSql": sql, "columns": []}).encode()).decode()
    vendas.glue.create_table(
        DatabaseName=vendas.database,
        TableInput={
            "Name": "vendas_julho",
            "TableType": "VIRTUAL_VIEW",
            "Parameters": {"presto_view": "true"},
            "ViewOriginalText": PRESTO_VIEW_PREFIX + encoded + PRESTO_VIEW_SUFFIX,
            "ViewExpandedText": "/* Presto View */",
            "StorageDescriptor": {
                "Columns": [{"Name": "uf", "Type": "string"}, {"Name": "n", "Type": "bigint"}]
            },
        },
    )
    with vendas.engine() as engine:
        assert engine.query("SELECT uf, n FROM vendas_julho ORDER BY uf").rows == [("PE", 1), ("SP", 2)]
    assert vendas.reads.total == 1


def _run_record(run_date: date, stage: str) -> bytes:
    record = {
        "run_id": f"{stage}-{run_date}",
        "stage": stage,
        "status": "succeeded",
        "rows_in": 1,
        "started_at": f"{run_date}T10:00:00Z",
    }
    return (json.dumps(record) + "\n").encode()


def test_projected_partitions_are_read_without_glue_partitions(
    stack: LocalLake, names: dict[str, Any]
) -> None:
    glue, s3 = stack.client("glue"), stack.client("s3")
    ensure_ops_tables(glue, database=names["ops_glue_database"], bucket=names["ops_bucket"])
    today = datetime.now(UTC).date()
    days = [today - timedelta(days=n) for n in range(3)]
    for day in days:
        s3.put_object(
            Bucket=names["ops_bucket"],
            Key=f"runs/run_date={day}/transform-{day}.json",
            Body=_run_record(day, "transform"),
        )
    s3.put_object(
        Bucket=names["ops_bucket"],
        Key="runs/run_date=2023-12-31/transform-old.json",
        Body=_run_record(date(2023, 12, 31), "transform"),
    )
    reads = Reads()
    s3.meta.events.register("before-parameter-build.s3.GetObject", reads)
    ops = names["ops_glue_database"]
    with LocalSqlEngine(glue, s3, names["glue_database"]) as engine:
        # GIVEN no partition registered in Glue: the table projects run_date from 2024-01-01 to NOW
        one = engine.query(f"SELECT run_id FROM {ops}.runs WHERE run_date = '{days[1]}'").rows
        assert one == [(f"transform-{days[1]}",)] and reads.total == 1
        everything = engine.query(f"SELECT count(*) FROM {ops}.runs").rows
    # THEN a folder outside the projected range is not read, as Athena would not
    assert everything == [(3,)]
    assert not [k for k in reads.keys if "2023-12-31" in k]


def test_an_unknown_table_is_answered_with_the_tables_there_are(vendas: Lake) -> None:
    with vendas.engine() as engine, pytest.raises(QueryError) as err:
        engine.query("SELECT * FROM erp_vendass")
    assert "erp_vendass is not in the catalog" in err.value.message and "erp_vendas" in (err.value.hint or "")


def test_a_dataset_whose_table_is_not_in_glue_yet_is_empty_with_its_columns(
    stack: LocalLake, names: dict[str, Any]
) -> None:
    with LocalSqlEngine(stack.client("glue"), stack.client("s3"), names["glue_database"]) as engine:
        result = engine.query("SELECT loja_id, nome FROM ref_lojas")
    assert result.columns == ["loja_id", "nome"] and result.rows == []
    assert any("has no data yet" in note for note in result.notes)
