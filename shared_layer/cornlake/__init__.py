"""CornLake's runtime library: the logic every Lambda function of the lake calls.

Handlers stay thin; they parse their event and call one function from a module here.
Modules that need pyarrow (``transform``, ``quality``) are imported only by the functions
that ship pyarrow, so the byte-landing functions stay small and start fast.
"""

__version__ = "0.1.0"
