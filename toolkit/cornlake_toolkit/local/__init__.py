"""The local runtime: template.yaml's topology on an embedded AWS, driving the real handlers.

    process     this process pointed at the local lake: account, fake credentials, environment
    provision   the template's buckets, queues, topics, notifications, Glue databases
    functions   the template's functions, loaded as Lambda loads them
    events      SQS event source mappings with Lambda's semantics (batches, partial failures, DLQ)
    api         the ingest API as API Gateway REST events on a local port
    lake        ``LocalLake``, which composes them

Differences from AWS, on purpose: failed messages come back after 1 s; requests are not
SigV4-checked unless ``LocalLake(check_signatures=True)`` (``signatures``); data lives in
memory until the lake stops.
"""

from cornlake_toolkit.local.events import sqs_record
from cornlake_toolkit.local.lake import LocalLake, provision_external, running_lake
from cornlake_toolkit.local.process import (
    LOCAL_ACCOUNT,
    LOCAL_CREDENTIALS,
    ROOT,
    configure_process,
    free_port,
    local_session,
)

__all__ = [
    "LOCAL_ACCOUNT",
    "LOCAL_CREDENTIALS",
    "ROOT",
    "LocalLake",
    "configure_process",
    "free_port",
    "local_session",
    "provision_external",
    "running_lake",
    "sqs_record",
]
