"""Data quality: the contract's rules, checked on every curated batch; results are ops data.

rules    one function per check, found by name (a new rule: one function, one entry)
check    the quality stage (lambda_data_quality): read the batch, evaluate, record
"""

from functools import partial

from cornlake.consumer import SqsStage
from cornlake.messages import parse_curated_batch
from cornlake.quality.check import (
    REQUIRED,
    STAGE,
    RuleResult,
    check_batch,
    run_check,
    run_quality,
    start_check,
)
from cornlake.quality.rules import RULES, evaluate_rule

__all__ = ["QUALITY", "RULES", "RuleResult", "check_batch", "evaluate_rule", "run_quality"]

QUALITY = SqsStage(
    name=STAGE,
    required=REQUIRED,
    parse=partial(parse_curated_batch, stage=STAGE),
    start=start_check,
    handle=run_check,
)
