"""Helpers for tests: events from events/, handlers loaded as Lambda loads them, S3 reads."""

from __future__ import annotations

import contextlib
import copy
import importlib.util
import json
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

from cornlake_toolkit.local import ROOT, LocalLake, free_port, sqs_record

EVENTS = ROOT / "events"
DATASETS = ROOT / "datasets"


def load_event(name: str) -> dict[str, Any]:
    return copy.deepcopy(json.loads((EVENTS / name).read_text(encoding="utf-8")))


_HANDLERS: dict[str, ModuleType] = {}


def handler_module(folder: str) -> ModuleType:
    """A function's app.py, imported the way Lambda imports it (once per 'cold start')."""
    if folder not in _HANDLERS:
        spec = importlib.util.spec_from_file_location(f"handler_{folder}", ROOT / folder / "app.py")
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        _HANDLERS[folder] = module
    return _HANDLERS[folder]


class Context:
    function_name = "test-function"
    memory_limit_in_mb = 512
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:test-function"
    aws_request_id = "test-request"

    @staticmethod
    def get_remaining_time_in_millis() -> int:
        return 60_000


def invoke(folder: str, event: dict[str, Any]) -> Any:
    return handler_module(folder).lambda_handler(event, Context())


def list_keys(stack: LocalLake, bucket: str, prefix: str = "") -> list[str]:
    s3 = stack.client("s3")
    pages = s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
    return sorted(o["Key"] for page in pages for o in page.get("Contents", []))


def read_jsonl(stack: LocalLake, bucket: str, key: str) -> list[dict[str, Any]]:
    body = stack.client("s3").get_object(Bucket=bucket, Key=key)["Body"].read().decode()
    return [json.loads(line) for line in body.splitlines() if line.strip()]


def run_records(stack: LocalLake, bucket: str, stage: str | None = None) -> list[dict[str, Any]]:
    records = []
    for key in list_keys(stack, bucket, "runs/"):
        records += read_jsonl(stack, bucket, key)
    return [r for r in records if stage is None or r["stage"] == stage]


def sqs_event_from_queue(stack: LocalLake, queue_name: str, max_messages: int = 10) -> dict[str, Any]:
    """Receive real messages (e.g. S3's own notifications) and wrap them as Lambda would."""
    sqs = stack.client("sqs")
    url = sqs.get_queue_url(QueueName=queue_name)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    response = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=max_messages, AttributeNames=["All"])
    messages = response.get("Messages", [])
    records = [sqs_record(m, arn, stack.region) for m in messages]
    return {"Records": [r for r in records if "s3:TestEvent" not in r["body"]]}


def transform_key(key: str, *, contracts: Any = None) -> tuple[Any, Any]:
    """Run the transform stage on one raw key as its consumer would: (run record, outcome)."""
    from datetime import UTC, datetime

    from cornlake.messages import S3ObjectRef
    from cornlake.settings import Settings
    from cornlake.transform.job import run_request, start_run

    settings = Settings.from_env()
    ref = S3ObjectRef(settings.raw_bucket, key, 0, "", datetime.now(UTC))
    run = start_run(ref)
    outcome = run_request(ref, run, settings, contracts=contracts)
    return run, outcome


def sample(path: str) -> Path:
    return DATASETS / path


@contextlib.contextmanager
def moto_process() -> Iterator[str]:
    """A moto server in its own process (its own state and settings); yields its endpoint."""
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    endpoint = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(f"{endpoint}/moto-api/", timeout=1).close()
                break
            except OSError:
                time.sleep(0.1)
        else:
            raise RuntimeError(f"moto server at {endpoint} did not start")
        yield endpoint
    finally:
        server.terminate()
        server.wait(timeout=10)


SCHEMAS = Path(__file__).parent / "schemas"


def openlineage_problems(event: dict[str, Any]) -> list[str]:
    """What is wrong with an OpenLineage RunEvent, by the official JSON schema (2-0-2) and the
    schemas of the facets CornLake writes (tests/schemas/openlineage/); empty when it is valid."""
    from urllib.parse import urlparse

    import jsonschema
    from referencing import Registry, Resource

    folder = SCHEMAS / "openlineage"
    documents = [json.loads(p.read_text(encoding="utf-8")) for p in sorted(folder.glob("*.json"))]
    registry = Registry().with_resources((d["$id"], Resource.from_contents(d)) for d in documents)
    checker = jsonschema.FormatChecker()

    def errors(schema_ref: str, instance: Any) -> list[str]:
        validator = jsonschema.Draft202012Validator(
            {"$ref": schema_ref}, registry=registry, format_checker=checker
        )
        return [
            f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(instance)
        ]

    found = errors("https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent", event)
    facets = list(event.get("run", {}).get("facets", {}).values())
    for dataset in [*event.get("inputs", []), *event.get("outputs", [])]:
        facets += list(dataset.get("facets", {}).values()) + list(dataset.get("inputFacets", {}).values())
    for facet in facets:
        found += errors(facet["_schemaURL"], facet)
        if not urlparse(facet["_producer"]).scheme:
            found.append(f"facet producer is not a URI: {facet['_producer']}")
    for name in ("producer", "schemaURL"):
        if not urlparse(str(event.get(name, ""))).scheme:
            found.append(f"{name} is not a URI")
    return found


def http_post(lake: LocalLake, path: str, body: bytes, content_type: str) -> tuple[int, dict[str, Any]]:
    """POST to the local lake's ingest API; (status, JSON body), errors included."""
    import urllib.error

    request = urllib.request.Request(
        lake.api_url + path, data=body, headers={"Content-Type": content_type}, method="POST"
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read())
