"""Real batches for the catalog site's tests: raw objects put in the raw bucket, then the
transform, catalog and quality handlers invoked on them as Lambda would (moto server)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from site_batches import STAGES_AFTER_TRANSFORM, Land, transform_event

from cornlake import keys
from cornlake_toolkit.local import LocalLake
from cornlake_toolkit.target import Target
from helpers import invoke, sqs_event_from_queue


@pytest.fixture
def land(stack: LocalLake, names: dict[str, Any]) -> Land:
    """Put one raw object and run every stage after it; returns its raw key."""

    def land(source: str, dataset: str, file_name: str, body: bytes) -> str:
        key = str(keys.raw_key(source, dataset, keys.new_ingest_id(datetime.now(UTC)), file_name))
        stack.client("s3").put_object(Bucket=names["raw_bucket"], Key=key, Body=body)
        answer = invoke("lambda_transform_curated", transform_event(names["raw_bucket"], key, len(body)))
        assert answer == {"batchItemFailures": []}
        for queue, handler in STAGES_AFTER_TRANSFORM:
            event = sqs_event_from_queue(stack, queue)
            if event["Records"]:
                assert invoke(handler, event) == {"batchItemFailures": []}
        return key

    return land


@pytest.fixture
def target(names: dict[str, Any]) -> Target:
    return Target(**names)
