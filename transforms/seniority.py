"""Seniority from title words and years-of-experience statements (DESIGN §3.2)."""

from __future__ import annotations

import polars as pl

_INTERN = r"(?i)\bintern(?:ship)?\b|\bco-?op\b|\bapprentice"
_LEAD = r"(?i)\bstaff\b|\bprincipal\b|\blead\b|\bmanager\b|\bdirector\b|\bhead of\b|\bhead\b|\bvp\b|\bvice president\b|\bchief\b|\bdistinguished\b|\bfellow\b|\bl[67]\b"
_SENIOR = r"(?i)\bsenior\b|\bsr\.?\b|\biii\b|\biv\b|\bl5\b|\blevel (?:3|iii)\b"
_ENTRY = r"(?i)\bjunior\b|\bjr\.?\b|\bentry[- ]level\b|\bnew grad|\bgraduate\b|\bassociate\b|\bi\b|\bl3\b|\blevel (?:1|i)\b"
_MID = r"(?i)\bii\b|\bl4\b|\bmid[- ]level\b|\blevel (?:2|ii)\b"
_YEARS = r"(?i)(\d{1,2})\s*(?:\+|plus)?\s*(?:-|–|to)?\s*(?:\d{1,2})?\s*\+?\s*(?:years|yrs)"


def seniority_expr(title: pl.Expr, text: pl.Expr) -> pl.Expr:
    """One of intern|entry|mid|senior|lead; title words outrank years, no evidence means mid."""
    years = text.str.extract(_YEARS, 1).cast(pl.Int32, strict=False)
    return (
        pl.when(title.str.contains(_INTERN))
        .then(pl.lit("intern"))
        .when(title.str.contains(_LEAD))
        .then(pl.lit("lead"))
        .when(title.str.contains(_SENIOR))
        .then(pl.lit("senior"))
        .when(title.str.contains(_ENTRY))
        .then(pl.lit("entry"))
        .when(title.str.contains(_MID))
        .then(pl.lit("mid"))
        .when(years >= 5)
        .then(pl.lit("senior"))
        .when(years >= 2)
        .then(pl.lit("mid"))
        .when(years >= 0)
        .then(pl.lit("entry"))
        .otherwise(pl.lit("mid"))
    )
