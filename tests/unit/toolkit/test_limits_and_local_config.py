"""Lambda's limits checked against the template and the code, and the Docker-based local
setup (docker-compose.yml, env.local.json, events/) checked against the template."""

from __future__ import annotations

import json

import jsonschema
import yaml

from cornlake.ingest import landing as ingest
from cornlake.settings import DEFAULT_MAX_BODY_BYTES
from cornlake_toolkit.cfn import Template
from cornlake_toolkit.local import ROOT

LAMBDA_SYNC_PAYLOAD = 6 * 1024 * 1024
HEADROOM_FOR_HEADERS = 256 * 1024


def template() -> Template:
    return Template.load(ROOT / "template.yaml", parameters={"EnableVpc": "false"})


def test_largest_api_body_fits_lambdas_payload_even_base64_encoded() -> None:
    params = template().document["Parameters"]["MaxBodyBytes"]
    assert params["Default"] == DEFAULT_MAX_BODY_BYTES
    assert params["MaxValue"] * 4 / 3 + HEADROOM_FOR_HEADERS < LAMBDA_SYNC_PAYLOAD


def test_timeouts_and_visibility_follow_lambdas_rules() -> None:
    t = template()
    queues = {p["QueueName"]: p for p in (t.properties(q) for q in t.of_type("AWS::SQS::Queue"))}
    for logical_id in t.of_type("AWS::Serverless::Function"):
        props = t.properties(logical_id)
        assert props["Timeout"] <= 900, logical_id
        assert props.get("MemorySize", 128) <= 10240, logical_id
        for event in props.get("Events", {}).values():
            if event["Type"] == "SQS":
                queue = queues[event["Properties"]["Queue"].rsplit(":", 1)[1]]
                assert int(queue["VisibilityTimeout"]) >= 6 * props["Timeout"], logical_id
                assert "RedrivePolicy" in queue, f"{logical_id}'s queue has no DLQ"
                assert event["Properties"]["FunctionResponseTypes"] == ["ReportBatchItemFailures"]


def test_copies_switch_to_multipart_at_s3s_single_request_limit() -> None:
    assert ingest.MULTIPART_THRESHOLD == 5 * 1024**3
    assert 5 * 1024**2 <= ingest.PART_SIZE <= 5 * 1024**3
    largest_object = 5 * 1024**4
    assert ingest.part_size_for(largest_object) * ingest.MAX_PARTS >= largest_object
    assert ingest.part_size_for(largest_object) <= 5 * 1024**3
    assert ingest.part_size_for(6 * 1024**3) == ingest.PART_SIZE


def test_env_local_json_overrides_only_variables_the_template_declares() -> None:
    t = template()
    declared: dict[str, str] = {}
    for logical_id in t.of_type("AWS::Serverless::Function"):
        declared |= t.properties(logical_id)["Environment"]["Variables"]
    local = json.loads((ROOT / "env.local.json").read_text())["Parameters"]
    endpoints = {k: local.pop(k) for k in list(local) if k.startswith("AWS_ENDPOINT_URL")}
    for name, value in local.items():
        assert declared[name] == value, name  # the names `cornlake local provision` creates
    globals_env = t.document["Globals"]["Function"]["Environment"]["Variables"]
    assert set(endpoints) <= set(globals_env)  # declared, so `sam local invoke --env-vars` may set them
    # ... and absent in the cloud, where the Local* parameters are empty
    assert not any(k.startswith("AWS_ENDPOINT_URL") for k in declared)
    assert (
        endpoints["AWS_ENDPOINT_URL_S3"]
        == endpoints["AWS_ENDPOINT_URL_SQS"]
        == endpoints["AWS_ENDPOINT_URL_SNS"]
    )


def test_docker_compose_follows_the_compose_spec_and_matches_env_local_json() -> None:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    schema = json.loads((ROOT / "tests" / "schemas" / "compose-spec.json").read_text())
    jsonschema.Draft201909Validator(schema).validate(compose)
    services = compose["services"]
    for service in services.values():
        assert ":" in service["image"] and not service["image"].endswith(":latest")
    localstack = services["localstack"]
    major, minor = (int(x) for x in localstack["image"].split(":")[1].split(".")[:2])
    assert (major, minor) < (4, 14)  # later tags need LOCALSTACK_AUTH_TOKEN
    assert set(localstack["environment"]["SERVICES"].split(",")) == {"s3", "sqs", "sns"}
    local = json.loads((ROOT / "env.local.json").read_text())["Parameters"]
    published = {name: {p.split(":")[0] for p in service["ports"]} for name, service in services.items()}
    assert local["AWS_ENDPOINT_URL"].rsplit(":", 1)[1] in published["moto"]
    assert local["AWS_ENDPOINT_URL_S3"].rsplit(":", 1)[1] in published["localstack"]


def test_event_files_name_the_local_stacks_resources() -> None:
    t = template()
    buckets = {t.properties(b)["BucketName"] for b in t.of_type("AWS::S3::Bucket")}
    for name in ("ingest_s3_copy_sqs.json", "transform_sqs.json"):
        event = json.loads((ROOT / "events" / name).read_text())
        body = json.loads(event["Records"][0]["body"])
        assert body["Records"][0]["s3"]["bucket"]["name"] in buckets
    for name in ("catalog_sqs.json", "quality_sqs.json"):
        body = json.loads(json.loads((ROOT / "events" / name).read_text())["Records"][0]["body"])
        assert body["curated_bucket"] in buckets


def test_the_template_sets_exactly_the_environment_cornlake_reads() -> None:
    from cornlake.settings import Settings

    document = template().document
    names = set(document["Globals"]["Function"]["Environment"]["Variables"])
    for resource in document["Resources"].values():
        if resource["Type"] == "AWS::Serverless::Function":
            names |= set(resource["Properties"].get("Environment", {}).get("Variables", {}))
    outside = {n for n in names if n.startswith(("POWERTOOLS_", "AWS_"))}  # read by powertools and boto3
    assert names - outside == set(Settings.ENV.values()) - {"POWERTOOLS_METRICS_NAMESPACE"}
