"""The local runtime: template.yaml's topology on an embedded AWS, driving the real handlers.

``LocalLake`` starts moto in server mode (a real HTTP endpoint speaking the AWS wire
protocol), creates the buckets, queues, topics, subscriptions, S3 notifications and Glue
databases that template.yaml declares, then runs each function's event sources the way
Lambda does:

* SQS event source mappings: receive up to ``BatchSize`` messages, invoke the handler with
  Lambda's SQS event shape, delete what succeeded, leave ``batchItemFailures`` (or the
  whole batch, if the handler raised) to reappear; SQS moves a message to the DLQ after
  ``maxReceiveCount`` receives. Failed messages reappear after ``retry_delay`` seconds
  rather than the template's long visibility timeout, so local retries take seconds.
* API events: a local HTTP server routes requests to the handler as API Gateway REST
  (payload v1) events. Locally requests are not SigV4-checked; the caller identity is
  ``local-developer``.

Nothing here is imported by a Lambda function.
"""

from __future__ import annotations

import base64
import contextlib
import importlib.util
import json
import logging
import os
import re
import socket
import threading
import time
import uuid
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import ModuleType
from typing import Any

import boto3
from moto.server import ThreadedMotoServer

from cornlake_toolkit.cfn import Template

ROOT = Path(__file__).resolve().parents[2]
LOCAL_ACCOUNT = "123456789012"
API_GATEWAY_MAX_BODY = 10 * 1024 * 1024
LOCAL_ENV = {
    "AWS_ACCESS_KEY_ID": LOCAL_ACCOUNT,
    "AWS_SECRET_ACCESS_KEY": "cornlake-local",
    "AWS_SESSION_TOKEN": "cornlake-local",
    "POWERTOOLS_TRACE_DISABLED": "true",
    "POWERTOOLS_METRICS_DISABLED": "true",
}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class FakeContext:
    """What powertools reads from Lambda's context object."""

    function_name: str
    memory_limit_in_mb: int
    timeout_s: int
    invoked_function_arn: str = ""
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    log_group_name: str = ""
    log_stream_name: str = "local"
    function_version: str = "$LATEST"
    _deadline: float = field(default_factory=time.monotonic)

    def __post_init__(self) -> None:
        self._deadline = time.monotonic() + self.timeout_s

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


@dataclass
class LocalFunction:
    logical_id: str
    name: str
    code_dir: Path
    handler: str
    memory: int
    timeout: int
    environment: dict[str, str]
    events: dict[str, dict[str, Any]]
    _module: ModuleType | None = None
    invocations: int = 0

    def load(self) -> Callable[[dict[str, Any], Any], Any]:
        module_name, _, func = self.handler.rpartition(".")
        if self._module is None:
            path = self.code_dir / f"{module_name.replace('.', '/')}.py"
            spec = importlib.util.spec_from_file_location(f"cornlake_local_{self.logical_id}", path)
            if spec is None or spec.loader is None:
                raise FileNotFoundError(f"{self.logical_id}: cannot load handler from {path}")
            module = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(module)
            self._module = module
        return getattr(self._module, func)  # type: ignore[no-any-return]

    def invoke(self, event: dict[str, Any]) -> Any:
        self.invocations += 1
        context = FakeContext(
            self.name,
            self.memory,
            self.timeout,
            invoked_function_arn=f"arn:aws:lambda:us-east-1:{LOCAL_ACCOUNT}:function:{self.name}",
        )
        return self.load()(event, context)


@dataclass
class Route:
    method: str
    template: str
    pattern: re.Pattern[str]
    function: LocalFunction


class LocalLake:
    """template.yaml, provisioned on moto server and running its functions locally."""

    def __init__(
        self,
        template_path: Path = ROOT / "template.yaml",
        *,
        stack_name: str = "cornlake-local",
        region: str = "us-east-1",
        moto_port: int = 0,
        api_port: int = 0,
        retry_delay: int = 1,
        poll_wait: int = 1,
        log_level: str = "WARNING",
        run_functions: bool = True,
        external_endpoint: str = "",
        service_endpoints: dict[str, str] | None = None,
    ) -> None:
        self.template = Template.load(
            template_path,
            stack_name=stack_name,
            region=region,
            account=LOCAL_ACCOUNT,
            parameters={"EnableVpc": "false"},
        )
        self.root = template_path.resolve().parent
        self.region = region
        self.moto_port = moto_port or free_port()
        self.api_port = api_port or free_port()
        self.retry_delay = retry_delay
        self.poll_wait = poll_wait
        self.log_level = log_level
        self.run_functions = run_functions
        self.external_endpoint = external_endpoint
        self.service_endpoints = dict(service_endpoints or {})
        self.template.queue_url_base = self.service_endpoints.get("sqs", self.endpoint)
        self.functions: dict[str, LocalFunction] = {}
        self.routes: list[Route] = []
        self._moto: ThreadedMotoServer | None = None
        self._api: ThreadingHTTPServer | None = None
        self._threads: list[threading.Thread] = []
        self._stop = threading.Event()
        self._busy = 0  # pollers inside a receive-and-deliver round
        self._busy_lock = threading.Lock()
        self._running = threading.Event()  # cleared while reset() swaps the emulator's state
        self._running.set()
        self.errors: list[str] = []
        self._clients: dict[str, Any] = {}
        self._client_lock = threading.Lock()

    # -- lifecycle -----------------------------------------------------------------------
    @property
    def endpoint(self) -> str:
        return self.external_endpoint or f"http://127.0.0.1:{self.moto_port}"

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.api_port}"

    def start(self) -> LocalLake:
        logging.getLogger("werkzeug").setLevel(logging.ERROR)  # moto server's request log
        # Metrics are off locally (no CloudWatch), so powertools would warn on every flush.
        warnings.filterwarnings("ignore", message="No application metrics to publish")
        self._moto = ThreadedMotoServer(ip_address="127.0.0.1", port=self.moto_port, verbose=False)
        self._moto.start()
        self._configure_process()
        self.provision()
        self._load_functions()
        if self.run_functions:
            self._start_pollers()
            self._start_api()
        return self

    def reset(self) -> None:
        """Empty the emulator and provision the template again (between tests)."""
        import urllib.request

        with self._busy_lock:
            self._running.clear()
        while True:  # let every poller finish its round, so none sees queues vanish
            with self._busy_lock:
                if self._busy == 0:
                    break
            time.sleep(0.02)
        try:
            reset = urllib.request.Request(f"{self.endpoint}/moto-api/reset", method="POST")  # noqa: S310
            urllib.request.urlopen(reset, timeout=10).close()  # noqa: S310 - the emulator's own http endpoint
            self.errors.clear()
            self.provision()
        finally:
            self._running.set()

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=10)
        if self._api is not None:
            self._api.shutdown()
            self._api.server_close()
        if self._moto is not None:
            self._moto.stop()

    def __enter__(self) -> LocalLake:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def session(self) -> boto3.session.Session:
        # A 12-digit access key id: LocalStack takes it as the account id, moto ignores it.
        return boto3.session.Session(
            region_name=self.region,
            aws_access_key_id=LOCAL_ACCOUNT,
            aws_secret_access_key="cornlake-local",
            aws_session_token="cornlake-local",
        )

    def client(self, service: str) -> Any:
        """A client for the emulator; cached, since building one costs ~100 ms."""
        with self._client_lock:
            if service not in self._clients:
                endpoint = self.service_endpoints.get(service, self.endpoint)
                self._clients[service] = self.session().client(service, endpoint_url=endpoint)  # type: ignore[call-overload]
            return self._clients[service]

    def _configure_process(self) -> None:
        """Point every boto3 client in this process (the handlers' too) at the emulator."""
        from cornlake import aws
        from cornlake.settings import settings_for

        os.environ.update(LOCAL_ENV)
        os.environ.update(
            {
                "AWS_ENDPOINT_URL": self.endpoint,
                "AWS_DEFAULT_REGION": self.region,
                "AWS_REGION": self.region,
                "POWERTOOLS_LOG_LEVEL": self.log_level,
            }
        )
        aws.reset_clients()
        settings_for.cache_clear()

    # -- provisioning --------------------------------------------------------------------
    def provision(self) -> None:
        t = self.template
        s3, sqs, sns, glue = (self.client(s) for s in ("s3", "sqs", "sns", "glue"))
        for logical_id in t.of_type("AWS::SQS::Queue"):
            props = t.properties(logical_id)
            sqs.create_queue(QueueName=props["QueueName"])
        for logical_id in t.of_type("AWS::SQS::Queue"):
            props = t.properties(logical_id)
            redrive = props.get("RedrivePolicy")
            if redrive:
                url = sqs.get_queue_url(QueueName=props["QueueName"])["QueueUrl"]
                sqs.set_queue_attributes(QueueUrl=url, Attributes={"RedrivePolicy": json.dumps(redrive)})
        for logical_id in t.of_type("AWS::SNS::Topic"):
            sns.create_topic(Name=t.properties(logical_id)["TopicName"])
        for logical_id in t.of_type("AWS::SNS::Subscription"):
            props = t.properties(logical_id)
            if props["Protocol"] != "sqs":
                continue
            sns.subscribe(
                TopicArn=props["TopicArn"],
                Protocol="sqs",
                Endpoint=props["Endpoint"],
                Attributes={"RawMessageDelivery": str(props.get("RawMessageDelivery", False)).lower()},
            )
        for logical_id in t.of_type("AWS::S3::Bucket"):
            props = t.properties(logical_id)
            s3.create_bucket(Bucket=props["BucketName"])
            queues = props.get("NotificationConfiguration", {}).get("QueueConfigurations", [])
            if queues:
                s3.put_bucket_notification_configuration(
                    Bucket=props["BucketName"],
                    NotificationConfiguration={
                        "QueueConfigurations": [_queue_notification(q) for q in queues]
                    },
                )
        for logical_id in t.of_type("AWS::Glue::Database"):
            with contextlib.suppress(glue.exceptions.AlreadyExistsException):  # provisioning is re-runnable
                glue.create_database(DatabaseInput=t.properties(logical_id)["DatabaseInput"])
        athena = self.client("athena")
        existing = {w["Name"] for w in athena.list_work_groups()["WorkGroups"]}
        for logical_id in t.of_type("AWS::Athena::WorkGroup"):
            props = t.properties(logical_id)
            if props["Name"] not in existing:
                athena.create_work_group(Name=props["Name"], Description=props.get("Description", ""))

    def _load_functions(self) -> None:
        env: dict[str, str] = {}
        for logical_id in self.template.of_type("AWS::Serverless::Function"):
            props = self.template.properties(logical_id)
            variables = {k: str(v) for k, v in props.get("Environment", {}).get("Variables", {}).items()}
            for key, value in variables.items():
                if key.startswith("POWERTOOLS_LOG_LEVEL"):
                    continue
                if env.get(key, value) != value:
                    raise RuntimeError(
                        f"{logical_id} sets {key}={value!r} but another function sets {env[key]!r}; "
                        "locally all functions share one process environment"
                    )
                env[key] = value
            self.functions[logical_id] = LocalFunction(
                logical_id,
                props.get("FunctionName", logical_id),
                self.root / props["CodeUri"],
                props["Handler"],
                int(props.get("MemorySize", 128)),
                int(props.get("Timeout", 3)),
                variables,
                props.get("Events", {}),
            )
        os.environ.update(env)

    # -- SQS event source mappings -------------------------------------------------------
    def _start_pollers(self) -> None:
        for function in self.functions.values():
            for name, event in function.events.items():
                if event["Type"] != "SQS":
                    continue
                thread = threading.Thread(
                    target=self._poll,
                    args=(function, event["Properties"]),
                    name=f"poller-{function.logical_id}-{name}",
                    daemon=True,
                )
                thread.start()
                self._threads.append(thread)

    def _poll(self, function: LocalFunction, props: dict[str, Any]) -> None:
        sqs = self.client("sqs")
        queue_arn = props["Queue"]
        url = sqs.get_queue_url(QueueName=queue_arn.rsplit(":", 1)[1])["QueueUrl"]
        batch_size = min(int(props.get("BatchSize", 10)), 10)
        partial = "ReportBatchItemFailures" in props.get("FunctionResponseTypes", [])
        while not self._stop.is_set():
            messages: list[dict[str, Any]] = []
            with self._busy_lock:
                paused = not self._running.is_set()
                if not paused:
                    self._busy += 1
            if paused:
                time.sleep(0.05)
                continue
            try:
                messages = sqs.receive_message(
                    QueueUrl=url,
                    MaxNumberOfMessages=batch_size,
                    WaitTimeSeconds=self.poll_wait,
                    AttributeNames=["All"],
                    MessageAttributeNames=["All"],
                    VisibilityTimeout=max(function.timeout, 30),
                ).get("Messages", [])
                if messages:
                    self._deliver(
                        sqs,
                        url=url,
                        queue_arn=queue_arn,
                        function=function,
                        messages=messages,
                        partial=partial,
                    )
            except Exception as err:  # noqa: BLE001 - a poller must survive and report, like Lambda's
                self._record_error(function, err)
            finally:
                with self._busy_lock:
                    self._busy -= 1
            if not messages:
                time.sleep(0.05)

    def _deliver(
        self,
        sqs: Any,
        *,
        url: str,
        queue_arn: str,
        function: LocalFunction,
        messages: list[dict[str, Any]],
        partial: bool,
    ) -> None:
        event = {"Records": [_sqs_record(m, queue_arn, self.region) for m in messages]}
        failed: set[str] = set()
        try:
            result = function.invoke(event)
            if partial and isinstance(result, dict):
                failed = {f["itemIdentifier"] for f in result.get("batchItemFailures", [])}
        except Exception as err:  # noqa: BLE001 - an unhandled error fails the whole batch, as in Lambda
            self._record_error(function, err)
            failed = {m["MessageId"] for m in messages}
        done = [m for m in messages if m["MessageId"] not in failed]
        if done:
            sqs.delete_message_batch(
                QueueUrl=url,
                Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(done)],
            )
        for message in messages:
            if message["MessageId"] in failed:
                sqs.change_message_visibility(
                    QueueUrl=url, ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=self.retry_delay
                )

    def _record_error(self, function: LocalFunction, err: Exception) -> None:
        lines = [line for line in str(err).strip().splitlines() if line.strip()]
        self.errors.append(f"{function.logical_id}: {type(err).__name__}: {lines[-1] if lines else ''}")

    def wait_until_idle(self, timeout: float = 60.0) -> None:
        """Block until every function queue is empty and no handler is running."""
        sqs = self.client("sqs")
        urls = []
        for function in self.functions.values():
            for event in function.events.values():
                if event["Type"] == "SQS":
                    urls.append(
                        sqs.get_queue_url(QueueName=event["Properties"]["Queue"].rsplit(":", 1)[1])[
                            "QueueUrl"
                        ]
                    )
        deadline = time.monotonic() + timeout
        quiet = 0
        while time.monotonic() < deadline:
            pending = 0
            for url in urls:
                attrs = sqs.get_queue_attributes(
                    QueueUrl=url,
                    AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
                )["Attributes"]
                pending += int(attrs["ApproximateNumberOfMessages"]) + int(
                    attrs["ApproximateNumberOfMessagesNotVisible"]
                )
            quiet = quiet + 1 if pending == 0 else 0
            if quiet >= 3:
                return
            time.sleep(0.2)
        raise TimeoutError(
            f"the local lake did not go idle within {timeout}s; poller errors: {self.errors[-5:]}"
        )

    # -- API -----------------------------------------------------------------------------
    def _start_api(self) -> None:
        for function in self.functions.values():
            for event in function.events.values():
                if event["Type"] != "Api":
                    continue
                path = event["Properties"]["Path"]
                pattern = re.compile("^" + re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", path) + "$")
                self.routes.append(Route(event["Properties"]["Method"].upper(), path, pattern, function))
        lake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                lake._serve(self, "POST")

            def do_GET(self) -> None:
                lake._serve(self, "GET")

            def do_PUT(self) -> None:
                lake._serve(self, "PUT")

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._api = ThreadingHTTPServer(("127.0.0.1", self.api_port), Handler)
        thread = threading.Thread(target=self._api.serve_forever, name="local-api", daemon=True)
        thread.start()

    def _serve(self, request: BaseHTTPRequestHandler, method: str) -> None:
        path, _, query = request.path.partition("?")
        length = int(request.headers.get("Content-Length") or 0)
        if length > API_GATEWAY_MAX_BODY:
            _reply(request, 413, {"message": "Request Too Long"})  # API Gateway's own 10 MB limit
            return
        body = request.rfile.read(length) if length else b""
        for route in self.routes:
            match = route.pattern.match(path)
            if match and route.method == method:
                event = _api_event(
                    route,
                    method=method,
                    path=path,
                    query=query,
                    params=match.groupdict(),
                    headers=dict(request.headers),
                    body=body,
                    client_ip=request.client_address[0],
                )
                try:
                    response = route.function.invoke(event)
                except Exception as err:  # noqa: BLE001 - API Gateway answers 502 when the function fails
                    self._record_error(route.function, err)
                    _reply(request, 502, {"message": "Internal server error"})
                    return
                data = response.get("body") or ""
                raw = base64.b64decode(data) if response.get("isBase64Encoded") else data.encode()
                _reply(request, int(response.get("statusCode", 200)), raw, response.get("headers", {}))
                return
        _reply(
            request,
            403 if not any(r.pattern.match(path) for r in self.routes) else 405,
            {"message": "Missing Authentication Token"},
        )

    # -- facts for the CLI ---------------------------------------------------------------
    def describe(self) -> dict[str, Any]:
        env = self.template.properties("IngestApiFunction")["Environment"]["Variables"]
        return {
            "target": "local",
            "endpoint": self.endpoint,
            "api_url": self.api_url,
            "region": self.region,
            "stack_name": self.template.stack_name,
            "landing_bucket": env["LANDING_BUCKET"],
            "raw_bucket": env["RAW_BUCKET"],
            "curated_bucket": env["CURATED_BUCKET"],
            "quarantine_bucket": env["QUARANTINE_BUCKET"],
            "ops_bucket": env["OPS_BUCKET"],
            "glue_database": env["GLUE_DATABASE"],
            "ops_glue_database": env["OPS_GLUE_DATABASE"],
            "workgroup": self.template.ref("AnalystWorkgroup"),
            "transform_queue": self.template.get_att("TransformQueue", "QueueName"),
            "service_endpoints": self.service_endpoints,
        }


def _queue_notification(config: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"QueueArn": config["Queue"], "Events": [config["Event"]]}
    rules = config.get("Filter", {}).get("S3Key", {}).get("Rules")
    if rules:
        out["Filter"] = {"Key": {"FilterRules": rules}}
    return out


def _sqs_record(message: dict[str, Any], queue_arn: str, region: str) -> dict[str, Any]:
    attributes = message.get("MessageAttributes", {})
    return {
        "messageId": message["MessageId"],
        "receiptHandle": message["ReceiptHandle"],
        "body": message["Body"],
        "attributes": message.get("Attributes", {}),
        "messageAttributes": {
            k: {
                "stringValue": v.get("StringValue"),
                "binaryValue": v.get("BinaryValue"),
                "stringListValues": [],
                "binaryListValues": [],
                "dataType": v["DataType"],
            }
            for k, v in attributes.items()
        },
        "md5OfBody": message.get("MD5OfBody", ""),
        "eventSource": "aws:sqs",
        "eventSourceARN": queue_arn,
        "awsRegion": region,
    }


def _api_event(
    route: Route,
    *,
    method: str,
    path: str,
    query: str,
    params: dict[str, str],
    headers: dict[str, str],
    body: bytes,
    client_ip: str,
) -> dict[str, Any]:
    try:
        text, encoded = body.decode("utf-8"), False
    except UnicodeDecodeError:
        text, encoded = base64.b64encode(body).decode(), True
    pairs = [[*p.split("=", 1), ""] for p in query.split("&") if p] if query else []
    return {
        "resource": route.template,
        "path": path,
        "httpMethod": method,
        "headers": headers,
        "multiValueHeaders": {k: [v] for k, v in headers.items()},
        "queryStringParameters": {p[0]: p[1] for p in pairs} or None,
        "multiValueQueryStringParameters": {p[0]: [p[1]] for p in pairs} or None,
        "pathParameters": params,
        "stageVariables": None,
        "requestContext": {
            "resourcePath": route.template,
            "httpMethod": method,
            "path": f"/live{path}",
            "stage": "live",
            "requestId": str(uuid.uuid4()),
            "accountId": LOCAL_ACCOUNT,
            "apiId": "local",
            "requestTimeEpoch": int(time.time() * 1000),
            "identity": {
                "sourceIp": client_ip,
                "userArn": f"arn:aws:iam::{LOCAL_ACCOUNT}:user/local-developer",
                "caller": "local-developer",
                "apiKeyId": None,
                "userAgent": headers.get("User-Agent", ""),
            },
        },
        "body": text if body else None,
        "isBase64Encoded": encoded,
    }


def _reply(
    request: BaseHTTPRequestHandler,
    status: int,
    body: bytes | dict[str, Any],
    headers: dict[str, str] | None = None,
) -> None:
    data = json.dumps(body).encode() if isinstance(body, dict) else body
    request.send_response(status)
    for key, value in (headers or {"Content-Type": "application/json"}).items():
        request.send_header(key, value)
    request.send_header("Content-Length", str(len(data)))
    request.end_headers()
    request.wfile.write(data)


def provision_external(
    endpoint: str, *, region: str = "us-east-1", service_endpoints: dict[str, str] | None = None
) -> dict[str, Any]:
    """Create template.yaml's resources on emulators someone else runs (docker-compose.yml)."""
    lake = LocalLake(
        region=region, external_endpoint=endpoint, run_functions=False, service_endpoints=service_endpoints
    )
    lake.provision()
    return lake.describe()


@contextlib.contextmanager
def running_lake(**kwargs: Any) -> Iterator[LocalLake]:
    lake = LocalLake(**kwargs).start()
    try:
        yield lake
    finally:
        lake.stop()
