"""Binary functions: Trino's hashes are varbinary (DuckDB's are hex text), its CRC-32,
HMAC and big-endian and IEEE 754 encodings are spelled out; hashes DuckDB cannot compute
(SHA-512, xxHash64, MurmurHash3, SpookyHash) are refused with the nearest it can."""

from __future__ import annotations

from sqlglot import exp

from cornlake_toolkit.sql.compat.core import args_of, duck, refuse, rewrites

BYTES = "list_transform(regexp_extract_all(hex({0}), '..'), lambda _cl_h: CAST(('0x' || _cl_h) AS BIGINT))"
_WIDTHS = {"32": (4, 8, 23, 127), "64": (8, 11, 52, 1023)}


def _bytes(value: exp.Expr) -> exp.Expr:
    return duck(BYTES, value)


def _from_bytes(values: exp.Expr) -> exp.Expr:
    return duck(
        "unhex(array_to_string(list_transform({0}, lambda _cl_b: printf('%02x', _cl_b)), ''))", values
    )


@rewrites(exp.SHA)
def sha1(node: exp.Expr) -> exp.Expr:
    """sha1 is varbinary (DuckDB's sha1 is hex text)."""
    return duck("unhex(sha1({0}))", node.this)


@rewrites(exp.SHA2Digest)
def sha2(node: exp.Expr) -> exp.Expr | None:
    """sha512 is not available locally (DuckDB has SHA-256 and SHA-1)."""
    length = node.args.get("length")
    if isinstance(length, exp.Literal) and length.name == "512":
        raise refuse("sha512()", "DuckDB has no SHA-512", "sha256() or md5()")
    return None


@rewrites("XXHASH64", "MURMUR3", "SPOOKY_HASH_V2_32", "SPOOKY_HASH_V2_64", "SHA512")
def unavailable_hash(node: exp.Expr) -> exp.Expr:
    """xxhash64, murmur3 and spooky_hash_v2_*: no DuckDB equivalent; refused."""
    raise refuse(f"{str(node.name).lower()}()", "DuckDB has no such hash", "sha256() or md5() (or crc32())")


@rewrites("CRC32")
def crc32(node: exp.Expr) -> exp.Expr:
    """crc32(varbinary): the CRC-32 (IEEE) checksum, a bigint (no DuckDB match)."""
    (value,) = args_of(node)
    return duck(
        "xor(list_reduce({0}, lambda _cl_c, _cl_b: list_reduce(range(8), lambda _cl_r, _cl_i: "
        "xor(_cl_r >> 1, 3988292384 & -(_cl_r & 1)), xor(_cl_c, _cl_b)), CAST(4294967295 AS "
        "BIGINT)), 4294967295)",
        _bytes(value),
    )


@rewrites("HMAC_SHA256")
def hmac_sha256(node: exp.Expr) -> exp.Expr:
    """hmac_sha256(message, key): HMAC with SHA-256, from DuckDB's sha256."""
    message, key = args_of(node)
    block = duck(
        "list_transform(range(64), lambda _cl_i: coalesce((CASE WHEN octet_length({0}) > 64 "
        f"THEN {BYTES.format('unhex(sha256({0}))')} ELSE {BYTES} END)[_cl_i + 1], 0))",
        key,
    )
    inner_key = _from_bytes(duck("list_transform({0}, lambda _cl_b: xor(_cl_b, 54))", block))
    outer_key = _from_bytes(duck("list_transform({0}, lambda _cl_b: xor(_cl_b, 92))", block))
    inner = duck("unhex(sha256({0} || {1}))", inner_key, message)
    return duck("unhex(sha256({0} || {1}))", outer_key, inner)


@rewrites("TO_BIG_ENDIAN_64", "TO_BIG_ENDIAN_32")
def to_big_endian(node: exp.Expr) -> exp.Expr:
    """to_big_endian_64/32(x): the two's complement bytes of x, most significant first."""
    (value,) = args_of(node)
    digits = 16 if str(node.name).upper().endswith("64") else 8
    cast = "BIGINT" if digits == 16 else "INTEGER"
    return duck(f"unhex(right(printf('%016x', CAST(CAST({{0}} AS {cast}) AS BIGINT)), {digits}))", value)


@rewrites("FROM_BIG_ENDIAN_64", "FROM_BIG_ENDIAN_32")
def from_big_endian(node: exp.Expr) -> exp.Expr:
    """from_big_endian_64/32(b): the signed integer whose big-endian bytes b are."""
    (value,) = args_of(node)
    if str(node.name).upper().endswith("64"):
        return duck(
            "CAST(CAST(CAST(('0x' || hex({0})) AS UBIGINT) AS HUGEINT) - CASE WHEN "
            "CAST(('0x' || hex({0})) AS UBIGINT) >= 9223372036854775808 THEN 18446744073709551616 ELSE 0 END "
            "AS BIGINT)",
            value,
        )
    return duck(
        "CAST(CAST(('0x' || hex({0})) AS BIGINT) - CASE WHEN CAST(('0x' || hex({0})) AS BIGINT) >= "
        "2147483648 "
        "THEN 4294967296 ELSE 0 END AS INTEGER)",
        value,
    )


@rewrites("TO_IEEE754_64", "TO_IEEE754_32")
def to_ieee754(node: exp.Expr) -> exp.Expr:
    """to_ieee754_64/32(x): the IEEE 754 bits of x, big-endian (normal numbers and zero)."""
    (value,) = args_of(node)
    size, _, mantissa_bits, bias = _WIDTHS["64" if str(node.name).upper().endswith("64") else "32"]
    exponent = "floor(log2(abs(CAST({0} AS DOUBLE))))"
    bits = (
        f"CASE WHEN {{0}} = 0 THEN CAST(0 AS HUGEINT) ELSE "
        f"(CASE WHEN {{0}} < 0 THEN CAST(1 AS HUGEINT) << {size * 8 - 1} ELSE 0 END) + "
        f"(CAST({exponent} + {bias} AS HUGEINT) << {mantissa_bits}) + "
        f"CAST(round((abs(CAST({{0}} AS DOUBLE)) / pow(2, {exponent}) - 1) * pow(2, "
        f"{mantissa_bits})) AS HUGEINT) END"
    )
    top, whole = 2 ** (size * 8 - 1), 2 ** (size * 8)
    signed = f"CAST(CASE WHEN ({bits}) >= {top} THEN ({bits}) - {whole} ELSE ({bits}) END AS BIGINT)"
    return duck(f"unhex(right(printf('%016x', {signed}), {size * 2}))", value)


@rewrites("FROM_IEEE754_64", "FROM_IEEE754_32")
def from_ieee754(node: exp.Expr) -> exp.Expr:
    """from_ieee754_64/32(b): the double (or real) whose IEEE 754 bits b are."""
    (value,) = args_of(node)
    wide = str(node.name).upper().endswith("64")
    size, exponent_bits, mantissa_bits, bias = _WIDTHS["64" if wide else "32"]
    bits = "CAST(('0x' || hex({0})) AS UBIGINT)"
    exponent = f"(({bits} >> {mantissa_bits}) & {2**exponent_bits - 1})"
    mantissa = f"({bits} & {2**mantissa_bits - 1})"
    sign = f"CASE WHEN ({bits} >> {size * 8 - 1}) = 1 THEN -1 ELSE 1 END"
    number = (
        f"CASE WHEN {exponent} = 0 AND {mantissa} = 0 THEN 0.0 ELSE "
        f"{sign} * (1 + {mantissa} / pow(2, {mantissa_bits})) * pow(2, CAST({exponent} AS INTEGER) "
        f"- {bias}) END"
    )
    return duck(f"CAST({number} AS {'DOUBLE' if wide else 'REAL'})", value)


def _utf8_step(replacement: str) -> str:
    start = (
        "CASE WHEN _cl_b < 128 THEN struct_pack(o := {O} || _cl_h, n := 0, p := '') "
        "WHEN _cl_b BETWEEN 194 AND 223 THEN struct_pack(o := {O}, n := 1, p := _cl_h) "
        "WHEN _cl_b BETWEEN 224 AND 239 THEN struct_pack(o := {O}, n := 2, p := _cl_h) "
        "WHEN _cl_b BETWEEN 240 AND 244 THEN struct_pack(o := {O}, n := 3, p := _cl_h) "
        f"ELSE struct_pack(o := {{O}} || '{replacement}', n := 0, p := '') END"
    )
    return (
        "CASE WHEN _cl_s.n > 0 AND _cl_b BETWEEN 128 AND 191 THEN CASE WHEN _cl_s.n = 1 "
        "THEN struct_pack(o := _cl_s.o || _cl_s.p || _cl_h, n := 0, p := '') "
        "ELSE struct_pack(o := _cl_s.o, n := _cl_s.n - 1, p := _cl_s.p || _cl_h) END "
        f"WHEN _cl_s.n > 0 THEN {start.replace('{O}', f'(_cl_s.o || {chr(39)}{replacement}{chr(39)})')} "
        f"ELSE {start.replace('{O}', '_cl_s.o')} END"
    )


@rewrites(exp.Decode)
def from_utf8(node: exp.Expr) -> exp.Expr:
    """from_utf8 replaces invalid UTF-8 with U+FFFD or the given replacement (a string or a
    code point); DuckDB's decode fails on it."""
    replace = node.args.get("replace")
    if isinstance(replace, exp.Literal) and not replace.is_string:
        text = chr(int(replace.name))
    elif isinstance(replace, exp.Literal):
        text = replace.name
    else:
        text = "\ufffd"
    replacement = text.encode("utf-8").hex().upper()
    step = _utf8_step(replacement)
    fixed = duck(
        f"list_reduce(list_transform({BYTES}, lambda _cl_x: struct_pack(b := _cl_x, h := "
        f"printf('%02X', _cl_x))), "
        f"lambda _cl_s, _cl_y: {step.replace('_cl_b', '_cl_y.b').replace('_cl_h', '_cl_y.h')}, "
        "struct_pack(o := '', n := 0, p := ''))",
        node.this,
    )
    return duck(
        f"coalesce(try(decode({{0}})), decode(unhex({{1}}.o || CASE WHEN {{1}}.n > 0 THEN "
        f"'{replacement}' ELSE '' END)))",
        node.this,
        fixed,
    )
