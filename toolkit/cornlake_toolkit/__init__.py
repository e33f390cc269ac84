"""CornLake's developer toolkit: the ``cornlake`` CLI, the local runtime and local SQL.

Never shipped to Lambda: it imports moto, DuckDB and sqlglot, which no function needs.
"""
