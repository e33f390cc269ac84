"""Converting one raw object into local files: no AWS, the heart of the transform.

``convert_object`` streams the object through its input format (cornlake.transform.feed),
stages every row (cornlake.transform.stage), quarantines what the contract refuses and the
duplicates by primary key, and writes partitioned Parquet files and the quarantine file
under a scratch folder. The Lambda function uploads them (cornlake.transform.job);
``cornlake try`` shows them to a user trying a contract on a sample.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cornlake import keys
from cornlake.contracts import Contract
from cornlake.errors import BadFileError
from cornlake.transform.coverage import Coverage
from cornlake.transform.feed import Feeder
from cornlake.transform.formats import input_format
from cornlake.transform.read import RAW_SNIPPET, RawRecord
from cornlake.transform.rowpath import Problem, RowPath
from cornlake.transform.stage import MEMORY_LIMIT_MB, Stage
from cornlake.transform.write import ROW_GROUP_ROWS, TARGET_FILE_BYTES, OutputFile, Quarantine, write_parquet


@dataclass
class Converted:
    """One raw object converted in a scratch folder, ready to be uploaded or inspected."""

    files: list[OutputFile]
    rows_in: int
    rows_out: int
    quarantined: int
    quarantine_entries: int  # lines in the quarantine file (a rejected file has one)
    quarantine_path: Path
    file_error: str
    duplicates: int
    fast_path_rows: int
    evolved_columns: list[str]
    unexpected_columns: list[str]
    warnings: list[str]  # for people: the input looks wrong in a way that loses no row
    coverage: Coverage  # the fast path's share of the valid rows, and what sent the others away
    phases: dict[str, float] = field(default_factory=dict)  # seconds per phase (docs/PERFORMANCE.md)


class Phases(dict[str, float]):
    """Seconds spent in each phase of one conversion: ``with phases("write"): ...``."""

    @contextmanager
    def __call__(self, name: str) -> Iterator[None]:
        started = time.perf_counter()
        try:
            yield
        finally:
            self[name] = self.get(name, 0.0) + time.perf_counter() - started


@dataclass(frozen=True)
class ConvertOptions:
    target_bytes: int = TARGET_FILE_BYTES
    row_group_rows: int = ROW_GROUP_ROWS
    memory_mb: int = 0  # DuckDB's working memory; 0 = MEMORY_LIMIT_MB
    fast_path: bool = True  # False: every record through the row path (for comparison)


def convert_object(
    body: Any,
    contract: Contract,
    raw: keys.RawKey,
    tmp: Path,
    *,
    size: int,
    header: list[str] | None = None,
    schema_problems: Sequence[str] = (),
    options: ConvertOptions | None = None,
) -> Converted:
    """Stream ``body`` (anything with ``read(n)``) through the contract into files under ``tmp``.

    ``header`` gives the CSV field names when ``body`` starts after the header line (a byte
    range of a split object); ``schema_problems`` reject the whole file (a narrowing contract)."""
    options = options or ConvertOptions()
    stage = Stage(
        contract, tmp, ingest_id=raw.ingest_id, memory_limit_mb=options.memory_mb or MEMORY_LIMIT_MB
    )
    quarantine_path, phases = tmp / "quarantine.jsonl", Phases()
    try:
        with quarantine_path.open("w", encoding="utf-8") as handle:
            quarantine = Quarantine(handle, str(raw))
            rows = RowPath(contract, raw, stage, quarantine)
            feeder = Feeder(
                input_format(contract), stage, rows, tmp, header=header, fast_path=options.fast_path
            )
            read = _read_all(feeder, body, size, schema_problems, quarantine, phases)
            file_error, duplicates, unexpected = read
        with phases("write"):
            files = [] if file_error else _write(stage, tmp, raw, options)  # a damaged file stays in raw
        return Converted(
            files=files,
            rows_in=feeder.records,
            rows_out=sum(f.rows for f in files),
            quarantined=feeder.records if file_error else quarantine.count,
            quarantine_entries=quarantine.count,
            quarantine_path=quarantine_path,
            file_error=file_error,
            duplicates=duplicates,
            fast_path_rows=feeder.fast_records,
            evolved_columns=sorted(rows.converter.evolved_columns | set(stage.evolved)) if files else [],
            unexpected_columns=sorted(unexpected | rows.converter.unexpected_columns),
            warnings=feeder.warnings,
            coverage=feeder.coverage(),
            phases=dict(phases),
        )
    finally:
        stage.close()


def _read_all(  # noqa: PLR0917 - the one caller passes each
    feeder: Feeder,
    body: Any,
    size: int,
    schema_problems: Sequence[str],
    quarantine: Quarantine,
    phases: Phases,
) -> tuple[str, int, set[str]]:
    """Read the object, decide the flagged records, quarantine duplicates: (file error, duplicates,
    fields outside the contract). A file that cannot be read at all is quarantined whole."""
    unexpected: set[str] = set()
    try:
        if schema_problems:
            raise BadFileError("; ".join(schema_problems), hint="fix the contract, then `cornlake reprocess`")
        with phases("read and cut"):
            feeder.read(body, size)
        phases["read and cut"] -= feeder.stage.load_seconds
        phases["fast path: type and check"] = feeder.stage.load_seconds
        unexpected = feeder.stage.unexpected_columns()
        with phases("row path"):
            feeder.flagged()
        if feeder.records == 0 and not feeder.format.empty_is_a_batch:
            raise BadFileError("the file holds no records", hint="send a file with at least one record")
        with phases("duplicates"):
            duplicates = feeder.stage.duplicates()
    except BadFileError as err:
        problem = Problem("", None, f"file rejected: {err.message} ({err.hint})")
        quarantine.add(RawRecord(0, None, "", err.message), [problem])
        return err.message, 0, unexpected
    columns = ",".join(feeder.stage.contract.primary_key)
    reason = "duplicate primary key: an earlier record of this file has the same key"
    for number, key, row in duplicates:
        quarantine.add(RawRecord(number, None, row[:RAW_SNIPPET]), [Problem(columns, key, reason)])
    return "", len(duplicates), unexpected


def _write(stage: Stage, tmp: Path, raw: keys.RawKey, options: ConvertOptions) -> list[OutputFile]:
    return write_parquet(
        stage,
        tmp / "out",
        default_partition=raw.ingest_date.isoformat(),
        target_bytes=options.target_bytes,
        row_group_rows=options.row_group_rows,
    )
