"""URL functions: DuckDB has none of Trino's url_extract_*; they read the parts of the URI
with the expression of RFC 3986 (appendix B). url_encode and url_decode follow Java's
URLEncoder (``+`` for a space, ``*`` kept, ``~`` encoded), not RFC 3986's."""

from __future__ import annotations

from sqlglot import exp

from cornlake_toolkit.sql.compat.core import args_of, duck, rewrites

URI = r"'^(([^:/?#]+):)?(//([^/?#]*))?([^?#]*)(\?([^#]*))?(#(.*))?'"
PARTS = {"PROTOCOL": 2, "AUTHORITY": 4, "PATH": 5, "QUERY": 7, "FRAGMENT": 9}


def _part(url: exp.Expr, name: str) -> exp.Expr:
    group = PARTS[name]
    return duck(
        f"CASE WHEN regexp_matches({{0}}, {URI}) THEN nullif(regexp_extract({{0}}, {URI}, {group}), '') END",
        url,
    )


@rewrites("URL_EXTRACT_PROTOCOL")
def url_extract_protocol(node: exp.Expr) -> exp.Expr:
    """url_extract_protocol: the scheme (http)."""
    (url,) = args_of(node)
    return _part(url, "PROTOCOL")


@rewrites("URL_EXTRACT_HOST")
def url_extract_host(node: exp.Expr) -> exp.Expr:
    """url_extract_host: the host, without user information and port."""
    (url,) = args_of(node)
    authority = _part(url, "AUTHORITY")
    return duck("nullif(regexp_extract({0}, '^(?:[^@]*@)?(\\[[^\\]]*\\]|[^:]*)', 1), '')", authority)


@rewrites("URL_EXTRACT_PORT")
def url_extract_port(node: exp.Expr) -> exp.Expr:
    """url_extract_port: the port as a bigint, NULL when the URL has none."""
    (url,) = args_of(node)
    authority = _part(url, "AUTHORITY")
    return duck("TRY_CAST(nullif(regexp_extract({0}, ':(\\d+)$', 1), '') AS BIGINT)", authority)


@rewrites("URL_EXTRACT_PATH")
def url_extract_path(node: exp.Expr) -> exp.Expr:
    """url_extract_path: the path."""
    (url,) = args_of(node)
    return _part(url, "PATH")


@rewrites("URL_EXTRACT_QUERY")
def url_extract_query(node: exp.Expr) -> exp.Expr:
    """url_extract_query: the query string, without the ``?``."""
    (url,) = args_of(node)
    return _part(url, "QUERY")


@rewrites("URL_EXTRACT_FRAGMENT")
def url_extract_fragment(node: exp.Expr) -> exp.Expr:
    """url_extract_fragment: the fragment, without the ``#``."""
    (url,) = args_of(node)
    return _part(url, "FRAGMENT")


@rewrites("URL_EXTRACT_PARAMETER")
def url_extract_parameter(node: exp.Expr) -> exp.Expr:
    """url_extract_parameter(url, name): the value of the first query parameter called name."""
    url, name = args_of(node)
    query = _part(url, "QUERY")
    return duck(
        "list_transform(list_filter(string_split({0}, '&'), lambda _cl_p: split_part(_cl_p, '=', 1) = {1}), "
        "lambda _cl_p: substr(_cl_p, length({1}) + 2))[1]",
        query,
        name,
    )


@rewrites("URL_ENCODE")
def url_encode(node: exp.Expr) -> exp.Expr:
    """url_encode: Java's URLEncoder (``+`` for a space, ``*`` kept, ``~`` encoded)."""
    return duck(
        "replace(replace(replace(url_encode({0}), '~', '%7E'), '%2A', '*'), '%20', '+')", *args_of(node)
    )


@rewrites("URL_DECODE")
def url_decode(node: exp.Expr) -> exp.Expr:
    """url_decode: ``+`` is a space, as Java's URLDecoder reads it."""
    return duck("url_decode(replace({0}, '+', ' '))", *args_of(node))
