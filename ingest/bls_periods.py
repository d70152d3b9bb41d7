"""BLS period codes: which exist, what they mean, and the date each one starts.

The API mixes frequencies in one `period` column: M01–M12 months and M13 (annual average) for
monthly surveys, Q01–Q04 quarters and Q05 (annual average) for quarterly ones, S01–S02 halves and
S03 (annual average) for semiannual ones, and A01 for annual-only surveys such as OEWS. Other
clients drop M13 or mistake Q05 for a quarter; here every code is named, so a consumer filters by
`kind` instead of by string prefix.
"""

from __future__ import annotations

import re

import polars as pl

PERIOD_REGEX = r"^(M(0[1-9]|1[0-3])|Q0[1-5]|S0[1-3]|A01)$"
_PERIOD = re.compile(PERIOD_REGEX)

ANNUAL_CODES = frozenset({"M13", "Q05", "S03", "A01"})


def is_period(code: str) -> bool:
    return bool(_PERIOD.match(code))


def period_kind(code: str) -> str:
    """month | quarter | half | annual_average | annual; ValueError for a code BLS does not use."""
    if not is_period(code):
        raise ValueError(f"not a BLS period code: {code!r}")
    if code == "A01":
        return "annual"
    if code in ANNUAL_CODES:
        return "annual_average"
    return {"M": "month", "Q": "quarter", "S": "half"}[code[0]]


def period_kind_expr(period: pl.Expr) -> pl.Expr:
    """`period_kind` as a Polars expression (null for an unknown code)."""
    return (
        pl.when(~period.str.contains(PERIOD_REGEX))
        .then(None)
        .when(period == "A01")
        .then(pl.lit("annual"))
        .when(period.is_in(list(ANNUAL_CODES)))
        .then(pl.lit("annual_average"))
        .when(period.str.starts_with("M"))
        .then(pl.lit("month"))
        .when(period.str.starts_with("Q"))
        .then(pl.lit("quarter"))
        .otherwise(pl.lit("half"))
    )


def period_start_expr(year: pl.Expr, period: pl.Expr) -> pl.Expr:
    """The first day the period covers: M03 → 1 Mar, Q02 → 1 Apr, S02 → 1 Jul, annual codes → 1 Jan."""
    number = period.str.slice(1).cast(pl.Int32, strict=False)
    month = (
        pl.when(period.is_in(list(ANNUAL_CODES)))
        .then(1)
        .when(period.str.starts_with("M"))
        .then(number)
        .when(period.str.starts_with("Q"))
        .then((number - 1) * 3 + 1)
        .when(period.str.starts_with("S"))
        .then((number - 1) * 6 + 1)
    )
    return (
        pl.when(period.str.contains(PERIOD_REGEX))
        .then(pl.date(year.cast(pl.Int32), month, 1))
        .otherwise(None)
    )
