"""Which CornLake the CLI talks to: the local lake or a deployed stack, said out loud.

Local: the facts ``cornlake local start`` wrote to ``<project>/.cornlake/local.json``, where
the project is ``CORNLAKE_HOME`` or the nearest folder above the working directory that
holds ``template.yaml`` and ``datasets/``, so every command finds the running lake from
anywhere inside the project. AWS: the outputs of the CloudFormation stack (``--stack``),
with the usual profile and region.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import boto3
from botocore.exceptions import BotoCoreError, ClientError

from cornlake_toolkit.errors import TargetError
from cornlake_toolkit.local.process import local_session

HOME_ENV = "CORNLAKE_HOME"  # the project folder, when commands run from elsewhere
TARGET_ENV = "CORNLAKE_TARGET"  # local or aws: the default of --target
STACK_ENV = "CORNLAKE_STACK"  # the default of --stack
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
    "CatalogQueueUrl": "catalog_queue",
}
# Outputs a stack deployed by an earlier CornLake lacks; the commands that need them say so.
LATER_OUTPUTS = {"ModelsWorkgroupName": "models_workgroup"}


def project_home(start: Path | None = None) -> Path:
    """CORNLAKE_HOME, else the nearest folder up from ``start`` with template.yaml and datasets/."""
    override = os.environ.get(HOME_ENV)
    if override:
        return Path(override)
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / "template.yaml").is_file() and (folder / "datasets").is_dir():
            return folder
    return here


def state_file() -> Path:
    """Where ``cornlake local start`` writes what the other commands need."""
    return project_home() / ".cornlake" / "local.json"


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
    catalog_queue: str = ""  # where `cornlake publish` hands a released batch to the catalog
    models_workgroup: str = ""  # where `cornlake models run --target aws` runs each model's SELECT
    endpoint: str = ""
    profile: str = ""
    service_endpoints: dict[str, str] = field(default_factory=dict)

    @property
    def is_local(self) -> bool:
        return self.target == "local"

    def session(self) -> boto3.session.Session:
        if self.is_local:
            return local_session(self.region)
        return boto3.session.Session(profile_name=self.profile or None, region_name=self.region or None)

    def queue_url(self, queue: str) -> str:
        """A queue's URL from what the target knows (a name locally, a URL on AWS)."""
        return (
            queue
            if queue.startswith("http")
            else self.client("sqs").get_queue_url(QueueName=queue)["QueueUrl"]
        )

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
    path = path or state_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(facts, indent=2), encoding="utf-8")
    return path


def local_target(path: Path | None = None) -> Target:
    path = path or state_file()
    if not path.exists():
        raise TargetError(
            f"no local lake is running (no {path})",
            hint="start one with `cornlake local start` in another terminal (from this project, or set "
            f"{HOME_ENV}), or use --target aws --stack NAME",
        )
    facts = json.loads(path.read_text(encoding="utf-8"))
    facts.pop("pid", None)
    return Target(**facts)


def aws_target(stack: str, *, profile: str = "", region: str = "") -> Target:
    session = boto3.session.Session(profile_name=profile or None, region_name=region or None)
    try:
        stacks = session.client("cloudformation").describe_stacks(StackName=stack)["Stacks"]
    except (BotoCoreError, ClientError) as err:
        raise TargetError(
            f"cannot read stack {stack!r}: {err}", hint="check --stack, --profile and --region"
        ) from None
    outputs = {o["OutputKey"]: o["OutputValue"] for o in stacks[0].get("Outputs", [])}
    missing = [k for k in OUTPUTS if k not in outputs]
    if missing:
        raise TargetError(
            f"stack {stack!r} lacks outputs {missing}",
            hint="is it a CornLake stack? `sam deploy` creates them",
        )
    values: dict[str, Any] = {OUTPUTS[k]: outputs[k] for k in OUTPUTS}
    values.update({name: outputs[k] for k, name in LATER_OUTPUTS.items() if k in outputs})
    return Target(target="aws", region=session.region_name or "", stack_name=stack, profile=profile, **values)


def resolve(kind: str, *, stack: str = "", profile: str = "", region: str = "") -> Target:
    if kind == "aws":
        if not stack:
            raise TargetError("--target aws needs a stack", hint=f"add --stack NAME (or set {STACK_ENV})")
        return aws_target(stack, profile=profile, region=region)
    return local_target()
