"""The template's functions, loaded in this process the way Lambda loads them.

Each ``AWS::Serverless::Function`` becomes a ``LocalFunction``: its handler module is
imported from its CodeUri once (a cold start), and each invocation gets a context object
with what powertools reads from Lambda's. All functions share this process's environment,
so two functions may not set one variable to different values.
"""

from __future__ import annotations

import importlib.util
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

from cornlake_toolkit.cfn import Template
from cornlake_toolkit.errors import TemplateError
from cornlake_toolkit.local.process import LOCAL_ACCOUNT


@dataclass
class FakeContext:
    """What powertools reads from Lambda's context object."""

    function_name: str
    memory_limit_in_mb: int
    timeout_s: int
    invoked_function_arn: str = ""
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    log_group_name: str = ""
    log_stream_name: str = "local"
    function_version: str = "$LATEST"
    _deadline: float = field(default_factory=time.monotonic)

    def __post_init__(self) -> None:
        self._deadline = time.monotonic() + self.timeout_s

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


@dataclass
class LocalFunction:
    logical_id: str
    name: str
    code_dir: Path
    handler: str
    memory: int
    timeout: int
    environment: dict[str, str]
    events: dict[str, dict[str, Any]]
    _module: ModuleType | None = None
    invocations: int = 0

    def load(self) -> Callable[[dict[str, Any], Any], Any]:
        module_name, _, func = self.handler.rpartition(".")
        if self._module is None:
            path = self.code_dir / f"{module_name.replace('.', '/')}.py"
            spec = importlib.util.spec_from_file_location(f"cornlake_local_{self.logical_id}", path)
            if spec is None or spec.loader is None:
                raise TemplateError(f"{self.logical_id}: cannot load handler from {path}")
            module = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(module)
            self._module = module
        return getattr(self._module, func)  # type: ignore[no-any-return]

    def invoke(self, event: dict[str, Any]) -> Any:
        self.invocations += 1
        context = FakeContext(
            self.name,
            self.memory,
            self.timeout,
            invoked_function_arn=f"arn:aws:lambda:us-east-1:{LOCAL_ACCOUNT}:function:{self.name}",
        )
        return self.load()(event, context)

    def event_sources(self, kind: str) -> list[dict[str, Any]]:
        """The properties of this function's events of one type (``SQS``, ``Api``, ``Schedule``)."""
        return [e["Properties"] for e in self.events.values() if e["Type"] == kind]


def load_functions(template: Template, root: Path) -> tuple[dict[str, LocalFunction], dict[str, str]]:
    """The template's functions, and the one environment they share."""
    functions: dict[str, LocalFunction] = {}
    env: dict[str, str] = {}
    for logical_id in template.of_type("AWS::Serverless::Function"):
        props = template.properties(logical_id)
        variables = {k: str(v) for k, v in props.get("Environment", {}).get("Variables", {}).items()}
        for key, value in variables.items():
            if key.startswith("POWERTOOLS_LOG_LEVEL"):
                continue
            if env.get(key, value) != value:
                raise TemplateError(
                    f"{logical_id} sets {key}={value!r} but another function sets {env[key]!r}",
                    hint="locally all functions share one process environment: give the variable one value",
                )
            env[key] = value
        functions[logical_id] = LocalFunction(
            logical_id,
            props.get("FunctionName", logical_id),
            root / props["CodeUri"],
            props["Handler"],
            int(props.get("MemorySize", 128)),
            int(props.get("Timeout", 3)),
            variables,
            props.get("Events", {}),
        )
    return functions, env
