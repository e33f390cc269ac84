"""Math and bitwise functions: Trino's decimal results keep their scale, its constants are
functions (``e()``, ``infinity()``, ``nan()``), its shifts and bit counts take a width, and
some functions DuckDB lacks are spelled out (width_bucket, from_base, normal_cdf)."""

from __future__ import annotations

from sqlglot import exp

from cornlake_toolkit.sql.compat.core import args_of, call, duck, is_kind, is_map, rewrites, type_of

_WIDTHS = {exp.DType.TINYINT: 8, exp.DType.SMALLINT: 16, exp.DType.INT: 32, exp.DType.BIGINT: 64}


def _decimal_params(node: exp.Expr) -> tuple[int, int] | None:
    dt = type_of(node)
    if dt is None or dt.this != exp.DType.DECIMAL:
        return None
    params = [int(p.name) for p in dt.expressions if isinstance(p, exp.DataTypeParam)]
    return (params[0], params[1] if len(params) > 1 else 0) if params else (38, 0)


@rewrites("E")
def e(node: exp.Expr) -> exp.Expr:
    """e(): Euler's number."""
    return duck("exp(1)")


@rewrites("INFINITY")
def infinity(node: exp.Expr) -> exp.Expr:
    """infinity(): positive infinity, a double."""
    return duck("CAST('infinity' AS DOUBLE)")


@rewrites("NAN")
def nan(node: exp.Expr) -> exp.Expr:
    """nan(): not-a-number, a double."""
    return duck("CAST('nan' AS DOUBLE)")


@rewrites("IS_INFINITE")
def is_infinite(node: exp.Expr) -> exp.Expr:
    """is_infinite (DuckDB: isinf)."""
    return call("isinf", duck("CAST({0} AS DOUBLE)", *args_of(node)))


@rewrites("IS_FINITE")
def is_finite(node: exp.Expr) -> exp.Expr:
    """is_finite (DuckDB: isfinite)."""
    return call("isfinite", duck("CAST({0} AS DOUBLE)", *args_of(node)))


@rewrites(exp.Round)
def round_decimal(node: exp.Expr) -> exp.Expr | None:
    """round(decimal, n) keeps the scale and widens by one digit (DuckDB narrows the scale to n)."""
    params = _decimal_params(node.this)
    digits = node.args.get("decimals")
    if params is None or digits is None:
        return None
    precision, scale = params
    return duck(f"CAST(round({{0}}, {{1}}) AS DECIMAL({min(precision + 1, 38)}, {scale}))", node.this, digits)


@rewrites(exp.Trunc)
def truncate_decimal(node: exp.Expr) -> exp.Expr | None:
    """truncate(decimal, n) keeps the type (DuckDB narrows the scale to n)."""
    params = _decimal_params(node.this)
    digits = node.args.get("decimals")
    if params is None or digits is None:
        return None
    return duck(f"CAST(trunc({{0}}, {{1}}) AS DECIMAL({params[0]}, {params[1]}))", node.this, digits)


@rewrites(exp.Sign)
def sign(node: exp.Expr) -> exp.Expr | None:
    """sign of a decimal is decimal(1,0), of a double a double (DuckDB: tinyint)."""
    if _decimal_params(node.this) is not None:
        return duck("CAST(sign({0}) AS DECIMAL(1, 0))", node.this)
    if is_kind(node.this, exp.DType.DOUBLE, exp.DType.FLOAT):
        return duck("CAST(sign({0}) AS DOUBLE)", node.this)
    return None


@rewrites(exp.FromBase)
def from_base(node: exp.Expr) -> exp.Expr:
    """from_base(s, radix): a bigint from its digits in any radix up to 36 (no DuckDB match)."""
    return duck(
        "CASE WHEN starts_with({0}, '-') THEN -1 ELSE 1 END * list_reduce(list_transform("
        "string_split(lower(ltrim({0}, '-+')), ''), lambda _cl_c: "
        "CAST(strpos('0123456789abcdefghijklmnopqrstuvwxyz', _cl_c) - 1 AS BIGINT)), "
        "lambda _cl_a, _cl_d: _cl_a * {1} + _cl_d, CAST(0 AS BIGINT))",
        node.this,
        node.expression,
    )


@rewrites("TO_BASE")
def to_base(node: exp.Expr) -> exp.Expr:
    """to_base(x, radix): lower-case digits, and a sign for negative numbers (DuckDB refuses them)."""
    number, radix = args_of(node)
    return duck(
        "CASE WHEN {0} < 0 THEN '-' || lower(to_base(-{0}, {1})) ELSE lower(to_base({0}, {1})) END",
        number,
        radix,
    )


@rewrites(exp.WidthBucket)
def width_bucket(node: exp.Expr) -> exp.Expr:
    """width_bucket(x, low, high, n): 0 below low, n + 1 at high and above; with an array of
    bin bounds, how many bounds are at or below x."""
    low = node.args["min_value"]
    if node.args.get("max_value") is None:
        return duck("CAST(len(list_filter({1}, lambda _cl_b: _cl_b <= {0})) AS BIGINT)", node.this, low)
    return duck(
        "CAST(CASE WHEN {0} < {1} THEN 0 WHEN {0} >= {2} THEN {3} + 1 "
        "ELSE floor((CAST({0} AS DOUBLE) - {1}) / (CAST({2} AS DOUBLE) - {1}) * {3}) + 1 END AS BIGINT)",
        node.this,
        low,
        node.args["max_value"],
        node.args["num_buckets"],
    )


def _sparse_similarity(left: exp.Expr, right: exp.Expr) -> exp.Expr:
    return duck(
        "list_sum(list_transform(map_keys({0}), lambda _cl_k: CAST({0}[_cl_k] AS DOUBLE) * "
        "coalesce(CAST({1}[_cl_k] AS DOUBLE), 0))) / (sqrt(list_sum(list_transform(map_values({0}), "
        "lambda _cl_v: CAST(_cl_v AS DOUBLE) ^ 2))) * sqrt(list_sum(list_transform(map_values({1}), "
        "lambda _cl_v: CAST(_cl_v AS DOUBLE) ^ 2))))",
        left,
        right,
    )


@rewrites("COSINE_SIMILARITY")
def cosine_similarity(node: exp.Expr) -> exp.Expr:
    """cosine_similarity of two arrays, or of two sparse vectors as maps."""
    left, right = args_of(node)
    if is_map(left):
        return _sparse_similarity(left, right)
    return duck("list_cosine_similarity(CAST({0} AS DOUBLE[]), CAST({1} AS DOUBLE[]))", left, right)


@rewrites(exp.CosineDistance)
def cosine_distance(node: exp.Expr) -> exp.Expr:
    """cosine_distance: 1 - cosine_similarity, also for maps (sparse vectors)."""
    left, right = node.this, node.expression
    if is_map(left):
        return duck("1 - {0}", _sparse_similarity(left, right))
    return duck("1 - list_cosine_similarity(CAST({0} AS DOUBLE[]), CAST({1} AS DOUBLE[]))", left, right)


def erf(x: exp.Expr) -> exp.Expr:
    """The error function: its Taylor series below 3, the asymptotic series of erfc above."""
    return duck(
        "CASE WHEN abs({0}) < 3 THEN 2 / sqrt(pi()) * list_sum(list_transform(range(0, 60), lambda _cl_n: "
        "(CASE WHEN _cl_n % 2 = 0 THEN 1 ELSE -1 END) * pow({0}, 2 * _cl_n + 1) / "
        "(exp(lgamma(_cl_n + 1)) * (2 * _cl_n + 1)))) "
        "ELSE sign({0}) * (1 - exp(-{0} * {0}) / (abs({0}) * sqrt(pi())) * (1 - 1 / (2 * {0} * {0}) "
        "+ 3 / (4 * pow({0}, 4)) - 15 / (8 * pow({0}, 6)) + 105 / (16 * pow({0}, 8)))) END",
        x,
    )


@rewrites("NORMAL_CDF")
def normal_cdf(node: exp.Expr) -> exp.Expr:
    """normal_cdf(mean, sd, v): the normal distribution's cumulative probability (no DuckDB match)."""
    mean, sd, value = args_of(node)
    z = duck("(CAST({2} AS DOUBLE) - {0}) / ({1} * sqrt(2))", mean, sd, value)
    return duck("0.5 * (1 + {0})", erf(z))


@rewrites("BIT_COUNT")
def bit_count(node: exp.Expr) -> exp.Expr:
    """bit_count(x, bits): the set bits of x as a bits-wide two's complement number."""
    number, bits = args_of(node)
    return duck(
        "CAST(CASE WHEN {1} >= 64 THEN bit_count(CAST({0} AS BIGINT)) "
        "ELSE bit_count(CAST({0} AS BIGINT) & ((CAST(1 AS BIGINT) << {1}) - 1)) END AS BIGINT)",
        number,
        bits,
    )


def _width(node: exp.Expr) -> int:
    dt = type_of(node)
    return _WIDTHS.get(dt.this, 64) if dt is not None else 64


def _same_type(node: exp.Expr, value: exp.Expr) -> exp.Expr:
    dt = type_of(node)
    return exp.Cast(this=value, to=dt.copy()) if dt is not None and dt.this in _WIDTHS else value


@rewrites("BITWISE_LEFT_SHIFT")
def bitwise_left_shift(node: exp.Expr) -> exp.Expr:
    """bitwise_left_shift(x, n), in x's type."""
    number, shift = args_of(node)
    return _same_type(
        number, duck("CASE WHEN {1} >= 64 THEN 0 ELSE CAST({0} AS BIGINT) << {1} END", number, shift)
    )


@rewrites("BITWISE_RIGHT_SHIFT")
def bitwise_right_shift(node: exp.Expr) -> exp.Expr:
    """bitwise_right_shift is a logical shift over x's width (DuckDB's >> keeps the sign)."""
    number, shift = args_of(node)
    width = _width(number)
    return _same_type(
        number,
        duck(
            f"CASE WHEN {{1}} >= {width} THEN 0 WHEN {{1}} = 0 THEN {{0}} ELSE CAST((CAST({{0}} AS "
            f"HUGEINT) + "
            f"CASE WHEN {{0}} < 0 THEN CAST(1 AS HUGEINT) << {width} ELSE 0 END) >> {{1}} AS BIGINT) END",
            number,
            shift,
        ),
    )


@rewrites("BITWISE_RIGHT_SHIFT_ARITHMETIC")
def bitwise_right_shift_arithmetic(node: exp.Expr) -> exp.Expr:
    """bitwise_right_shift_arithmetic keeps the sign, also for shifts of the whole width."""
    number, shift = args_of(node)
    width = _width(number)
    return _same_type(
        number,
        duck(
            f"CASE WHEN {{1}} >= {width} THEN CASE WHEN {{0}} < 0 THEN -1 ELSE 0 END "
            "ELSE CAST({0} AS BIGINT) >> {1} END",
            number,
            shift,
        ),
    )
