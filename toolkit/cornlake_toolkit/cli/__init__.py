"""``cornlake``: the daily verbs, the same locally and on AWS.

    cornlake local start | provision           the local lake (no Docker), or emulators you run
    cornlake try FILE --contract PATH          the transform on a local file, no lake needed
    cornlake ingest FILE --source S --dataset D [--wait]   a file into the landing bucket
    cornlake push FILE --source S --dataset D [--wait]     records to the ingest API
    cornlake query "SQL" [--output FILE]       Athena SQL (DuckDB over the local lake)
    cornlake sql translate "SQL"               the DuckDB SQL the local engine runs (no lake needed)
    cornlake datasets | describe S/D           the dataset contracts and their tables
    cornlake runs | quality                    run records and quality results (SQL)
    cornlake reprocess --source S --dataset D --from DAY   transform raw objects again
    cornlake held | publish BATCH              audited batches held by their checks, released
    cornlake docs --out DIR [--lang en|pt-BR]  the data catalog as a static site
    cornlake models list | graph | run [--select NAME+] [--full-refresh]   models over curated data
    cornlake demo                              everything above, on a throwaway local lake

``--target local`` (default) or ``--target aws --stack NAME [--profile P] [--region R]``.
Each group of verbs is one module here with a ``register`` function; ``main`` turns every
CornLake error into a message, a hint and an exit code, in one place.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from botocore.exceptions import BotoCoreError, ClientError

from cornlake.errors import CornLakeError
from cornlake_toolkit.cli import datasets, docs, files, lake, maintenance, models, ops, query, sqltools
from cornlake_toolkit.cli.common import say
from cornlake_toolkit.target import STACK_ENV, TARGET_ENV, resolve

MODULES = (lake, files, query, sqltools, datasets, ops, maintenance, docs, models)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="cornlake", description="CornLake: the serverless data lake, locally and on AWS."
    )
    parser.add_argument("--target", choices=("local", "aws"), default=os.environ.get(TARGET_ENV, "local"))
    parser.add_argument("--stack", default=os.environ.get(STACK_ENV, ""), help="deployed stack name (aws)")
    parser.add_argument("--profile", default=os.environ.get("AWS_PROFILE", ""))
    parser.add_argument("--region", default=os.environ.get("AWS_REGION", ""))
    sub = parser.add_subparsers(dest="command", required=True)
    for module in MODULES:
        module.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        target = None
        if args.targeted:
            target = resolve(args.target, stack=args.stack, profile=args.profile, region=args.region)
            say(target.banner())
        return int(args.run(args, target))
    except CornLakeError as err:
        say(f"error: {err.message}" + (f"\n  hint: {err.hint}" if err.hint else ""))
        return err.exit_code
    except (BotoCoreError, ClientError) as err:
        say(
            f"error: AWS refused or could not be reached: {err}\n"
            "  hint: check the target, credentials and region"
        )
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
