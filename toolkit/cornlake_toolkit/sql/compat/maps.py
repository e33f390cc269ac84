"""Map functions: Trino's map lambdas (map_filter, transform_keys, transform_values,
map_zip_with) and entry rows, which DuckDB's map functions do not have or shape otherwise."""

from __future__ import annotations

from sqlglot import exp

from cornlake_toolkit.sql.compat.core import apply_lambda, args_of, call, duck, lam, rewrites

KEY, VALUE = duck("_cl_e.key"), duck("_cl_e.value")


def _entries(pairs: exp.Expr) -> exp.Expr:
    return duck("map_from_entries({0})", pairs)


@rewrites("MAP_ENTRIES")
def map_entries(node: exp.Expr) -> exp.Expr:
    """map_entries gives unnamed rows (key, value); DuckDB gives structs named key and value."""
    (mapping,) = args_of(node)
    return duck("list_transform(map_entries({0}), lambda _cl_e: row(_cl_e.key, _cl_e.value))", mapping)


@rewrites("MAP_FILTER")
def map_filter(node: exp.Expr) -> exp.Expr:
    """map_filter(m, (k, v) -> p): the entries for which p is true (no DuckDB match)."""
    mapping, predicate = args_of(node)
    body = apply_lambda(predicate, KEY, VALUE)
    return _entries(call("list_filter", call("map_entries", mapping), lam("_cl_e", body)))


@rewrites("TRANSFORM_KEYS")
def transform_keys(node: exp.Expr) -> exp.Expr:
    """transform_keys(m, (k, v) -> k2): the same values under new keys."""
    mapping, function = args_of(node)
    pair = duck("struct_pack(key := {0}, value := _cl_e.value)", apply_lambda(function, KEY, VALUE))
    return _entries(call("list_transform", call("map_entries", mapping), lam("_cl_e", pair)))


@rewrites("TRANSFORM_VALUES")
def transform_values(node: exp.Expr) -> exp.Expr:
    """transform_values(m, (k, v) -> v2): the same keys with new values."""
    mapping, function = args_of(node)
    pair = duck("struct_pack(key := _cl_e.key, value := {0})", apply_lambda(function, KEY, VALUE))
    return _entries(call("list_transform", call("map_entries", mapping), lam("_cl_e", pair)))


@rewrites("MAP_ZIP_WITH")
def map_zip_with(node: exp.Expr) -> exp.Expr:
    """map_zip_with(m1, m2, (k, v1, v2) -> v): every key of either map, a missing value NULL."""
    left, right, function = args_of(node)
    value = apply_lambda(function, duck("_cl_k"), duck("{0}[_cl_k]", left), duck("{0}[_cl_k]", right))
    pair = duck("struct_pack(key := _cl_k, value := {0})", value)
    keys = duck("list_distinct(list_concat(map_keys({0}), map_keys({1})))", left, right)
    return _entries(call("list_transform", keys, lam("_cl_k", pair)))


def multimap(pairs: exp.Expr) -> exp.Expr:
    """A map from each distinct key of the (key, value) rows ``pairs`` to the list of its values."""
    return duck(
        "map_from_entries(list_transform(list_distinct(list_transform({0}, lambda _cl_e: _cl_e[1])), "
        "lambda _cl_k: struct_pack(key := _cl_k, value := list_transform(list_filter({0}, "
        "lambda _cl_e: _cl_e[1] = _cl_k), lambda _cl_e: _cl_e[2]))))",
        pairs,
    )


@rewrites("MULTIMAP_FROM_ENTRIES")
def multimap_from_entries(node: exp.Expr) -> exp.Expr:
    """multimap_from_entries: each key once, with the array of its values in order."""
    (pairs,) = args_of(node)
    return multimap(pairs)


def _split_pairs(text: exp.Expr, entry: exp.Expr, key: exp.Expr) -> exp.Expr:
    return duck(
        "list_transform(string_split({0}, {1}), lambda _cl_s: row(split_part(_cl_s, {2}, 1), "
        "substr(_cl_s, strpos(_cl_s, {2}) + length({2}))))",
        text,
        entry,
        key,
    )


@rewrites(exp.StrToMap)
def split_to_map(node: exp.Expr) -> exp.Expr:
    """split_to_map(s, entry_delim, key_delim): DuckDB has no str_to_map."""
    pairs = _split_pairs(node.this, node.args["pair_delim"], node.args["key_value_delim"])
    return duck(
        "map_from_entries(list_transform({0}, lambda _cl_e: struct_pack(key := _cl_e[1], value := "
        "_cl_e[2])))",
        pairs,
    )


@rewrites("SPLIT_TO_MULTIMAP")
def split_to_multimap(node: exp.Expr) -> exp.Expr:
    """split_to_multimap(s, entry_delim, key_delim): each key with the array of its values."""
    text, entry, key = args_of(node)
    return multimap(_split_pairs(text, entry, key))
