"""Anomaly detection on daily revenue per state, trained and scored on every run.

For each UF, the baseline is the median of its daily revenue over the training window (every
day up to the latest one) and the spread its median absolute deviation (MAD, scaled to a
standard deviation). A day's score is its robust z-score; beyond ``THRESHOLD`` it is an
anomaly. The model's metadata (training window, parameters, and a quality metric: the
baseline's mean absolute percentage error) goes into the output table's parameters and the
run record. numpy only: it fits in a Lambda function with the layer (docs/MODELS.md).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pyarrow as pa

THRESHOLD = 3.5  # robust z-score beyond which a day is an anomaly (Iglewicz and Hoaglin)
MAD_TO_SIGMA = 1.4826  # MAD of a normal distribution times this is its standard deviation
MIN_SPREAD = 0.01  # reais: a state with identical days still gets a finite score


def _score(revenue: np.ndarray[Any, Any]) -> tuple[float, float, np.ndarray[Any, Any]]:
    median = float(np.median(revenue))
    spread = max(float(np.median(np.abs(revenue - median))) * MAD_TO_SIGMA, MIN_SPREAD)
    return median, spread, (revenue - median) / spread


def model(vendas_diarias_uf: pa.Table) -> tuple[pa.Table, dict[str, str]]:
    days = vendas_diarias_uf.column("dia").to_pylist()
    states = vendas_diarias_uf.column("uf").to_pylist()
    revenue = np.array([float(v) for v in vendas_diarias_uf.column("receita").to_pylist()], dtype=float)
    rows: dict[str, list[Any]] = {k: [] for k in ("dia", "uf", "receita", "esperado", "score", "anomalia")}
    errors: list[float] = []
    for state in sorted(set(states)):
        index = [i for i, s in enumerate(states) if s == state]
        median, _, scores = _score(revenue[index])
        for i, score in zip(index, scores, strict=True):
            rows["dia"].append(days[i])
            rows["uf"].append(state)
            rows["receita"].append(float(revenue[i]))
            rows["esperado"].append(median)
            rows["score"].append(round(float(score), 6))
            rows["anomalia"].append(bool(abs(score) > THRESHOLD))
            errors.append(abs(revenue[i] - median) / revenue[i] if revenue[i] else 0.0)
    table = pa.table(
        {
            "dia": pa.array(rows["dia"], pa.date32()),
            "uf": pa.array(rows["uf"], pa.string()),
            "receita": pa.array(rows["receita"], pa.float64()),
            "esperado": pa.array(rows["esperado"], pa.float64()),
            "score": pa.array(rows["score"], pa.float64()),
            "anomalia": pa.array(rows["anomalia"], pa.bool_()),
        }
    )
    metadata = {
        "algorithm": "robust z-score (median, MAD) per uf",
        "threshold": str(THRESHOLD),
        "training_from": str(min(days)) if days else "",
        "training_to": str(max(days)) if days else "",
        "training_rows": str(len(days)),
        "mape": f"{float(np.mean(errors)) if errors else 0.0:.6f}",
        "anomalies": str(sum(rows["anomalia"])),
    }
    return table, metadata
