"""JSON text as CornLake reads it on the row path: strict where Python's json is lenient.

Python's ``json`` keeps the last of two values for a repeated key, decodes a lone surrogate
escape (``"\\ud800"``) into a string no encoder can write, and refuses integers of more than
4,300 digits with a bare ValueError. Here each is a reason a record (or a file) is refused.
"""

from __future__ import annotations

import json
import re
from typing import Any

_SURROGATE = re.compile("[\ud800-\udfff]")
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")


class DuplicateKeyError(ValueError):
    pass


def unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """``object_pairs_hook`` that refuses an object with the same key twice."""
    obj = dict(pairs)
    if len(obj) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise DuplicateKeyError(key)
            seen.add(key)
    return obj


DECODER = json.JSONDecoder(object_pairs_hook=unique_keys)


def decode_problem(err: Exception) -> str:
    """Why a JSON text could not be decoded, for people."""
    if isinstance(err, DuplicateKeyError):
        return f"key '{err}' appears twice in one object, so its value is ambiguous"
    if isinstance(err, json.JSONDecodeError):
        return f"invalid JSON: {err.msg} at column {err.colno}"
    if isinstance(err, RecursionError):
        return "invalid JSON: nested too deeply"
    return f"invalid JSON: {str(err).split(':')[0]}"  # e.g. an integer with more than 4,300 digits


DECODE_ERRORS = (ValueError, RecursionError)  # JSONDecodeError and DuplicateKeyError are ValueErrors


def surrogate_problem(text: str, value: Any) -> str:
    """'' unless the decoded value holds a lone surrogate (only possible when the text escapes one)."""
    if not _SURROGATE_ESCAPE.search(text) or not _holds_surrogate(value):
        return ""
    return "invalid JSON: a \\uD800-\\uDFFF escape without its pair is not a character"


def _holds_surrogate(value: Any) -> bool:
    """Walked with a stack, not recursion: a value json could decode can be nested deeper than
    Python's recursion limit allows a recursive walk to go (two frames a level)."""
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, str):
            if _SURROGATE.search(item):
                return True
        elif isinstance(item, dict):
            pending.extend(item.keys())
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)
    return False


def not_an_object(value: Any) -> str:
    if isinstance(value, dict):
        return ""
    kind = "null" if value is None else type(value).__name__
    return f"expected a JSON object, got {kind}"
