"""Types sqlglot's annotation misses, fixed before the rewrites ask for them.

``a || b`` over arrays is typed as text (it becomes ArrayConcat, ArrayAppend or
ArrayPrepend, which sqlglot types right), and the parameters of lambdas are untyped (they
get the element, key or value types of the function's arguments), so a rewrite inside a
lambda body (integer division, a cast to varchar) decides as it would outside.
"""

from __future__ import annotations

from typing import Any

from sqlglot import exp
from sqlglot.optimizer.annotate_types import annotate_types

from cornlake_toolkit.sql.compat.core import element_type, is_array, lambda_parts, type_of

_ARRAY_LAMBDAS = {"ALL_MATCH", "ANY_MATCH", "NONE_MATCH", "ZIP_WITH"}
_MAP_LAMBDAS = {"MAP_FILTER", "TRANSFORM_KEYS", "TRANSFORM_VALUES", "MAP_ZIP_WITH"}


def _depth(node: exp.Expr) -> int:
    depth, dt = 0, type_of(node)
    while dt is not None and dt.this == exp.DType.ARRAY:
        depth += 1
        inner = dt.expressions[0] if dt.expressions else None
        dt = inner if isinstance(inner, exp.DataType) else None
    return depth


def _array_pipe(node: exp.DPipe) -> exp.Expr | None:
    left, right = node.this, node.expression
    if not (is_array(left) or is_array(right)):
        return None
    ldepth, rdepth = _depth(left), _depth(right)
    if ldepth == rdepth:
        joined: exp.Expr = exp.ArrayConcat(this=left, expressions=[right])
    elif ldepth > rdepth:
        joined = exp.ArrayAppend(this=left, expression=right)
    else:
        joined = exp.ArrayPrepend(this=right, expression=left)
    joined.type = (left if ldepth >= rdepth else right).type
    return joined


BINARY_RESULTS = (exp.Unhex, exp.FromBase64, exp.Encode, exp.MD5Digest, exp.SHA2Digest)


def _binary_types(tree: exp.Expr) -> None:
    """Functions that give varbinary, where sqlglot leaves the type unknown."""
    for node in tree.find_all(*BINARY_RESULTS):
        if type_of(node) is None:
            node.type = exp.DataType.build("VARBINARY")


def _map_types(node: exp.Expr | None) -> tuple[exp.DataType | None, exp.DataType | None]:
    dt = type_of(node)
    if dt is None or dt.this != exp.DType.MAP or len(dt.expressions) != 2:
        return None, None
    key, value = dt.expressions
    return (
        key if isinstance(key, exp.DataType) else None,
        value if isinstance(value, exp.DataType) else None,
    )


def _param_types(function: exp.Expr, args: list[exp.Expr], index: int) -> list[exp.DataType | None]:
    name = (
        str(function.name).upper() if isinstance(function, exp.Anonymous) else type(function).__name__.upper()
    )
    first = args[0] if args else None
    if name in _MAP_LAMBDAS:
        key, value = _map_types(first)
        if name == "MAP_ZIP_WITH":
            return [key, value, _map_types(args[1])[1]]
        return [key, value]
    if name == "ZIP_WITH":
        return [element_type(args[0]), element_type(args[1])]
    if name == "REDUCE":
        return [type_of(args[1]), element_type(first)] if index == 2 else [type_of(args[1])]
    if name == "REGEXPREPLACE":
        return [exp.DataType.build("ARRAY<VARCHAR>")]
    if name in _ARRAY_LAMBDAS or isinstance(function, exp.ArrayFilter | exp.Transform | exp.ArraySort):
        return [element_type(first), element_type(first)]
    return []


def _function_args(function: exp.Expr) -> list[exp.Expr]:
    if isinstance(function, exp.Anonymous):
        return list(function.expressions)
    return [v for v in function.args.values() if isinstance(v, exp.Expr)]


def _type_lambda(lam: exp.Lambda) -> bool:
    function = lam.parent
    if function is None:
        return False
    args = _function_args(function)
    index = next((i for i, a in enumerate(args) if a is lam), -1)
    types = dict(zip([p.name for p in lam.expressions], _param_types(function, args, index), strict=False))
    if not any(types.values()):
        return False
    parts = lambda_parts(lam)
    assert parts is not None
    for node in parts[1].walk():
        node.type = None
        if isinstance(node, exp.Identifier) and types.get(node.name) is not None:
            node.type = types[node.name]
    return True


def retype(tree: exp.Expr, schema: dict[str, Any] | None, dialect: Any) -> exp.Expr:
    """The annotated ``tree`` with array ``||`` and lambda parameters typed."""
    _binary_types(tree)
    changed = False
    for pipe in reversed(list(tree.find_all(exp.DPipe, bfs=False))):
        replacement = _array_pipe(pipe)
        if replacement is not None:
            pipe.replace(replacement)
            changed = True
    if changed:
        tree = annotate_types(tree, schema=schema, dialect=dialect)
        _binary_types(tree)
        for joined in reversed(list(tree.find_all(exp.ArrayAppend, exp.ArrayPrepend, bfs=False))):
            if type_of(joined) is None:
                joined.type = joined.this.type
    for lam in list(tree.find_all(exp.Lambda)):
        if _type_lambda(lam):
            # bottom-up, one node at a time: sqlglot does not annotate below some nodes (a Cast)
            for node in reversed(list(lam.this.walk(bfs=False))):
                if node.type is None:
                    annotate_types(node, schema=schema, dialect=dialect, overwrite_types=False)
    return tree
