"""Logger, tracer and metrics, created once; every handler uses the same three.

Log with keyword fields (``logger.info("landed", extra={...})``), never f-strings, and
keep data payloads out of logs and traces.
"""

from __future__ import annotations

from aws_lambda_powertools import Logger, Metrics, Tracer

logger = Logger(service="cornlake")
tracer = Tracer(service="cornlake")
metrics = Metrics(namespace="CornLake", service="cornlake")
