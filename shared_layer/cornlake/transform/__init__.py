"""Raw → curated: stream a raw object, type every row per its contract, write Parquet.

One raw object (or one byte range of a split object) goes through these modules in turn:

    read       its bytes as a decompressed stream, with the bomb limit
    formats    its input format (one class per format): records, block cutter, fast loader
    blocks     cut into blocks of whole records
    feed       blocks to the fast path, everything else to the row path
    fastpath   the contract's checks as DuckDB column expressions (sound, not complete)
    rowpath    the reference converter, record by record, with the reasons it refuses
    stage      the staging area: block files on /tmp, flagged records, duplicates by key
    write      partitioned Parquet and the quarantine file, uploaded under deterministic keys
    split      objects too big for one invocation, cut into byte ranges at record ends

``convert`` runs the first eight on local files (``cornlake try`` uses it); ``job`` is the
Lambda stage: it reads from raw, uploads, fills in the run record and announces the batch.

The names below are imported when first used, so converting local files (``cornlake try``,
``make bench``) does not import boto3 and botocore (0.3-0.4 s) for the Lambda stage.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from cornlake.consumer import SqsStage
    from cornlake.messages import TransformRequest
    from cornlake.transform.convert import Converted, ConvertOptions, convert_object
    from cornlake.transform.job import TransformOutcome, run_request, transform_object

    TRANSFORM: SqsStage[TransformRequest]

__all__ = [
    "TRANSFORM",
    "ConvertOptions",
    "Converted",
    "TransformOutcome",
    "convert_object",
    "run_request",
    "transform_object",
]

_HOME = {  # each name's module
    "Converted": "convert",
    "ConvertOptions": "convert",
    "convert_object": "convert",
    "TRANSFORM": "job",
    "TransformOutcome": "job",
    "run_request": "job",
    "transform_object": "job",
}


def __getattr__(name: str) -> Any:
    home = _HOME.get(name)
    if home is None:  # a submodule (``from cornlake.transform import read``) is imported as usual
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{home}"), name)
    globals()[name] = value
    return value
