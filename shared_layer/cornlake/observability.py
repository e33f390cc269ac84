"""Logger, metrics and tracer, created once; every handler uses the same ones.

Log with keyword fields (``logger.info("landed", extra={...})``), never f-strings, and
keep data payloads out of logs and traces. Every handler stacks the decorators in the same
order: ``logger.inject_lambda_context``, then ``tracer.capture_lambda_handler`` (where the
function traces), then ``metrics.log_metrics``.

The tracer is created on first use: importing the X-Ray SDK costs about 110 ms, which the
byte-landing functions (ingest API, landing copy) cannot afford on a cold start. They rely
on Lambda's active tracing (the invocation segment) and do not import it; the functions
that do heavy work (transform, catalog, quality) add powertools' tracer for subsegments.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Metrics

from cornlake.settings import metrics_namespace

SERVICE = "cornlake"

logger = Logger(service=SERVICE)
metrics = Metrics(namespace=metrics_namespace(), service=SERVICE)


def count(name: str, value: float = 1, *, stage: str, dataset: str = "", unit: str = "Count") -> None:
    """One metric with ``stage`` and ``dataset`` dimensions (its own EMF record, so each dataset
    is a series of its own for dashboards and alarms)."""
    from aws_lambda_powertools.metrics import MetricUnit, single_metric

    dimensions = {"stage": stage} | ({"dataset": dataset} if dataset else {})
    with single_metric(
        name=name,
        unit=MetricUnit(unit),
        value=value,
        namespace=metrics_namespace(),
        default_dimensions=dimensions,
    ):
        pass


def __getattr__(name: str) -> Any:
    if name == "tracer":
        from aws_lambda_powertools import Tracer

        created = Tracer(service=SERVICE)
        globals()["tracer"] = created
        return created
    raise AttributeError(name)
