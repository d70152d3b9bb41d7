"""HTML to text that keeps section structure, as vectorized Polars expressions.

A posting's meaning depends on *where* a phrase stands (a duty bullet vs the "About us" blurb), so
block-level HTML becomes line breaks, list items become "- " lines and headings (including a bold
run that opens a paragraph, the usual "<p><strong>Benefits</strong></p>") become "# " lines,
instead of being flattened into one run of words. Plain-text descriptions go through the same
normalization (bullets, dashes, quotes) so both inputs come out in one shape.

This is the helper for people and stages that want readable text (reports, ingest). The
classifier itself reads the raw HTML directly (transforms.scope treats tags as boundaries), which
saves these passes on a million postings.
"""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl

from transforms.rewrite import Rewrite, rust_regex

_BLOCK_TAGS = "p|div|ul|ol|dl|dt|dd|h[1-6]|br|tr|td|th|table|section|header|footer|article|blockquote|pre|hr"

HTML_STEPS: tuple[Rewrite, ...] = (
    Rewrite("drop_scripts", r"(?is)<(script|style)\b[^>]*>.*?</(?:script|style)\s*>", ""),
    Rewrite("list_items", r"(?i)<li\b[^>]*>", "\n- "),
    Rewrite(
        "headings",
        r"(?i)<h[1-6]\b[^>]*>\s*|(?:<(?:p|div)\b[^>]*>|<br\s*/?>)\s*<(?:strong|b)\b[^>]*>\s*",
        "\n# ",
    ),
    Rewrite("blocks", rf"(?i)</?(?:{_BLOCK_TAGS})\b[^>]*>", "\n"),
    Rewrite("other_tags", r"<[^>]*>", ""),
)

# Entities and typography, replaced literally (Aho-Corasick, one pass). Clause words get a ";"
# in front so a negation ("no on-call, but you will deploy") stops where the clause does.
_LITERALS: dict[str, str] = {
    "&amp;": "&",
    "&lt;": "<",
    "&gt;": ">",
    "&nbsp;": " ",
    "&#160;": " ",
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
    "&#8212;": "-",
    "\u2019": "'",
    "\u2018": "'",
    "\u201c": '"',
    "\u201d": '"',
    "\u00a0": " ",
    "\r": "",
    "\u2022": "-",
    "\u25cf": "-",
    "\u25aa": "-",
    "\u25e6": "-",
    "\u2192": "-",
    "\u2713": "-",
    "\u2013": "-",
    "\u2014": "-",
    " | ": "; ",
    " but ": "; but ",
    ", but ": "; but ",
    " however": "; however",
    " although ": "; although ",
    " though ": "; though ",
    " whereas ": "; whereas ",
    " instead ": "; instead ",
    " rather than ": "; rather than ",
}
NORMALIZE_FROM: tuple[str, ...] = tuple(_LITERALS)
NORMALIZE_TO: tuple[str, ...] = tuple(_LITERALS.values())

WHITESPACE_STEPS: tuple[Rewrite, ...] = (
    Rewrite("bullets", r"(?m)^[ \t]*(?:[-*+]|\d{1,2}[.)])[ \t]+", "- "),
    # " - " between words is a clause break ("No PhD needed - you will deploy"); between numbers
    # it is a range ("$120,000 - $150,000") and stays.
    Rewrite("dash_clauses", r"(?i)([a-z)\]'\"])[ \t]+-[ \t]+([a-z(])", "${1}; ${2}"),
    Rewrite("blank_lines", r"[ \t]*\n\s*", "\n"),
)

# Greenhouse serves its `content` HTML-escaped; unescape when no real tag is present.
_ESCAPED_HTML = r"&lt;/?[a-zA-Z]"


def _steps(expr: pl.Expr, steps: Sequence[Rewrite]) -> pl.Expr:
    for step in steps:
        expr = expr.str.replace_all(rust_regex(step.pattern), step.replacement)
    return expr


def normalize_text(text: pl.Expr) -> pl.Expr:
    """Typography and bullets normalized, one line per paragraph or list item."""
    replaced = text.str.replace_many(list(NORMALIZE_FROM), list(NORMALIZE_TO), ascii_case_insensitive=True)
    return _steps(replaced, WHITESPACE_STEPS)


def html_to_text(html: pl.Expr | pl.Series) -> pl.Expr | pl.Series:
    """Text of HTML fragments keeping structure: "# heading" lines, "- item" lines, paragraphs.

    Accepts an expression or a Series (returns the same kind); null stays null.
    """
    if isinstance(html, pl.Series):
        return pl.select(html_to_text(pl.lit(html)).alias(html.name)).to_series()
    unescaped = (
        pl.when(html.str.contains(_ESCAPED_HTML) & ~html.str.contains("<", literal=True))
        .then(html.str.replace_many(["&lt;", "&gt;", "&amp;", "&quot;"], ["<", ">", "&", '"']))
        .otherwise(html)
    )
    return normalize_text(_steps(unescaped, HTML_STEPS))


def posting_text(description_html: pl.Expr, description_text: pl.Expr) -> pl.Expr:
    """The structured text of a posting: from its HTML when present, else its plain text."""
    has_html = description_html.str.len_bytes().fill_null(0) > 0
    # Each conversion only sees the rows it is for, so no row is converted twice.
    from_html = html_to_text(pl.when(has_html).then(description_html))
    from_text = normalize_text(pl.when(~has_html).then(description_text))
    return pl.coalesce(from_html, from_text, pl.lit(""))
