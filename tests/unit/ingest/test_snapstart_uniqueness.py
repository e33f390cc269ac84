"""SnapStart resumes many execution environments from one snapshot taken after the ingest API's
imports, so those imports must generate nothing meant to be unique (ids, secrets, seeds): the
ingest id and the raw key's suffix are drawn per request."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from cornlake_toolkit.local import ROOT

PROBE = """
import json, os, random, secrets, sys, traceback, uuid  # the standard library seeds itself first

drawn = []
real_urandom = os.urandom

def urandom(n):
    caller = traceback.extract_stack(limit=2)[0]
    drawn.append(f"{caller.filename}:{caller.lineno} {caller.line}")
    return real_urandom(n)

os.urandom = urandom
sys.path[:0] = [sys.argv[1], sys.argv[2]]
import app  # the ingest API's handler module, as Lambda's init imports it

print(json.dumps({"drawn": drawn, "handler": callable(app.lambda_handler)}))
"""


MULTIPROCESSING_AUTHKEY = "self._config = {'authkey': AuthenticationString(os.urandom(32)),"


def test_importing_the_ingest_api_handler_draws_no_randomness() -> None:
    env = {**os.environ, "POWERTOOLS_SERVICE_NAME": "cornlake", "AWS_DEFAULT_REGION": "us-east-1"}
    out = subprocess.run(
        [sys.executable, "-c", PROBE, str(ROOT / "lambda_ingest_api"), str(ROOT / "shared_layer")],
        capture_output=True,
        text=True,
        env=env,
        check=True,
        timeout=60,
    )
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result["handler"] is True
    # s3transfer imports multiprocessing, whose authkey authenticates its own managers' connections;
    # the ingest API starts no processes, so that key is never used
    drawn = [d for d in result["drawn"] if not d.endswith(MULTIPROCESSING_AUTHKEY)]
    assert drawn == [], "randomness drawn at import would be shared by every restored environment"
