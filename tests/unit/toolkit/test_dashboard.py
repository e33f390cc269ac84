"""The dashboard and the alarms watch metrics CornLake really emits, and every dead-letter queue."""

from __future__ import annotations

import json
import re

from cornlake_toolkit.cfn import Template
from cornlake_toolkit.local import ROOT


def template() -> Template:
    return Template.load(ROOT / "template.yaml", stack_name="cornlake-dev")


def emitted() -> set[str]:
    """Every metric name the library passes to cornlake.observability.count."""
    names: set[str] = set()
    for path in (ROOT / "shared_layer" / "cornlake").rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        names |= set(re.findall(r'count\(\s*"([A-Za-z]+)"', text))
        for pair in re.findall(r'count\(\s*"([A-Za-z]+)" if \w+ else "([A-Za-z]+)"', text):
            names |= set(pair)
    return names


def test_the_dashboard_shows_the_lake_in_one_screen() -> None:
    t = template()
    body = json.loads(t.properties("LakeDashboard")["DashboardBody"])
    titles = [w["properties"]["title"] for w in body["widgets"]]
    for wanted in (
        "Ingest volume",
        "rows per second",
        "Quarantine rate",
        "Dead-letter queues",
        "Quality",
        "Freshness lag",
    ):
        assert any(wanted in title for title in titles), wanted
    dlq_widget = next(w for w in body["widgets"] if "Dead-letter" in w["properties"]["title"])
    shown = {m[3] for m in dlq_widget["properties"]["metrics"]}
    dlqs = {t.properties(q)["QueueName"] for q in t.of_type("AWS::SQS::Queue") if q.endswith("DLQ")}
    assert shown == dlqs and len(dlqs) == 6


def test_every_cornlake_metric_the_dashboard_and_alarms_name_is_emitted() -> None:
    t = template()
    body = t.properties("LakeDashboard")["DashboardBody"]
    named = set(re.findall(r'\["CornLake",\s*"([A-Za-z]+)"', body)) | set(
        re.findall(r'MetricName=\\"([A-Za-z]+)\\"', body)
    )
    named |= {
        t.properties(a)["MetricName"]
        for a in t.of_type("AWS::CloudWatch::Alarm")
        if t.properties(a)["Namespace"] == "CornLake"
    }
    assert {"RowsCurated", "QualityRuleFailed", "FreshnessLag", "ErrorRulesFailed", "DatasetLate"} <= named
    assert named <= emitted(), named - emitted()


def test_alarms_cover_error_rules_late_datasets_and_every_dlq() -> None:
    t = template()
    alarms = [t.properties(a) for a in t.of_type("AWS::CloudWatch::Alarm")]
    metrics = {a["MetricName"] for a in alarms}
    assert {"ErrorRulesFailed", "DatasetLate", "ApproximateNumberOfMessagesVisible"} <= metrics
