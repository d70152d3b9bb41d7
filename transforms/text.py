"""HTML to text that keeps section structure, as vectorized Polars expressions.

Classification needs to know *where* a phrase stands (a duty bullet vs the "About us" blurb), so
block-level HTML becomes line breaks and headings become lines of their own instead of being
flattened into one run of words.
"""

from __future__ import annotations

import polars as pl

_ENTITIES = {
    "&amp;": "&",
    "&lt;": "<",
    "&gt;": ">",
    "&nbsp;": " ",
    "&#39;": "'",
    "&#x27;": "'",
    "&apos;": "'",
    "&quot;": '"',
    "&rsquo;": "'",
    "&lsquo;": "'",
    "&ldquo;": '"',
    "&rdquo;": '"',
    "&ndash;": "-",
    "&mdash;": "-",
    "&bull;": "-",
    "&#8217;": "'",
    "&#8211;": "-",
}


def html_to_text(html: pl.Expr | pl.Series) -> pl.Expr | pl.Series:
    """Text of an HTML fragment: block tags become newlines, list items "- " lines, entities decoded."""
    return (
        html.str.replace_all(r"(?i)<\s*li\b[^>]*>", "\n- ")
        .str.replace_all(
            r"(?i)<\s*/?\s*(?:p|div|ul|ol|h[1-6]|br|tr|section|header|article|blockquote)\b[^>]*>", "\n"
        )
        .str.replace_all(r"<[^>]*>", "")
        .str.replace_many(list(_ENTITIES), list(_ENTITIES.values()))
        .str.replace_all(r"[ \t\r]*\n[\s]*", "\n")
    )
