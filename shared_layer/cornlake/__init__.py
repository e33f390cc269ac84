"""CornLake's runtime library: the logic every Lambda function of the lake calls.

The shared core, used by every stage:

    contracts      dataset contracts, the single source of truth (with datatypes, schema)
    dqdl           quality rules in AWS Glue's DQDL, parsed and checked against a contract
    keys           the one key convention and name rules
    errors         one root; TerminalError (the input is wrong) vs TransientError (retried)
    settings       each function's environment, typed; every variable named once
    observability  logger, metrics, tracer
    aws            boto3 clients from an injectable session
    messages       the typed messages between stages, parsed in one place
    consumer       the SQS consumer every queue-fed stage runs, with the error policy
    ops            run records and the ops tables' schemas
    sqlquote       SQL quoting
    documents      small JSON documents in S3 under optimistic concurrency (state, holds)

The stages, one package each, in pipeline order: ``ingest`` (API and landing channels),
``transform`` (raw → curated), ``catalog`` (Glue), ``quality`` (rules on each batch).
Handlers stay thin: each ``lambda_*/app.py`` hands its event to one function here.
Packages with a heavy engine are imported only by the function that ships it:
``transform`` and ``quality`` need DuckDB, so the byte-landing functions stay
small and start fast.
"""

__version__ = "0.1.0"
