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
"""

from cornlake.consumer import SqsStage
from cornlake.messages import parse_transform_request
from cornlake.transform.convert import Converted, ConvertOptions, convert_object
from cornlake.transform.job import REQUIRED, TransformOutcome, run_request, start_run, transform_object

__all__ = [
    "TRANSFORM",
    "ConvertOptions",
    "Converted",
    "TransformOutcome",
    "convert_object",
    "run_request",
    "transform_object",
]

TRANSFORM = SqsStage(
    name="transform", required=REQUIRED, parse=parse_transform_request, start=start_run, handle=run_request
)
