"""The local API: an HTTP server that routes requests to functions as API Gateway REST events.

Each ``Api`` event of the template becomes a route. Requests become API Gateway REST
(payload v1) proxy events, with the path parameters URL-decoded as API Gateway decodes them;
the function's answer becomes the HTTP response. As on AWS, a body over API Gateway's 10 MB
or an event over Lambda's 6 MB synchronous payload is refused with 413 "Request Too Long"
(the body is read first, so the client gets the answer, not a reset connection), a
Content-Length that is not a number answers 400, an unknown path answers 403 "Missing
Authentication Token", and a function that raises answers 502.

By default requests are not SigV4-checked: the caller identity is ``local-developer``.
With ``check_signatures=True`` (``LocalLake(check_signatures=True)``) every request to a
route must carry an ``Authorization: AWS4-HMAC-SHA256 ...`` header signed for
``execute-api`` with the local lake's fixed credentials (``process.LOCAL_CREDENTIALS``):
``signatures.check`` recomputes it with botocore's signer; a missing, malformed, stale or
wrong signature answers 403 with API Gateway's message and never reaches the function.
"""

from __future__ import annotations

import base64
import json
import re
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import unquote

from cornlake_toolkit.local.functions import LocalFunction
from cornlake_toolkit.local.process import LOCAL_ACCOUNT
from cornlake_toolkit.local.signatures import LOCAL_CALLER, SignedRequest, check

API_GATEWAY_MAX_BODY = 10 * 1024 * 1024
LAMBDA_MAX_PAYLOAD = 6 * 1024 * 1024  # a synchronous invocation's event, as Lambda counts it
TOO_LONG = {"message": "Request Too Long"}
DRAIN_BYTES = 64 * 1024 * 1024  # an over-long body is read (and dropped) up to this, so the 413 is seen


@dataclass
class Route:
    method: str
    template: str
    pattern: re.Pattern[str]
    function: LocalFunction


def routes_of(functions: dict[str, LocalFunction]) -> list[Route]:
    routes = []
    for function in functions.values():
        for props in function.event_sources("Api"):
            path = props["Path"]
            pattern = re.compile("^" + re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", path) + "$")
            routes.append(Route(props["Method"].upper(), path, pattern, function))
    return routes


class LocalApi:
    """The template's API routes on a local port."""

    def __init__(
        self,
        functions: dict[str, LocalFunction],
        port: int,
        on_error: Callable[[LocalFunction, Exception], None],
        *,
        check_signatures: bool = False,
        region: str = "us-east-1",
    ) -> None:
        self.routes = routes_of(functions)
        self.port = port
        self.on_error = on_error
        self.check_signatures, self.region = check_signatures, region
        self._server: ThreadingHTTPServer | None = None

    def start(self) -> None:
        api = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                api.serve(self, "POST")

            def do_GET(self) -> None:
                api.serve(self, "GET")

            def do_PUT(self) -> None:
                api.serve(self, "PUT")

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self._server.serve_forever, name="local-api", daemon=True).start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    def serve(self, request: BaseHTTPRequestHandler, method: str) -> None:
        path, _, query = request.path.partition("?")
        length = _content_length(request)
        if length is None:
            reply(request, 400, {"message": "Content-Length must be a whole number of bytes"})
            return
        if length > API_GATEWAY_MAX_BODY:
            _drain(request, length)
            reply(request, 413, TOO_LONG)  # API Gateway's own 10 MB limit
            return
        body = request.rfile.read(length) if length else b""
        for route in self.routes:
            match = route.pattern.match(path)
            if match and route.method == method:
                identity = self._caller(request, method, body)
                if identity is not None:
                    params = {k: unquote(v) for k, v in match.groupdict().items()}
                    event = rest_event(route, path, query, params, request=request, body=body)
                    event["requestContext"]["identity"].update(identity)
                    self._invoke(request, route, event)
                return
        status = 403 if not any(r.pattern.match(path) for r in self.routes) else 405
        reply(request, status, {"message": "Missing Authentication Token"})

    def _caller(self, request: BaseHTTPRequestHandler, method: str, body: bytes) -> dict[str, Any] | None:
        """The verified caller's identity ({} when signatures are not checked), or None once refused."""
        if not self.check_signatures:
            return {}
        signed = SignedRequest(
            method,
            f"http://{request.headers.get('Host', '')}{request.path}",
            lambda name: [str(v) for v in request.headers.get_all(name, [])],
            body,
        )
        verdict = check(signed, region=self.region)
        if verdict.refusal:
            reply(request, 403, {"message": verdict.refusal})
            return None
        return verdict.identity

    def _invoke(self, request: BaseHTTPRequestHandler, route: Route, event: dict[str, Any]) -> None:
        if len(json.dumps(event, ensure_ascii=False).encode("utf-8", "surrogatepass")) > LAMBDA_MAX_PAYLOAD:
            reply(request, 413, TOO_LONG)  # Lambda refuses the invocation; API Gateway says this
            return
        try:
            response = route.function.invoke(event)
        except Exception as err:  # noqa: BLE001 - API Gateway answers 502 when the function fails
            self.on_error(route.function, err)
            reply(request, 502, {"message": "Internal server error"})
            return
        data = response.get("body") or ""
        raw = base64.b64decode(data) if response.get("isBase64Encoded") else data.encode()
        reply(request, int(response.get("statusCode", 200)), raw, response.get("headers", {}))


def rest_event(
    route: Route,
    path: str,
    query: str,
    params: dict[str, str],
    *,
    request: BaseHTTPRequestHandler,
    body: bytes,
) -> dict[str, Any]:
    """An HTTP request as API Gateway's REST (payload v1) proxy event."""
    headers = dict(request.headers)
    try:
        text, encoded = body.decode("utf-8"), False
    except UnicodeDecodeError:
        text, encoded = base64.b64encode(body).decode(), True
    pairs = [[*p.split("=", 1), ""] for p in query.split("&") if p] if query else []
    return {
        "resource": route.template,
        "path": path,
        "httpMethod": route.method,
        "headers": headers,
        "multiValueHeaders": {k: [v] for k, v in headers.items()},
        "queryStringParameters": {p[0]: p[1] for p in pairs} or None,
        "multiValueQueryStringParameters": {p[0]: [p[1]] for p in pairs} or None,
        "pathParameters": params,
        "stageVariables": None,
        "requestContext": {
            "resourcePath": route.template,
            "httpMethod": route.method,
            "path": f"/live{path}",
            "stage": "live",
            "requestId": str(uuid.uuid4()),
            "accountId": LOCAL_ACCOUNT,
            "apiId": "local",
            "requestTimeEpoch": int(time.time() * 1000),
            "identity": {
                "sourceIp": request.client_address[0],
                "userArn": LOCAL_CALLER,
                "caller": "local-developer",
                "apiKeyId": None,
                "userAgent": headers.get("User-Agent", ""),
            },
        },
        "body": text if body else None,
        "isBase64Encoded": encoded,
    }


def _content_length(request: BaseHTTPRequestHandler) -> int | None:
    """The declared body length; None when it is not a non-negative number."""
    text = str(request.headers.get("Content-Length") or "0").strip()
    return int(text) if text.isascii() and text.isdigit() else None


def _drain(request: BaseHTTPRequestHandler, length: int) -> None:
    """Read and drop a refused body, so the client can read the answer (then the connection closes)."""
    left = min(length, DRAIN_BYTES)
    while left > 0:
        chunk = request.rfile.read(min(left, 1 << 20))
        if not chunk:
            break
        left -= len(chunk)
    request.close_connection = True


def reply(
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
