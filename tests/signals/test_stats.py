"""Interval formulas against published worked examples."""

from __future__ import annotations

import polars as pl
import pytest

from transforms.stats import newcombe, rate_ratio, wilson


def _eval(*exprs: pl.Expr) -> list[float | None]:
    return list(pl.select(*[e.alias(f"x{i}") for i, e in enumerate(exprs)]).row(0))


def test_wilson_matches_the_textbook_values():
    # Newcombe (1998) table I: 81/263 -> 0.2553 to 0.3662; 0/10 -> 0 to 0.2775.
    low, high = _eval(*wilson(pl.lit(81), pl.lit(263)))
    assert (round(low, 4), round(high, 4)) == (0.2553, 0.3662)
    low, high = _eval(*wilson(pl.lit(0), pl.lit(10)))
    assert low == 0.0 and round(high, 4) == 0.2775


def test_wilson_bounds_hold_their_share_exactly_at_zero_and_one():
    # 0/96 and 96/96 leave the raw bounds a few 1e-18 beyond the share in floating point.
    for k, n in [(0, 96), (0, 140), (0, 24), (96, 96), (83, 83)]:
        low, high = _eval(*wilson(pl.lit(k), pl.lit(n)))
        assert low <= k / n <= high


def test_wilson_is_null_without_a_sample():
    assert _eval(*wilson(pl.lit(0), pl.lit(0))) == [None, None]


def test_newcombe_matches_the_worked_example():
    # Newcombe (1998) example: 56/70 vs 48/80, hybrid score interval 0.0524 to 0.3339.
    low, high = _eval(*newcombe(pl.lit(56), pl.lit(70), pl.lit(48), pl.lit(80)))
    assert (round(low, 4), round(high, 4)) == (0.0524, 0.3339)


def test_rate_ratio_is_symmetric_and_covers_equal_rates():
    ratio, low, high = _eval(*rate_ratio(pl.lit(50), pl.lit(4), pl.lit(50), pl.lit(4)))
    assert ratio == pytest.approx(1.0)
    assert low < 1.0 < high
    assert low == pytest.approx(1 / high)
    ratio, low, high = _eval(*rate_ratio(pl.lit(20), pl.lit(4), pl.lit(80), pl.lit(4)))
    assert ratio == pytest.approx(0.25) and high < 1.0
    assert _eval(*rate_ratio(pl.lit(5), pl.lit(4), pl.lit(0), pl.lit(4))) == [None, None, None]
