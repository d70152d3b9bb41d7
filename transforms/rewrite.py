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


@dataclass(frozen=True)
class Rewrite:
    """Replace every match of `pattern` by `replacement` (`$0` stands for the whole match)."""

    name: str
    pattern: str
    replacement: str
    literal: bool = False


def union(phrases: Iterable[str]) -> str:
    """One non-capturing alternation; longer phrases first so the longest alternative wins."""
    ordered = sorted(set(phrases), key=lambda p: (-len(p), p))
    return "(?:" + "|".join(ordered) + ")"


# Rust's regex keeps a fast literal prefilter (Teddy) only for small literal sets. Marking the 148
# scope cues on 50,000 postings cost 0.75 s CPU as one union, 0.42 s in chunks of 64 and 0.53 s in
# chunks of 32 (generated postings, AMD EPYC, one thread).
PREFILTER_CHUNK = 64


def chunks(phrases: Sequence[str], size: int = PREFILTER_CHUNK) -> list[tuple[str, ...]]:
    """`phrases` cut into groups small enough for one fast regex each."""
    return [tuple(phrases[i : i + size]) for i in range(0, len(phrases), size)]


def words(phrases: Iterable[str]) -> str:
    """`union` anchored at a word start: `\\b(?:a|b)`; phrases are regex fragments."""
    return r"\b" + union(phrases)


def python_replacement(replacement: str) -> str:
    """The same replacement in Python `re.sub` syntax (the per-row reference uses it)."""
    escaped = replacement.replace("\\", "\\\\")
    return re.sub(r"\$\{(\d+)\}|\$(\d+)", lambda m: rf"\g<{m.group(1) or m.group(2)}>", escaped)


_ASCII_CLASS = {"w": "0-9A-Za-z_", "d": "0-9", "s": "\\t\\n\\x0B\\f\\r "}
_ASCII_ESCAPE = {"w": "(?-u:\\w)", "d": "[0-9]", "s": "(?-u:\\s)", "b": "(?-u:\\b)", "B": "(?-u:\\B)"}
_ASCII_ESCAPE_BACK = tuple((v, "\\" + k) for k, v in _ASCII_ESCAPE.items() if v.startswith("(?-u:"))


def rust_regex(pattern: str) -> str:
    """`pattern` with \\b \\w \\d \\s made ASCII-only for Rust's regex crate (Polars).

    Unicode word boundaries and classes stop Rust's lazy DFA and cost 100x in speed; postings are
    matched on ASCII words anyway (Python `re` is given re.ASCII for the same semantics).
    """
    pattern = _plain(pattern)  # idempotent: an already converted pattern converts to itself
    out: list[str] = []
    in_class = False
    i = 0
    while i < len(pattern):
        ch = pattern[i]
        if ch == "\\" and i + 1 < len(pattern):
            nxt = pattern[i + 1]
            if in_class and nxt in _ASCII_CLASS:
                out.append(_ASCII_CLASS[nxt])
            elif not in_class and nxt in _ASCII_ESCAPE:
                out.append(_ASCII_ESCAPE[nxt])
            else:
                out.append(pattern[i : i + 2])
            i += 2
            continue
        if ch == "[" and not in_class:
            in_class = True
            out.append(ch)
            # a leading "]" or "^]" is literal
            if pattern[i + 1 : i + 2] == "^":
                out.append("^")
                i += 1
            if pattern[i + 1 : i + 2] == "]":
                out.append("]")
                i += 1
        elif ch == "]" and in_class:
            in_class = False
            out.append(ch)
        else:
            out.append(ch)
        i += 1
    return "".join(out)


def _plain(pattern: str) -> str:
    for ascii_form, plain in _ASCII_ESCAPE_BACK:
        pattern = pattern.replace(ascii_form, plain)
    return pattern


def python_regex(pattern: str) -> re.Pattern[str]:
    """A pattern written for (or by) `rust_regex`, compiled with Python's `re` and the same meaning.

    The per-row reference implementation (benchmarks.bench_classify) uses this to run the very same
    rule tables one posting at a time.
    """
    return re.compile(_plain(pattern), re.ASCII)
