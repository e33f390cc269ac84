"""``LocalLake``: template.yaml's topology on an embedded AWS, driving the real handlers.

It composes the parts of the local runtime: moto in server mode (a real HTTP endpoint
speaking the AWS wire protocol, no Docker), ``provision`` (the template's resources),
``functions`` (the handlers, loaded as Lambda loads them), ``events`` (SQS event source
mappings with Lambda's semantics) and ``api`` (the ingest API on a local port).
Nothing here is imported by a Lambda function.
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
import urllib.request
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3

from cornlake_toolkit.cfn import Template
from cornlake_toolkit.local.api import LocalApi
from cornlake_toolkit.local.emulator import adjust_moto
from cornlake_toolkit.local.events import EventSources, Schedules
from cornlake_toolkit.local.functions import LocalFunction, load_functions
from cornlake_toolkit.local.process import (
    LOCAL_ACCOUNT,
    ROOT,
    check_port,
    configure_process,
    free_port,
    local_session,
)
from cornlake_toolkit.local.provision import provision


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
        check_signatures: bool = False,  # the API checks SigV4 against the local credentials (local.api)
    ) -> None:
        self.template = Template.load(
            template_path,
            stack_name=stack_name,
            region=region,
            account=LOCAL_ACCOUNT,
            parameters={"EnableVpc": "false"},
        )
        self.root = template_path.resolve().parent
        self.region, self.log_level, self.run_functions = region, log_level, run_functions
        self.check_signatures = check_signatures
        self.external_endpoint = external_endpoint
        if not external_endpoint:
            check_port(moto_port, "--moto-port")
        check_port(api_port, "--api-port")
        self.moto_port = moto_port or free_port()
        self.api_port = api_port or free_port()
        self.service_endpoints = dict(service_endpoints or {})
        self.template.queue_url_base = self.service_endpoints.get("sqs", self.endpoint)
        self.functions: dict[str, LocalFunction] = {}
        self.events = EventSources(
            self.client,
            self.functions,
            region=region,
            retry_delay=retry_delay,
            poll_wait=poll_wait,
            before_delivery=self._watch_contracts,
        )
        self.schedules = Schedules(self.functions, region=region, account=LOCAL_ACCOUNT)
        self.notices: list[str] = []  # things the user should know (contracts changed, or broken)
        self._moto: Any = None
        self._api: LocalApi | None = None
        self._clients: dict[str, Any] = {}
        self._client_lock = threading.Lock()

    @property
    def endpoint(self) -> str:
        return self.external_endpoint or f"http://127.0.0.1:{self.moto_port}"

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.api_port}"

    @property
    def errors(self) -> list[str]:
        """Handler errors so far (each will be retried, then sent to its DLQ)."""
        return self.events.errors

    def start(self) -> LocalLake:
        from moto.server import ThreadedMotoServer  # only the local lake needs moto

        adjust_moto()
        logging.getLogger("werkzeug").setLevel(logging.ERROR)  # moto server's request log
        # Metrics are off locally (no CloudWatch), so powertools would warn on every flush.
        warnings.filterwarnings("ignore", message="No application metrics to publish")
        self._moto = ThreadedMotoServer(ip_address="127.0.0.1", port=self.moto_port, verbose=False)
        self._moto.start()
        self.configure_process()
        self.provision()
        functions, env = load_functions(self.template, self.root)
        self.functions.update(functions)
        os.environ.update(env)
        if self.run_functions:
            self.events.start()
            self.schedules.start()
            self._api = LocalApi(
                self.functions,
                self.api_port,
                self.events.record_error,
                check_signatures=self.check_signatures,
                region=self.region,
            )
            self._api.start()
        return self

    def configure_process(self) -> None:
        """Point every boto3 client in this process (the handlers' too) at this lake."""
        configure_process(self.endpoint, region=self.region, log_level=self.log_level)

    def provision(self) -> None:
        provision(self.template, self.client)

    def reset(self) -> None:
        """Empty the emulator and provision the template again (between tests)."""
        self.events.pause()  # let every poller finish its round, so none sees queues vanish
        try:
            reset = urllib.request.Request(f"{self.endpoint}/moto-api/reset", method="POST")  # noqa: S310
            urllib.request.urlopen(reset, timeout=10).close()  # noqa: S310 - the emulator's own http endpoint
            self.errors.clear()
            self.provision()
            from cornlake.catalog.tables import forget_ensured

            forget_ensured()
        finally:
            self.events.resume()

    def stop(self) -> None:
        self.schedules.stop()
        self.events.stop()
        if self._api is not None:
            self._api.stop()
        if self._moto is not None:
            self._moto.stop()

    def __enter__(self) -> LocalLake:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def wait_until_idle(self, timeout: float = 60.0) -> None:
        self.events.wait_until_idle(timeout)

    def session(self) -> boto3.session.Session:
        return local_session(self.region)

    def client(self, service: str) -> Any:
        """A client for the emulator; cached, since building one costs ~100 ms."""
        with self._client_lock:
            if service not in self._clients:
                endpoint = self.service_endpoints.get(service, self.endpoint)
                self._clients[service] = self.session().client(service, endpoint_url=endpoint)  # type: ignore[call-overload]
            return self._clients[service]

    def _watch_contracts(self) -> None:
        """Contracts edited while the lake runs are used from the next message on; a broken one
        is said loudly (its dataset is refused until it loads)."""
        from cornlake import contracts

        if not contracts.refresh():
            return
        current = contracts.registry()
        self.notices.append(f"contracts reloaded: {', '.join(current.names()) or 'none'}")
        for (source, dataset), err in sorted(current.broken.items()):
            self.notices.append(
                f"contract {source}/{dataset} does not load, so its files are refused until it does: "
                f"{err.message}"
            )

    def describe(self) -> dict[str, Any]:
        """The names and endpoints the CLI needs (written to the local state file)."""
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
            "models_workgroup": self.template.ref("ModelsWorkgroup"),
            "transform_queue": self.template.get_att("TransformQueue", "QueueName"),
            "catalog_queue": self.template.get_att("CatalogQueue", "QueueName"),
            "service_endpoints": self.service_endpoints,
        }


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
