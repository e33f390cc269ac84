"""The toolkit's errors: every one is a CornLakeError, so the CLI turns all of them, and the
library's, into a message, a hint and an exit code in one place (cornlake_toolkit.cli)."""

from __future__ import annotations

from cornlake.errors import CornLakeError


class ToolkitError(CornLakeError):
    """Root of the developer tooling's errors: each is something the user can act on."""

    code = "toolkit_error"
    exit_code = 2


class TargetError(ToolkitError):
    """The lake the CLI should talk to is not there (no local lake running, no such stack)."""

    code = "no_target"


class QueryError(ToolkitError):
    """A query that cannot run (bad SQL, unknown table, an engine error)."""

    code = "query_error"


class TemplateError(ToolkitError):
    """template.yaml uses something the local runtime cannot evaluate."""

    code = "template_error"


class UsageError(ToolkitError):
    """The command line itself is wrong (a bad date, a missing file, a busy port)."""

    code = "usage"
