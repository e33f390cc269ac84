"""Aggregate functions Trino has and DuckDB names or shapes otherwise (every, map_agg,
multimap_agg, reduce_agg), and decimal averages, which Trino keeps decimal."""

from __future__ import annotations

from sqlglot import exp

from cornlake_toolkit.sql.compat.core import args_of, call, duck, refuse, rewrites, type_of
from cornlake_toolkit.sql.compat.maps import multimap


@rewrites("EVERY")
def every(node: exp.Expr) -> exp.Expr:
    """every(p): bool_and(p)."""
    return call("bool_and", *args_of(node))


@rewrites("MAP_AGG")
def map_agg(node: exp.Expr) -> exp.Expr:
    """map_agg(k, v): a map of the rows' keys to their values."""
    key, value = args_of(node)
    return duck("map_from_entries(list(struct_pack(key := {0}, value := {1})))", key, value)


@rewrites("MULTIMAP_AGG")
def multimap_agg(node: exp.Expr) -> exp.Expr:
    """multimap_agg(k, v): a map of each key to the array of its rows' values."""
    key, value = args_of(node)
    return multimap(duck("list(row({0}, {1}))", key, value))


@rewrites("REDUCE_AGG")
def reduce_agg(node: exp.Expr) -> exp.Expr:
    """reduce_agg(x, initial, input, combine): the rows folded with the input function."""
    value, initial, function, _ = args_of(node)
    return call("list_reduce", call("list", value), function, initial)


@rewrites(exp.Avg)
def avg_decimal(node: exp.Expr) -> exp.Expr | None:
    """avg of a decimal is a decimal of the same type (DuckDB: a double)."""
    dt = type_of(node.this)
    if dt is None or dt.this != exp.DType.DECIMAL or not dt.expressions:
        return None
    return exp.Cast(this=call("avg", node.this), to=dt.copy())


@rewrites(exp.ApproxQuantile)
def approx_percentile(node: exp.Expr) -> exp.Expr:
    """approx_percentile(x, p) and (x, ARRAY[p1, p2]) are DuckDB's approx_quantile; the weighted
    form has no DuckDB equivalent and is refused (the accuracy argument is ignored)."""
    if node.args.get("weight") is not None:
        raise refuse(
            "approx_percentile(x, weight, p)",
            "DuckDB's approx_quantile takes no weights",
            "approx_percentile(x, p), or repeat the rows by their weight",
        )
    return call("approx_quantile", node.this, node.args["quantile"])


@rewrites(exp.ApproxDistinct)
def approx_distinct(node: exp.Expr) -> exp.Expr:
    """approx_distinct(x[, e]) is DuckDB's approx_count_distinct (HyperLogLog, a bigint; the
    maximum standard error e is ignored)."""
    return duck("CAST(approx_count_distinct({0}) AS BIGINT)", node.this)
