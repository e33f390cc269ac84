"""template.yaml's resources, created on an emulator: the same names and wiring as on AWS.

Buckets (with their S3 → SQS notifications), queues (with their redrive policies to the
DLQs), topics and their SQS subscriptions, Glue databases and the Athena workgroup, all
read from the template with its parameters bound (cornlake_toolkit.cfn). Re-runnable.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable
from typing import Any

from cornlake_toolkit.cfn import Template

Clients = Callable[[str], Any]  # service name → a client for the emulator


def provision(template: Template, client: Clients) -> None:
    """Create every resource the local lake needs from ``template``."""
    _queues(template, client("sqs"))
    _topics(template, client("sns"))
    _buckets(template, client("s3"))
    _catalog(template, client("glue"), client("athena"))


def _queues(t: Template, sqs: Any) -> None:
    for logical_id in t.of_type("AWS::SQS::Queue"):
        sqs.create_queue(QueueName=t.properties(logical_id)["QueueName"])
    for logical_id in t.of_type("AWS::SQS::Queue"):  # the DLQs exist now
        props = t.properties(logical_id)
        redrive = props.get("RedrivePolicy")
        if redrive:
            url = sqs.get_queue_url(QueueName=props["QueueName"])["QueueUrl"]
            sqs.set_queue_attributes(QueueUrl=url, Attributes={"RedrivePolicy": json.dumps(redrive)})


def _topics(t: Template, sns: Any) -> None:
    for logical_id in t.of_type("AWS::SNS::Topic"):
        sns.create_topic(Name=t.properties(logical_id)["TopicName"])
    for logical_id in t.of_type("AWS::SNS::Subscription"):
        props = t.properties(logical_id)
        if props["Protocol"] != "sqs":
            continue
        attributes = {"RawMessageDelivery": str(props.get("RawMessageDelivery", False)).lower()}
        if "FilterPolicy" in props:
            attributes["FilterPolicy"] = json.dumps(props["FilterPolicy"])
        sns.subscribe(
            TopicArn=props["TopicArn"], Protocol="sqs", Endpoint=props["Endpoint"], Attributes=attributes
        )


def _buckets(t: Template, s3: Any) -> None:
    for logical_id in t.of_type("AWS::S3::Bucket"):
        props = t.properties(logical_id)
        s3.create_bucket(Bucket=props["BucketName"])
        if props.get("VersioningConfiguration", {}).get("Status") == "Enabled":
            s3.put_bucket_versioning(
                Bucket=props["BucketName"], VersioningConfiguration={"Status": "Enabled"}
            )
        queues = props.get("NotificationConfiguration", {}).get("QueueConfigurations", [])
        if queues:
            s3.put_bucket_notification_configuration(
                Bucket=props["BucketName"],
                NotificationConfiguration={"QueueConfigurations": [_queue_notification(q) for q in queues]},
            )


def _catalog(t: Template, glue: Any, athena: Any) -> None:
    for logical_id in t.of_type("AWS::Glue::Database"):
        with contextlib.suppress(glue.exceptions.AlreadyExistsException):  # provisioning is re-runnable
            glue.create_database(DatabaseInput=t.properties(logical_id)["DatabaseInput"])
    existing = {w["Name"] for w in athena.list_work_groups()["WorkGroups"]}
    for logical_id in t.of_type("AWS::Athena::WorkGroup"):
        props = t.properties(logical_id)
        if props["Name"] not in existing:
            athena.create_work_group(Name=props["Name"], Description=props.get("Description", ""))


def _queue_notification(config: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"QueueArn": config["Queue"], "Events": [config["Event"]]}
    rules = config.get("Filter", {}).get("S3Key", {}).get("Rules")
    if rules:
        out["Filter"] = {"Key": {"FilterRules": rules}}
    return out
