"""The template reader used by the local runtime resolves what template.yaml uses."""

from __future__ import annotations

import pytest

from cornlake_toolkit.cfn import Template, TemplateError
from cornlake_toolkit.local import ROOT


def template(**params: str) -> Template:
    return Template.load(ROOT / "template.yaml", stack_name="cornlake-dev", parameters=params)


def test_globals_merge_into_each_function() -> None:
    props = template().properties("TransformFunction")
    env = props["Environment"]["Variables"]
    assert env["RAW_BUCKET"] == "cornlake-dev-raw-123456789012-us-east-1"
    assert env["CURATED_TOPIC_ARN"] == "arn:aws:sns:us-east-1:123456789012:cornlake-dev-curated-batches"
    assert env["GLUE_DATABASE"] == "cornlake_dev" and env["OPS_GLUE_DATABASE"] == "cornlake_dev_ops"
    assert props["Runtime"] == "python3.12" and props["Architectures"] == ["arm64"]


def test_vpc_condition_switches_resources_and_function_config() -> None:
    with_vpc = template(EnableVpc="true")
    without = template(EnableVpc="false")
    assert "Vpc" in with_vpc.resources and "Vpc" not in without.resources
    assert "VpcConfig" in with_vpc.properties("IngestApiFunction")
    assert "VpcConfig" not in without.properties("IngestApiFunction")


def test_notifications_point_at_the_queue_arns() -> None:
    raw = template().properties("RawBucket")["NotificationConfiguration"]["QueueConfigurations"][0]
    assert raw["Queue"] == "arn:aws:sqs:us-east-1:123456789012:cornlake-dev-transform"
    assert raw["Filter"]["S3Key"]["Rules"] == [{"Name": "prefix", "Value": "source="}]


def test_unknown_parameter_is_refused() -> None:
    with pytest.raises(TemplateError, match="unknown parameters"):
        template(Colour="blue")
