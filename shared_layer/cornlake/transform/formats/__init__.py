"""Input formats: one class per format (cornlake.transform.formats.base.InputFormat).

``input_format(contract)`` gives the object that reads a contract's files. The names are
the contract's ``format.type`` values; a contract naming any other is refused when it loads.
"""

from __future__ import annotations

from cornlake.contracts import Contract
from cornlake.transform.formats.base import InputFormat, Sink
from cornlake.transform.formats.csv import Csv
from cornlake.transform.formats.json_array import JsonArray
from cornlake.transform.formats.jsonl import JsonLines
from cornlake.transform.formats.parquet import Parquet

__all__ = ["REGISTRY", "Csv", "InputFormat", "JsonArray", "JsonLines", "Parquet", "Sink", "input_format"]

REGISTRY: dict[str, type[InputFormat]] = {cls.name: cls for cls in (JsonLines, JsonArray, Csv, Parquet)}


def input_format(contract: Contract) -> InputFormat:
    """The reader of ``contract``'s files (the contract was validated: its format is known)."""
    return REGISTRY[contract.format.type](contract)
