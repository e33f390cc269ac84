"""Partition projection and pruning, on table definitions alone (no AWS)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from cornlake.catalog.tables import ops_table_input
from cornlake.ops import RUNS
from cornlake_toolkit.errors import QueryError
from cornlake_toolkit.sql.catalog import Partition, TableSpec, spec_from_glue
from cornlake_toolkit.sql.compat import generate, to_duckdb
from cornlake_toolkit.sql.dialect import parse
from cornlake_toolkit.sql.projection import projected_partitions
from cornlake_toolkit.sql.pruning import injected_values, keep, partition_filters
from cornlake_toolkit.sql.register import table_references

NOW = datetime(2024, 1, 10, 15, tzinfo=UTC)


def _translate(tree: object) -> str:
    return generate(to_duckdb(tree))[0]  # type: ignore[arg-type]


def _spec(**parameters: str) -> TableSpec:
    return TableSpec(
        "db",
        "t",
        [("x", "string", "")],
        [("p", "string", ""), ("q", "string", "")],
        location="s3://b/t/",
        parameters={"projection.enabled": "true", **parameters},
    )


def test_the_ops_tables_project_one_partition_a_day_up_to_now() -> None:
    spec = spec_from_glue("ops", ops_table_input(RUNS, "ops-bucket"))
    partitions = projected_partitions(spec, {}, NOW)
    assert partitions[0] == Partition(("2024-01-01",), "s3://ops-bucket/runs/run_date=2024-01-01/")
    assert partitions[-1].values == ("2024-01-10",) and len(partitions) == 10


def test_integer_enum_and_injected_projections_and_templates() -> None:
    spec = _spec(
        **{
            "projection.p.type": "integer",
            "projection.p.range": "1,3",
            "projection.p.digits": "2",
            "projection.q.type": "injected",
            "storage.location.template": "s3://b/t/${q}/${p}/",
        }
    )
    with pytest.raises(QueryError, match="injected"):
        projected_partitions(spec, {}, NOW)
    partitions = projected_partitions(spec, {"q": ["x"]}, NOW)
    assert [p.location for p in partitions] == ["s3://b/t/x/01/", "s3://b/t/x/02/", "s3://b/t/x/03/"]
    enum = _spec(
        **{
            "projection.p.type": "enum",
            "projection.p.values": "a,b",
            "projection.q.type": "enum",
            "projection.q.values": "c",
        }
    )
    assert [p.values for p in projected_partitions(enum, {}, NOW)] == [("a", "c"), ("b", "c")]


def test_relative_date_ranges() -> None:
    spec = _spec(
        **{
            "projection.p.type": "date",
            "projection.p.range": "NOW-2DAYS,NOW",
            "projection.p.format": "yyyy/MM/dd",
            "projection.q.type": "enum",
            "projection.q.values": "z",
        }
    )
    assert [p.values[0] for p in projected_partitions(spec, {}, NOW)] == [
        "2024/01/08",
        "2024/01/09",
        "2024/01/10",
    ]


@pytest.mark.parametrize(
    ("where", "kept"),
    [
        ("p = 'b'", ["b"]),
        ("t.p IN ('a', 'c') AND x = 'anything'", ["a", "c"]),
        ("p > 'a' AND upper(p) <> 'C'", ["b"]),
        ("p = 'a' OR x = 'y'", ["a", "b", "c"]),  # not only partition columns: every partition
        ("x = 'y'", ["a", "b", "c"]),
    ],
)
def test_filters_on_partition_columns_keep_partitions(where: str, kept: list[str]) -> None:
    spec = _spec()
    tree = parse(f"SELECT * FROM db.t WHERE {where}")
    [table] = table_references(tree)
    filters = partition_filters(table, spec) or []
    partitions = [Partition((v, "q"), f"s3://b/t/p={v}/") for v in ("a", "b", "c")]
    assert [p.values[0] for p in keep(partitions, spec, filters, _translate)] == kept


def test_injected_values_come_from_equalities_and_in_lists() -> None:
    tree = parse("SELECT * FROM db.t WHERE p = 'v' AND q IN ('1', '2')")
    filters = partition_filters(table_references(tree)[0], _spec()) or []
    assert injected_values(filters, "p") == ["v"] and injected_values(filters, "q") == ["1", "2"]


def test_a_filter_is_decided_over_thousands_of_typed_partitions() -> None:
    # a date projection since 2016 (as the ops tables have): a range filter keeps the days after it
    spec = TableSpec("db", "t", [("x", "string", "")], [("d", "date", "")], location="s3://b/t/")
    days = [
        datetime.fromordinal(datetime(2016, 1, 1).toordinal() + n).date().isoformat() for n in range(3000)
    ]
    partitions = [Partition((day,), f"s3://b/t/d={day}/") for day in days]
    [table] = table_references(parse("SELECT * FROM db.t WHERE d >= DATE '2024-01-01'"))
    kept = keep(partitions, spec, partition_filters(table, spec) or [], _translate)
    assert [p.values[0] for p in kept] == [day for day in days if day >= "2024-01-01"]
    assert len(kept) == 3000 - days.index("2024-01-01")
