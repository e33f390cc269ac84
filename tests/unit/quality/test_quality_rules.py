"""Quality rules on Arrow tables: each check passes on good data and counts bad rows."""

from __future__ import annotations

from decimal import Decimal

import pyarrow as pa
import pytest

from cornlake.contracts import QualityRule
from cornlake.quality.rules import evaluate_rule

TABLE = pa.table(
    {
        "id": pa.array([1, 2, 2, 3, None], pa.int64()),
        "uf": pa.array(["SP", "RJ", "XX", None, "MG"]),
        "valor": pa.array(
            [Decimal("10.00"), Decimal("-1.00"), Decimal("5.50"), None, Decimal("999.99")],
            pa.decimal128(12, 2),
        ),
    }
)


@pytest.mark.parametrize(
    ("rule", "failed"),
    [
        (QualityRule("not_null", ("id",)), 1),
        (QualityRule("not_null", ("uf",)), 1),
        (QualityRule("unique", ("id",)), 1),
        (QualityRule("unique", ("uf",)), 0),
        (QualityRule("accepted_values", ("uf",), values=("SP", "RJ", "MG")), 1),
        (QualityRule("range", ("valor",), min=0, max=500), 2),
        (QualityRule("range", ("valor",), min=-5), 0),
        (QualityRule("row_count", (), min=1, max=10), 0),
        (QualityRule("row_count", (), min=6), 5),
    ],
)
def test_rules_count_the_rows_that_break_them(rule: QualityRule, failed: int) -> None:
    bad, observed = evaluate_rule(rule, TABLE)
    assert bad == failed
    assert observed
