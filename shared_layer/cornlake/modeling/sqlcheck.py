"""What a SQL model's text says: one SELECT, the tables it reads, and the columns it writes.

Dependencies are read from the SQL with sqlglot (Athena's dialect), never declared: every
table named outside a CTE is an input. Columns are resolved against the inputs' schemas
(the contracts' tables, and the models upstream), so an unknown column is refused when
the model loads, and the output's names and types are known before it ever runs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from cornlake.modeling.spec import ModelError

if TYPE_CHECKING:
    from sqlglot import exp

DIALECT = "athena"
Schema = dict[str, dict[str, str]]  # table -> column -> Glue type


def parse_select(path: str, text: str) -> exp.Query:
    """The model's one SELECT; anything else (DDL, INSERT, two statements, nothing) is refused."""
    import sqlglot  # only when models load: the functions that never read one stay light
    from sqlglot import exp
    from sqlglot.errors import ParseError, SqlglotError

    try:
        statements = [s for s in sqlglot.parse(text, read=DIALECT) if s is not None]
    except (ParseError, SqlglotError) as err:
        raise ModelError(path, f"not valid Athena SQL: {str(err).splitlines()[0]}") from None
    if len(statements) != 1:
        raise ModelError(
            path,
            f"a model is one SELECT statement, this file has {len(statements)}",
            hint="keep one SELECT per model file; another query is another model",
        )
    tree = statements[0]
    if not isinstance(tree, exp.Query):
        raise ModelError(
            path,
            f"a model is one SELECT statement, not {tree.key.upper()}",
            hint="write the SELECT only: the runner creates and replaces the table itself",
        )
    return tree


def references(path: str, tree: exp.Expr) -> tuple[str, ...]:
    """The tables the SELECT reads (not its CTEs), unqualified, in first-seen order."""
    from sqlglot import exp

    ctes = {cte.alias_or_name.lower() for cte in tree.find_all(exp.CTE)}
    found: list[str] = []
    for table in tree.find_all(exp.Table):
        if not table.name or (not table.db and table.name.lower() in ctes):
            continue
        if table.db:
            raise ModelError(
                path,
                f"table {table.sql(DIALECT)} is qualified with a database",
                hint="name tables without their database: the stack's curated database is used",
            )
        if table.name.lower() not in found:
            found.append(table.name.lower())
    return tuple(found)


def _glue(datatype: exp.DataType | None) -> str:
    from sqlglot import exp

    if datatype is None or datatype.this in (exp.DType.UNKNOWN, exp.DType.NULL):
        return ""
    text = datatype.sql("hive").lower().replace(" ", "")
    return {"varchar": "string", "integer": "int", "float": "double", "text": "string"}.get(text, text)


def _athena_sum(select: exp.Expr, glue: str) -> str:
    """Athena's type for a top-level ``sum``: bigint over integers, decimal(38,s) over decimal(p,s)
    (sqlglot keeps the argument's type)."""
    from sqlglot import exp

    inner = select.this if isinstance(select, exp.Alias) else select
    if not isinstance(inner, exp.Sum):
        return glue
    if glue in ("tinyint", "smallint", "int", "bigint"):
        return "bigint"
    if glue.startswith("decimal("):
        return f"decimal(38,{glue.rstrip(')').split(',')[1]})"
    return glue


def output_columns(path: str, tree: exp.Query, schema: Schema) -> tuple[tuple[str, str], ...]:
    """(name, Glue type) of each output column; unknown columns refused, naming them."""
    from sqlglot import exp
    from sqlglot.errors import OptimizeError
    from sqlglot.optimizer.annotate_types import annotate_types
    from sqlglot.optimizer.qualify import qualify

    tables: dict[str, Any] = {t: dict(cols) for t, cols in schema.items()}
    try:
        qualified = qualify(tree.copy(), schema=tables, dialect=DIALECT, validate_qualify_columns=True)
        typed = annotate_types(qualified, schema=tables, dialect=DIALECT)
    except OptimizeError as err:
        raise ModelError(path, f"{str(err).split('. Line')[0]} in any table it reads") from None
    assert isinstance(typed, exp.Query)
    columns = [(s.alias_or_name, _athena_sum(s, _glue(s.type))) for s in typed.selects]
    names = [n for n, _ in columns]
    unnamed = [n for n in names if not n or n.startswith("_col")]
    if unnamed or len(set(names)) != len(names):
        raise ModelError(
            path,
            "every output column needs its own name",
            hint="give each expression an alias: SELECT sum(x) AS total",
        )
    return tuple(columns)


def qualified_sql(tree: exp.Query, database: str) -> str:
    """The SELECT with every input named in ``database`` (for Athena, views and CTAS)."""
    from sqlglot import exp

    copy = tree.copy()
    ctes = {cte.alias_or_name.lower() for cte in copy.find_all(exp.CTE)}
    for table in copy.find_all(exp.Table):
        if table.name and not table.db and table.name.lower() not in ctes:
            table.set("db", exp.to_identifier(database))
    return copy.sql(DIALECT)


Source = tuple[str, str]  # (table, column) an output column is computed from


def column_sources(tree: exp.Query, schema: Schema, names: list[str]) -> dict[str, tuple[bool, list[Source]]]:
    """For each output column: whether it is an input column passed through unchanged (renames
    and CTEs allowed), and the input columns it is computed from (sqlglot's column lineage)."""
    from sqlglot import exp
    from sqlglot.errors import SqlglotError
    from sqlglot.lineage import lineage

    def unaliased(node: exp.Expr) -> exp.Expr:
        return node.this if isinstance(node, exp.Alias) else node

    found: dict[str, tuple[bool, list[Source]]] = {}
    for name in names:
        try:
            nodes = list(lineage(name, tree.copy(), schema=schema, dialect=DIALECT).walk())
        except SqlglotError:
            found[name] = (False, [])
            continue
        leaves = [
            (n.source.name, n.name.rsplit(".", 1)[-1])
            for n in nodes
            if not n.downstream and isinstance(n.source, exp.Table)
        ]
        inner = [unaliased(n.expression) for n in nodes if n.downstream]
        found[name] = (len(leaves) == 1 and all(isinstance(e, exp.Column) for e in inner), leaves)
    return found


def scopable(
    tree: exp.Query, schema: Schema, column: str, partition_keys: dict[str, str]
) -> tuple[str, str] | tuple[()]:
    """(table, partition column) when the output ``column`` is a dataset table's partition column
    passed through unchanged and each output row comes from that table's rows of the same
    partition: the table read once and alone, no window, no LIMIT. Then a batch that changed
    some partitions of the table changes only those output partitions. () otherwise."""
    from sqlglot import exp

    tables = [t for t in tree.find_all(exp.Table) if t.name]
    if len(tables) != 1 or tree.find(exp.Window) or tree.find(exp.Limit):
        return ()
    direct, leaves = column_sources(tree, schema, [column])[column]
    if not direct or len(leaves) != 1:
        return ()
    table, source = leaves[0]
    return (table, source) if partition_keys.get(table) == source and tables[0].name == table else ()


def scoped_sql(sql: str, path: str, source: tuple[str, str], values: list[str]) -> str:
    """The model's SELECT reading only the named partitions of its input (where it scans it),
    so Athena and the local engine prune every other partition."""
    from sqlglot import exp

    tree = parse_select(path, sql)
    table = next(t for t in tree.find_all(exp.Table) if t.name == source[0])
    select = table.find_ancestor(exp.Select)
    assert select is not None
    column = exp.column(source[1], table=table.alias_or_name, quoted=True)
    select.where(exp.In(this=column, expressions=[exp.Literal.string(v) for v in values]), copy=False)
    return tree.sql(DIALECT)
