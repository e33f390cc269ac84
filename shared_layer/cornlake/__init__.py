"""CornLake's runtime library: the logic every Lambda function of the lake calls.

Handlers stay thin; they parse their event and call one function from a module here.
Modules with a heavy engine are imported only by the function that ships it: ``transform``
(with ``feed``, ``stage``, ``fastpath``, ``blocks``) needs DuckDB, ``quality`` needs pyarrow. So the
byte-landing functions stay small and start fast.
"""

__version__ = "0.1.0"
