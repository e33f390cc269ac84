"""A progress bar for long verbs, on stderr and only on a terminal (pipes and logs stay clean)."""

from __future__ import annotations

import sys
import time
from typing import TextIO


class Progress:
    """``with Progress("reprocess", total) as bar: ... bar.advance()``; draws at most ten times a second."""

    WIDTH = 30

    def __init__(self, label: str, total: int, *, out: TextIO | None = None, force: bool = False) -> None:
        self.label, self.total, self.done = label, max(total, 0), 0
        self.out = out or sys.stderr
        self.shown = force or self.out.isatty()
        self._drawn = 0.0

    def __enter__(self) -> Progress:
        self.draw(force=True)
        return self

    def __exit__(self, *exc: object) -> None:
        self.draw(force=True)
        if self.shown:
            self.out.write("\n")
            self.out.flush()

    def advance(self, n: int = 1) -> None:
        self.done = min(self.done + n, self.total) if self.total else self.done + n
        self.draw()

    def line(self) -> str:
        if not self.total:
            return f"{self.label}: {self.done}"
        filled = int(self.WIDTH * self.done / self.total)
        bar = "#" * filled + "." * (self.WIDTH - filled)
        return f"{self.label} [{bar}] {self.done}/{self.total} ({100 * self.done // self.total}%)"

    def draw(self, *, force: bool = False) -> None:
        now = time.monotonic()
        if not self.shown or (not force and now - self._drawn < 0.1):
            return
        self._drawn = now
        self.out.write("\r" + self.line())
        self.out.flush()
