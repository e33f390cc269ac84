"""UNNEST: Trino unnests several arrays side by side (the shorter padded with NULLs), a
map into key and value columns, an array of rows into one column per field, and numbers
the rows WITH ORDINALITY. DuckDB's UNNEST in FROM takes one list; in a select list,
several unnests run side by side, so the relation becomes a (lateral) subquery."""

from __future__ import annotations

from sqlglot import exp

from cornlake_toolkit.sql.compat.core import call, duck, element_type, is_map, rewrites


def _row_width(node: exp.Expr) -> int:
    dt = element_type(node)
    if dt is None or dt.this != exp.DType.STRUCT:
        return 0
    return len(dt.expressions)


def _columns(node: exp.Expr, expand_rows: bool) -> list[exp.Expr]:
    """The columns one UNNEST argument gives: a map's keys and values, a row array's fields."""
    if is_map(node):
        return [duck("unnest(map_keys({0}))", node), duck("unnest(map_values({0}))", node)]
    width = _row_width(node)
    if width and expand_rows:
        return [
            duck(f"unnest(list_transform({{0}}, lambda _cl_r: _cl_r[{i}]))", node)
            for i in range(1, width + 1)
        ]
    return [call("unnest", node)]


@rewrites(exp.Unnest)
def unnest(node: exp.Expr) -> exp.Expr | None:
    """Several arrays, maps, arrays of rows and WITH ORDINALITY, as a select of unnests."""
    arrays = list(node.expressions)
    alias = node.args.get("alias")
    names = [c.name for c in alias.columns] if isinstance(alias, exp.TableAlias) else []
    offset = node.args.get("offset") if isinstance(node.args.get("offset"), exp.Expr) else None
    expanded = sum(2 if is_map(a) else _row_width(a) or 1 for a in arrays) + (offset is not None)
    expand_rows = len(names) == expanded and any(_row_width(a) for a in arrays)
    if len(arrays) == 1 and not is_map(arrays[0]) and not expand_rows and offset is None:
        return None
    values: list[exp.Expr] = []
    for array in arrays:
        values += _columns(array, expand_rows)
    if offset is not None:
        lengths = [duck("len({0})", a) if not is_map(a) else duck("cardinality({0})", a) for a in arrays]
        longest = lengths[0] if len(lengths) == 1 else call("greatest", *lengths)
        values.append(duck("unnest(range(1, {0} + 1))", longest))
        names.append(offset.name or "ordinality")
    projections = [exp.alias_(v, names[i] if i < len(names) else f"_col{i}") for i, v in enumerate(values)]
    table = alias.this.name if isinstance(alias, exp.TableAlias) and alias.this else "unnest"
    return exp.Subquery(this=exp.select(*projections), alias=exp.TableAlias(this=exp.to_identifier(table)))
