"""SQL text built by hand, for the few statements DuckDB cannot take parameters in (ATTACH, SET,
LOAD and long IN lists)."""

from __future__ import annotations


def string_literal(text: str) -> str:
    """`text` as a quoted SQL string literal (single quotes doubled)."""
    return "'" + text.replace("'", "''") + "'"
