"""``cornlake try``: the transform on a local file, with no lake running.

This is how a user tries a new contract on a sample before deploying it. The contract may
live anywhere (its folder and file name still give source and dataset). The file is
converted exactly as the transform function converts a raw object; the report says how
many rows came in, were curated and were quarantined, how many took the fast path, the
quarantine reasons grouped with an example each, and the speed. The Parquet files and the
quarantine file are written to the output folder.
"""

from __future__ import annotations

import json
import re
import shutil
import tempfile
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cornlake import keys
from cornlake.contracts import Contract, load_contract
from cornlake.transform import Converted, ConvertOptions, convert_object
from cornlake_toolkit.errors import UsageError

TRY_FILE_NAME = "try-input"


@dataclass
class Reason:
    reason: str
    count: int
    example_record: int
    example: str


@dataclass
class TrialReport:
    file: str
    contract: str
    dataset: str
    rows_in: int
    rows_curated: int
    rows_quarantined: int
    fast_path_rows: int
    file_error: str
    seconds: float
    mib_per_second: float
    outputs: list[str] = field(default_factory=list)
    reasons: list[Reason] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def fast_path_share(self) -> float:
        return self.fast_path_rows / self.rows_curated if self.rows_curated else 0.0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self) | {"fast_path_share": round(self.fast_path_share, 4)}


def try_file(path: Path, contract_path: Path, out: Path, *, fast_path: bool = True) -> TrialReport:
    """Convert ``path`` under the contract at ``contract_path``; write the outputs to ``out``."""
    if not path.is_file():
        raise UsageError(f"no file {path}", hint="give the path of a sample file to convert")
    if not contract_path.is_file():
        raise UsageError(
            f"no contract {contract_path}", hint="give the path of a <source>/<dataset>.yaml file"
        )
    contract = load_contract(contract_path)
    ingest_id = keys.new_ingest_id(datetime.now(UTC))
    raw = keys.raw_key(contract.source, contract.dataset, ingest_id, TRY_FILE_NAME)
    size = path.stat().st_size
    with tempfile.TemporaryDirectory(prefix="cornlake-try-") as tmp:
        started = time.perf_counter()
        with path.open("rb") as body:
            done = convert_object(
                body, contract, raw, Path(tmp), size=size, options=ConvertOptions(fast_path=fast_path)
            )
        seconds = time.perf_counter() - started
        outputs = _keep(done, contract, out)
        reasons = _reasons(done)
    return TrialReport(
        file=str(path),
        contract=str(contract_path),
        dataset=f"{contract.source}/{contract.dataset}",
        rows_in=done.rows_in,
        rows_curated=done.rows_out,
        rows_quarantined=done.quarantined,
        fast_path_rows=done.fast_path_rows,
        file_error=done.file_error,
        seconds=round(seconds, 3),
        mib_per_second=round(size / (1 << 20) / seconds, 2) if seconds else 0.0,
        outputs=outputs,
        reasons=reasons,
        warnings=done.warnings,
    )


def _keep(done: Converted, contract: Contract, out: Path) -> list[str]:
    """Copy the outputs to ``out`` in the curated layout: <partition>=<value>/part-N.parquet."""
    out.mkdir(parents=True, exist_ok=True)
    kept = []
    counts: Counter[str] = Counter()
    for f in done.files:
        folder = out / f"{contract.partitioning.name}={f.partition}"
        folder.mkdir(parents=True, exist_ok=True)
        target = folder / f"part-{counts[f.partition]:04d}.parquet"
        counts[f.partition] += 1
        shutil.copyfile(f.path, target)
        kept.append(str(target))
    if done.quarantine_entries:
        target = out / "quarantine.jsonl"
        shutil.copyfile(done.quarantine_path, target)
        kept.append(str(target))
    return kept


_GOT = re.compile(r",? got .*$")
_LEADING_VALUE = re.compile(r"^('[^']*'|-?\d[\d.eE+-]*) ")


def reason_kind(column: str, reason: str) -> str:
    """A reason without the value it names, so one kind of problem is one group."""
    text = _LEADING_VALUE.sub("<value> ", _GOT.sub("", reason))
    return f"{column}: {text}" if column else text


def _reasons(done: Converted) -> list[Reason]:
    """Quarantine reasons, most frequent first, each with its first record as the example."""
    grouped: dict[str, Reason] = {}
    with done.quarantine_path.open(encoding="utf-8") as handle:
        for line in handle:
            entry = json.loads(line)
            for error in entry["errors"]:
                text = reason_kind(error["column"], error["reason"])
                reason = grouped.setdefault(text, Reason(text, 0, entry["record"], entry["raw"][:200]))
                reason.count += 1
    return sorted(grouped.values(), key=lambda r: (-r.count, r.example_record))


def report_text(report: TrialReport) -> str:
    lines = [
        f"{report.file} under {report.dataset} ({report.contract})",
        f"  rows in      {report.rows_in:>10}",
        f"  curated      {report.rows_curated:>10}",
        f"  quarantined  {report.rows_quarantined:>10}",
        f"  fast path    {report.fast_path_share:>10.1%} of curated rows",
        f"  time         {report.seconds:>10.2f} s  ({report.mib_per_second} MiB/s)",
    ]
    if report.file_error:
        lines.append(f"  the whole file was refused: {report.file_error}")
    lines += [f"  warning: {w}" for w in report.warnings]
    if report.reasons:
        lines.append("  quarantine reasons:")
        for r in report.reasons:
            lines.append(f"    {r.count:>6} x {r.reason}")
            lines.append(f"             e.g. record {r.example_record}: {r.example}")
    lines += ["  wrote:", *(f"    {o}" for o in report.outputs)] if report.outputs else []
    return "\n".join(lines)
