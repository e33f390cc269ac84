"""CornLake's exception tree: one root, terminal vs transient, messages that say what to do.

Every error carries an HTTP-ish ``status``, a stable machine ``code``, a human ``message``
and a ``hint`` telling the user what to do next. Terminal errors are about the input and
must never be retried; transient errors are about the environment and are retried by the
event source (SQS redelivery, then the DLQ).
"""

from __future__ import annotations

from typing import Any


class CornLakeError(Exception):
    """Root of every error CornLake raises on purpose."""

    status = 500
    code = "internal_error"

    def __init__(self, message: str, *, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def to_dict(self) -> dict[str, Any]:
        return {"error": self.code, "message": self.message, "hint": self.hint}


class TerminalError(CornLakeError):
    """The input itself is wrong: retrying cannot help."""

    status = 400
    code = "bad_request"


class TransientError(CornLakeError):
    """The environment failed (throttling, a timeout): the event is retried."""

    status = 503
    code = "unavailable"


class ConfigError(TerminalError):
    """A function's environment is missing or wrong."""

    status = 500
    code = "config_error"


class ContractError(TerminalError):
    """A dataset contract file is invalid."""

    code = "invalid_contract"

    def __init__(self, path: str, field: str, expected: str, got: Any = None) -> None:
        got_text = "" if got is None else f", got {got!r}"
        super().__init__(
            f"{path}: field '{field}' is invalid: expected {expected}{got_text}",
            hint=f"fix '{field}' in {path}; docs/CONTRACTS.md lists every field",
        )
        self.path = path
        self.field = field
        self.expected = expected


class UnsafeNameError(TerminalError):
    code = "unsafe_name"

    def __init__(self, kind: str, value: str, rule: str) -> None:
        super().__init__(
            f"{kind} {value!r} is not a safe name: {rule}",
            hint=f"use only the characters allowed for a {kind} (see README, 'Key layout')",
        )
        self.kind = kind
        self.value = value


class UnknownDatasetError(TerminalError):
    status = 404
    code = "unknown_dataset"

    def __init__(self, source: str, dataset: str, known: list[str]) -> None:
        listed = ", ".join(known[:20]) or "none"
        super().__init__(
            f"no contract for source={source!r} dataset={dataset!r}",
            hint=f"add datasets/{source}/{dataset}.yaml and redeploy; known datasets: {listed}",
        )
        self.source = source
        self.dataset = dataset


class EmptyBodyError(TerminalError):
    code = "empty_body"

    def __init__(self) -> None:
        super().__init__(
            "the request body is empty",
            hint="send a JSON array, a JSON object or newline-delimited JSON records",
        )


class MalformedBodyError(TerminalError):
    code = "malformed_body"

    def __init__(self, detail: str, *, line: int | None = None, offset: int | None = None) -> None:
        where = []
        if line is not None:
            where.append(f"line {line}")
        if offset is not None:
            where.append(f"offset {offset}")
        place = f" at {', '.join(where)}" if where else ""
        super().__init__(
            f"the body is not valid JSON{place}: {detail}",
            hint="send a JSON array, one JSON object, or one JSON object per line (NDJSON)",
        )
        self.line = line
        self.offset = offset


class UnsupportedMediaTypeError(TerminalError):
    status = 415
    code = "unsupported_media_type"

    def __init__(self, content_type: str, allowed: list[str]) -> None:
        super().__init__(
            f"content type {content_type or '(none)'!r} is not accepted",
            hint=f"set Content-Type to one of: {', '.join(allowed)}",
        )


class PayloadTooLargeError(TerminalError):
    status = 413
    code = "payload_too_large"

    def __init__(self, size: int, limit: int) -> None:
        super().__init__(
            f"the body is {size} bytes, over the {limit}-byte limit",
            hint="split the records into smaller requests, or upload the file "
            "to the landing bucket (`cornlake ingest FILE`)",
        )


class BadFileError(TerminalError):
    """A raw file cannot be read at all (truncated archive, wrong encoding, too large)."""

    code = "bad_file"
