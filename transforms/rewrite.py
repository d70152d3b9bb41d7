"""Rule tables as data: regex rewrites and phrase unions shared by every classifier module.

Each rule is plain data (a pattern and a replacement) so that the same table drives the
vectorized Polars classifier and the per-row reference implementation in the benchmark, and so
that a hash of the tables can version the classifier (transforms.classify.CLASSIFIER_VERSION).
Patterns use the syntax common to Rust's `regex` crate (Polars) and Python's `re`: no
look-around, no backreferences.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import polars as pl


@dataclass(frozen=True)
class Rewrite:
    """Replace every match of `pattern` by `replacement` (`$0` stands for the whole match)."""

    name: str
    pattern: str
    replacement: str


def union(phrases: Iterable[str]) -> str:
    """One non-capturing alternation; longer phrases first so the longest alternative wins."""
    ordered = sorted(set(phrases), key=lambda p: (-len(p), p))
    return "(?:" + "|".join(ordered) + ")"


def words(phrases: Iterable[str]) -> str:
    """`union` anchored at a word start: `\\b(?:a|b)`; phrases are regex fragments."""
    return r"\b" + union(phrases)


def apply_rewrites(expr: pl.Expr, steps: Sequence[Rewrite]) -> pl.Expr:
    for step in steps:
        expr = expr.str.replace_all(step.pattern, step.replacement)
    return expr


def python_replacement(replacement: str) -> str:
    """The same replacement in Python `re.sub` syntax (the per-row reference uses it)."""
    escaped = replacement.replace("\\", "\\\\")
    return re.sub(r"\$\{(\d+)\}|\$(\d+)", lambda m: rf"\g<{m.group(1) or m.group(2)}>", escaped)
