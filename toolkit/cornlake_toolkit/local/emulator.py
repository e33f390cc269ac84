"""Where the embedded moto differs from AWS in a way the lake would notice, put right.

``adjust_moto()`` patches moto in this process (the local lake's server runs in it):

* One event per multipart upload: S3 sends ``ObjectCreated:CompleteMultipartUpload`` for
  an object uploaded in parts; moto also sends ``ObjectCreated:Put`` for it (its completion
  stores the object through its own put), so every file over boto3's 8 MiB multipart
  threshold would be delivered twice. The inner event is dropped, per request thread.
* Events name the version: in a versioned bucket S3's event carries the object's
  ``versionId`` (and a ``sequencer``), so a consumer copies exactly the version that was
  written even after a newer one replaced it; moto's events carry neither.
* Conditional copies: S3 refuses ``CopyObject`` with ``If-None-Match: *`` when the
  destination exists (412); moto copies anyway.
"""

from __future__ import annotations

import itertools
import threading
from typing import Any

_completing = threading.local()
_sequence = itertools.count(1)


def adjust_moto() -> None:
    """Apply every adjustment once per process."""
    from moto.s3 import models

    if getattr(models.S3Backend.complete_multipart_upload, "_cornlake", False):
        return
    _one_event_per_multipart_upload()
    _events_name_the_version()
    _conditional_copies()


def _one_event_per_multipart_upload() -> None:
    from moto.s3 import models, notifications

    complete = models.S3Backend.complete_multipart_upload
    send = notifications.send_event

    def completing(self: Any, *args: Any, **kwargs: Any) -> Any:
        _completing.active = True
        try:
            return complete(self, *args, **kwargs)
        finally:
            _completing.active = False

    def send_event(account_id: str, event_name: Any, bucket: Any, key: Any) -> Any:
        put = notifications.S3NotificationEvent.OBJECT_CREATED_PUT_EVENT
        if getattr(_completing, "active", False) and event_name == put:
            return None  # the completion's own event follows
        return send(account_id, event_name, bucket, key)

    completing._cornlake = True  # type: ignore[attr-defined]
    models.S3Backend.complete_multipart_upload = completing  # type: ignore[method-assign]
    notifications.send_event = send_event


def _events_name_the_version() -> None:
    from moto.s3 import notifications

    build = notifications._get_s3_event

    def s3_event(event_name: str, bucket: Any, key: Any, notification_id: str) -> dict[str, Any]:
        event = build(event_name, bucket, key, notification_id)
        obj = event["Records"][0]["s3"]["object"]
        version = getattr(key, "version_id", None)
        if version and version != "null" and getattr(bucket, "is_versioned", False):
            obj["versionId"] = version
        obj["sequencer"] = f"{next(_sequence):016X}"
        return event

    notifications._get_s3_event = s3_event


def _conditional_copies() -> None:
    from moto.s3.exceptions import PreconditionFailed
    from moto.s3.responses import S3Response

    copy = S3Response.copy_object

    def copy_object(self: Any) -> Any:
        if self.headers.get("If-None-Match") == "*" and self.backend.get_object(
            self.bucket_name, self.parse_key_name()
        ):
            raise PreconditionFailed("If-None-Match")
        return copy(self)

    S3Response.copy_object = copy_object  # type: ignore[method-assign]
