"""Regular expressions: Trino's are Java's (``$1`` in replacements, ``(?<name>...)`` groups,
NULL when nothing matches); DuckDB's are RE2's (``\\1``, ``(?P<name>...)``, empty strings).
Patterns RE2 cannot run (lookaround, backreferences) are refused with a clear message."""

from __future__ import annotations

import re

from sqlglot import exp

from cornlake_toolkit.errors import QueryError
from cornlake_toolkit.sql.compat.core import apply_lambda, args_of, call, duck, lam, rewrites

_NAMED_GROUP = re.compile(r"\(\?<([A-Za-z][A-Za-z0-9]*)>")
_UNSUPPORTED = re.compile(r"\(\?<?[=!]|\\[1-9]|\\k<|[*+?}]\+")


def _pattern(node: exp.Expr | None) -> exp.Expr | None:
    """A literal Java pattern in RE2 syntax; other expressions as they are."""
    if not isinstance(node, exp.Literal) or not node.is_string:
        return node
    text = node.name
    if _UNSUPPORTED.search(text):
        raise QueryError(
            f"the regular expression {text!r} uses lookaround, a backreference or a possessive "
            "quantifier: the local engine (RE2) cannot run it, Athena (Java) can",
            hint="rewrite it without them, e.g. with regexp_extract groups",
        )
    return exp.Literal.string(_NAMED_GROUP.sub(r"(?P<\1>", text))


def group_names(pattern: str) -> list[str]:
    """The capturing groups of a pattern in order (unnamed ones as '')."""
    names, i = [], 0
    while i < len(pattern):
        if pattern[i] == "\\":
            i += 2
            continue
        if pattern[i] == "(":
            if pattern.startswith("(?P<", i) or pattern.startswith("(?<", i):
                start = pattern.index("<", i) + 1
                names.append(pattern[start : pattern.index(">", start)])
            elif not pattern.startswith("(?", i):
                names.append("")
        i += 1
    return names


def java_replacement(replacement: str, groups: list[str]) -> str:
    """A Java replacement (``$1``, ``${name}``, ``\\$``) in RE2's syntax (``\\1``)."""
    out, i = [], 0
    while i < len(replacement):
        char = replacement[i]
        if char == "\\" and i + 1 < len(replacement):
            out.append("\\\\" if replacement[i + 1] == "\\" else replacement[i + 1])
            i += 2
        elif char == "$" and replacement.startswith("{", i + 1):
            end = replacement.index("}", i)
            out.append("\\" + str(groups.index(replacement[i + 2 : end]) + 1))
            i = end + 1
        elif char == "$":
            digits = re.match(r"\d+", replacement[i + 1 :])
            out.append("\\" + (digits.group(0) if digits else "0"))
            i += 1 + (len(digits.group(0)) if digits else 0)
        else:
            out.append(char)
            i += 1
    return "".join(out)


@rewrites(exp.RegexpReplace)
def regexp_replace(node: exp.Expr) -> exp.Expr:
    """regexp_replace replaces every match; ``$1`` and ``${name}`` refer to groups (RE2:
    ``\\1``); the replacement may be a lambda over the array of groups."""
    text, pattern = node.this, _pattern(node.expression) or exp.Null()
    replacement = node.args.get("replacement") or exp.Literal.string("")
    if isinstance(replacement, exp.Lambda):
        return _replace_with_lambda(text, pattern, replacement)
    if isinstance(replacement, exp.Literal) and isinstance(pattern, exp.Literal):
        rewritten = java_replacement(replacement.name, group_names(pattern.name))
        return call("regexp_replace", text, pattern, exp.Literal.string(rewritten), exp.Literal.string("g"))
    converted = duck(r"regexp_replace({0}, '\$(\d)', '\\\1', 'g')", replacement)
    return call("regexp_replace", text, pattern, converted, exp.Literal.string("g"))


def _replace_with_lambda(text: exp.Expr, pattern: exp.Expr | None, function: exp.Expr) -> exp.Expr:
    if not isinstance(pattern, exp.Literal):
        raise QueryError(
            "regexp_replace with a lambda needs a literal pattern locally",
            hint="write the pattern as a string literal",
        )
    count = len(group_names(pattern.name))
    groups = [
        duck(f"regexp_extract_all({{0}}, {{1}}, {g})[_cl_k]", text, pattern) for g in range(1, count + 1)
    ]
    replaced = apply_lambda(function, exp.Array(expressions=groups))
    matches = call(
        "list_transform",
        duck("range(1, len(regexp_extract_all({0}, {1})) + 1)", text, pattern),
        lam("_cl_k", replaced),
    )
    return duck(
        "array_to_string(list_transform(regexp_split_to_array({0}, {1}), "
        "lambda _cl_s, _cl_i: _cl_s || coalesce({2}[_cl_i], '')), '')",
        text,
        pattern,
        matches,
    )


@rewrites(exp.RegexpExtract)
def regexp_extract(node: exp.Expr) -> exp.Expr:
    """regexp_extract is NULL when nothing matches (DuckDB: an empty string)."""
    pattern = _pattern(node.expression) or exp.Null()
    group = node.args.get("group") or exp.Literal.number(0)
    return duck(
        "CASE WHEN regexp_matches({0}, {1}) THEN regexp_extract({0}, {1}, {2}) END", node.this, pattern, group
    )


@rewrites(exp.RegexpExtractAll)
def regexp_extract_all(node: exp.Expr) -> exp.Expr:
    """regexp_extract_all, with the pattern in RE2 syntax."""
    group = node.args.get("group") or exp.Literal.number(0)
    return call("regexp_extract_all", node.this, _pattern(node.expression) or exp.Null(), group)


@rewrites(exp.RegexpLike, exp.RegexpCount, exp.RegexpSplit)
def regexp_pattern(node: exp.Expr) -> exp.Expr | None:
    """regexp_like, regexp_count and regexp_split: the pattern in RE2 syntax."""
    pattern = _pattern(node.expression)
    if pattern is node.expression:
        return None
    node.set("expression", pattern)
    return node


@rewrites("REGEXP_POSITION")
def regexp_position(node: exp.Expr) -> exp.Expr:
    """regexp_position(s, p[, start[, n]]): where the n-th match at or after start begins, -1
    when there is none (no DuckDB match: the lengths of the pieces before it add up)."""
    text, pattern, *rest = args_of(node)
    start = rest[0] if rest else exp.Literal.number(1)
    occurrence = rest[1] if len(rest) > 1 else exp.Literal.number(1)
    tail = duck("substr({0}, {1})", text, start)
    return duck(
        "CAST(CASE WHEN len(regexp_extract_all({0}, {1})) < {3} THEN -1 ELSE {2} + "
        "list_sum(list_transform(list_slice(regexp_split_to_array({0}, {1}), 1, {3}), lambda _cl_s: "
        "length(_cl_s))) + "
        "coalesce(list_sum(list_transform(list_slice(regexp_extract_all({0}, {1}), 1, {3} - 1), "
        "lambda _cl_s: length(_cl_s))), 0) END AS INTEGER)",
        tail,
        _pattern(pattern) or exp.Null(),
        start,
        occurrence,
    )
