"""Hostile requests to the ingest API, sent over HTTP to the local API (API Gateway's REST
events, the handler as Lambda calls it): each gets its status, a message and a hint, and
nothing it carried is lost. A refused body is in the quarantine bucket's ``_rejected/api/``
with the error (a body API Gateway or Lambda turn away never reaches CornLake: the
producer still holds it and is told so with 413); an accepted body is in raw unchanged,
and the transform curates or quarantines every record of it."""

from __future__ import annotations

import hashlib
import http.client
import json
import socket
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from hostile import account, curated_rows, doubled, quarantined, reasons, transform_all

from cornlake_toolkit.local import LOCAL_CREDENTIALS, LocalLake, free_port
from cornlake_toolkit.local.api import LocalApi
from cornlake_toolkit.local.signatures import LOCAL_CALLER, MISMATCH, MISSING
from cornlake_toolkit.reliability import Ledger
from helpers import invoke, list_keys, load_event, run_records, sqs_event_from_queue

EVENT = {"event_id": "e1", "event_type": "click", "event_time": "2026-11-20T10:00:00Z"}
DEEP = b"[" * 100_000 + b"]" * 100_000
MiB = 1024 * 1024


class Gateway:
    """The template's API on a local port, over the session's provisioned functions."""

    def __init__(self, lake: LocalLake, *, check_signatures: bool = False) -> None:
        self.errors: list[Exception] = []
        self.port = free_port()
        self.api = LocalApi(
            lake.functions,
            self.port,
            lambda _function, err: self.errors.append(err),
            check_signatures=check_signatures,
            region=lake.region,
        )

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def post(
        self, path: str, body: bytes, headers: dict[str, str] | None = None
    ) -> tuple[int, dict[str, Any]]:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
        try:
            sent = {"Content-Type": "application/x-ndjson"} | (headers or {})
            connection.request("POST", path, body=body, headers=sent)
            response = connection.getresponse()
            return response.status, json.loads(response.read() or b"{}")
        finally:
            connection.close()

    def raw(self, request: bytes) -> tuple[int, dict[str, Any]]:
        """Send bytes no HTTP client would write (folded headers, a bad Content-Length)."""
        with socket.create_connection(("127.0.0.1", self.port), timeout=30) as sock:
            sock.sendall(request)
            sock.shutdown(socket.SHUT_WR)
            data = b""
            while chunk := sock.recv(65536):
                data += chunk
        head, _, body = data.partition(b"\r\n\r\n")
        return int(head.split()[1]), json.loads(body or b"{}")


@pytest.fixture(scope="module")
def gateway(provisioned: LocalLake) -> Iterator[Gateway]:
    api = Gateway(provisioned)
    api.api.start()
    yield api
    api.api.stop()


@pytest.fixture(scope="module")
def signed_gateway(provisioned: LocalLake) -> Iterator[Gateway]:
    api = Gateway(provisioned, check_signatures=True)
    api.api.start()
    yield api
    api.api.stop()


def lines(*records: dict[str, Any]) -> bytes:
    return b"".join(json.dumps(r).encode() + b"\n" for r in records)


def refused_and_kept(stack: LocalLake, body: bytes, error: str, answer: dict[str, Any]) -> int:
    """1 when the refused body is in ``_rejected/api/`` byte for byte, with its error and a run record."""
    names = stack.describe()
    kept = list_keys(stack, names["quarantine_bucket"], "_rejected/api/")
    assert answer["kept"] == f"s3://{names['quarantine_bucket']}/{kept[0]}" and len(kept) == 1
    obj = stack.client("s3").get_object(Bucket=names["quarantine_bucket"], Key=kept[0])
    assert obj["Body"].read() == body and obj["Metadata"]["error"] == error
    runs = run_records(stack, names["ops_bucket"], "ingest_api")
    assert [r["status"] for r in runs] == ["rejected"] and error in runs[0]["error"]
    assert list_keys(stack, names["raw_bucket"]) == []
    return 1


def nothing_reached_cornlake(stack: LocalLake) -> None:
    names = stack.describe()
    for bucket in ("raw_bucket", "quarantine_bucket", "ops_bucket"):
        assert list_keys(stack, names[bucket]) == [], bucket


def assert_answer(status: int, answer: dict[str, Any], expected: int, error: str, fragment: str) -> None:
    assert (status, answer.get("error")) == (expected, error), answer
    assert fragment in answer["message"], answer
    assert answer["hint"], answer


# ---------------------------------------------------------------- bodies CornLake refuses, kept


REFUSED_BODIES: dict[str, tuple[bytes, dict[str, str], int, str, str]] = {
    # name: (body, headers, status, error, fragment of the message)
    "body over MaxBodyBytes (4.5 MiB)": (
        lines(*({**EVENT, "event_id": f"e{i}", "user_id": "u" * 4000} for i in range(1150))),
        {},
        413,
        "payload_too_large",
        "over the 4194304-byte limit",
    ),
    "100,000-level nested array in the body": (
        b'{"event_id": "e1", "tags": ' + DEEP + b"}",
        {},
        400,
        "malformed_body",
        "nested too deeply",
    ),
    "raw NUL and control bytes inside a JSON string": (
        b'{"event_id": "e\x00\x01\x1b[2J", "event_type": "click"}\n',
        {},
        400,
        "malformed_body",
        "Invalid control character",
    ),
    "a body of NUL bytes": (b"\x00" * 4096, {}, 400, "malformed_body", "line 1"),
    "invalid UTF-8": (b'{"event_id": "caf\xe9 \xff\xfe"}\n', {}, 400, "malformed_body", "not UTF-8"),
    "lone surrogate escape": (b'{"event_id": "\\ud800"}\n', {}, 400, "malformed_body", "without its pair"),
    "5,000-digit integer": (
        b'{"event_id": "e1", "amount": ' + b"9" * 5000 + b"}\n",
        {},
        400,
        "malformed_body",
        "Exceeds the limit",
    ),
    "a JSON array to a JSON-lines dataset": (
        json.dumps([EVENT, {**EVENT, "event_id": "e2"}]).encode(),
        {"Content-Type": "application/json"},
        400,
        "wrong_shape",
        "is a JSON array",
    ),
    "NaN as a number": (
        lines(EVENT)[:-2] + b', "amount": NaN}\n',
        {},
        400,
        "malformed_body",
        "NaN is not a JSON value",
    ),
    "-Infinity on line 2": (
        lines(EVENT) + lines(EVENT)[:-2] + b', "device": {"screen_width": -Infinity}}\n',
        {},
        400,
        "malformed_body",
        "line 2",
    ),
    "a JSON scalar": (b'"just a string"', {"Content-Type": "application/json"}, 400, "malformed_body", "str"),
    # a JSON media type with CR/LF reached S3's PutObject as a header value: a 500, "retry"
    "JSON Content-Type with CR/LF and an injected header": (
        lines(EVENT),
        {"Content-Type": "application/x-ndjson; x=\r\n X-Injected: 1"},
        415,
        "unsupported_media_type",
        "is not accepted",
    ),
    "JSON Content-Type with a NUL byte": (
        lines(EVENT),
        {"Content-Type": "application/x-ndjson; charset=utf-8\x00"},
        415,
        "unsupported_media_type",
        "is not accepted",
    ),
    "JSON Content-Type with non-ASCII": (
        lines(EVENT),
        {"Content-Type": "application/x-ndjson; charset=ação"},
        415,
        "unsupported_media_type",
        "is not accepted",
    ),
    "Content-Type with CR/LF and an injected header": (
        lines(EVENT),
        {"Content-Type": "text/plain; x=\r\n X-Injected: 1"},
        415,
        "unsupported_media_type",
        "is not accepted",
    ),
}


@pytest.mark.parametrize("name", list(REFUSED_BODIES))
def test_a_refused_body_gets_its_status_and_is_kept_with_its_reason(
    stack: LocalLake, gateway: Gateway, ledger: Ledger, name: str
) -> None:
    body, headers, status, error, fragment = REFUSED_BODIES[name]
    if any(not c.isascii() or c < " " for c in "".join(headers.values())):  # write what http.client won't
        got, answer = gateway.raw(folded_request("/v1/ingest/app/events", body, headers))
    else:
        got, answer = gateway.post("/v1/ingest/app/events", body, headers)
    assert_answer(got, answer, status, error, fragment)
    kept = refused_and_kept(stack, body, error, answer)
    assert gateway.errors == []
    account(ledger, name, sent=1, refused=kept, outcome=f"{status} {error}: {fragment}")


@pytest.mark.parametrize(
    "content_type",
    [
        "application/json; x=\r\nX-Injected: 1",
        "application/json; charset=\u2603",
        "application/json; q=" + "a" * 300,
    ],
    ids=["crlf", "snowman", "300-characters"],
)
def test_a_json_content_type_s3_could_not_carry_is_415_not_500(
    stack: LocalLake, ledger: Ledger, content_type: str
) -> None:
    # GIVEN API Gateway's event with such a header (it reached PutObject: botocore refused CR/LF, a 500)
    event = load_event("ingest_api_post.json")
    event["headers"]["Content-Type"] = content_type
    response = invoke("lambda_ingest_api", event)
    answer = json.loads(response["body"])
    assert_answer(response["statusCode"], answer, 415, "unsupported_media_type", "is not accepted")
    kept = refused_and_kept(stack, event["body"].encode(), "unsupported_media_type", answer)
    account(ledger, f"Content-Type {content_type[:30]!r} in the event", sent=1, refused=kept, outcome="415")


def folded_request(path: str, body: bytes, headers: dict[str, str]) -> bytes:
    head = [f"POST {path} HTTP/1.1", "Host: 127.0.0.1", f"Content-Length: {len(body)}", "Connection: close"]
    head += [f"{k}: {v}" for k, v in ({"Content-Type": "application/x-ndjson"} | headers).items()]
    return ("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + body


def test_an_empty_body_is_refused_and_nothing_is_kept_because_nothing_was_sent(
    stack: LocalLake, gateway: Gateway, ledger: Ledger
) -> None:
    status, answer = gateway.post("/v1/ingest/app/events", b"")
    assert_answer(status, answer, 400, "empty_body", "empty")
    assert list_keys(stack, stack.describe()["quarantine_bucket"]) == []
    account(ledger, "an empty body", sent=0, outcome="400 empty_body")


# ---------------------------------------------------------------- headers


@pytest.mark.parametrize(
    ("name", "key"),
    [
        ("Idempotency-Key with CR/LF (a folded header)", "batch-1\r\n X-Injected: yes"),
        ("Idempotency-Key with a NUL byte", "batch-1\x00evil"),
        ("Idempotency-Key of 10,000 characters", "k" * 10_000),
    ],
)
def test_an_idempotency_key_that_is_not_a_short_printable_token_is_refused(
    stack: LocalLake, gateway: Gateway, ledger: Ledger, name: str, key: str
) -> None:
    body = lines(EVENT)
    status, answer = gateway.raw(folded_request("/v1/ingest/app/events", body, {"Idempotency-Key": key}))
    assert_answer(status, answer, 400, "bad_idempotency_key", "Idempotency-Key")
    assert "\r" not in answer["message"] and "\x00" not in answer["message"]
    kept = refused_and_kept(stack, body, "bad_idempotency_key", answer)
    account(ledger, name, sent=1, refused=kept, outcome="400 bad_idempotency_key")


@pytest.mark.parametrize("length", ["abc", "-1", "1e3"])
def test_a_content_length_that_is_not_a_number_is_400_at_the_gateway(
    stack: LocalLake, gateway: Gateway, ledger: Ledger, length: str
) -> None:
    request = (
        f"POST /v1/ingest/app/events HTTP/1.1\r\nHost: x\r\nContent-Length: {length}\r\n"
        "Content-Type: application/json\r\nConnection: close\r\n\r\n"
    ).encode() + lines(EVENT)
    status, answer = gateway.raw(request)
    assert status == 400 and "Content-Length" in answer["message"]
    nothing_reached_cornlake(stack)
    account(ledger, f"Content-Length {length!r}", sent=1, refused=1, outcome="400 at the gateway")


# ---------------------------------------------------------------- sizes the platform refuses


@pytest.mark.parametrize(
    ("name", "size"),
    [
        ("body over Lambda's 6 MB payload (7 MiB)", 7 * MiB),
        ("body over API Gateway's 10 MB (11 MiB)", 11 * MiB),
    ],
)
def test_a_body_over_the_platform_limits_is_413_request_too_long(
    stack: LocalLake, gateway: Gateway, ledger: Ledger, name: str, size: int
) -> None:
    record = lines({**EVENT, "user_id": "u" * 1000})
    body = record * (size // len(record) + 1)
    status, answer = gateway.post("/v1/ingest/app/events", body)
    # the producer reads the answer (no reset connection) and still holds the body
    assert (status, answer) == (413, {"message": "Request Too Long"})
    nothing_reached_cornlake(stack)
    account(ledger, name, sent=1, refused=1, outcome="413 Request Too Long (never reached the function)")


# ---------------------------------------------------------------- names in the path


@pytest.mark.parametrize(
    ("name", "path", "status", "error"),
    [
        ("'..' as the source (percent-encoded)", "/v1/ingest/%2e%2e/events", 400, "unsafe_name"),
        ("'../..' as the dataset (encoded slashes)", "/v1/ingest/app/..%2f..%2fetc", 400, "unsafe_name"),
        ("an absolute path as the dataset", "/v1/ingest/app/%2Fetc%2Fpasswd", 400, "unsafe_name"),
        ("a NUL byte in the dataset", "/v1/ingest/app/events%00.json", 400, "unsafe_name"),
        ("a literal '..' segment", "/v1/ingest/../events", 400, "unsafe_name"),
        ("an extra segment", "/v1/ingest/app/events/../../x", 403, ""),
    ],
)
def test_path_traversal_in_source_and_dataset_is_refused(
    stack: LocalLake, gateway: Gateway, ledger: Ledger, name: str, path: str, status: int, error: str
) -> None:
    body = lines(EVENT)
    got, answer = gateway.post(path, body)
    if error:  # the route matched: CornLake refuses the names and keeps the body
        assert_answer(got, answer, status, error, "not a safe name")
        refused = refused_and_kept(stack, body, error, answer)
        assert run_records(stack, stack.describe()["ops_bucket"])[0]["source"] in ("", "app")
    else:  # no such route: API Gateway's answer, and nothing reaches the function
        assert (got, answer) == (403, {"message": "Missing Authentication Token"})
        nothing_reached_cornlake(stack)
        refused = 1
    account(ledger, name, sent=1, refused=refused, outcome=f"{status} {error or 'no route'}")


def test_an_encoded_but_safe_name_is_decoded_as_api_gateway_decodes_it(
    stack: LocalLake, gateway: Gateway
) -> None:
    status, answer = gateway.post("/v1/ingest/%61pp/events", lines(EVENT))
    assert status == 202 and answer["key"].startswith("source=app/dataset=events/")


# ---------------------------------------------------------------- bodies accepted, then transformed


def land_and_transform(
    stack: LocalLake, gateway: Gateway, body: bytes
) -> tuple[dict[str, Any], dict[str, Any]]:
    status, answer = gateway.post("/v1/ingest/app/events", body)
    assert status == 202, answer
    names = stack.describe()
    assert stack.client("s3").get_object(Bucket=names["raw_bucket"], Key=answer["key"])["Body"].read() == body
    [run] = transform_all(stack)
    assert gateway.errors == []
    return answer, run


@pytest.mark.parametrize(
    ("name", "make", "expected"),
    [
        (
            "escaped control characters and NULs in values",
            lambda: lines({**EVENT, "user_id": "\x00\x07\x1b[31m\r\n\u2028"}),
            (1, 0),
        ),
        (  # new_columns: evolve: each usable new name becomes a text column
            "many new fields (150 unknown keys)",
            lambda: lines({**EVENT, **{f"f{i}": i for i in range(150)}}),
            (1, 0),
        ),
        (  # more than one file may add (contracts.MAX_NEW_COLUMNS): quarantined with the reason
            "a huge number of fields (2,000 unknown keys)",
            lambda: lines({**EVENT, **{f"f{i}": i for i in range(2_000)}}),
            (0, 1),
        ),
        (
            "a single huge record (3 MiB value)",
            lambda: lines({**EVENT, "user_id": "x" * (3 * MiB)}),
            (1, 0),
        ),
        (  # the lone-surrogate check walked the value recursively: a RecursionError, answered 500
            "an escaped emoji beside 600-level nesting",
            lambda: (
                lines(EVENT)[:-2]
                + b', "user_id": "\\ud83d\\ude00", "tags": '
                + b"[" * 600
                + b"]" * 600
                + b"}\n"
            ),
            (0, 1),
        ),
        (
            "a number past a double's range (1e400)",
            lambda: lines(EVENT)[:-2] + b', "amount": 1e400}\n',
            (0, 1),
        ),
        (
            "40,000 tiny records in one request",
            lambda: lines(*({**EVENT, "event_id": str(i)} for i in range(40_000))),
            (40_000, 0),
        ),
    ],
)
def test_an_accepted_hostile_body_is_curated_or_quarantined_record_by_record(
    stack: LocalLake,
    gateway: Gateway,
    ledger: Ledger,
    name: str,
    make: Callable[[], bytes],
    expected: tuple[int, int],
) -> None:
    body = make()
    answer, run = land_and_transform(stack, gateway, body)
    rows = curated_rows(stack, "app", "events")
    entries = quarantined(stack, "app", "events")
    assert (len(rows), len(entries)) == expected, reasons(entries)
    assert run["rows_in"] == answer["records"] == len(rows) + len(entries)
    outcome = f"202, {run['status']}" + (f"; quarantined: {reasons(entries)[0][:60]}" if entries else "")
    account(
        ledger,
        name,
        sent=answer["records"],
        curated=len(rows),
        quarantined=len(entries),
        duplicated=doubled(rows, "event_id"),
        outcome=outcome,
    )


@pytest.mark.long
def test_a_record_of_20000_fields_is_curated_or_quarantined(
    stack: LocalLake, gateway: Gateway, ledger: Ledger
) -> None:
    body = lines({**EVENT, **{f"f{i}": i for i in range(20_000)}})
    assert gateway.post("/v1/ingest/app/events", body)[0] == 202
    names = stack.describe()
    event = sqs_event_from_queue(stack, names["transform_queue"])
    assert invoke("lambda_transform_curated", event) == {"batchItemFailures": []}
    rows, entries = curated_rows(stack, "app", "events"), quarantined(stack, "app", "events")
    account(
        ledger,
        "a record of 20,000 fields",
        sent=1,
        curated=len(rows),
        quarantined=len(entries),
        outcome="quarantined: more new fields than one file may add",
    )
    assert (len(rows), len(entries)) == (0, 1)
    [reason] = [e["reason"] for e in entries[0]["errors"]]
    assert "brings 20000 new fields; one file may add at most 200 columns" in reason


def test_control_characters_in_values_are_curated_exactly(stack: LocalLake, gateway: Gateway) -> None:
    value = "\x00\x07\x1b[31m\r\n\u2028"
    land_and_transform(stack, gateway, lines({**EVENT, "user_id": value}))
    [row] = curated_rows(stack, "app", "events")
    assert row["user_id"] == value


# ---------------------------------------------------------------- signatures (opt-in locally)


def signed(
    gateway: Gateway,
    path: str,
    body: bytes,
    *,
    secret: str = LOCAL_CREDENTIALS["aws_secret_access_key"],
    key_id: str = LOCAL_CREDENTIALS["aws_access_key_id"],
    when: datetime | None = None,
    extra: dict[str, str] | None = None,
) -> dict[str, str]:
    """The headers botocore's SigV4 signer writes for this request (as `cornlake push` signs it)."""
    from unittest import mock

    credentials = Credentials(key_id, secret, LOCAL_CREDENTIALS["aws_session_token"])
    headers = {"Content-Type": "application/x-ndjson"} | (extra or {})
    request = AWSRequest(method="POST", url=gateway.url + path, data=body, headers=headers)
    with mock.patch("botocore.auth.get_current_datetime", return_value=when or datetime.now(UTC)):
        SigV4Auth(credentials, "execute-api", "us-east-1").add_auth(request)
    return dict(request.headers.items())


PATH = "/v1/ingest/app/events"
BODY = lines(EVENT)
OTHER = lines({**EVENT, "event_id": "e2"})

SIGNATURE_CASES: dict[str, tuple[Callable[[Gateway], tuple[bytes, dict[str, str]]], str]] = {
    "unsigned request": (lambda g: (BODY, {}), MISSING),
    "a forged Authorization header": (
        lambda g: (
            BODY,
            {"Authorization": "AWS4-HMAC-SHA256 Credential=x, SignedHeaders=host, Signature=00"},
        ),
        "Authorization header requires existence of either a 'X-Amz-Date'",
    ),
    "signed with another secret": (
        lambda g: (BODY, signed(g, PATH, BODY, secret="not-the-secret")),
        MISMATCH,
    ),
    "a signature replayed over another body": (lambda g: (OTHER, signed(g, PATH, BODY)), MISMATCH),
    "a signature for another path": (lambda g: (BODY, signed(g, "/v1/ingest/ref/lojas", BODY)), MISMATCH),
    "a signature from an hour ago": (
        lambda g: (BODY, signed(g, PATH, BODY, when=datetime.now(UTC) - timedelta(hours=1))),
        "Signature expired",
    ),
    "a signed content hash that is not the body's": (
        lambda g: (
            OTHER,
            signed(g, PATH, BODY, extra={"X-Amz-Content-SHA256": hashlib.sha256(BODY).hexdigest()}),
        ),
        MISMATCH,
    ),
    "signed by an unknown access key": (
        lambda g: (BODY, signed(g, PATH, BODY, key_id="AKIAOTHERCALLER")),
        "The security token included in the request is invalid.",
    ),
}


@pytest.mark.parametrize("name", list(SIGNATURE_CASES))
def test_a_request_without_a_valid_signature_is_403_and_never_reaches_the_function(
    stack: LocalLake, signed_gateway: Gateway, ledger: Ledger, name: str
) -> None:
    make, message = SIGNATURE_CASES[name]
    body, headers = make(signed_gateway)
    status, answer = signed_gateway.post(PATH, body, headers)
    assert status == 403 and answer["message"].startswith(message)
    nothing_reached_cornlake(stack)
    account(ledger, name, sent=1, refused=1, outcome=f"403 {message[:60]}")


@pytest.mark.parametrize(
    ("name", "path", "extra"),
    [
        ("correctly signed request", PATH, {}),
        (
            "correctly signed, with a query string and the content hash signed",
            PATH + "?note=a%20b&z=1&a=2",
            {"X-Amz-Content-SHA256": hashlib.sha256(BODY).hexdigest(), "Idempotency-Key": "batch-7"},
        ),
    ],
)
def test_a_correctly_signed_request_lands_as_the_signed_caller(
    stack: LocalLake, signed_gateway: Gateway, ledger: Ledger, name: str, path: str, extra: dict[str, str]
) -> None:
    status, answer = signed_gateway.post(path, BODY, signed(signed_gateway, path, BODY, extra=extra))
    assert status == 202 and answer["records"] == 1
    names = stack.describe()
    meta = stack.client("s3").head_object(Bucket=names["raw_bucket"], Key=answer["key"])["Metadata"]
    assert meta["producer"] == LOCAL_CALLER
    [run] = transform_all(stack)
    rows = curated_rows(stack, "app", "events")
    assert run["status"] == "succeeded" and len(rows) == 1
    account(
        ledger,
        name,
        sent=1,
        curated=len(rows),
        duplicated=doubled(rows, "event_id"),
        outcome="202 as local-developer",
    )
