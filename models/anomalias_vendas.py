"""Anomaly detection on daily revenue per state, trained and scored on every run.

For each UF, the baseline is the median of its daily revenue over the training window (every
day up to the latest one) and the spread its median absolute deviation (MAD, scaled to a
standard deviation). A day's score is its robust z-score; beyond ``THRESHOLD`` it is an
anomaly. The model's metadata (training window, parameters, and a quality metric: the
baseline's mean absolute percentage error) goes into the output table's parameters and the
run record. DuckDB and numpy only, so it runs in the zip models function on AWS (docs/MODELS.md).
"""

from __future__ import annotations

from typing import Any

import numpy as np

THRESHOLD = 3.5  # robust z-score beyond which a day is an anomaly (Iglewicz and Hoaglin)
MAD_TO_SIGMA = 1.4826  # MAD of a normal distribution times this is its standard deviation
MIN_SPREAD = 0.01  # reais: a state with identical days still gets a finite score


def _score(revenue: np.ndarray[Any, Any]) -> tuple[float, float, np.ndarray[Any, Any]]:
    median = float(np.median(revenue))
    spread = max(float(np.median(np.abs(revenue - median))) * MAD_TO_SIGMA, MIN_SPREAD)
    return median, spread, (revenue - median) / spread


def model(vendas_diarias_uf: Any) -> tuple[dict[str, np.ndarray[Any, Any]], dict[str, str]]:
    """``vendas_diarias_uf`` is a DuckDB relation; the scores go back as numpy columns."""
    columns = vendas_diarias_uf.order("uf, dia").fetchnumpy()
    days, states = columns["dia"], columns["uf"]
    revenue = np.asarray(columns["receita"], dtype=float)
    expected = np.zeros(len(revenue))
    scores = np.zeros(len(revenue))
    for state in sorted(set(states.tolist())):
        index = np.flatnonzero(states == state)
        median, _, scored = _score(revenue[index])
        expected[index], scores[index] = median, np.round(scored, 6)
    errors = np.divide(np.abs(revenue - expected), revenue, out=np.zeros(len(revenue)), where=revenue != 0)
    anomalies = np.abs(scores) > THRESHOLD
    table = {
        "dia": days,  # numpy has no date: the runner casts it back to the sidecar's date
        "uf": states,
        "receita": revenue,
        "esperado": expected,
        "score": scores,
        "anomalia": anomalies,
    }
    metadata = {
        "algorithm": "robust z-score (median, MAD) per uf",
        "threshold": str(THRESHOLD),
        "training_from": str(days.min().astype("datetime64[D]")) if len(days) else "",
        "training_to": str(days.max().astype("datetime64[D]")) if len(days) else "",
        "training_rows": str(len(days)),
        "mape": f"{float(np.mean(errors)) if len(errors) else 0.0:.6f}",
        "anomalies": str(int(anomalies.sum())),
    }
    return table, metadata
