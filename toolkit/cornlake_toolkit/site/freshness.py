"""Is a dataset late? Its last curated batch against the interval its contract expects.

Intervals are written as in contracts: ``90m``, ``6h``, ``1d``, ``2w`` (also ``45s`` and
combinations such as ``1d12h``). A dataset is late when the expected interval plus the grace
has passed since its last successful batch; one without an expected interval is never late.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

from cornlake_toolkit.site.model import Freshness

_PART = re.compile(r"(\d+)\s*([smhdw])")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def parse_interval(text: str) -> timedelta | None:
    """``1d12h`` as a timedelta; None for '' or anything that is not an interval."""
    cleaned = str(text or "").strip().lower()
    if not cleaned or _PART.sub("", cleaned).strip():
        return None
    seconds = sum(int(n) * _UNITS[unit] for n, unit in _PART.findall(cleaned))
    return timedelta(seconds=seconds)


def parse_time(text: str) -> datetime | None:
    """An ISO 8601 time as an aware UTC datetime (naive times are UTC); None if unreadable."""
    try:
        moment = datetime.fromisoformat(str(text).strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds")


def expectation(contract: Any, glue_parameters: dict[str, str] | None = None) -> tuple[str, str]:
    """(expected_every, grace) from the contract's ``freshness``, else from the Glue table's
    ``cornlake.expected_update_interval`` and ``cornlake.grace``; '' where there is none."""
    freshness = getattr(contract, "freshness", None)
    if isinstance(freshness, dict):
        every, grace = freshness.get("expected_every", ""), freshness.get("grace", "")
    else:
        every, grace = getattr(freshness, "expected_every", ""), getattr(freshness, "grace", "")
    if not every and glue_parameters:
        every = glue_parameters.get("cornlake.expected_update_interval", "")
        grace = glue_parameters.get("cornlake.grace", "")
    return str(every or ""), str(grace or "")


def assess(last_success: str, expected_every: str, grace: str, now: datetime, *, basis: str) -> Freshness:
    """The dataset's freshness at ``now``."""
    interval = parse_interval(expected_every)
    allowance = parse_interval(grace) or timedelta()
    last = parse_time(last_success) if last_success else None
    if interval is None:
        state = "no_interval" if last is not None else "never"
        return Freshness(state, iso(last) if last else "", "", "", basis=basis)
    if last is None:
        return Freshness("never", "", expected_every, grace, basis=basis)
    due = last + interval + allowance
    state = "late" if now > due else "on_time"
    return Freshness(state, iso(last), expected_every, grace, iso(due), basis)
