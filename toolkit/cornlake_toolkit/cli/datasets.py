"""Verbs about the dataset contracts: ``datasets`` (all of them) and ``describe`` (one)."""

from __future__ import annotations

import argparse
from typing import Any

from cornlake.contracts import Contract, QualityRule, registry
from cornlake_toolkit.cli.common import verb
from cornlake_toolkit.output import table_text


def register(sub: Any) -> None:
    verb(
        sub,
        "datasets",
        cmd_datasets,
        "list the dataset contracts (and the ones that do not load)",
        targeted=False,
    )
    describe = verb(
        sub, "describe", cmd_describe, "show how one dataset is read, typed and checked", targeted=False
    )
    describe.add_argument("dataset", help="source/dataset")


def cmd_datasets(args: argparse.Namespace, target: Any) -> int:
    contracts = registry()
    rows: list[list[Any]] = [
        [f"{c.source}/{c.dataset}", c.table_name, c.format.type, c.owner, c.description] for c in contracts
    ]
    rows += [
        [f"{s}/{d}", "", "", "", f"BROKEN: {err.message}"] for (s, d), err in sorted(contracts.broken.items())
    ]
    print(table_text(["dataset", "table", "format", "owner", "description"], rows))
    return 1 if contracts.broken else 0


def cmd_describe(args: argparse.Namespace, target: Any) -> int:
    source, _, dataset = args.dataset.replace(".", "/").partition("/")
    print(describe_contract(registry().get(source, dataset)))
    return 0


def _format_lines(contract: Contract) -> list[str]:
    spec = contract.format
    lines = [f"  format: {spec.type}, compression {spec.compression}, encoding {spec.encoding}"]
    if spec.type == "csv":
        lines.append(
            f"    delimiter {spec.delimiter!r}, quote {spec.quote!r}, "
            f"header {'yes' if spec.header else 'no'}, "
            f"decimal mark {spec.decimal!r}, thousands {spec.thousands or 'none'!r}"
        )
    lines += [
        f"    null markers: {', '.join(repr(v) for v in spec.null_values)}",
        f"    dates: {spec.date_format!r} or ISO; timestamps: ISO 8601, epoch seconds or milliseconds"
        + "".join(f", {f!r}" for f in spec.timestamp_formats),
        f"    time zone for timestamps without an offset: {spec.timezone}",
    ]
    return lines


def _rule_text(rule: QualityRule) -> str:
    alias = f", written as {rule.alias}" if rule.alias else ""
    return f"{rule.text} ({rule.severity}{alias})"


def describe_contract(contract: Contract) -> str:
    part = contract.partitioning
    columns = [
        [
            c.name,
            c.source_name or "",
            c.type.glue(),
            "" if c.nullable else "NOT NULL",
            "PII" if c.pii else "",
            c.description,
        ]
        for c in contract.columns
    ]
    lines = [
        f"{contract.source}/{contract.dataset} (contract v{contract.version}, {contract.path})",
        f"  {contract.description}",
        f"  owner: {contract.owner}",
        *_format_lines(contract),
        f"  table: {contract.table_name}, partitioned by {part.name}"
        + (f" ({part.column} by {part.granularity})" if part.column else " (the day the file arrived)"),
        f"  primary key: {', '.join(contract.primary_key) or '-'}",
        f"  fields outside the contract: {contract.new_columns}",
        "  columns:",
        *(
            "    " + line
            for line in table_text(
                ["name", "in the source", "type", "", "", "description"], columns
            ).splitlines()
        ),
        f"  quality rules ({contract.quality_mode.replace('_', ' ')}):",
        *([f"    {_rule_text(r)}" for r in contract.quality] or ["    -"]),
    ]
    return "\n".join(lines)
