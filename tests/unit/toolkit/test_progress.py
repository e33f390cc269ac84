"""Long verbs draw a progress bar on a terminal, and nothing into pipes."""

from __future__ import annotations

import io

from cornlake_toolkit.progress import Progress


def test_the_bar_counts_to_its_total_on_a_terminal() -> None:
    out = io.StringIO()
    with Progress("reprocess erp/vendas", 4, out=out, force=True) as bar:
        for _ in range(4):
            bar.advance()
    last = out.getvalue().rstrip("\n").split("\r")[-1]
    assert last == "reprocess erp/vendas [" + "#" * 30 + "] 4/4 (100%)"
    assert Progress("x", 0, out=io.StringIO(), force=True).line() == "x: 0"


def test_nothing_is_drawn_into_a_pipe() -> None:
    out = io.StringIO()  # not a terminal
    with Progress("reconcile", 3, out=out) as bar:
        bar.advance(3)
    assert out.getvalue() == ""
