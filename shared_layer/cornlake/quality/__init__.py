"""Data quality: the contract's DQDL rules, checked on every curated batch; results are ops data.

engine   the rules measured with DuckDB over the batch's Parquet, in bounded memory
sql      each rule type as SQL (a new rule type: its SQL here, its syntax in cornlake.dqdl)
history  each dataset's recent rule values, for bounds like avg(last(10))
check    the quality stage (lambda_data_quality): download, evaluate, record
"""

from functools import partial

from cornlake.consumer import SqsStage
from cornlake.messages import parse_curated_batch
from cornlake.quality.check import (
    REQUIRED,
    STAGE,
    RuleResult,
    run_check,
    run_quality,
    start_check,
)
from cornlake.quality.engine import Inputs, Limits, Measure, evaluate

__all__ = ["QUALITY", "Inputs", "Limits", "Measure", "RuleResult", "evaluate", "run_quality"]

QUALITY = SqsStage(
    name=STAGE,
    required=REQUIRED,
    parse=partial(parse_curated_batch, stage=STAGE),
    start=start_check,
    handle=run_check,
)
