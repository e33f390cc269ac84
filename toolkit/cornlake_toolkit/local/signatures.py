"""SigV4 checks for the local API, made as API Gateway's IAM authorization makes them (opt-in).

``check`` takes one HTTP request and says whether its ``Authorization: AWS4-HMAC-SHA256 ...``
header was made with the local lake's fixed credentials (``process.LOCAL_CREDENTIALS``): it
recomputes the signature with botocore's own SigV4 signer, over exactly the headers the
request says it signed and over the body that arrived (never a hash the request claims),
so a signature replayed over another body, or made with another secret, does not match.
Refusals carry API Gateway's own messages; the caller of a valid request is
``local-developer``, the identity the local credentials stand for.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest, HTTPHeaders
from botocore.credentials import Credentials

from cornlake_toolkit.local.process import LOCAL_ACCOUNT, LOCAL_CREDENTIALS

SERVICE = "execute-api"
ALGORITHM = "AWS4-HMAC-SHA256"
MAX_SKEW = timedelta(minutes=5)  # API Gateway refuses a signature dated more than 5 minutes away
TIMESTAMP = "%Y%m%dT%H%M%SZ"
MISSING = "Missing Authentication Token"
INVALID_TOKEN = "The security token included in the request is invalid."  # noqa: S105 - a message
MISMATCH = (
    "The request signature we calculated does not match the signature you provided. Check your AWS "
    "Secret Access Key and signing method. Consult the service documentation for details."
)
LOCAL_CALLER = f"arn:aws:iam::{LOCAL_ACCOUNT}:user/local-developer"


@dataclass(frozen=True)
class Verdict:
    """A request's signature checked: ``refusal`` is API Gateway's 403 message, or '' when valid."""

    refusal: str = ""
    identity: dict[str, Any] = field(default_factory=dict)  # the requestContext identity of the caller


@dataclass(frozen=True)
class SignedRequest:
    method: str
    url: str  # scheme, the Host header and the path exactly as sent
    headers: Callable[[str], list[str]]  # every value of one header, by name (any case)
    body: bytes


class _Recompute(SigV4Auth):
    """botocore's signer, signing exactly the headers a request names (botocore leaves some out)."""

    def __init__(self, credentials: Credentials, region: str, signed: list[str], request: SignedRequest):
        super().__init__(credentials, SERVICE, region)
        self._signed, self._request = signed, request

    def headers_to_sign(self, request: AWSRequest) -> HTTPHeaders:
        chosen = HTTPHeaders()
        for name in self._signed:
            for value in self._request.headers(name):
                chosen[name] = value
        return chosen


def _parameters(header: str) -> dict[str, str]:
    _, _, rest = header.partition(" ")
    pairs = (part.strip().partition("=") for part in rest.split(","))
    return {name: value for name, _, value in pairs if name}


def _malformed(params: dict[str, str], amz_date: str) -> str:
    """API Gateway's message for an Authorization header it cannot read ('' when it can)."""
    wanted = [
        f"Authorization header requires '{p}' parameter."
        for p in ("Credential", "Signature", "SignedHeaders")
        if not params.get(p)
    ]
    if not amz_date:
        wanted.append("Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.")
    return " ".join(wanted)


def _scope_problem(scope: list[str], region: str) -> str:
    if len(scope) != 5 or scope[4] != "aws4_request":
        return "Credential should be scoped with a valid terminator: 'aws4_request'."
    if scope[0] != LOCAL_CREDENTIALS["aws_access_key_id"]:
        return INVALID_TOKEN
    if scope[2] != region:
        return f"Credential should be scoped to a valid region, not '{scope[2]}'."
    if scope[3] != SERVICE:
        return f"Credential should be scoped to correct service: '{SERVICE}'."
    return ""


def _time_problem(amz_date: str, now: datetime) -> str:
    try:
        signed_at = datetime.strptime(amz_date, TIMESTAMP).replace(tzinfo=UTC)
    except ValueError:
        return f"Date must be in ISO-8601 'basic format'. Got '{amz_date}'."
    early, late = f"{now - MAX_SKEW:{TIMESTAMP}}", f"{now + MAX_SKEW:{TIMESTAMP}}"
    if signed_at < now - MAX_SKEW:
        return f"Signature expired: {amz_date} is now earlier than {early} ({now:{TIMESTAMP}} - 5 min.)"
    if signed_at > now + MAX_SKEW:
        return (
            f"Signature not yet current: {amz_date} is still later than {late} ({now:{TIMESTAMP}} + 5 min.)"
        )
    return ""


def _recomputed(
    request: SignedRequest, params: dict[str, str], amz_date: str, region: str
) -> tuple[str, str]:
    """(the signature the local credentials give this request, its canonical request)."""
    secret = LOCAL_CREDENTIALS["aws_secret_access_key"]
    credentials = Credentials(LOCAL_CREDENTIALS["aws_access_key_id"], secret)
    signed = [name.strip().lower() for name in params["SignedHeaders"].split(";") if name.strip()]
    signer = _Recompute(credentials, region, signed, request)
    # the body's own hash, never X-Amz-Content-SHA256: a claimed hash must match what arrived
    rebuilt = AWSRequest(method=request.method, url=request.url, data=request.body, headers={})
    rebuilt.context["timestamp"] = amz_date
    canonical = signer.canonical_request(rebuilt)
    claimed = request.headers("x-amz-content-sha256")
    if claimed and claimed[0] != hashlib.sha256(request.body).hexdigest():
        return "", canonical
    return signer.signature(signer.string_to_sign(rebuilt, canonical), rebuilt), canonical


def check(request: SignedRequest, *, region: str, now: datetime | None = None) -> Verdict:
    """Whether ``request`` is signed with the local lake's credentials, as API Gateway checks it."""
    header = next(iter(request.headers("authorization")), "")
    if not header:
        return Verdict(MISSING)
    amz_date = next(iter(request.headers("x-amz-date")), "")
    params = _parameters(header)
    problem = _malformed(params, amz_date) if header.startswith(ALGORITHM + " ") else MISSING
    scope = params.get("Credential", "").split("/")
    problem = problem or _scope_problem(scope, region) or _time_problem(amz_date, now or datetime.now(UTC))
    token = next(iter(request.headers("x-amz-security-token")), "")
    if not problem and token and token != LOCAL_CREDENTIALS["aws_session_token"]:
        problem = INVALID_TOKEN
    if problem:
        return Verdict(problem)
    expected, canonical = _recomputed(request, params, amz_date, region)
    if not hmac.compare_digest(expected, params["Signature"]):
        return Verdict(
            f"{MISMATCH}\n\nThe Canonical String for this request should have been\n'{canonical}'\n"
        )
    return Verdict(identity={"userArn": LOCAL_CALLER, "caller": "local-developer", "accessKey": scope[0]})
