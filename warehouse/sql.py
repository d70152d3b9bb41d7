"""SQL text built by hand: ATTACH, SET and LOAD take no parameters, and key lookups list their keys
as literals so DuckDB scans the primary-key index (warehouse.postings_load._by_key)."""

from __future__ import annotations


def string_literal(text: str) -> str:
    """`text` as a quoted SQL string literal (single quotes doubled)."""
    return "'" + text.replace("'", "''") + "'"
