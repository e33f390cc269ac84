"""Logger, metrics and tracer, created once; every handler uses the same ones.

Log with keyword fields (``logger.info("landed", extra={...})``), never f-strings, and
keep data payloads out of logs and traces. Every handler stacks the decorators in the same
order: ``logger.inject_lambda_context``, then ``tracer.capture_lambda_handler`` (where the
function traces), then ``metrics.log_metrics``.

The tracer is created on first use: importing the X-Ray SDK costs about 110 ms, which the
byte-landing functions (ingest API, landing copy) and the transform (its import budget is
400 ms) cannot afford on a cold start. They rely on Lambda's active tracing (the invocation
segment) and do not import it; catalog, quality and models add powertools' tracer,
whose patched AWS clients show each call as a subsegment.
"""

from __future__ import annotations

import json
import time
from typing import Any

from aws_lambda_powertools import Logger, Metrics

from cornlake.settings import metrics_namespace

SERVICE = "cornlake"

logger = Logger(service=SERVICE)
metrics = Metrics(namespace=metrics_namespace(), service=SERVICE)


def count(name: str, value: float = 1, *, stage: str, dataset: str = "", unit: str = "Count") -> None:
    """One metric as a CloudWatch EMF record with two dimension sets: ``stage``, and ``stage`` with
    ``dataset`` when there is one. So an alarm watches the stage's total and a dashboard shows
    every dataset as its own series, from one log line. Off when POWERTOOLS_METRICS_DISABLED
    (the local runtime: no CloudWatch)."""
    from aws_lambda_powertools.metrics.functions import is_metrics_disabled

    if is_metrics_disabled():
        return
    sets = [["stage"]] + ([["stage", "dataset"]] if dataset else [])
    record = {
        "_aws": {
            "Timestamp": int(time.time() * 1000),
            "CloudWatchMetrics": [
                {
                    "Namespace": metrics_namespace(),
                    "Dimensions": sets,
                    "Metrics": [{"Name": name, "Unit": unit}],
                }
            ],
        },
        "stage": stage,
        **({"dataset": dataset} if dataset else {}),
        name: value,
    }
    print(json.dumps(record), flush=True)  # noqa: T201 - EMF: CloudWatch reads metrics from the log


def __getattr__(name: str) -> Any:
    if name == "tracer":
        from aws_lambda_powertools import Tracer

        created = Tracer(service=SERVICE)
        globals()["tracer"] = created
        return created
    raise AttributeError(name)
