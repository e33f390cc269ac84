"""The CLI against a deployed stack: names come from CloudFormation outputs and SQL goes to
Athena in the stack's workgroup. moto stands in for both (it runs Athena queries without
reading data and returns the results it is given through its API)."""

from __future__ import annotations

import json
import urllib.request
from typing import Any

import pytest

from cornlake_toolkit import target
from cornlake_toolkit.cli.models import run_on
from cornlake_toolkit.client import run_sql
from cornlake_toolkit.errors import TargetError, UsageError
from cornlake_toolkit.local import LocalLake
from cornlake_toolkit.target import OUTPUTS


def deploy_outputs(stack: LocalLake, name: str, names: dict[str, Any], *, without: str = "") -> None:
    values = {
        "IngestApiUrl": "https://abc123.execute-api.us-east-1.amazonaws.com/live",
        "LandingBucketName": names["landing_bucket"],
        "RawBucketName": names["raw_bucket"],
        "CuratedBucketName": names["curated_bucket"],
        "QuarantineBucketName": names["quarantine_bucket"],
        "OpsBucketName": names["ops_bucket"],
        "GlueDatabaseName": names["glue_database"],
        "OpsGlueDatabaseName": names["ops_glue_database"],
        "AthenaWorkgroupName": names["workgroup"],
        "ModelsWorkgroupName": names["models_workgroup"],
        "TransformQueueUrl": f"{stack.endpoint}/123456789012/{names['transform_queue']}",
        "CatalogQueueUrl": f"{stack.endpoint}/123456789012/{names['catalog_queue']}",
    }
    values.pop(without, None)
    body = {
        "Resources": {"Marker": {"Type": "AWS::SNS::Topic", "Properties": {"TopicName": f"{name}-marker"}}},
        "Outputs": {k: {"Value": v} for k, v in values.items()},
    }
    stack.client("cloudformation").create_stack(StackName=name, TemplateBody=json.dumps(body))


def test_aws_target_reads_the_stack_outputs_and_queries_athena(
    stack: LocalLake, names: dict[str, Any]
) -> None:
    deploy_outputs(stack, "cornlake-prod", names)
    aws = target.resolve("aws", stack="cornlake-prod", region="us-east-1")
    assert aws.curated_bucket == names["curated_bucket"] and aws.workgroup == names["workgroup"]
    assert aws.banner() == "target: AWS stack cornlake-prod in us-east-1"
    assert set(OUTPUTS.values()) <= set(vars(aws))
    assert aws.models_workgroup == names["models_workgroup"]
    rows = {
        "results": [
            {
                "rows": [
                    {"Data": [{"VarCharValue": "uf"}, {"VarCharValue": "n"}]},
                    {"Data": [{"VarCharValue": "SP"}, {"VarCharValue": "3"}]},
                ],
                "column_info": [{"Name": "uf", "Type": "varchar"}, {"Name": "n", "Type": "bigint"}],
            }
        ]
    }
    request = urllib.request.Request(
        f"{stack.endpoint}/moto-api/static/athena/query-results",
        data=json.dumps(rows).encode(),
        method="POST",
    )
    urllib.request.urlopen(request, timeout=10).close()
    result = run_sql(aws, "SELECT uf, count(*) AS n FROM erp_vendas GROUP BY uf")
    assert result.columns == ["uf", "n"] and result.rows == [("SP", "3")]
    assert result.engine == f"athena ({names['workgroup']})"


def test_a_stack_that_is_not_cornlake_is_refused(stack: LocalLake) -> None:
    stack.client("cloudformation").create_stack(
        StackName="other",
        TemplateBody=json.dumps(
            {"Resources": {"T": {"Type": "AWS::SNS::Topic", "Properties": {"TopicName": "t"}}}}
        ),
    )
    with pytest.raises(TargetError, match="lacks outputs") as caught:
        target.resolve("aws", stack="other", region="us-east-1")
    assert "is it a CornLake stack" in caught.value.hint
    with pytest.raises(TargetError, match="cannot read stack 'missing'"):
        target.resolve("aws", stack="missing", region="us-east-1")
    with pytest.raises(TargetError, match="needs a stack"):
        target.resolve("aws")


def test_a_stack_from_before_models_still_answers_sql_and_models_run_says_to_redeploy(
    stack: LocalLake, names: dict[str, Any]
) -> None:
    deploy_outputs(stack, "cornlake-old", names, without="ModelsWorkgroupName")
    aws = target.resolve("aws", stack="cornlake-old", region="us-east-1")
    assert aws.workgroup == names["workgroup"] and aws.models_workgroup == ""
    with pytest.raises(UsageError, match="has no ModelsWorkgroupName output") as caught:
        run_on(aws)
    assert "sam deploy" in caught.value.hint
