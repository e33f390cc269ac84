"""The ingest API's authorization modes, read from the template after SAM's own transform."""

from __future__ import annotations

import copy
import os
from typing import Any
from unittest import mock

import pytest
from samtranslator.translator.transform import transform

from cornlake_toolkit.cfn import Template, load_yaml
from cornlake_toolkit.local import ROOT


class _NoManagedPolicies:
    def load(self) -> dict[str, str]:
        return {}


def transformed(**params: str) -> Template:
    doc = load_yaml(ROOT / "template.yaml")
    for resource in doc["Resources"].values():  # SAM wants S3 URIs; sam build uploads the real code
        if resource["Type"] == "AWS::Serverless::Function":
            resource["Properties"]["CodeUri"] = "s3://bucket/code.zip"
        if resource["Type"] == "AWS::Serverless::LayerVersion":
            resource["Properties"]["ContentUri"] = "s3://bucket/layer.zip"
    with mock.patch.dict(os.environ, {"AWS_DEFAULT_REGION": "us-east-1"}):
        cfn = transform(copy.deepcopy(doc), {"EnableVpc": "false", **params}, _NoManagedPolicies())
    return Template(cfn, stack_name="cornlake-prod", parameters={"EnableVpc": "false", **params})


def security(template: Template) -> Any:
    body = template.properties("IngestApi")["Body"]
    return body["paths"]["/v1/ingest/{source}/{dataset}"]["post"]["security"]


@pytest.mark.parametrize(
    ("params", "expected", "usage_plan"),
    [
        ({}, [{"sigv4": []}], False),
        ({"ApiAuth": "IAM_AND_API_KEY"}, [{"sigv4": [], "api_key": []}], True),
        (
            {"ApiAuth": "COGNITO_JWT", "CognitoUserPoolArn": "arn:aws:cognito-idp:us-east-1:1:userpool/p"},
            [{"cognito": []}],
            False,
        ),
    ],
)
def test_each_auth_mode_secures_the_route(params: dict[str, str], expected: Any, usage_plan: bool) -> None:
    template = transformed(**params)
    assert security(template) == expected
    assert ("IngestApiUsagePlan" in template.resources) is usage_plan
    permission = template.properties("IngestApiFunctionIngestPermissionlive")
    assert permission["Principal"] == "apigateway.amazonaws.com"


def test_cognito_mode_trusts_the_given_user_pool() -> None:
    pool = "arn:aws:cognito-idp:us-east-1:123456789012:userpool/us-east-1_abc"
    template = transformed(ApiAuth="COGNITO_JWT", CognitoUserPoolArn=pool)
    schemes = template.properties("IngestApi")["Body"]["components"]["securitySchemes"]
    assert schemes["cognito"]["x-amazon-apigateway-authorizer"]["providerARNs"] == [pool]


def test_lake_formation_grants_the_analyst_only_columns_not_tagged_pii() -> None:
    plain = transformed()
    assert "PiiTag" not in plain.resources
    governed = transformed(EnableLakeFormation="true")
    grant = governed.properties("AnalystReadsNonPiiColumns")
    assert grant["Resource"]["LFTagPolicy"]["Expression"] == [
        {"TagKey": "cornlake_pii", "TagValues": ["false"]}
    ]
    assert grant["Permissions"] == ["SELECT", "DESCRIBE"]
    assert governed.properties("CuratedDatabaseNotPii")["LFTags"][0]["TagValues"] == ["false"]
    # the analyst no longer reads curated objects straight from S3: only through Lake Formation
    statements = [
        s for p in governed.properties("AnalystRole")["Policies"] for s in p["PolicyDocument"]["Statement"]
    ]
    readable = [r for s in statements if "s3:GetObject" in s["Action"] for r in s["Resource"]]
    assert not any("curated" in str(r) for r in readable)
    catalog_env = governed.properties("CatalogFunction")["Environment"]["Variables"]
    assert catalog_env["LAKE_FORMATION_TAGS"] == "true"
    catalog_policies = [p["PolicyName"] for p in governed.properties("CatalogRole")["Policies"]]
    assert "lake-formation-tags" in catalog_policies


def test_the_api_invokes_the_published_alias_that_snapstart_restores() -> None:
    template = transformed()
    post = template.properties("IngestApi")["Body"]["paths"]["/v1/ingest/{source}/{dataset}"]["post"]
    assert post["x-amazon-apigateway-integration"]["uri"].endswith(
        "/functions/IngestApiFunctionAliaslive/invocations"
    )
    assert template.properties("IngestApiFunctionAliaslive")["Name"] == "live"
    assert (
        template.properties("IngestApiFunctionIngestPermissionlive")["FunctionName"]
        == "IngestApiFunctionAliaslive"
    )
    assert template.properties("IngestApiFunction")["SnapStart"] == {"ApplyOn": "PublishedVersions"}
    off = transformed(IngestApiSnapStart="None")
    assert off.properties("IngestApiFunction")["SnapStart"] == {"ApplyOn": "None"}


def test_every_snapstart_function_meets_snapstarts_requirements() -> None:
    template = transformed()
    snapstarted = [
        logical_id
        for logical_id in template.of_type("AWS::Lambda::Function")
        if template.properties(logical_id).get("SnapStart", {}).get("ApplyOn") == "PublishedVersions"
    ]
    assert snapstarted == ["IngestApiFunction"]
    for logical_id in snapstarted:
        props = template.properties(logical_id)
        major, minor = (int(n) for n in props["Runtime"].removeprefix("python").split("."))
        assert (major, minor) >= (3, 12), f"{logical_id}: SnapStart needs Python 3.12 or later"
        assert props.get("EphemeralStorage", {}).get("Size", 512) <= 512, logical_id
        assert "FileSystemConfigs" not in props, f"{logical_id}: SnapStart does not support EFS"
        aliases = [
            a
            for a in template.of_type("AWS::Lambda::Alias")
            if template.properties(a)["FunctionName"] == logical_id
        ]
        assert aliases, f"{logical_id}: SnapStart applies to published versions, so callers need an alias"
        assert all("ProvisionedConcurrencyConfig" not in template.properties(a) for a in aliases), logical_id
