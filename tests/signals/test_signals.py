"""Weekly watch signals on constructed postings: counts, shares, intervals, employers, BLS."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import polars as pl
import pytest

from tests.signals.market import START, Market, end_of_week, exact, simulate
from transforms.role_card import RoleCard
from transforms.signals import (
    SIGNALS,
    BlsInputs,
    baseline_weeks,
    bls_signals,
    watch_signals,
    weekly_counts,
    weekly_signals,
)


def _value(signals: pl.DataFrame, signal: str, week: date) -> dict:
    rows = signals.filter((pl.col("signal") == signal) & (pl.col("week") == week))
    assert rows.height == 1, f"{signal} {week}: {rows.height} rows"
    return rows.row(0, named=True)


def _posting(key: str, first: datetime, closed: datetime | None = None, **fields) -> dict:
    row = {
        "posting_key": key,
        "role_id": "ai_ml_engineer",
        "seniority": "mid",
        "tags": [],
        "production_ownership": False,
        "routine_only": False,
        "company_key": "acme",
        "first_seen": first,
        "closed_at": closed,
    }
    row.update(fields)
    return row


def _frame(rows: list[dict]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema_overrides={"tags": pl.List(pl.String), "closed_at": pl.Datetime("us")})


def test_open_postings_follow_the_indeed_method_and_match_a_day_by_day_count(ai: RoleCard):
    postings = simulate(10, seed=7, market=Market(new_per_week=40))
    as_of = end_of_week(9)
    signals = weekly_signals(postings, [ai], as_of)
    for week in (3, 9):
        monday = START + timedelta(weeks=week)
        days = [monday + timedelta(days=d) for d in range(7)]  # the 7 days ending Sunday

        def open_on(day: date, frame: pl.DataFrame = postings) -> int:
            first, closed = pl.col("first_seen").dt.date(), pl.col("closed_at")
            still_open = closed.is_null() | (closed > as_of) | (closed.dt.date() > day)
            return frame.filter((first <= day) & still_open).height

        expected = sum(open_on(d) for d in days) / 7
        got = _value(signals, "open_postings", monday)
        assert got["value"] == pytest.approx(expected)
        assert got["n"] == open_on(days[-1])


def test_the_volume_index_is_100_over_the_baseline_window(ai: RoleCard):
    signals = weekly_signals(exact(12), [ai], end_of_week(11))
    base = baseline_weeks(signals.select("role_id", "week"), [ai])
    # Baseline: the four full weeks after the first scrape (week 0 holds the open stock).
    assert base["baseline_week"][0] == START + timedelta(weeks=4)
    for week in range(12):
        assert _value(signals, "volume_index", START + timedelta(weeks=week))["value"] == pytest.approx(100)


def test_shares_carry_their_sample_size_and_a_wilson_interval(ai: RoleCard):
    signals = weekly_signals(exact(8), [ai], end_of_week(7))
    row = _value(signals, "entry_share", START + timedelta(weeks=6))
    # Trailing 4 weeks x 70 new postings, 3 in 10 of them intern or entry.
    assert (row["value"], row["n"]) == (pytest.approx(0.3), 280)
    assert row["ci_low"] == pytest.approx(0.24933, abs=1e-5) and row["ci_high"] == pytest.approx(
        0.35609, abs=1e-5
    )
    # The key watch: among the 84 entry postings, 1 in 3 asks for production ownership.
    row = _value(signals, "entry_production_share", START + timedelta(weeks=6))
    assert (row["value"], row["n"]) == (pytest.approx(1 / 3), 84)
    assert _value(signals, "entry_routine_only_share", START + timedelta(weeks=6))["value"] == pytest.approx(
        2 / 3
    )
    assert _value(signals, "production_share", START + timedelta(weeks=6))["value"] == pytest.approx(0.5)
    assert _value(signals, "new_postings", START + timedelta(weeks=6))["value"] == 70


def test_employer_breadth_and_concentration_over_the_window(ai: RoleCard):
    rows = [_posting(f"a{i}", datetime(2026, 1, 13, 9), company_key="big") for i in range(6)]
    rows += [_posting(f"b{i}", datetime(2026, 1, 14, 9), company_key=f"small-{i}") for i in range(6)]
    rows += [_posting("nobody", datetime(2026, 1, 14, 9), company_key=None)]
    signals = weekly_signals(_frame(rows), [ai], datetime(2026, 1, 18, 23))
    week = date(2026, 1, 12)
    assert _value(signals, "distinct_employers", week)["value"] == 7
    assert _value(signals, "employer_hhi", week)["value"] == pytest.approx((36 + 6) / 144)
    top5 = _value(signals, "employer_top5_share", week)
    assert (top5["value"], top5["n"]) == (pytest.approx(10 / 12), 12)  # unknown employers left out


def test_what_happens_after_as_of_is_not_seen(ai: RoleCard):
    rows = [
        _posting("early", datetime(2026, 1, 5, 9), closed=datetime(2026, 3, 1)),
        _posting("late", datetime(2026, 1, 21, 9)),
    ]
    as_of = datetime(2026, 1, 14, 12)  # a Wednesday: the week is partial
    signals = weekly_signals(_frame(rows), [ai], as_of)
    assert signals["week"].max() == date(2026, 1, 12)
    row = _value(signals, "open_postings", date(2026, 1, 12))
    assert row["n"] == 1  # still open as of the Wednesday, although it closed later


def test_counts_from_a_start_week_equal_the_full_counts_on_a_subset_of_postings(ai: RoleCard):
    postings = simulate(14, seed=3)
    as_of = end_of_week(13)
    windows = {ai.id: 4}
    full = weekly_counts(postings, as_of, windows)
    start = START + timedelta(weeks=9)
    needed = postings.filter(
        pl.col("closed_at").is_null()
        | (pl.col("closed_at") >= datetime.combine(start - timedelta(days=7), datetime.min.time()))
        | (pl.col("first_seen") >= datetime.combine(start - timedelta(weeks=4), datetime.min.time()))
    )
    assert needed.height < postings.height
    part = weekly_counts(
        needed,
        as_of,
        windows,
        start_weeks={ai.id: start},
        first_days={ai.id: postings["first_seen"].min().date()},
    )
    assert part["week"].min() == start
    assert part.equals(full.filter(pl.col("week") >= start))


def test_signals_are_derived_only_from_counts_and_cover_the_catalogue(ai: RoleCard):
    postings = simulate(10, seed=11)
    signals = watch_signals(weekly_counts(postings, end_of_week(9), {ai.id: 4}), [ai])
    posting_signals = {name for name in SIGNALS if not name.startswith(("bls_", "jolts_"))}
    assert set(signals["signal"].unique()) == posting_signals
    shares = signals.filter(pl.col("signal").str.ends_with("_share"))
    assert shares.filter(~pl.col("value").is_between(pl.col("ci_low"), pl.col("ci_high"))).is_empty()


def test_bls_signals_use_the_latest_period_that_ended_before_the_week(ai: RoleCard):
    weeks = pl.DataFrame(
        {"role_id": [ai.id] * 3, "week": [date(2026, 1, 5), date(2026, 3, 2), date(2026, 6, 1)]}
    )
    oe = "OEUN000000000000015205101"
    wage = "OEUN000000000000015205113"
    jolts = "JTS510000000000000JOL"
    observations = pl.DataFrame(
        {
            "series_id": [oe, oe, wage, wage, jolts, jolts, jolts],
            "year": [2024, 2025, 2024, 2025, 2025, 2026, 2026],
            "period": ["A01", "A01", "A01", "A01", "M12", "M01", "M04"],
            "value": [200_000.0, 233_440.0, 108_020.0, 112_590.0, 100.0, 90.0, 120.0],
        }
    )
    projections = pl.DataFrame(
        {
            "edition": ["2024-34"],
            "soc_code": ["15-2051"],
            "base_year": [2024],
            "change_percent": [33.5],
            "openings_annual": [23_400.0],
        }
    )
    series = pl.DataFrame({"series_id": [jolts], "role_ids": [[ai.id]]})
    out = bls_signals(weeks, [ai], BlsInputs(observations, series, projections))

    def at(signal: str, week: date) -> float:
        return out.filter((pl.col("signal") == signal) & (pl.col("week") == week))["value"][0]

    assert at("bls_employment", date(2026, 1, 5)) == 233_440.0
    assert at("bls_median_wage_yoy", date(2026, 1, 5)) == pytest.approx(112_590 / 108_020 - 1)
    assert at("bls_projected_growth_pct", date(2026, 3, 2)) == 33.5
    assert at("bls_projected_openings", date(2026, 3, 2)) == 23_400.0
    # JOLTS indexed to the level known at the role's baseline week (2026-02-02: January's 90) = 100.
    assert at("jolts_openings_index", date(2026, 1, 5)) == pytest.approx(100 * 100 / 90)
    assert at("jolts_openings_index", date(2026, 3, 2)) == pytest.approx(100.0)
    assert at("jolts_openings_index", date(2026, 6, 1)) == pytest.approx(100 * 120 / 90)


def test_without_bls_data_there_are_no_bls_signals(ai: RoleCard):
    weeks = pl.DataFrame({"role_id": [ai.id], "week": [date(2026, 1, 5)]})
    empty = pl.DataFrame(
        schema={"series_id": pl.String, "year": pl.Int64, "period": pl.String, "value": pl.Float64}
    )
    assert bls_signals(weeks, [ai], BlsInputs(observations=empty)).is_empty()
    assert bls_signals(weeks, [ai], BlsInputs()).is_empty()


def test_an_anchored_open_count_needs_no_posting_that_is_still_open(ai: RoleCard):
    postings = simulate(14, seed=9)
    as_of = end_of_week(13)
    windows = {ai.id: 4}
    full = weekly_counts(postings, as_of, windows)
    start = START + timedelta(weeks=10)
    before = full.filter(pl.col("week") == start - timedelta(weeks=1)).row(0, named=True)
    assert before["ref_day"] == start - timedelta(days=1)
    d0 = datetime.combine(start - timedelta(days=6), datetime.min.time())
    window = datetime.combine(start - timedelta(weeks=4), datetime.min.time())
    moving = postings.filter(
        (pl.col("first_seen") >= window) | ((pl.col("closed_at") >= d0) & (pl.col("closed_at") <= as_of))
    )
    still_open = postings.filter((pl.col("first_seen") < window) & (pl.col("closed_at") > as_of))
    assert still_open.height > 50 and moving.join(still_open, on="posting_key").is_empty()
    part = weekly_counts(
        moving,
        as_of,
        windows,
        start_weeks={ai.id: start},
        first_days={ai.id: postings["first_seen"].min().date()},
        open_before={ai.id: (before["open_ref"], before["senior_ref"])},
    )
    assert part.equals(full.filter(pl.col("week") >= start))
