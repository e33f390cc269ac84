"""SQL quoting, the one way CornLake writes names and text into SQL (DuckDB, Athena).

Names reaching SQL are validated first (cornlake.keys); quoting is the second guard.
"""

from __future__ import annotations

from collections.abc import Iterable


def ident(name: str) -> str:
    """A quoted identifier: ``"name"``, with embedded quotes doubled."""
    return '"' + name.replace('"', '""') + '"'


def literal(text: str) -> str:
    """A quoted string literal: ``'text'``, with embedded quotes doubled."""
    return "'" + text.replace("'", "''") + "'"


def string_list(values: Iterable[str]) -> str:
    """A DuckDB ``VARCHAR[]`` literal of the values."""
    return "[" + ", ".join(literal(v) for v in values) + "]::VARCHAR[]"
