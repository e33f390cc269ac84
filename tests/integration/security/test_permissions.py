"""Least privilege, proven by behaviour: each role from template.yaml is created in moto with
IAM enforcement on, assumed, and made to do its job and then everything else.

moto enforces identity policies with resources for S3, SQS, IAM and STS; for Glue and Athena it
checks only the action, against the resource "*". So the Glue and Athena statements are loaded
with "*" as their resource, and the assertions here are about which actions a role has; their
resources are checked by reading the template (test_glue_grants_name_*, test_athena_grants_*). KMS
and bucket policies are not evaluated by moto: the key policy and the raw bucket's write
guard are checked by reading the template (test_template_guards_*).
"""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from cornlake_toolkit.cfn import Template
from cornlake_toolkit.local import LOCAL_ACCOUNT, ROOT, LocalLake
from helpers import moto_process

REGION = "us-east-1"
TESTER_TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:aws:iam::{LOCAL_ACCOUNT}:user/permission-tester"},
            "Action": "sts:AssumeRole",
        }
    ],
}


class Enforced:
    def __init__(self, endpoint: str, lake: LocalLake, keys: dict[str, str]) -> None:
        self.endpoint, self.lake, self.keys = endpoint, lake, keys
        self.names = lake.describe()

    def session(self, role: str) -> boto3.session.Session:
        sts = boto3.client("sts", endpoint_url=self.endpoint, region_name=REGION, **self.keys)
        creds = sts.assume_role(RoleArn=f"arn:aws:iam::{LOCAL_ACCOUNT}:role/{role}", RoleSessionName="test")
        c = creds["Credentials"]
        return boto3.session.Session(
            aws_access_key_id=c["AccessKeyId"],
            aws_secret_access_key=c["SecretAccessKey"],
            aws_session_token=c["SessionToken"],
            region_name=REGION,
        )

    def clients(self, role: str) -> dict[str, Any]:
        session = self.session(role)
        return {
            s: session.client(s, endpoint_url=self.endpoint) for s in ("s3", "sqs", "glue", "sns", "athena")
        }

    def queue_url(self, name: str) -> str:
        return f"{self.endpoint}/{LOCAL_ACCOUNT}/cornlake-local-{name}"


@pytest.fixture(scope="module")
def enforced() -> Iterator[Enforced]:
    # A separate process: IAM enforcement is a process-wide moto setting.
    with moto_process() as endpoint:
        lake = LocalLake(external_endpoint=endpoint, run_functions=False)
        lake.provision()
        names = lake.describe()
        template = Template.load(ROOT / "template.yaml", parameters={"EnableVpc": "false"})
        iam = lake.client("iam")
        for logical_id in template.of_type("AWS::IAM::Role"):
            props = template.properties(logical_id)
            # The tester stands in for Lambda (or an analyst), so it replaces the trust policy;
            # the permission policies are the template's (Glue resources widened, see above).
            iam.create_role(
                RoleName=props.get("RoleName", logical_id), AssumeRolePolicyDocument=json.dumps(TESTER_TRUST)
            )
            for policy in props.get("Policies", []):
                iam.put_role_policy(
                    RoleName=props.get("RoleName", logical_id),
                    PolicyName=policy["PolicyName"],
                    PolicyDocument=json.dumps(_glue_actions_only(policy["PolicyDocument"])),
                )
        iam.create_user(UserName="permission-tester")
        iam.put_user_policy(
            UserName="permission-tester",
            PolicyName="assume",
            PolicyDocument=json.dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"}],
                }
            ),
        )
        key = iam.create_access_key(UserName="permission-tester")["AccessKey"]
        s3 = lake.client("s3")
        for bucket, obj in (
            ("raw_bucket", "source=erp/dataset=vendas/ingest_date=2026-11-20/x-a.csv"),
            ("curated_bucket", "tables/erp/vendas/mes_venda=2026-11/part-x.parquet"),
            ("quarantine_bucket", "source=erp/dataset=vendas/ingest_date=2026-11-20/x.jsonl"),
            ("landing_bucket", "erp/vendas/a.csv"),
            ("ops_bucket", "runs/run_date=2026-11-20/x.json"),
        ):
            s3.put_object(Bucket=names[bucket], Key=obj, Body=b"data")
        # From here on every request must be signed by a known identity and allowed by its policies.
        enforce = urllib.request.Request(
            f"{endpoint}/moto-api/reset-auth",
            data=b"0",
            method="POST",
            headers={"Content-Type": "text/plain"},
        )
        urllib.request.urlopen(enforce, timeout=10).close()
        yield Enforced(
            endpoint,
            lake,
            {"aws_access_key_id": key["AccessKeyId"], "aws_secret_access_key": key["SecretAccessKey"]},
        )


def _glue_actions_only(document: dict[str, Any]) -> dict[str, Any]:
    statements = []
    for statement in document["Statement"]:
        actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        glue_only = all(a.startswith(("glue:", "athena:")) for a in actions)
        statements.append({**statement, "Resource": "*"} if glue_only else statement)
    return {**document, "Statement": statements}


def allowed(action: Callable[[], Any]) -> None:
    action()


def permitted(action: Callable[[], Any]) -> None:
    """The action may fail for what it names (no such partition) but not for want of permission."""
    try:
        action()
    except ClientError as caught:
        error = caught.response["Error"]
        assert error["Code"] not in {"AccessDenied", "AccessDeniedException", "403"}, caught


def denied(action: Callable[[], Any]) -> None:
    with pytest.raises(ClientError) as caught:
        action()
    error = caught.value.response["Error"]
    # S3 says AccessDenied; moto's SQS JSON protocol surfaces the 403 with the IAM message.
    assert error["Code"] in {"AccessDenied", "AccessDeniedException"} or (
        error["Code"] == "403" and "is not authorized to perform" in str(caught.value)
    ), caught.value


RAW_KEY = "source=erp/dataset=vendas/ingest_date=2026-11-20/x-a.csv"
CURATED_KEY = "tables/erp/vendas/mes_venda=2026-11/part-x.parquet"
QUARANTINE_KEY = "source=erp/dataset=vendas/ingest_date=2026-11-20/x.jsonl"


def test_ingest_api_lands_raw_and_reads_nothing(enforced: Enforced) -> None:
    c, n = enforced.clients("cornlake-local-ingest-api"), enforced.names
    allowed(
        lambda: c["s3"].put_object(Bucket=n["raw_bucket"], Key="source=app/dataset=events/x.json", Body=b"{}")
    )
    allowed(lambda: c["s3"].put_object(Bucket=n["quarantine_bucket"], Key="_rejected/api/x.body", Body=b"x"))
    allowed(
        lambda: c["s3"].put_object(Bucket=n["ops_bucket"], Key="runs/run_date=2026-11-20/a.json", Body=b"{}")
    )
    denied(lambda: c["s3"].get_object(Bucket=n["curated_bucket"], Key=CURATED_KEY))
    denied(lambda: c["s3"].get_object(Bucket=n["raw_bucket"], Key=RAW_KEY))
    denied(lambda: c["s3"].delete_object(Bucket=n["raw_bucket"], Key=RAW_KEY))
    denied(lambda: c["s3"].put_object(Bucket=n["raw_bucket"], Key="elsewhere/x.json", Body=b"{}"))
    denied(lambda: c["s3"].put_object(Bucket=n["quarantine_bucket"], Key=QUARANTINE_KEY, Body=b"x"))
    denied(lambda: c["sqs"].receive_message(QueueUrl=enforced.queue_url("transform")))
    claim = "claims/api/source=app/dataset=events/" + "a" * 64 + ".json"
    allowed(lambda: c["s3"].put_object(Bucket=n["ops_bucket"], Key=claim, Body=b"{}"))
    allowed(lambda: c["s3"].get_object(Bucket=n["ops_bucket"], Key=claim))
    denied(
        lambda: c["s3"].put_object(
            Bucket=n["ops_bucket"], Key=claim.replace("/api/", "/landing/"), Body=b"{}"
        )
    )


def test_ingest_copy_moves_landing_files_into_raw_only(enforced: Enforced) -> None:
    c, n = enforced.clients("cornlake-local-ingest-s3-copy"), enforced.names
    allowed(lambda: c["s3"].get_object(Bucket=n["landing_bucket"], Key="erp/vendas/a.csv"))
    allowed(lambda: c["s3"].put_object(Bucket=n["landing_bucket"], Key="_rejected/erp/x.csv", Body=b"x"))
    allowed(
        lambda: c["s3"].put_object(Bucket=n["raw_bucket"], Key="source=erp/dataset=vendas/y.csv", Body=b"x")
    )
    allowed(lambda: c["sqs"].receive_message(QueueUrl=enforced.queue_url("ingest-copy")))
    denied(lambda: c["s3"].put_object(Bucket=n["landing_bucket"], Key="erp/vendas/b.csv", Body=b"x"))
    denied(lambda: c["s3"].get_object(Bucket=n["curated_bucket"], Key=CURATED_KEY))
    denied(lambda: c["s3"].delete_object(Bucket=n["raw_bucket"], Key=RAW_KEY))
    denied(lambda: c["sqs"].receive_message(QueueUrl=enforced.queue_url("transform")))
    claim = "claims/landing/source=erp/dataset=vendas/" + "b" * 64 + ".json"
    allowed(lambda: c["s3"].put_object(Bucket=n["ops_bucket"], Key=claim, Body=b"{}"))
    allowed(lambda: c["s3"].get_object(Bucket=n["ops_bucket"], Key=claim))
    denied(
        lambda: c["s3"].put_object(
            Bucket=n["ops_bucket"], Key=claim.replace("/landing/", "/api/"), Body=b"{}"
        )
    )


def test_transform_reads_raw_writes_curated_and_cannot_delete_raw(enforced: Enforced) -> None:
    c, n = enforced.clients("cornlake-local-transform-curated"), enforced.names
    allowed(lambda: c["s3"].get_object(Bucket=n["raw_bucket"], Key=RAW_KEY))
    allowed(lambda: c["s3"].put_object(Bucket=n["curated_bucket"], Key=CURATED_KEY, Body=b"x"))
    staged = "staging/erp/vendas/mes_venda=2026-11/part-x.parquet"
    allowed(lambda: c["s3"].put_object(Bucket=n["curated_bucket"], Key=staged, Body=b"x"))
    allowed(lambda: c["s3"].put_object(Bucket=n["quarantine_bucket"], Key=QUARANTINE_KEY, Body=b"x"))
    allowed(lambda: c["s3"].delete_object(Bucket=n["quarantine_bucket"], Key=QUARANTINE_KEY))
    allowed(lambda: c["sqs"].receive_message(QueueUrl=enforced.queue_url("transform")))
    allowed(lambda: c["sqs"].send_message(QueueUrl=enforced.queue_url("transform"), MessageBody="{}"))
    denied(lambda: c["sqs"].send_message(QueueUrl=enforced.queue_url("catalog"), MessageBody="{}"))
    denied(lambda: c["s3"].delete_object(Bucket=n["raw_bucket"], Key=RAW_KEY))
    denied(lambda: c["s3"].put_object(Bucket=n["raw_bucket"], Key=RAW_KEY, Body=b"overwrite"))
    denied(lambda: c["s3"].get_object(Bucket=n["landing_bucket"], Key="erp/vendas/a.csv"))
    allowed(lambda: c["s3"].list_objects_v2(Bucket=n["curated_bucket"], Prefix="tables/erp/"))
    denied(lambda: c["s3"].list_objects_v2(Bucket=n["raw_bucket"], Prefix="source=erp/"))
    denied(lambda: c["s3"].delete_object(Bucket=n["curated_bucket"], Key="elsewhere/x.parquet"))
    denied(lambda: c["sqs"].receive_message(QueueUrl=enforced.queue_url("catalog")))
    denied(lambda: c["glue"].create_table(DatabaseName="cornlake_local", TableInput={"Name": "t"}))
    denied(lambda: c["glue"].delete_table(DatabaseName="cornlake_local", Name="t"))


def test_catalog_manages_tables_and_cannot_write_data(enforced: Enforced) -> None:
    c, n = enforced.clients("cornlake-local-catalog-sync"), enforced.names
    allowed(lambda: c["glue"].create_table(DatabaseName="cornlake_local", TableInput={"Name": "perm_check"}))
    allowed(lambda: c["glue"].get_table(DatabaseName="cornlake_local", Name="perm_check"))
    allowed(
        lambda: c["s3"].put_object(Bucket=n["ops_bucket"], Key="runs/run_date=2026-11-20/b.json", Body=b"{}")
    )
    allowed(lambda: c["sqs"].receive_message(QueueUrl=enforced.queue_url("catalog")))
    permitted(
        lambda: c["glue"].batch_get_partition(
            DatabaseName="cornlake_local", TableName="perm_check", PartitionsToGet=[{"Values": ["x"]}]
        )
    )
    denied(lambda: c["glue"].delete_table(DatabaseName="cornlake_local", Name="perm_check"))
    denied(lambda: c["glue"].delete_database(Name="cornlake_local"))
    denied(lambda: c["s3"].put_object(Bucket=n["curated_bucket"], Key=CURATED_KEY, Body=b"x"))
    denied(lambda: c["s3"].get_object(Bucket=n["raw_bucket"], Key=RAW_KEY))
    denied(lambda: c["s3"].put_object(Bucket=n["ops_bucket"], Key="quality_results/x.json", Body=b"{}"))


def test_quality_reads_curated_writes_results_and_publishes_audited_batches(enforced: Enforced) -> None:
    c, n = enforced.clients("cornlake-local-data-quality"), enforced.names
    allowed(lambda: c["s3"].get_object(Bucket=n["curated_bucket"], Key=CURATED_KEY))
    allowed(
        lambda: c["s3"].put_object(
            Bucket=n["ops_bucket"], Key="quality_results/run_date=x/q.json", Body=b"{}"
        )
    )
    staged = "staging/erp/vendas/mes_venda=2026-11/part-x.parquet"
    allowed(lambda: c["s3"].get_object(Bucket=n["curated_bucket"], Key=CURATED_KEY))
    allowed(lambda: c["s3"].put_object(Bucket=n["curated_bucket"], Key=CURATED_KEY, Body=b"x"))
    allowed(lambda: c["s3"].delete_object(Bucket=n["curated_bucket"], Key=staged))
    allowed(lambda: c["sqs"].send_message(QueueUrl=enforced.queue_url("catalog"), MessageBody="{}"))
    denied(lambda: c["sqs"].send_message(QueueUrl=enforced.queue_url("transform"), MessageBody="{}"))
    held = "held/source=erp/dataset=vendas/x.json"
    allowed(lambda: c["s3"].put_object(Bucket=n["ops_bucket"], Key=held, Body=b"{}"))
    allowed(lambda: c["s3"].delete_object(Bucket=n["ops_bucket"], Key=held))
    denied(lambda: c["s3"].put_object(Bucket=n["curated_bucket"], Key="elsewhere/x.parquet", Body=b"x"))
    denied(lambda: c["s3"].get_object(Bucket=n["raw_bucket"], Key=RAW_KEY))
    denied(lambda: c["s3"].get_object(Bucket=n["quarantine_bucket"], Key=QUARANTINE_KEY))
    history = "state/quality/source=erp/dataset=vendas/state.json"
    allowed(lambda: c["s3"].put_object(Bucket=n["ops_bucket"], Key=history, Body=b"{}"))
    allowed(lambda: c["s3"].get_object(Bucket=n["ops_bucket"], Key=history))
    allowed(lambda: c["s3"].list_objects_v2(Bucket=n["curated_bucket"], Prefix="tables/ref/lojas/"))
    denied(lambda: c["s3"].put_object(Bucket=n["ops_bucket"], Key="state/catalog/x.json", Body=b"{}"))
    # moto does not evaluate conditions: the listing's prefix condition is read from the template
    template = Template.load(ROOT / "template.yaml", parameters={"EnableVpc": "false"})
    statements = [
        st
        for policy in template.properties("QualityRole")["Policies"]
        for st in policy["PolicyDocument"]["Statement"]
        if st["Action"] == "s3:ListBucket"
    ]
    assert [st["Condition"] for st in statements] == [{"StringLike": {"s3:prefix": ["tables/*"]}}]


def test_monitor_reads_records_lists_zones_requeues_and_writes_only_generations(enforced: Enforced) -> None:
    c, n = enforced.clients("cornlake-local-monitor"), enforced.names
    allowed(lambda: c["s3"].get_object(Bucket=n["ops_bucket"], Key="runs/run_date=2026-11-20/x.json"))
    allowed(lambda: c["s3"].list_objects_v2(Bucket=n["ops_bucket"], Prefix="runs/run_date=2026-11-20/"))
    allowed(lambda: c["s3"].list_objects_v2(Bucket=n["raw_bucket"], Prefix="source=erp/"))
    allowed(lambda: c["s3"].head_object(Bucket=n["curated_bucket"], Key=CURATED_KEY))
    allowed(lambda: c["s3"].put_object(Bucket=n["ops_bucket"], Key="freshness/run_date=x/f.json", Body=b"{}"))
    allowed(
        lambda: c["s3"].put_object(Bucket=n["ops_bucket"], Key="reconciliation/run_date=x/r.json", Body=b"{}")
    )
    allowed(lambda: c["sqs"].send_message(QueueUrl=enforced.queue_url("transform"), MessageBody="{}"))
    generation = "tables/erp/vendas/_gen/mes_venda=2026-11/20261120T000000Z-0a1b2c3d/compacted-0000.parquet"
    allowed(lambda: c["s3"].put_object(Bucket=n["curated_bucket"], Key=generation, Body=b"x"))
    allowed(lambda: c["s3"].delete_object(Bucket=n["curated_bucket"], Key=generation))
    permitted(
        lambda: c["glue"].update_partition(
            DatabaseName="cornlake_local",
            TableName="erp_vendas",
            PartitionValueList=["2026-11"],
            PartitionInput={"Values": ["2026-11"]},
        )
    )
    denied(lambda: c["s3"].get_object(Bucket=n["raw_bucket"], Key=RAW_KEY))
    denied(lambda: c["s3"].put_object(Bucket=n["curated_bucket"], Key=CURATED_KEY, Body=b"x"))
    denied(lambda: c["s3"].delete_object(Bucket=n["curated_bucket"], Key=CURATED_KEY))
    denied(lambda: c["s3"].put_object(Bucket=n["raw_bucket"], Key=RAW_KEY, Body=b"x"))
    denied(lambda: c["sqs"].send_message(QueueUrl=enforced.queue_url("catalog"), MessageBody="{}"))
    denied(lambda: c["glue"].create_table(DatabaseName="cornlake_local", TableInput={"Name": "t"}))


def test_models_read_curated_write_only_model_tables_and_results(enforced: Enforced) -> None:
    c, n = enforced.clients("cornlake-local-models"), enforced.names
    generation = (
        "tables/models/vendas_diarias_uf/_gen/mes=2026-11/20261120T000000Z-0a1b2c3d/part-0000.parquet"
    )
    allowed(lambda: c["s3"].get_object(Bucket=n["curated_bucket"], Key=CURATED_KEY))
    allowed(lambda: c["s3"].list_objects_v2(Bucket=n["curated_bucket"], Prefix="tables/models/"))
    allowed(lambda: c["s3"].put_object(Bucket=n["curated_bucket"], Key=generation, Body=b"x"))
    allowed(lambda: c["s3"].delete_object(Bucket=n["curated_bucket"], Key=generation))
    allowed(
        lambda: c["s3"].put_object(Bucket=n["ops_bucket"], Key="runs/run_date=x/model-r.json", Body=b"{}")
    )
    allowed(
        lambda: c["s3"].put_object(
            Bucket=n["ops_bucket"], Key="quality_results/run_date=x/m.json", Body=b"{}"
        )
    )
    allowed(lambda: c["sqs"].receive_message(QueueUrl=enforced.queue_url("models")))
    allowed(lambda: c["glue"].create_table(DatabaseName="cornlake_local", TableInput={"Name": "perm_model"}))
    permitted(
        lambda: c["glue"].batch_update_partition(
            DatabaseName="cornlake_local",
            TableName="perm_model",
            Entries=[{"PartitionValueList": ["x"], "PartitionInput": {"Values": ["x"]}}],
        )
    )
    denied(lambda: c["s3"].put_object(Bucket=n["curated_bucket"], Key=CURATED_KEY, Body=b"x"))
    denied(lambda: c["s3"].delete_object(Bucket=n["curated_bucket"], Key=CURATED_KEY))
    denied(lambda: c["s3"].get_object(Bucket=n["raw_bucket"], Key=RAW_KEY))
    denied(lambda: c["s3"].get_object(Bucket=n["quarantine_bucket"], Key=QUARANTINE_KEY))
    # each model's SELECT runs as an UNLOAD in the models workgroup, not the analysts'
    start = c["athena"].start_query_execution
    allowed(lambda: start(QueryString="SELECT 1", WorkGroup=n["models_workgroup"]))
    denied(lambda: c["athena"].create_work_group(Name="mine"))
    results = n["curated_bucket"].replace("-curated-", "-athena-")
    allowed(lambda: c["s3"].put_object(Bucket=results, Key="models/q.csv.metadata", Body=b"x"))
    denied(lambda: c["s3"].put_object(Bucket=results, Key="results/q.csv", Body=b"x"))
    denied(lambda: c["sqs"].send_message(QueueUrl=enforced.queue_url("transform"), MessageBody="{}"))
    denied(lambda: c["glue"].delete_table(DatabaseName="cornlake_local", Name="perm_model"))
    catalog = enforced.clients("cornlake-local-catalog-sync")
    allowed(lambda: catalog["sqs"].send_message(QueueUrl=enforced.queue_url("models"), MessageBody="{}"))


@pytest.mark.parametrize(
    "role",
    ["ingest-api", "ingest-s3-copy", "transform-curated", "catalog-sync", "data-quality", "models"],
)
def test_every_function_writes_its_lineage_events_and_nothing_else_there(
    enforced: Enforced, role: str
) -> None:
    c, n = enforced.clients(f"cornlake-local-{role}"), enforced.names
    event = f"lineage/event_date=2026-11-20/{role}-x-START.json"
    allowed(lambda: c["s3"].put_object(Bucket=n["ops_bucket"], Key=event, Body=b"{}"))
    denied(lambda: c["s3"].get_object(Bucket=n["ops_bucket"], Key=event))
    denied(lambda: c["s3"].delete_object(Bucket=n["ops_bucket"], Key=event))


def test_analyst_reads_curated_and_ops_only(enforced: Enforced) -> None:
    c, n = enforced.clients("cornlake-local-analyst"), enforced.names
    allowed(lambda: c["s3"].get_object(Bucket=n["curated_bucket"], Key=CURATED_KEY))
    allowed(lambda: c["s3"].list_objects_v2(Bucket=n["curated_bucket"]))
    allowed(lambda: c["s3"].get_object(Bucket=n["ops_bucket"], Key="runs/run_date=2026-11-20/x.json"))
    allowed(lambda: c["glue"].get_tables(DatabaseName="cornlake_local"))
    denied(lambda: c["s3"].get_object(Bucket=n["raw_bucket"], Key=RAW_KEY))
    denied(lambda: c["s3"].list_objects_v2(Bucket=n["raw_bucket"]))
    denied(lambda: c["s3"].get_object(Bucket=n["quarantine_bucket"], Key=QUARANTINE_KEY))
    denied(lambda: c["s3"].get_object(Bucket=n["landing_bucket"], Key="erp/vendas/a.csv"))
    denied(lambda: c["s3"].put_object(Bucket=n["curated_bucket"], Key=CURATED_KEY, Body=b"x"))
    denied(lambda: c["glue"].create_table(DatabaseName="cornlake_local", TableInput={"Name": "x"}))
    denied(lambda: c["sqs"].receive_message(QueueUrl=enforced.queue_url("transform")))


def prod(**parameters: str) -> Template:
    return Template.load(
        ROOT / "template.yaml", stack_name="cornlake-prod", parameters={"EnableVpc": "false", **parameters}
    )


def statement(
    template: Template, logical_id: str, sid: str, document: str = "PolicyDocument"
) -> dict[str, Any]:
    return next(s for s in template.properties(logical_id)[document]["Statement"] if s["Sid"] == sid)


def role_arn(name: str) -> str:
    return f"arn:aws:iam::123456789012:role/{name}"


def test_template_guards_raw_writes_to_the_ingestion_roles() -> None:
    template = prod()
    writers = statement(template, "RawBucketPolicy", "OnlyIngestionWritesRaw")["Condition"]["ArnNotLike"]
    roles = {template.properties(r)["RoleName"] for r in template.of_type("AWS::IAM::Role")}
    assert (
        {w.rsplit("/", 1)[1] for w in writers["aws:PrincipalArn"]}
        == {
            "cornlake-prod-ingest-api",
            "cornlake-prod-ingest-s3-copy",
        }
        <= roles
    )


def test_nothing_deletes_raw_or_loosens_its_guard_but_the_break_glass_role() -> None:
    template = prod()
    deletes = statement(template, "RawBucketPolicy", "NothingDeletesRaw")
    assert deletes["Effect"] == "Deny" and deletes["Principal"] == "*"
    assert {"s3:DeleteObject", "s3:DeleteObjectVersion", "s3:BypassGovernanceRetention"} <= set(
        deletes["Action"]
    )
    assert deletes["Condition"]["ArnNotEquals"]["aws:PrincipalArn"] == role_arn(
        "cornlake-prod-raw-break-glass"
    )
    guard = statement(template, "RawBucketPolicy", "NothingLoosensRawsGuard")
    assert {"s3:PutLifecycleConfiguration", "s3:PutBucketVersioning", "s3:PutBucketPolicy"} <= set(
        guard["Action"]
    )
    assert guard["Condition"]["ArnNotEquals"]["aws:PrincipalArn"] == [
        role_arn("cornlake-prod-raw-break-glass")
    ]
    deployer = role_arn("cfn-deployer")
    with_deployer = statement(prod(DeployerRoleArn=deployer), "RawBucketPolicy", "NothingLoosensRawsGuard")
    assert with_deployer["Condition"]["ArnNotEquals"]["aws:PrincipalArn"][1] == deployer
    trust = template.properties("RawBreakGlassRole")["AssumeRolePolicyDocument"]["Statement"][0]
    assert trust["Condition"] == {"Bool": {"aws:MultiFactorAuthPresent": "true"}}


def test_object_lock_is_an_option_with_a_retention() -> None:
    assert "ObjectLockEnabled" not in prod().properties("RawBucket")
    locked = prod(RawObjectLockDays="365").properties("RawBucket")
    assert locked["ObjectLockEnabled"] is True
    assert locked["ObjectLockConfiguration"]["Rule"]["DefaultRetention"] == {
        "Mode": "GOVERNANCE",
        "Days": "365",
    }


def test_the_key_is_used_by_exactly_the_stacks_roles_and_administered_without_granting_use() -> None:
    template = prod()
    admin = statement(template, "LakeKey", "AccountAdministersTheKey", "KeyPolicy")
    assert not {"kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey*", "kms:CreateGrant", "kms:Create*"} & set(
        admin["Action"]
    )
    assert not any(a.endswith("*") and a.startswith(("kms:Create", "kms:Put")) for a in admin["Action"])
    users = statement(template, "LakeKey", "StackRolesUseTheKey", "KeyPolicy")["Condition"]["ArnEquals"]
    roles = {template.properties(r)["RoleName"] for r in template.of_type("AWS::IAM::Role")} - {
        "VpcFlowLogRole"
    }
    assert set(users["aws:PrincipalArn"]) == {role_arn(name) for name in roles}
    landing = statement(template, "LakeKey", "ProducersWriteLandingFiles", "KeyPolicy")["Condition"][
        "StringLike"
    ]
    bucket = "arn:aws:s3:::cornlake-prod-landing-123456789012-us-east-1"
    assert landing["kms:EncryptionContext:aws:s3:arn"] == [bucket, bucket + "/*"]


def test_only_the_transform_announces_curated_batches() -> None:
    deny = statement(prod(), "CuratedTopicPolicy", "OnlyTheTransformAnnounces")
    assert deny["Effect"] == "Deny" and deny["Action"] == "sns:Publish"
    assert deny["Condition"]["ArnNotEquals"]["aws:PrincipalArn"] == role_arn(
        "cornlake-prod-transform-curated"
    )


def test_every_queue_function_and_the_api_have_alarms() -> None:
    template = prod()
    alarms = [template.properties(a) for a in template.of_type("AWS::CloudWatch::Alarm")]
    watched = {(a["MetricName"], a["Dimensions"][0]["Value"]) for a in alarms}
    for queue in template.of_type("AWS::SQS::Queue"):
        name = template.properties(queue)["QueueName"]
        wanted = (
            "ApproximateNumberOfMessagesVisible" if name.endswith("-dlq") else "ApproximateAgeOfOldestMessage"
        )
        assert (wanted, name) in watched, name
    for function in template.of_type("AWS::Serverless::Function"):
        name = template.properties(function)["FunctionName"]
        assert ("Errors", name) in watched and ("Throttles", name) in watched, name
    assert ("5XXError", "cornlake-prod-ingest") in watched
    assert all(a["AlarmActions"] for a in alarms)


def test_athena_grants_name_one_workgroup_each() -> None:
    template = Template.load(
        ROOT / "template.yaml", stack_name="cornlake-prod", parameters={"EnableVpc": "false"}
    )
    expected = {"AnalystRole": "cornlake-prod-analysts", "ModelsRole": "cornlake-prod-models"}
    for role, workgroup in expected.items():
        granted = [
            statement["Resource"]
            for policy in template.properties(role)["Policies"]
            for statement in policy["PolicyDocument"]["Statement"]
            if any(
                a.startswith("athena:")
                for a in (
                    statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
                )
            )
        ]
        assert granted and all(r.endswith(f":workgroup/{workgroup}") for r in granted), (role, granted)


def test_glue_grants_name_the_stacks_databases_only() -> None:
    template = Template.load(
        ROOT / "template.yaml", stack_name="cornlake-prod", parameters={"EnableVpc": "false"}
    )
    for role in ("CatalogRole", "AnalystRole"):
        for policy in template.properties(role)["Policies"]:
            for statement in policy["PolicyDocument"]["Statement"]:
                actions = (
                    statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
                )
                if any(a.startswith("glue:") for a in actions):
                    resources = statement["Resource"]
                    assert all(":catalog" in r or "/cornlake_prod" in r for r in resources), resources
                    assert "*" not in resources
