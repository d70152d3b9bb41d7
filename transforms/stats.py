"""Interval arithmetic for shares and rates, as Polars expressions.

Every published share carries a Wilson score interval (it stays inside [0, 1] and behaves at small n
and at shares near 0 or 1, where the textbook Wald interval collapses). Comparing a share with its
baseline uses Newcombe's hybrid score interval for a difference of proportions, which is built from
the two Wilson intervals and so inherits their small-sample behaviour. Counts per week (research
postings, routine-adaptation postings) are compared as Poisson rates through the conditional
binomial: given c1 + c0 events, c1 is binomial with p = w1 / (w1 + w0) when the rates are equal, so
a Wilson interval on c1 / (c1 + c0) maps to an interval on the rate ratio.
"""

from __future__ import annotations

import polars as pl

Z95 = 1.959963984540054


def _expr(value: pl.Expr | str) -> pl.Expr:
    return pl.col(value) if isinstance(value, str) else value


def wilson(k: pl.Expr | str, n: pl.Expr | str, z: float | pl.Expr = Z95) -> tuple[pl.Expr, pl.Expr]:
    """(low, high) of the Wilson score interval for k successes in n trials; null when n is 0."""
    k, n = _expr(k).cast(pl.Float64), _expr(n).cast(pl.Float64)
    p = k / n
    z2 = z * z
    denom = 1.0 + z2 / n
    centre = (p + z2 / (2.0 * n)) / denom
    half = z * (p * (1.0 - p) / n + z2 / (4.0 * n * n)).sqrt() / denom
    valid = n > 0
    # Clipped to [0, p] and [p, 1]: at p = 0 or 1 the bound equals p exactly, but floating point
    # leaves it a few 1e-18 on the wrong side, which a consumer checking low <= p <= high would reject.
    low = pl.when(valid).then(pl.min_horizontal(centre - half, p).clip(0.0, 1.0))
    high = pl.when(valid).then(pl.max_horizontal(centre + half, p).clip(0.0, 1.0))
    return low, high


def newcombe(
    k1: pl.Expr | str,
    n1: pl.Expr | str,
    k0: pl.Expr | str,
    n0: pl.Expr | str,
    z: float | pl.Expr = Z95,
) -> tuple[pl.Expr, pl.Expr]:
    """(low, high) of Newcombe's hybrid score interval for p1 - p0 (method 10, 1998)."""
    k1, n1, k0, n0 = (_expr(x).cast(pl.Float64) for x in (k1, n1, k0, n0))
    p1, p0 = k1 / n1, k0 / n0
    l1, u1 = wilson(k1, n1, z)
    l0, u0 = wilson(k0, n0, z)
    diff = p1 - p0
    low = diff - ((p1 - l1) ** 2 + (u0 - p0) ** 2).sqrt()
    high = diff + ((u1 - p1) ** 2 + (p0 - l0) ** 2).sqrt()
    return low, high


def rate_ratio(
    c1: pl.Expr | str,
    w1: pl.Expr | str,
    c0: pl.Expr | str,
    w0: pl.Expr | str,
    z: float | pl.Expr = Z95,
) -> tuple[pl.Expr, pl.Expr, pl.Expr]:
    """(ratio, low, high) of the rate (c1 / w1) / (c0 / w0), by the conditional binomial method.

    Null when the baseline count c0 is zero (no rate to compare with); the high bound is null
    (unbounded) when c0 is so small that the Wilson high reaches 1.
    """
    c1, w1, c0, w0 = (_expr(x).cast(pl.Float64) for x in (c1, w1, c0, w0))
    low_p, high_p = wilson(c1, c1 + c0, z)
    scale = w0 / w1
    valid = (c0 > 0) & (w1 > 0) & (w0 > 0)
    ratio = pl.when(valid).then(c1 / c0 * scale)
    low = pl.when(valid).then(low_p / (1.0 - low_p) * scale)
    high = pl.when(valid & (high_p < 1.0)).then(high_p / (1.0 - high_p) * scale)
    return ratio, low, high
