"""CornLake's exception tree: one root, terminal vs transient, messages that say what to do.

Every error carries an HTTP-ish ``status``, a stable machine ``code``, a human ``message``
and a ``hint`` telling the user what to do next. Constructors take structured fields and
build the message, so the same fault always reads the same way.

The two branches decide what happens to the work that raised them, everywhere:

* ``TerminalError``: the input itself is wrong; retrying cannot help. A consumer records it
  (run record, log, metric) and acknowledges the message; the API answers 4xx.
* ``TransientError``: the environment failed (throttling, a timeout, a conflicting writer).
  A consumer reports the message as a batch item failure, so SQS retries it and, after
  ``maxReceiveCount`` tries, moves it to the dead-letter queue. Any exception that is not a
  CornLakeError is treated the same way.
"""

from __future__ import annotations

from typing import Any, ClassVar


class CornLakeError(Exception):
    """Root of every error CornLake raises on purpose."""

    status = 500
    code = "internal_error"
    exit_code = 1  # what the CLI exits with

    def __init__(self, message: str, *, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    @property
    def retryable(self) -> bool:
        return not isinstance(self, TerminalError)

    def to_dict(self) -> dict[str, Any]:
        return {"error": self.code, "message": self.message, "hint": self.hint}


class TerminalError(CornLakeError):
    """The input itself is wrong: retrying cannot help."""

    status = 400
    code = "bad_request"
    exit_code = 2


class TransientError(CornLakeError):
    """The environment failed (throttling, a timeout, a conflicting writer): the work is retried."""

    status = 503
    code = "unavailable"


class ConflictError(TransientError):
    """Another writer changed what this one read; retrying reads it again."""

    status = 409
    code = "conflict"

    def __init__(self, what: str, detail: str = "") -> None:
        super().__init__(
            f"{what} was changed by a concurrent writer" + (f" ({detail})" if detail else ""),
            hint="retried automatically; if it persists, look for a stuck writer",
        )


class ConfigError(TerminalError):
    """A function's environment is missing or wrong."""

    status = 500
    code = "config_error"


class ContractError(TerminalError):
    """A dataset contract file is invalid."""

    code = "invalid_contract"

    def __init__(
        self, path: str, field: str, expected: str, got: Any = None, *, line: int = 0, hint: str = ""
    ) -> None:
        got_text = "" if got is None else f", got {got!r}"
        where = f"{path}:{line}" if line else path
        super().__init__(
            f"{where}: field '{field}' is invalid: expected {expected}{got_text}",
            hint=hint or f"fix '{field}' in {path}; docs/CONTRACTS.md lists every field",
        )
        self.path = path
        self.field = field
        self.expected = expected
        self.line = line


class UnsafeNameError(TerminalError):
    code = "unsafe_name"

    def __init__(self, kind: str, value: str, rule: str) -> None:
        super().__init__(
            f"{kind} {value!r} is not a safe name: {rule}",
            hint=f"use only the characters allowed for a {kind} (see README, 'Key layout')",
        )
        self.kind = kind
        self.value = value
        self.rule = rule


class UnknownDatasetError(TerminalError):
    status = 404
    code = "unknown_dataset"

    def __init__(self, source: str, dataset: str, known: list[str], *, broken: str = "") -> None:
        listed = ", ".join(known[:20]) or "none"
        if broken:
            hint = f"its contract does not load: {broken}"
        else:
            hint = f"add datasets/{source}/{dataset}.yaml and redeploy; known datasets: {listed}"
        super().__init__(f"no contract for source={source!r} dataset={dataset!r}", hint=hint)
        self.source = source
        self.dataset = dataset


class MalformedMessageError(TerminalError):
    """A queue message CornLake cannot read (not one of the shapes the stage consumes)."""

    code = "malformed_message"

    def __init__(self, stage: str, detail: str) -> None:
        super().__init__(
            f"the {stage} stage cannot read this message: {detail}",
            hint="only S3 notifications and CornLake's own messages belong on this queue",
        )


class ProducerNotAllowedError(TerminalError):
    status = 403
    code = "producer_not_allowed"

    def __init__(self, producer: str, dataset: str) -> None:
        super().__init__(
            f"{producer or 'this caller'} may not send to {dataset}",
            hint="the dataset's contract lists its producers; ask its owner to add you",
        )


class IdempotencyConflictError(TerminalError):
    status = 409
    code = "idempotency_conflict"

    def __init__(self, key: str, first: str) -> None:
        super().__init__(
            f"Idempotency-Key {key!r} was used before with a different body (landed as {first})",
            hint="use a new Idempotency-Key for new data; resend the same body to get the first answer",
        )


class BadIdempotencyKeyError(TerminalError):
    """An Idempotency-Key that is not a short printable token (control characters, CR/LF, too long)."""

    code = "bad_idempotency_key"

    def __init__(self, key: str, limit: int) -> None:
        shown = key[:40].encode("unicode_escape").decode("ascii")
        super().__init__(
            f"the Idempotency-Key header ({len(key)} characters, starting {shown!r}) must be "
            f"1-{limit} printable ASCII characters",
            hint="send a UUID or another short token you generate per batch, and the same one on a retry",
        )


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


class WrongShapeError(TerminalError):
    """A valid body of the wrong shape for the dataset's format (an array to a JSON-lines dataset)."""

    code = "wrong_shape"
    _SHAPES: ClassVar[dict[str, str]] = {
        "lines": "JSON lines",
        "array": "a JSON array",
        "document": "one JSON document over several lines",
    }

    def __init__(self, dataset: str, fmt: str, shape: str, what_to_do: str) -> None:
        super().__init__(
            f"{dataset} reads {fmt} files, and this body is {self._SHAPES.get(shape, shape)}",
            hint=what_to_do,
        )


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
