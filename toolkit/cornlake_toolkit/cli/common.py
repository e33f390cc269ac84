"""What every verb module shares: how to talk to the user, and how to declare a verb."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from typing import Any

from cornlake_toolkit.output import FORMATS

Verb = Callable[[argparse.Namespace, Any], int]


def say(message: str) -> None:
    """Messages for people go to stderr, so stdout stays data."""
    print(message, file=sys.stderr)


def verb(sub: Any, name: str, run: Verb, help_text: str, *, targeted: bool = True) -> argparse.ArgumentParser:
    """Add one verb; ``targeted`` verbs get the local lake or the AWS stack resolved first."""
    parser: argparse.ArgumentParser = sub.add_parser(name, help=help_text, description=help_text)
    parser.set_defaults(run=run, targeted=targeted)
    return parser


def add_format(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--format", choices=FORMATS, default="table")
