"""Objects streamed to local files with one GET (cornlake.aws.get_file): the bytes exactly, and a
body that breaks off mid-stream fetched again instead of failing the batch or keeping half."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from botocore.exceptions import ResponseStreamingError

from cornlake import aws
from cornlake_toolkit.local import LocalLake

BYTES = bytes(range(256)) * 20_000  # 5 MB, more than one copy chunk


class BreaksOff:
    """A response body that gives its first chunk, then loses the connection."""

    def __init__(self, body: Any) -> None:
        self.body, self.calls = body, 0

    def read(self, n: int = -1) -> bytes:
        self.calls += 1
        if self.calls > 1:
            raise ResponseStreamingError(error="Connection broken: reset by peer")
        return bytes(self.body.read(n))


def flaky(s3: Any, breaks: int) -> Any:
    real, left = s3.get_object, [breaks]

    def get_object(**kwargs: Any) -> Any:
        answer = real(**kwargs)
        if left[0] > 0:
            left[0] -= 1
            answer["Body"] = BreaksOff(answer["Body"])
        return answer

    return mock.patch.object(s3, "get_object", get_object)


def test_a_body_broken_off_once_is_fetched_again_whole(
    stack: LocalLake, names: dict[str, Any], tmp_path: Path
) -> None:
    s3 = stack.client("s3")
    s3.put_object(Bucket=names["curated_bucket"], Key="tables/x/y/part-1.parquet", Body=BYTES)
    with flaky(s3, breaks=2):
        aws.get_file(s3, names["curated_bucket"], "tables/x/y/part-1.parquet", tmp_path / "p")
    assert (tmp_path / "p").read_bytes() == BYTES


def test_a_body_that_always_breaks_off_raises_after_the_last_attempt(
    stack: LocalLake, names: dict[str, Any], tmp_path: Path
) -> None:
    s3 = stack.client("s3")
    s3.put_object(Bucket=names["curated_bucket"], Key="tables/x/y/part-1.parquet", Body=BYTES)
    with flaky(s3, breaks=aws.STREAM_ATTEMPTS), pytest.raises(ResponseStreamingError):
        aws.get_file(s3, names["curated_bucket"], "tables/x/y/part-1.parquet", tmp_path / "p")
