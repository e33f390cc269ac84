"""Read template.yaml and evaluate its intrinsic functions, for the local runtime and tests.

Supports what CornLake's template uses: parameters, conditions, SAM Globals, and Ref,
Fn::Sub, Fn::GetAtt, Fn::Join, Fn::Split, Fn::Select, Fn::If, Fn::Equals, Fn::Not,
Fn::And, Fn::Or, Fn::GetAZs. Anything else fails loudly rather than guessing.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from cornlake_toolkit.errors import TemplateError

_SHORT_TAGS = {"Ref": "Ref", "Condition": "Condition"}
_SUB_RE = re.compile(r"\$\{([^}!][^}]*)\}")


class _Loader(yaml.SafeLoader):
    pass


def _construct(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> dict[str, Any]:
    if isinstance(node, yaml.ScalarNode):
        value: Any = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)  # type: ignore[arg-type]
    if suffix == "GetAtt" and isinstance(value, str):
        value = value.split(".", 1)
    return {_SHORT_TAGS.get(suffix, f"Fn::{suffix}"): value}


_Loader.add_multi_constructor("!", _construct)


def load_yaml(path: Path) -> dict[str, Any]:
    data = yaml.load(path.read_text(encoding="utf-8"), Loader=_Loader)  # noqa: S506 - SafeLoader subclass
    if not isinstance(data, dict) or "Resources" not in data:
        raise TemplateError(f"{path} is not a CloudFormation template (no Resources)")
    return data


@dataclass
class Template:
    """A template with its parameters bound, able to resolve any value in it."""

    document: dict[str, Any]
    stack_name: str = "cornlake-local"
    region: str = "us-east-1"
    account: str = "123456789012"
    parameters: dict[str, str] = field(default_factory=dict)
    queue_url_base: str = ""  # where queue URLs live; the local runtime sets its emulator

    @classmethod
    def load(cls, path: Path, **kwargs: Any) -> Template:
        return cls(load_yaml(path), **kwargs)

    def __post_init__(self) -> None:
        declared = self.document.get("Parameters", {})
        unknown = set(self.parameters) - set(declared)
        if unknown:
            raise TemplateError(f"unknown parameters: {sorted(unknown)}")
        self._params = {
            name: str(self.parameters.get(name, spec.get("Default", ""))) for name, spec in declared.items()
        }
        self._conditions: dict[str, bool] = {}

    @property
    def resources(self) -> dict[str, dict[str, Any]]:
        return {k: v for k, v in self.document["Resources"].items() if self._enabled(v)}

    def _enabled(self, resource: dict[str, Any]) -> bool:
        name = resource.get("Condition")
        return True if name is None else self.condition(name)

    def of_type(self, kind: str) -> dict[str, dict[str, Any]]:
        return {k: v for k, v in self.resources.items() if v["Type"] == kind}

    def condition(self, name: str) -> bool:
        if name not in self._conditions:
            self._conditions[name] = bool(self.resolve(self.document["Conditions"][name]))
        return self._conditions[name]

    def properties(self, logical_id: str) -> dict[str, Any]:
        """A resource's properties with SAM Globals merged in, fully resolved."""
        resource = self.document["Resources"][logical_id]
        props = copy.deepcopy(resource.get("Properties", {}))
        if resource["Type"] == "AWS::Serverless::Function":
            props = _merge(copy.deepcopy(self.document.get("Globals", {}).get("Function", {})), props)
        return self.resolve(props)  # type: ignore[no-any-return]

    # -- references --------------------------------------------------------------------
    def ref(self, name: str) -> Any:
        pseudo = {
            "AWS::StackName": self.stack_name,
            "AWS::Region": self.region,
            "AWS::AccountId": self.account,
            "AWS::Partition": "aws",
            "AWS::URLSuffix": "amazonaws.com",
            "AWS::NoValue": _NO_VALUE,
        }
        if name in pseudo:
            return pseudo[name]
        if name in self._params:
            return self._params[name]
        resource = self.document["Resources"].get(name)
        if resource is None:
            raise TemplateError(f"Ref to unknown name {name!r}")
        kind, props = resource["Type"], resource.get("Properties", {})
        if kind == "AWS::S3::Bucket":
            return self.resolve(props["BucketName"])
        if kind == "AWS::SQS::Queue":
            base = self.queue_url_base or f"https://sqs.{self.region}.amazonaws.com"
            return f"{base}/{self.account}/{self.resolve(props['QueueName'])}"
        if kind == "AWS::SNS::Topic":
            return f"arn:aws:sns:{self.region}:{self.account}:{self.resolve(props['TopicName'])}"
        if kind == "AWS::Glue::Database":
            return self.resolve(props["DatabaseInput"]["Name"])
        if kind in ("AWS::Athena::WorkGroup", "AWS::Serverless::Api"):
            return self.resolve(props["Name"])
        if kind == "AWS::Serverless::Function":
            return self.resolve(props.get("FunctionName", name))
        return name

    def get_att(self, name: str, attribute: str) -> Any:
        resource = self.document["Resources"].get(name)
        if resource is None:
            raise TemplateError(f"GetAtt of unknown resource {name!r}")
        kind, props = resource["Type"], resource.get("Properties", {})
        if kind == "AWS::S3::Bucket" and attribute == "Arn":
            return f"arn:aws:s3:::{self.ref(name)}"
        if kind == "AWS::SQS::Queue":
            queue = self.resolve(props["QueueName"])
            return {
                "Arn": f"arn:aws:sqs:{self.region}:{self.account}:{queue}",
                "QueueName": queue,
                "QueueUrl": self.ref(name),
            }[attribute]
        if kind == "AWS::KMS::Key" and attribute == "Arn":
            return f"arn:aws:kms:{self.region}:{self.account}:key/{name.lower()}"
        if kind == "AWS::IAM::Role" and attribute == "Arn":
            return f"arn:aws:iam::{self.account}:role/{self.resolve(props.get('RoleName', name))}"
        if kind == "AWS::Logs::LogGroup" and attribute == "Arn":
            group = self.resolve(props.get("LogGroupName", name))
            return f"arn:aws:logs:{self.region}:{self.account}:log-group:{group}"
        return f"{name}.{attribute}"

    # -- evaluation --------------------------------------------------------------------
    def resolve(self, value: Any) -> Any:
        if isinstance(value, list):
            items = [self.resolve(v) for v in value]
            return [v for v in items if v is not _NO_VALUE]
        if not isinstance(value, dict):
            return value
        if len(value) == 1:
            ((key, arg),) = value.items()
            handler = _FUNCTIONS.get(key)
            if handler is not None:
                return handler(self, arg)
            if key.startswith("Fn::"):
                raise TemplateError(f"intrinsic function {key} is not supported locally")
        out = {}
        for key, item in value.items():
            resolved = self.resolve(item)
            if resolved is not _NO_VALUE:
                out[key] = resolved
        return out

    def _sub(self, arg: Any) -> str:
        text, variables = (arg, {}) if isinstance(arg, str) else (arg[0], self.resolve(arg[1]))

        def replace(match: re.Match[str]) -> str:
            name = match[1]
            if name in variables:
                return str(variables[name])
            if "." in name and not name.startswith("AWS::"):
                resource, attribute = name.split(".", 1)
                return str(self.get_att(resource, attribute))
            return str(self.ref(name))

        return _SUB_RE.sub(replace, text)


class _NoValue:
    def __repr__(self) -> str:
        return "AWS::NoValue"


_NO_VALUE = _NoValue()


def _is_intrinsic(value: Any) -> bool:
    return isinstance(value, dict) and len(value) == 1 and next(iter(value)) in _FUNCTIONS


def _merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    """SAM's Globals rule: maps merge key by key, everything else is replaced."""
    for key, value in override.items():
        current = base.get(key)
        if (
            isinstance(value, dict)
            and isinstance(current, dict)
            and not (_is_intrinsic(value) or _is_intrinsic(current))
        ):
            base[key] = _merge(current, value)
        else:
            base[key] = value
    return base


_FUNCTIONS: dict[str, Any] = {
    "Ref": lambda t, a: t.ref(a),
    "Fn::Sub": lambda t, a: t._sub(a),
    "Fn::GetAtt": lambda t, a: t.get_att(a[0], a[1]),
    "Fn::Join": lambda t, a: str(a[0]).join(str(v) for v in t.resolve(a[1])),
    "Fn::Split": lambda t, a: str(t.resolve(a[1])).split(a[0]),
    "Fn::Select": lambda t, a: t.resolve(a[1])[int(t.resolve(a[0]))],
    "Fn::If": lambda t, a: t.resolve(a[1] if t.condition(a[0]) else a[2]),
    "Fn::Equals": lambda t, a: str(t.resolve(a[0])) == str(t.resolve(a[1])),
    "Fn::Not": lambda t, a: not t.resolve(a[0]),
    "Fn::And": lambda t, a: all(t.resolve(v) for v in a),
    "Fn::Or": lambda t, a: any(t.resolve(v) for v in a),
    "Fn::GetAZs": lambda t, a: [f"{t.region}a", f"{t.region}b"],
    "Condition": lambda t, a: t.condition(a),
}
