"""Outlook states: triggers fire on real shifts, not on noise or small samples, and do not flap."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

import polars as pl
import pytest

from tests.signals.market import START, Market, end_of_week, simulate
from transforms.role_card import RoleCard
from transforms.signals import weekly_signals
from transforms.states import outlook_states, persist

BASELINE_WEEK = 4  # the first week holds the first scrape's stock; weeks 1-4 are the baseline window


def _weekly(weeks: int, series: dict[str, Callable[[int], tuple[float, int]]], role: str = "ai_ml_engineer"):
    """A constructed long signal frame: series[signal](week) -> (value, n) for every week."""
    rows = [
        {
            "role_id": role,
            "week": START + timedelta(weeks=w),
            "signal": name,
            "value": float(fn(w)[0]),
            "n": int(fn(w)[1]),
            "ci_low": None,
            "ci_high": None,
        }
        for w in range(weeks)
        for name, fn in series.items()
    ]
    return pl.DataFrame(rows, schema_overrides={"ci_low": pl.Float64, "ci_high": pl.Float64})


def _states(signals: pl.DataFrame, card: RoleCard) -> pl.DataFrame:
    return outlook_states(signals, [card]).sort("week")


def _first(states: pl.DataFrame, state: str) -> int | None:
    hits = [i for i, s in enumerate(states["outlook_state"].to_list()) if s == state]
    return hits[0] if hits else None


def _entry_cut(size: float, n: int, at: int = 6, alternate: bool = False):
    """entry_share 0.30 until week `at`, then 0.30 - size (every other week only if `alternate`)."""

    def entry(week: int) -> tuple[float, int]:
        shifted = week >= at and (not alternate or (week - at) % 2 == 0)
        return (0.30 - size if shifted else 0.30), n

    return {"entry_share": entry, "senior_volume_index": lambda _w: (100.0, 200)}


# ----------------------------------------------------------------------------------- hysteresis
@pytest.mark.parametrize(
    ("raw", "active"),
    [
        ("TTT....", "..TTT.."),  # enter on the 3rd raw week, leave on the 3rd lapsed week
        ("T.T.T.T", "......."),  # alternating never holds long enough to enter
        ("TTT.T.T.T.", "..TTTTTTTT"),  # once in, alternating never lapses long enough to leave
        ("TTTTT...TTT", "..TTTTT...T"),
    ],
)
def test_persist_enters_and_leaves_only_after_the_configured_weeks(raw: str, active: str):
    df = pl.DataFrame(
        {"role_id": "r", "raw": [c == "T" for c in raw], "enter": 3, "leave": 3},
    )
    out = persist(df, "raw", "active", "enter", "leave")
    assert "".join("T" if a else "." for a in out["active"]) == active


# --------------------------------------------------------------------- constructed weekly data
def test_weakening_fires_on_a_real_shift_of_the_configured_size(ai: RoleCard):
    states = _states(_weekly(14, _entry_cut(0.10, n=400)), ai)
    assert states["raw_triggers"][6].to_list() == ["weakening"]
    assert _first(states, "weakening") == 6 + ai.rules.enter_weeks - 1
    assert states["outlook_state"][:8].to_list() == ["stable"] * 8
    assert "entry_share 0.2 vs 0.3" in states["detail"][10]


def test_the_same_shift_on_too_few_postings_does_not_fire(ai: RoleCard):
    for n in (25, 100):  # below min_n; above it but not distinguishable at z = 3
        states = _states(_weekly(14, _entry_cut(0.10, n=n)), ai)
        assert states["raw_triggers"].list.len().sum() == 0, n
        assert set(states["outlook_state"]) == {"stable"}


def test_a_significant_shift_smaller_than_the_threshold_does_not_fire(ai: RoleCard):
    states = _states(_weekly(14, _entry_cut(0.05, n=20_000)), ai)
    assert states["raw_triggers"].list.len().sum() == 0


def test_a_market_hovering_at_the_threshold_flaps_neither_in_nor_out(ai: RoleCard):
    hover = _states(_weekly(20, _entry_cut(0.10, n=400, alternate=True)), ai)
    assert hover["raw_triggers"].list.len().sum() > 0  # the condition is met every other week ...
    assert set(hover["outlook_state"]) == {"stable"}  # ... but never for long enough

    def in_then_hover(week: int) -> tuple[float, int]:
        if week < 6:
            return 0.30, 400
        if week < 10:
            return 0.20, 400  # a real cut: enters
        return (0.20 if week % 2 else 0.30), 400  # then hovers: must not leave

    series = {"entry_share": in_then_hover, "senior_volume_index": lambda _w: (100.0, 200)}
    states = _states(_weekly(20, series), ai)
    assert states["outlook_state"][8:].to_list() == ["weakening"] * 12


def test_weakening_needs_senior_volume_to_hold(ai: RoleCard):
    series = _entry_cut(0.10, n=400)
    series["senior_volume_index"] = lambda w: (100.0 if w < 6 else 60.0, 200)
    assert set(_states(_weekly(14, series), ai)["outlook_state"]) == {"stable"}


def _strengthening(week: int) -> dict[str, Callable[[int], tuple[float, int]]]:
    shifted = lambda w: w >= 6  # noqa: E731
    return {
        "production_share": lambda w: (0.62 if shifted(w) else 0.50, 400),
        "employer_top5_share": lambda w: (0.40 if shifted(w) else 0.52, 400),
        "distinct_employers": lambda w: (40.0, 400),
    }


def test_strengthening_needs_production_ownership_and_breadth(ai: RoleCard):
    states = _states(_weekly(14, _strengthening(6)), ai)
    assert _first(states, "strengthening") == 8
    narrow = _strengthening(6)
    narrow["employer_top5_share"] = lambda w: (0.52, 400)  # ownership rises, breadth does not
    assert set(_states(_weekly(14, narrow), ai)["outlook_state"]) == {"stable"}


def _mixed() -> dict[str, Callable[[int], tuple[float, int]]]:
    shifted = lambda w: w >= 6  # noqa: E731
    return {
        "routine_adaptation_index": lambda w: (40.0 if shifted(w) else 100.0, 40 if shifted(w) else 100),
        "routine_adaptation_share": lambda w: (0.20 if shifted(w) else 0.35, 200 if shifted(w) else 285),
        "research_share": lambda w: (0.28 if shifted(w) else 0.20, 200 if shifted(w) else 285),
        "research_index": lambda w: (100.0, 57),
    }


def test_mixed_review_when_research_holds_and_routine_work_compresses(ai: RoleCard):
    states = _states(_weekly(14, _mixed()), ai)
    assert _first(states, "mixed_review") == 8
    falling_research = _mixed()
    falling_research["research_index"] = lambda w: (100.0, 57) if w < 6 else (30.0, 17)
    assert set(_states(_weekly(14, falling_research), ai)["outlook_state"]) == {"stable"}


def test_contradicting_triggers_need_review_and_specific_triggers_win(ai: RoleCard):
    both = {**_entry_cut(0.10, n=400), **_strengthening(6)}
    states = _states(_weekly(14, both), ai)
    assert states["active_triggers"][10].to_list() == ["weakening", "strengthening"]
    assert states["outlook_state"][10] == "mixed_review"
    junior_and_routine = {**_entry_cut(0.10, n=400), **_mixed()}
    states = _states(_weekly(14, junior_and_routine), ai)
    assert states["active_triggers"][10].to_list() == ["weakening", "mixed_review"]
    assert states["outlook_state"][10] == "weakening"


def test_no_comparison_before_the_baseline_window_is_complete(ai: RoleCard):
    states = _states(_weekly(14, _entry_cut(0.25, n=400, at=1)), ai)
    assert states["raw_triggers"][: BASELINE_WEEK + 1].list.len().sum() == 0
    assert states["detail"][2].startswith("baseline window")


# ------------------------------------------------------------------ simulated posting markets
def _run(market: Market | Callable[[int], Market], weeks: int, seed: int, card: RoleCard) -> pl.DataFrame:
    signals = weekly_signals(simulate(weeks, seed, market), [card], end_of_week(weeks - 1))
    return _states(signals, card)


@pytest.mark.parametrize("seed", range(8))
def test_52_weeks_of_a_steady_market_never_raise_a_false_alarm(ai: RoleCard, seed: int):
    states = _run(Market(new_per_week=60), 52, seed, ai)
    assert states.height == 52
    assert states["active_triggers"].list.len().sum() == 0
    assert set(states["outlook_state"]) == {"stable"}


def _shifted(base: Market, at: int, **target: float) -> Callable[[int], Market]:
    """`base` until week `at`, then a three-week ramp to `target`."""

    def market(week: int) -> Market:
        f = min(max((week - at + 1) / 3, 0.0), 1.0)
        values = {k: getattr(base, k) + f * (v - getattr(base, k)) for k, v in target.items()}
        if "employers" in values:
            values["employers"] = round(values["employers"])
        return base.but(**values)

    return market


def _scenarios(per_week: float) -> dict[str, Callable[[int], Market]]:
    base = Market(new_per_week=per_week)
    entry_left = 0.30 * 0.3  # juniors cut by 70 %, everyone else hired as before
    total = 0.70 + entry_left
    return {
        "weakening": _shifted(
            base, 5, entry_share=entry_left / total, senior_share=0.30 / total, new_per_week=per_week * total
        ),
        "strengthening": _shifted(
            base, 5, entry_production=0.70, production=0.72, employers=70, concentration=0.5
        ),
        # routine work shrinks to 30 %; research postings hold their number
        "mixed_review": _shifted(
            base, 5, routine=0.35 * 0.3 / 0.76, research=0.15 / 0.76, new_per_week=per_week * 0.76
        ),
    }


@pytest.mark.parametrize("state", ["weakening", "strengthening", "mixed_review"])
def test_each_trigger_fires_on_a_simulated_shift_with_enough_postings(ai: RoleCard, state: str):
    for seed in range(3):
        states = _run(_scenarios(80)[state], 16, seed, ai)
        first = _first(states, state)
        assert first is not None and first <= 14, (seed, states["outlook_state"].to_list())
        assert set(states["outlook_state"][:first]) == {"stable"}


@pytest.mark.parametrize("state", ["weakening", "strengthening", "mixed_review"])
def test_the_same_simulated_shift_with_too_few_postings_does_not_fire(ai: RoleCard, state: str):
    for seed in range(3):
        states = _run(_scenarios(8)[state], 16, seed, ai)
        assert set(states["outlook_state"]) == {"stable"}, seed


def test_states_cover_every_week_and_role(cards: list[RoleCard]):
    postings = pl.concat(
        [simulate(6, 1), simulate(6, 2, role_id="data_scientist").with_columns(pl.col("posting_key") + "-ds")]
    )
    states = outlook_states(weekly_signals(postings, cards, end_of_week(5)), cards)
    assert states.group_by("role_id").len().sort("role_id")["len"].to_list() == [6, 6]
    assert states["week"].min() == date(2026, 1, 5)
