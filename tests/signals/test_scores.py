"""Scores: the published baseline when nothing moves, and explanations that account for every point."""

from __future__ import annotations

import re
from dataclasses import replace

import polars as pl
import pytest

from tests.signals.market import STEADY_DAY, Market, end_of_week, exact, simulate
from transforms.role_card import COMPONENTS, Component, RoleCard
from transforms.scores import role_scores
from transforms.signals import weekly_signals
from transforms.states import outlook_states

# From week 6, entry postings own production work and hiring spreads over 30 more employers: the
# strengthen story (routine work vanishes too, which the more specific strengthening explains).
_STRONG = [("entry", ("deployment", "evaluation"))] * 3 + [
    (s, ("evaluation", "monitoring")) for s in ("mid", "senior", "lead")
]


def _strong_day(day: int) -> tuple[tuple[str, tuple[str, ...], str], ...]:
    if day < 6 * 7:
        return STEADY_DAY
    spread = tuple((s, t, f"employer-{100 + (day * 6 + i) % 30:03d}") for i, (s, t) in enumerate(_STRONG))
    return spread + STEADY_DAY[5:9]


def _scores(postings: pl.DataFrame, card: RoleCard, weeks: int) -> pl.DataFrame:
    signals = weekly_signals(postings, [card], end_of_week(weeks - 1))
    return role_scores(signals, outlook_states(signals, [card]), [card])


def _explained_points(explanation: str) -> dict[str, float]:
    """Sum of the signed points the explanation names, per component (caps included)."""
    out = dict.fromkeys(COMPONENTS, 0.0)
    for component, points in re.findall(r"(\w+) ([+-]\d+\.\d)(?= \()", explanation):
        out[component] += float(points)
    for component, cut in re.findall(r"(\w+) capped at [\d.]+ \((-?\d+\.\d)\)", explanation):
        out[component] += float(cut)
    return out


def test_no_signal_movement_scores_the_published_baseline(ai: RoleCard):
    scores = _scores(exact(16), ai, 16)
    assert scores.height == 16
    assert set(scores["total"]) == {52.0} == {ai.published_total}
    for name in COMPONENTS:
        assert set(scores[name]) == {ai.components[name].baseline}
    assert set(scores["outlook_state"]) == {"stable"}
    assert scores["explanation"][-1] == "total 52.0 = published baseline; no signal moved beyond its margin"


def test_a_steady_noisy_market_stays_at_the_baseline_or_within_a_fraction_of_a_point(ai: RoleCard):
    scores = _scores(simulate(52, 4, Market(new_per_week=60)), ai, 52)
    assert (scores["total"] - 52).abs().max() < 2.0  # never enough for a score_change alert
    assert (scores["total"] == 52).mean() > 0.9


def test_the_explanation_accounts_for_every_point_of_difference(ai: RoleCard):
    postings = exact(16, day_mix=_strong_day)
    scores = _scores(postings, ai, 16)
    moved = scores.filter(pl.col("total") != 52)
    assert moved.height >= 6
    last = scores.row(-1, named=True)
    assert last["total"] > 55 and last["outlook_state"] == "strengthening"
    assert "entry_production_share 1.0 vs baseline 0.333" in last["explanation"]
    for row in moved.iter_rows(named=True):
        explained = _explained_points(row["explanation"])
        for name in COMPONENTS:
            assert row[name] == pytest.approx(ai.components[name].baseline + explained[name], abs=1e-9)
            assert 0 <= row[name] <= ai.components[name].max
        assert row["total"] == pytest.approx(sum(row[n] for n in COMPONENTS))
        assert 0 <= row["total"] <= 100
        assert row["explanation"].startswith(f"total {row['total']:.1f} = baseline 52.0 +")


def test_each_adjustment_is_bounded_and_components_are_clamped(ai: RoleCard):
    postings = exact(16, day_mix=_strong_day)
    tight = replace(
        ai,
        components={**ai.components, "structural_moat": Component(baseline=17, max=18)},
    )
    scores = _scores(postings, tight, 16)
    last = scores.row(-1, named=True)
    assert last["structural_moat"] == 18
    assert "structural_moat capped at 18.0 (" in last["explanation"]
    explained = _explained_points(last["explanation"])
    assert last["structural_moat"] == pytest.approx(17 + explained["structural_moat"])
    caps = {a.signal: a.max_points for a in ai.adjustments}
    for signal, points in re.findall(r"\w+ ([+-]\d+\.\d) \((\w+)", last["explanation"]):
        assert abs(float(signal)) <= caps[points] + 1e-9


def test_small_samples_do_not_move_the_score(ai: RoleCard):
    # The same strengthening shift, but a tenth of a posting per hire slot: about 7 postings a week.
    postings = exact(16, day_mix=_strong_day)
    thin = postings.filter(pl.col("posting_key").str.ends_with("-0"))
    scores = _scores(thin, ai, 16)
    share_moves = scores.filter(pl.col("explanation").str.contains("_share"))
    assert share_moves.is_empty()
