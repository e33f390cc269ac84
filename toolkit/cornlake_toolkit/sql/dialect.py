"""Athena SQL as the local engine reads it: sqlglot's Trino dialect (Athena engine v3 runs
Trino), plus the Trino syntax sqlglot does not read yet.

- ``0x0A``, ``0o40``, ``0b101`` and ``1_000`` are numbers, not a hex string or an alias;
- ``DECIMAL '1.50'`` is a literal whose precision comes from its digits (marked, so the
  compatibility layer can tell it from ``CAST('1.50' AS DECIMAL)``);
- ``json_array(... FORMAT JSON ... NULL ON NULL RETURNING t)``, ``json_exists(... UNKNOWN
  ON ERROR)`` and ``json_query(... EMPTY ARRAY ON EMPTY)``.

``parse`` is the one entry: it tells an empty query, a comment, several statements and a
syntax error (with its line and column) apart, as QueryErrors.
"""

from __future__ import annotations

import re
from typing import Any, ClassVar

from sqlglot import exp
from sqlglot.dialects.trino import Trino
from sqlglot.errors import ParseError, TokenError
from sqlglot.parsers.trino import TrinoParser
from sqlglot.tokenizer_core import Token, TokenType

from cornlake_toolkit.errors import QueryError

LITERAL_META = "cornlake_typed_literal"  # set on the Cast a typed literal parses into
_RADIX = re.compile(r"^([oObB])([0-9_]+)$")
_BASES = {"o": 8, "b": 2}


def _radix_numbers(tokens: list[Token], sql: str) -> list[Token]:
    """Trino's hexadecimal, octal and binary integer literals as plain numbers."""
    out: list[Token] = []
    for token in tokens:
        previous = out[-1] if out else None
        text = sql[token.start : token.end + 1]
        if token.token_type == TokenType.HEX_STRING and text[:2] in ("0x", "0X"):
            hexadecimal = Token(
                TokenType.NUMBER,
                str(int(token.text.replace("_", ""), 16)),
                token.line,
                token.col,
                token.start,
                token.end,
                token.comments,
            )
            out.append(hexadecimal)
            continue
        if (
            previous is not None
            and previous.token_type == TokenType.NUMBER
            and previous.text == "0"
            and previous.end + 1 == token.start
            and (match := _RADIX.match(token.text))
        ):
            value = int(match.group(2).replace("_", ""), _BASES[match.group(1).lower()])
            out[-1] = Token(
                TokenType.NUMBER,
                str(value),
                previous.line,
                previous.col,
                previous.start,
                token.end,
                previous.comments,
            )
            continue
        out.append(token)
    return out


class _Tokenizer(Trino.Tokenizer):
    def tokenize(self, sql: str) -> list[Token]:
        return _radix_numbers(super().tokenize(sql), sql)


def decimal_literal_type(text: str) -> exp.DataType | None:
    """The decimal(p,s) of ``DECIMAL 'text'``: every digit counts, as in Trino."""
    match = re.match(r"^\s*[+-]?(\d*)(?:\.(\d*))?\s*$", text.replace("_", ""))
    if not match:
        return None
    whole, fraction = match.group(1) or "", match.group(2) or ""
    return exp.DataType.build(f"DECIMAL({max(len(whole) + len(fraction), 1)}, {len(fraction)})")


def _typed_literal(parser: Any, this: exp.Expr, to: exp.DataType) -> exp.Expr:
    if to.this == exp.DType.DECIMAL and not to.expressions and isinstance(this, exp.Literal):
        to = decimal_literal_type(this.name) or to
    cast = exp.Cast(this=this, to=to)
    cast.meta[LITERAL_META] = True
    return cast


def _temporal_literal(parser: Any, this: exp.Literal, to: exp.DataType) -> exp.Expr:
    cast: exp.Expr = parser._parse_temporal_literal(this, to)
    cast.meta[LITERAL_META] = True
    return cast


class _Parser(TrinoParser):
    TYPE_LITERAL_PARSERS: ClassVar = {
        **TrinoParser.TYPE_LITERAL_PARSERS,
        exp.DType.DECIMAL: _typed_literal,
        exp.DType.BIGINT: _typed_literal,
        exp.DType.INT: _typed_literal,
        exp.DType.SMALLINT: _typed_literal,
        exp.DType.TINYINT: _typed_literal,
        exp.DType.DOUBLE: _typed_literal,
        exp.DType.FLOAT: _typed_literal,
        exp.DType.DATE: _typed_literal,
        exp.DType.UUID: _typed_literal,
        **dict.fromkeys(
            (exp.DType.TIMESTAMP, exp.DType.TIMESTAMPTZ, exp.DType.TIME, exp.DType.TIMETZ),
            _temporal_literal,
        ),
    }
    FUNCTION_PARSERS: ClassVar = {
        **TrinoParser.FUNCTION_PARSERS,
        "JSON_ARRAY": lambda self: self._parse_trino_json_array(),
        "JSON_EXISTS": lambda self: self._parse_trino_json_exists(),
    }
    ON_CONDITION_TOKENS: ClassVar = {*TrinoParser.ON_CONDITION_TOKENS, "UNKNOWN"}

    def _parse_json_argument(self) -> exp.Expr | None:
        value = self._parse_format_json(self._parse_bitwise())
        if isinstance(value, exp.FormatJson) and self._match_text_seq("ENCODING"):
            encoding = self._parse_var()
            value.meta["encoding"] = encoding.name.upper() if encoding is not None else ""
        return value

    def _parse_trino_json_array(self) -> exp.JSONArray:
        expressions = []
        if not self._match(TokenType.R_PAREN, advance=False):
            expressions = self._parse_csv(self._parse_json_argument)
        null_handling = self._parse_on_handling("NULL", "NULL", "ABSENT")
        return_type = self._match_text_seq("RETURNING") and self._parse_types()
        return self.expression(
            exp.JSONArray(expressions=expressions, null_handling=null_handling, return_type=return_type)
        )

    def _parse_trino_json_exists(self) -> exp.JSONExists:
        this = self._parse_format_json(self._parse_bitwise())
        self._match(TokenType.COMMA)
        path = self._parse_bitwise()
        return self.expression(exp.JSONExists(this=this, path=path, on_condition=self._parse_on_condition()))

    def _parse_on_handling(self, on: str, *values: str) -> str | exp.Expr | None:
        for value in ("EMPTY ARRAY", "EMPTY OBJECT"):
            if self._match_text_seq(*value.split(), "ON", on):
                return f"{value} ON {on}"
        return super()._parse_on_handling(on, *values)


class AthenaLocal(Trino):
    """The dialect the local engine parses Athena (Trino) SQL with."""

    NUMBERS_CAN_BE_UNDERSCORE_SEPARATED = True
    Tokenizer = _Tokenizer
    Parser = _Parser


DIALECT = AthenaLocal()


def _position_hint(sql: str, line: int, col: int) -> str:
    lines = sql.splitlines() or [""]
    text = lines[min(max(line, 1), len(lines)) - 1]
    return f"{text}\n{' ' * max(col - 1, 0)}^"


def parse(sql: str) -> exp.Expr:
    """The one statement of ``sql``, or a QueryError saying why there is none."""
    try:
        tokens = DIALECT.tokenize(sql)
    except TokenError as err:
        raise QueryError(f"not valid Athena SQL: {err}", hint="check quotes and comments") from None
    if not [t for t in tokens if t.token_type != TokenType.SEMICOLON]:
        what = "only a comment" if sql.strip() else "empty"
        raise QueryError(
            f"the query is {what}: there is no statement to run",
            hint='write a statement, e.g. cornlake query "SELECT 1"',
        )
    try:
        statements = [s for s in DIALECT.parser().parse(tokens, sql) if s is not None]
    except ParseError as err:
        raise _syntax_error(sql, err) from None
    if len(statements) != 1:
        raise QueryError(
            f"{len(statements)} statements: the local engine runs one at a time, as Athena does",
            hint="run each statement on its own",
        )
    return statements[0]


def _syntax_error(sql: str, err: ParseError) -> QueryError:
    first = err.errors[0] if err.errors else {}
    line, col = int(first.get("line") or 1), int(first.get("col") or 1)
    description = str(first.get("description") or err).split(". Line ")[0]
    return QueryError(
        f"syntax error at line {line}, column {col}: {description}",
        hint="near:\n" + _position_hint(sql, line, col),
    )
