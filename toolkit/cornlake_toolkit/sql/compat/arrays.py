"""Array functions: Trino keeps NULL elements, first-seen order and 1-based positions where
DuckDB's list functions drop NULLs, sort, or answer NULL for "not found"."""

from __future__ import annotations

from sqlglot import exp

from cornlake_toolkit.sql.compat.core import (
    apply_lambda,
    args_of,
    call,
    duck,
    is_array,
    is_binary,
    is_map,
    lam,
    rewrites,
    type_of,
)

HAS_NULL = "len(list_filter({0}, lambda _cl_n: _cl_n IS NULL)) > 0"


def distinct(array: exp.Expr) -> exp.Expr:
    """The elements of ``array`` once each, in first-seen order, NULL included once."""
    return duck("list_filter({0}, lambda _cl_x, _cl_i: list_position({0}, _cl_x) = _cl_i)", array)


@rewrites(exp.ArrayDistinct)
def array_distinct(node: exp.Expr) -> exp.Expr:
    """array_distinct keeps the first occurrence of each element in order, NULL once;
    DuckDB's list_distinct loses the order and drops NULLs."""
    return distinct(node.this)


@rewrites(exp.ArrayIntersect)
def array_intersect(node: exp.Expr) -> exp.Expr:
    """array_intersect keeps NULL when both arrays hold one (DuckDB drops it)."""
    first, *others = node.expressions
    result = distinct(first)
    for other in others:
        result = duck("list_filter({0}, lambda _cl_x: list_position({1}, _cl_x) > 0)", result, other)
    return result


@rewrites("ARRAY_UNION")
def array_union(node: exp.Expr) -> exp.Expr:
    """array_union: the distinct elements of both, NULL once (DuckDB has no such function)."""
    left, right = args_of(node)
    return distinct(duck("list_concat({0}, {1})", left, right))


@rewrites(exp.ArrayExcept)
def array_except(node: exp.Expr) -> exp.Expr:
    """array_except keeps a NULL of the first array that the second lacks (DuckDB drops it)."""
    return duck(
        "list_filter({0}, lambda _cl_x: coalesce(list_position({1}, _cl_x), 0) = 0)",
        distinct(node.this),
        node.expression,
    )


@rewrites(exp.ArrayPosition)
def array_position(node: exp.Expr) -> exp.Expr:
    """array_position is 0 when the element is missing and NULL for a NULL element; DuckDB
    answers NULL for missing and finds NULLs."""
    return duck(
        "CASE WHEN {1} IS NULL OR {0} IS NULL THEN NULL ELSE CAST(coalesce(list_position({0}, {1}), "
        "0) AS BIGINT) END",
        node.this,
        node.expression,
    )


@rewrites(exp.ArrayMax, exp.ArrayMin)
def array_max_min(node: exp.Expr) -> exp.Expr:
    """array_max and array_min are NULL when any element is NULL (DuckDB skips NULLs)."""
    function = "list_max" if isinstance(node, exp.ArrayMax) else "list_min"
    return duck(f"CASE WHEN {HAS_NULL} THEN NULL ELSE {function}({{0}}) END", node.this)


@rewrites(exp.ArrayRemove)
def array_remove(node: exp.Expr) -> exp.Expr:
    """array_remove keeps NULL elements (sqlglot's ``x <> v`` filter drops them)."""
    return duck("list_filter({0}, lambda _cl_x: _cl_x IS NULL OR _cl_x <> {1})", node.this, node.expression)


@rewrites(exp.ArrayContains)
def contains(node: exp.Expr) -> exp.Expr | None:
    """contains is NULL when the element is missing but the array holds a NULL (DuckDB: false)."""
    if is_map(node.this):
        return None
    return duck(
        f"CASE WHEN {{1}} IS NULL THEN NULL WHEN list_contains({{0}}, {{1}}) THEN true "
        f"WHEN {HAS_NULL} THEN NULL ELSE false END",
        node.this,
        node.expression,
    )


@rewrites("ARRAYS_OVERLAP")
def arrays_overlap(node: exp.Expr) -> exp.Expr:
    """arrays_overlap: true on a common non-NULL element, else NULL when either holds a NULL."""
    left, right = args_of(node)
    return duck(
        "CASE WHEN len(list_filter({0}, lambda _cl_x: _cl_x IS NOT NULL AND list_contains({1}, _cl_x))) > 0 "
        "THEN true WHEN len(list_filter({0}, lambda _cl_n: _cl_n IS NULL)) > 0 "
        "OR len(list_filter({1}, lambda _cl_n: _cl_n IS NULL)) > 0 THEN NULL ELSE false END",
        left,
        right,
    )


@rewrites("CONTAINS_SEQUENCE")
def contains_sequence(node: exp.Expr) -> exp.Expr:
    """contains_sequence(a, s): whether s appears in a as consecutive elements (no DuckDB match)."""
    array, sequence = args_of(node)
    return duck(
        "len(list_filter(range(1, len({0}) - len({1}) + 2), "
        "lambda _cl_i: list_slice({0}, _cl_i, _cl_i + len({1}) - 1) = {1})) > 0",
        array,
        sequence,
    )


def _three_valued(node: exp.Expr, decided: str, other: str) -> exp.Expr:
    array, predicate = args_of(node)
    results = call("list_transform", array, predicate)
    return duck(
        f"CASE WHEN list_contains({{0}}, {decided}) THEN {decided} "
        f"WHEN len(list_filter({{0}}, lambda _cl_n: _cl_n IS NULL)) > 0 THEN NULL ELSE {other} END",
        results,
    )


@rewrites("ALL_MATCH")
def all_match(node: exp.Expr) -> exp.Expr:
    """all_match: false if the predicate is false for one element, else NULL if it is NULL for one."""
    return _three_valued(node, "false", "true")


@rewrites("ANY_MATCH")
def any_match(node: exp.Expr) -> exp.Expr:
    """any_match: true if the predicate is true for one element, else NULL if it is NULL for one."""
    return _three_valued(node, "true", "false")


@rewrites("NONE_MATCH")
def none_match(node: exp.Expr) -> exp.Expr:
    """none_match: false if the predicate is true for one element, else NULL if it is NULL for one."""
    array, predicate = args_of(node)
    results = call("list_transform", array, predicate)
    return duck(
        "CASE WHEN list_contains({0}, true) THEN false "
        "WHEN len(list_filter({0}, lambda _cl_n: _cl_n IS NULL)) > 0 THEN NULL ELSE true END",
        results,
    )


@rewrites(exp.ArraySort)
def array_sort(node: exp.Expr) -> exp.Expr | None:
    """array_sort with a comparator ``(x, y) -> int``: DuckDB's list_sort takes none. Each
    element's place is the number of elements the comparator puts before it (ties keep
    their order), so the comparator decides as in Trino."""
    comparator = node.args.get("expression")
    if not isinstance(comparator, exp.Lambda):
        return duck("list_sort({0}, 'ASC', 'NULLS LAST')", node.this)
    array = node.this
    before = apply_lambda(comparator, duck("{0}[_cl_j]", array), duck("{0}[_cl_i]", array))
    rank = duck(
        "len(list_filter(range(1, len({0}) + 1), lambda _cl_j: _cl_j <> _cl_i AND ({1} < 0 OR ({1} "
        "= 0 AND _cl_j < _cl_i))))",
        array,
        before,
    )
    return duck(
        "list_transform(list_sort(list_transform(range(1, len({0}) + 1), lambda _cl_i: [{1}, _cl_i])), "
        "lambda _cl_p: {0}[_cl_p[2]])",
        array,
        rank,
    )


@rewrites("NGRAMS")
def ngrams(node: exp.Expr) -> exp.Expr:
    """ngrams(a, n): the n-element windows of a, or [a] when a is shorter (no DuckDB match)."""
    array, n = args_of(node)
    return duck(
        "CASE WHEN len({0}) <= {1} THEN [{0}] ELSE "
        "list_transform(range(1, len({0}) - {1} + 2), lambda _cl_i: list_slice({0}, _cl_i, _cl_i + "
        "{1} - 1)) END",
        array,
        n,
    )


@rewrites(exp.ArrayFirst)
def array_first(node: exp.Expr) -> exp.Expr:
    """array_first: the first element, NULL for an empty array."""
    return duck("{0}[1]", node.this)


@rewrites(exp.ArrayLast)
def array_last(node: exp.Expr) -> exp.Expr:
    """array_last: the last element, NULL for an empty array."""
    return duck("{0}[-1]", node.this)


@rewrites("ARRAY_HISTOGRAM")
def array_histogram(node: exp.Expr) -> exp.Expr:
    """array_histogram: a map of each non-NULL element to its count (bigint)."""
    (array,) = args_of(node)
    return duck(
        "map_from_entries(list_transform(list_distinct({0}), lambda _cl_k: "
        "struct_pack(key := _cl_k, value := CAST(len(list_filter({0}, lambda _cl_x: _cl_x = _cl_k)) "
        "AS BIGINT))))",
        array,
    )


def _depth(node: exp.Expr) -> int:
    depth, dt = 0, type_of(node)
    while dt is not None and dt.this == exp.DType.ARRAY:
        depth += 1
        inner = dt.expressions[0] if dt.expressions else None
        dt = inner if isinstance(inner, exp.DataType) else None
    if depth == 0 and isinstance(node, exp.Array):
        depth = 1
    return depth


@rewrites(exp.DPipe)
def concat_operator(node: exp.Expr) -> exp.Expr | None:
    """``||`` with arrays appends or prepends an element (or an array to an array of arrays);
    DuckDB's ``||`` only joins two lists of the same type."""
    left, right = node.this, node.expression
    if not (is_array(left) or is_array(right)):
        return None
    ldepth, rdepth = _depth(left), _depth(right)
    if ldepth == rdepth:
        return duck("list_concat({0}, {1})", left, right)
    if ldepth > rdepth:
        return duck("list_append({0}, {1})", left, right)
    return duck("list_prepend({0}, {1})", left, right)


@rewrites(exp.Repeat)
def repeat(node: exp.Expr) -> exp.Expr:
    """repeat(x, n) is an array of n copies of x in Trino (DuckDB's repeat repeats a string)."""
    return duck(
        "CASE WHEN {1} IS NULL THEN NULL ELSE list_transform(range(CAST({1} AS BIGINT)), lambda "
        "_cl_i: {0}) END",
        node.this,
        node.args["times"],
    )


@rewrites(exp.Reverse)
def reverse(node: exp.Expr) -> exp.Expr | None:
    """reverse of an array or of varbinary (sqlglot casts both to text)."""
    if is_array(node.this):
        return duck("list_reverse({0})", node.this)
    if is_binary(node.this):
        return duck("unhex(array_to_string(list_reverse(regexp_extract_all(hex({0}), '..')), ''))", node.this)
    return None


@rewrites(exp.GenerateSeries)
def sequence(node: exp.Expr) -> exp.Expr:
    """sequence(start, stop[, step]) counts down when start > stop, steps dates by a day and
    stays in dates (DuckDB: an empty list, no DATE series, timestamps)."""
    start, stop, step = node.args["start"], node.args["end"], node.args.get("step")
    dt = type_of(start)
    if dt is not None and dt.this == exp.DType.DATE:
        return duck(
            "CAST(generate_series(CAST({0} AS TIMESTAMP), CAST({1} AS TIMESTAMP), {2}) AS DATE[])",
            start,
            stop,
            step if step is not None else duck("INTERVAL 1 DAY"),
        )
    if step is None:
        step = duck("CASE WHEN {0} <= {1} THEN 1 ELSE -1 END", start, stop)
    return duck("generate_series({0}, {1}, {2})", start, stop, step)


@rewrites(exp.ArraySlice)
def array_slice(node: exp.Expr) -> exp.Expr:
    """slice(a, start, length) takes a length (DuckDB's list_slice an end); a negative start
    counts from the end."""
    array, start, length = node.this, node.args["start"], node.args["end"]
    begin = duck("CASE WHEN {1} > 0 THEN {1} ELSE len({0}) + {1} + 1 END", array, start)
    return duck("list_slice({0}, {1}, {1} + {2} - 1)", array, begin, length)


@rewrites("TRIM_ARRAY")
def trim_array(node: exp.Expr) -> exp.Expr:
    """trim_array(a, n): a without its last n elements."""
    array, n = args_of(node)
    return duck("list_slice({0}, 1, len({0}) - {1})", array, n)


@rewrites(exp.ArraySize)
def cardinality(node: exp.Expr) -> exp.Expr:
    """cardinality of a map counts its entries (sqlglot calls array_length on it); bigint."""
    if is_map(node.this):
        return duck("CAST(cardinality({0}) AS BIGINT)", node.this)
    return duck("CAST(len({0}) AS BIGINT)", node.this)


@rewrites(exp.DotProduct)
def dot_product(node: exp.Expr) -> exp.Expr:
    """dot_product of two arrays, as a double."""
    return duck("list_dot_product(CAST({0} AS DOUBLE[]), CAST({1} AS DOUBLE[]))", node.this, node.expression)


@rewrites("ZIP")
def zip_arrays(node: exp.Expr) -> exp.Expr:
    """zip: rows of the i-th elements, the shorter arrays padded with NULL (rows unnamed)."""
    return call("list_zip", *args_of(node))


@rewrites("ZIP_WITH")
def zip_with(node: exp.Expr) -> exp.Expr:
    """zip_with(a, b, f) pads the shorter array with NULLs before applying f."""
    left, right, function = args_of(node)
    body = apply_lambda(function, duck("_cl_p[1]"), duck("_cl_p[2]"))
    return call("list_transform", call("list_zip", left, right), lam("_cl_p", body))


@rewrites(exp.Reduce)
def reduce(node: exp.Expr) -> exp.Expr:
    """reduce(a, initial, (s, x) -> ..., s -> finish): DuckDB's list_reduce takes the initial
    state as its third argument and has no finishing function."""
    state = call("list_reduce", node.this, node.args["merge"], node.args["initial"])
    finish = node.args.get("finish")
    return apply_lambda(finish, state) if isinstance(finish, exp.Lambda) else state
