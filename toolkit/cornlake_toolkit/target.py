"""Which CornLake the CLI talks to: the local lake or a deployed stack, said out loud.

Local: the facts ``cornlake local start`` wrote to ``.cornlake/local.json``. AWS: the
outputs of the CloudFormation stack (``--stack``), with the usual profile and region.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import boto3
from botocore.exceptions import BotoCoreError, ClientError

STATE_FILE = Path(os.environ.get("CORNLAKE_STATE_DIR", ".cornlake")) / "local.json"
OUTPUTS = {
    "IngestApiUrl": "api_url",
    "LandingBucketName": "landing_bucket",
    "RawBucketName": "raw_bucket",
    "CuratedBucketName": "curated_bucket",
    "QuarantineBucketName": "quarantine_bucket",
    "OpsBucketName": "ops_bucket",
    "GlueDatabaseName": "glue_database",
    "OpsGlueDatabaseName": "ops_glue_database",
    "AthenaWorkgroupName": "workgroup",
    "TransformQueueUrl": "transform_queue",
}


class TargetError(RuntimeError):
    pass


@dataclass
class Target:
    target: str
    region: str
    stack_name: str
    api_url: str
    landing_bucket: str
    raw_bucket: str
    curated_bucket: str
    quarantine_bucket: str
    ops_bucket: str
    glue_database: str
    ops_glue_database: str
    workgroup: str
    transform_queue: str = ""  # queue name locally, queue URL on AWS
    endpoint: str = ""
    profile: str = ""
    service_endpoints: dict[str, str] = field(default_factory=dict)

    @property
    def is_local(self) -> bool:
        return self.target == "local"

    def session(self) -> boto3.session.Session:
        if self.is_local:
            return boto3.session.Session(
                region_name=self.region,
                aws_access_key_id="123456789012",  # LocalStack reads a 12-digit key id as the account
                aws_secret_access_key="cornlake-local",
                aws_session_token="cornlake-local",
            )
        return boto3.session.Session(profile_name=self.profile or None, region_name=self.region or None)

    def client(self, service: str) -> Any:
        endpoint = self.service_endpoints.get(service, self.endpoint) or None
        return self.session().client(service, endpoint_url=endpoint)  # type: ignore[call-overload]

    def banner(self) -> str:
        if self.is_local:
            return f"target: local lake at {self.endpoint} (API {self.api_url})"
        profile = f", profile {self.profile}" if self.profile else ""
        return f"target: AWS stack {self.stack_name} in {self.region}{profile}"

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2)


def write_local_state(facts: dict[str, Any], path: Path | None = None) -> Path:
    path = path or STATE_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(facts, indent=2), encoding="utf-8")
    return path


def local_target(path: Path | None = None) -> Target:
    path = path or STATE_FILE
    if not path.exists():
        raise TargetError(
            f"no local lake is running (no {path}); start one with `cornlake local start` "
            "in another terminal, or use --target aws --stack NAME"
        )
    facts = json.loads(path.read_text(encoding="utf-8"))
    facts.pop("pid", None)
    return Target(**facts)


def aws_target(stack: str, *, profile: str = "", region: str = "") -> Target:
    session = boto3.session.Session(profile_name=profile or None, region_name=region or None)
    try:
        stacks = session.client("cloudformation").describe_stacks(StackName=stack)["Stacks"]
    except (BotoCoreError, ClientError) as err:
        raise TargetError(f"cannot read stack {stack!r}: {err}") from None
    outputs = {o["OutputKey"]: o["OutputValue"] for o in stacks[0].get("Outputs", [])}
    missing = [k for k in OUTPUTS if k not in outputs]
    if missing:
        raise TargetError(f"stack {stack!r} lacks outputs {missing}; is it a CornLake stack?")
    values: dict[str, Any] = {OUTPUTS[k]: outputs[k] for k in OUTPUTS}
    return Target(target="aws", region=session.region_name or "", stack_name=stack, profile=profile, **values)


def resolve(kind: str, *, stack: str = "", profile: str = "", region: str = "") -> Target:
    if kind == "aws":
        if not stack:
            raise TargetError("--target aws needs --stack NAME (or CORNLAKE_STACK)")
        return aws_target(stack, profile=profile, region=region)
    return local_target()
