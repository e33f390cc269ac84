"""``sql``: the local SQL engine itself, no lake needed.

    cornlake sql translate "SQL" [--database DB]   the DuckDB SQL the local engine runs
    cornlake sql conformance [--write-docs]        the Trino examples, run locally

``translate`` reads no catalog: the tables a query names are looked up among the tables the
catalog stage registers from the dataset contracts (``<source>_<dataset>``, its
``_latest`` view, and the ops tables), whose columns give the compatibility layer its
types; unqualified names get the local lake's database (``--database`` to choose).
"""

from __future__ import annotations

import argparse
from typing import Any

from cornlake_toolkit.cli.common import say, verb
from cornlake_toolkit.local import ROOT


def register(sub: Any) -> None:
    sql = verb(
        sub,
        "sql",
        _needs_a_command,
        "the local SQL engine: translate Athena SQL, check conformance",
        targeted=False,
    )
    commands = sql.add_subparsers(dest="sql_command", required=True)
    translate = commands.add_parser("translate", help="print the DuckDB SQL the local engine would run")
    translate.add_argument("sql")
    translate.add_argument(
        "--database", default="", help="database of unqualified tables (default: the local lake's)"
    )
    translate.set_defaults(run=cmd_translate, targeted=False)
    conformance = commands.add_parser(
        "conformance", help="run tests/sql/trino_functions.yaml on the local engine"
    )
    conformance.add_argument("--write-docs", action="store_true", help="rewrite the summary in docs/SQL.md")
    conformance.set_defaults(run=cmd_conformance, targeted=False)


def _needs_a_command(args: argparse.Namespace, target: Any) -> int:
    """Never run: argparse asks for translate or conformance first."""
    return 2


def local_databases() -> tuple[str, str]:
    """The curated and ops Glue databases of the local lake (from its state, else the template)."""
    from cornlake_toolkit.errors import TargetError
    from cornlake_toolkit.target import local_target

    try:
        target = local_target()
        return target.glue_database, target.ops_glue_database
    except TargetError:
        from cornlake_toolkit.cfn import Template
        from cornlake_toolkit.local.process import LOCAL_ACCOUNT

        template = Template.load(
            ROOT / "template.yaml",
            stack_name="cornlake-local",
            region="us-east-1",
            account=LOCAL_ACCOUNT,
            parameters={"EnableVpc": "false"},
        )
        env = template.properties("IngestApiFunction")["Environment"]["Variables"]
        return str(env["GLUE_DATABASE"]), str(env["OPS_GLUE_DATABASE"])


def contract_schema(database: str, ops_database: str) -> dict[str, Any]:
    """The schemas of the tables the catalog stage registers, from the contracts."""
    from cornlake.catalog.tables import ops_table_input, table_input
    from cornlake.catalog.views import view_input
    from cornlake.contracts import registry
    from cornlake.ops import OPS_TABLES
    from cornlake_toolkit.sql.catalog import spec_from_glue

    curated: dict[str, Any] = {}
    for contract in registry():
        table = table_input(contract, "translate")
        curated[contract.table_name] = spec_from_glue(database, table).schema()
        if contract.across_files == "latest_view":
            curated[contract.latest_view_name] = spec_from_glue(
                database, view_input(contract, database, table)
            ).schema()
    ops = {t.name: spec_from_glue(ops_database, ops_table_input(t, "translate")).schema() for t in OPS_TABLES}
    return {database: curated, ops_database: ops}


def cmd_translate(args: argparse.Namespace, target: Any) -> int:
    from cornlake_toolkit.sql import translate

    curated, ops = local_databases()
    database = args.database or curated
    schema = contract_schema(curated, ops)
    schema.setdefault(database, schema[curated])
    print(translate(args.sql, schema, database))
    return 0


def cmd_conformance(args: argparse.Namespace, target: Any) -> int:
    from cornlake_toolkit.sql import conformance

    outcomes = conformance.run()
    known = conformance.load_known()
    passed, total = conformance.pass_count(outcomes)
    for outcome in outcomes:
        if not outcome.passed:
            reason = known.get(outcome.id, {}).get("reason", "NOT LISTED in tests/sql/known_differences.yaml")
            print(f"{outcome.id}: {outcome.detail}\n    {reason}")
    print(f"{passed} of {total} examples give Trino's answer ({100 * passed / total:.1f}%)")
    if args.write_docs:
        path = conformance.write_docs(outcomes, known)
        say(f"wrote the conformance summary into {path}")
    return 0
