"""Logger, metrics and tracer, created once; every handler uses the same ones.

Log with keyword fields (``logger.info("landed", extra={...})``), never f-strings, and
keep data payloads out of logs and traces.

The tracer is created on first use: importing the X-Ray SDK costs about 110 ms, which the
byte-landing functions (ingest API, landing copy) cannot afford on a cold start. They rely
on Lambda's active tracing (the invocation segment) and do not import it; the functions
that do heavy work (transform, catalog, quality) add powertools' tracer for subsegments.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Metrics

logger = Logger(service="cornlake")
metrics = Metrics(namespace="CornLake", service="cornlake")


def __getattr__(name: str) -> Any:
    if name == "tracer":
        from aws_lambda_powertools import Tracer

        created = Tracer(service="cornlake")
        globals()["tracer"] = created
        return created
    raise AttributeError(name)
