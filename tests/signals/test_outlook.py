"""compute_outlook on a real DuckDB warehouse: incremental equals full, idempotent, BLS optional."""

from __future__ import annotations

import tomllib
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path

import polars as pl
import pytest

from laborwatch.outlook import compute_outlook
from laborwatch.settings import Settings
from tests.signals.market import START, Market, end_of_week, simulate
from transforms.role_card import RoleCard, parse_role_card
from warehouse.db import Warehouse

MARTS = ("marts.watch_signals", "marts.role_states", "marts.role_scores", "marts.outlook_counts")


def _market(weeks: int = 14) -> pl.DataFrame:
    """Both roles; AI/ML postings shift towards production ownership and more employers from week 6."""
    base = Market(new_per_week=50)
    shifted = base.but(entry_production=0.75, production=0.75, employers=70, concentration=0.5)
    ai = simulate(weeks, 5, lambda w: base if w < 6 else shifted)
    ds = simulate(weeks, 6, Market(new_per_week=25), role_id="data_scientist")
    return pl.concat([ai, ds.with_columns(pl.col("posting_key") + "-ds")])


def _stage(wh: Warehouse, postings: pl.DataFrame, as_of: datetime) -> None:
    """What the loader would hold at `as_of`: postings seen so far, closings known so far."""
    seen = postings.filter(pl.col("first_seen") <= as_of).with_columns(
        closed_at=pl.when(pl.col("closed_at") <= as_of).then(pl.col("closed_at")),
        source=pl.lit("greenhouse"),
        source_id=pl.col("posting_key"),
        board=pl.lit("demo"),
        last_seen=pl.lit(as_of),
    )
    wh.upsert("staging.postings", seen, ["posting_key"])


def _tables(wh: Warehouse) -> dict[str, pl.DataFrame]:
    return {t: wh.query(f"SELECT * FROM {t} ORDER BY ALL") for t in MARTS}


def _assert_same(a: dict[str, pl.DataFrame], b: dict[str, pl.DataFrame]) -> None:
    for table in MARTS:
        assert a[table].height > 0, table
        assert a[table].equals(b[table]), table


def test_week_by_week_incremental_equals_a_full_recompute(
    warehouse: Warehouse, settings: Settings, cards: list[RoleCard], tmp_path: Path
):
    postings = _market()
    reports = []
    for week in range(14):
        as_of = end_of_week(week)
        _stage(warehouse, postings, as_of)
        if week == 9:  # a backfill: old postings reclassified, one removed, one closed early
            old = warehouse.query(
                "SELECT posting_key FROM staging.postings WHERE role_id = 'ai_ml_engineer' "
                "AND first_seen < ? ORDER BY posting_key LIMIT 40",
                [datetime(2026, 2, 20)],
            )["posting_key"].to_list()
            warehouse.con.execute(
                "UPDATE staging.postings SET seniority = 'entry' WHERE list_contains(?, posting_key)",
                [old[:30]],
            )
            warehouse.con.execute("DELETE FROM staging.postings WHERE posting_key = ?", [old[30]])
            warehouse.con.execute(
                "UPDATE staging.postings SET closed_at = ? WHERE posting_key = ?",
                [datetime(2026, 2, 25), old[31]],
            )
        reports.append(compute_outlook(settings, warehouse, cards, as_of))
    assert reports[0].recomputed == {"ai_ml_engineer": "all", "data_scientist": "all"}
    assert reports[5].recomputed["ai_ml_engineer"] == (START + timedelta(weeks=4)).isoformat()
    assert reports[9].touched["ai_ml_engineer"] < (START + timedelta(weeks=8)).isoformat()
    assert reports[-1].states["ai_ml_engineer"] == "strengthening"
    incremental = _tables(warehouse)

    compute_outlook(settings, warehouse, cards, end_of_week(13), full=True)
    _assert_same(incremental, _tables(warehouse))
    with Warehouse.open(tmp_path / "fresh.duckdb", tmp_path / "fresh") as fresh:
        fresh.upsert("staging.postings", warehouse.query("SELECT * FROM staging.postings"), ["posting_key"])
        compute_outlook(settings, fresh, cards, end_of_week(13))
        _assert_same(incremental, _tables(fresh))


def test_running_twice_for_the_same_as_of_changes_nothing(
    warehouse: Warehouse, settings: Settings, cards: list[RoleCard]
):
    postings = _market(8)
    _stage(warehouse, postings, end_of_week(7))
    first = compute_outlook(settings, warehouse, cards, end_of_week(7))
    before = _tables(warehouse)
    again = compute_outlook(settings, warehouse, cards, end_of_week(7))
    _assert_same(before, _tables(warehouse))
    assert first.recomputed["ai_ml_engineer"] == "all"
    assert again.recomputed["ai_ml_engineer"] == (START + timedelta(weeks=7)).isoformat()
    assert again.touched == {}


def test_a_changed_card_or_an_earlier_as_of_recomputes_everything(
    warehouse: Warehouse, settings: Settings, cards: list[RoleCard]
):
    postings = _market(10)
    _stage(warehouse, postings, end_of_week(9))
    compute_outlook(settings, warehouse, cards, end_of_week(9))
    stricter = [replace(c, states={**c.states, "z": 4.0}) if c.id == "ai_ml_engineer" else c for c in cards]
    report = compute_outlook(settings, warehouse, stricter, end_of_week(9))
    assert report.recomputed == {
        "ai_ml_engineer": "all",
        "data_scientist": (START + timedelta(weeks=9)).isoformat(),
    }

    report = compute_outlook(settings, warehouse, stricter, end_of_week(5))
    assert report.recomputed == {"ai_ml_engineer": "all", "data_scientist": "all"}
    weeks = warehouse.query("SELECT DISTINCT week FROM marts.watch_signals")["week"]
    assert weeks.max() == START + timedelta(weeks=5)


def _bls(wh: Warehouse, jolts_value: float) -> None:
    retrieved = datetime(2026, 1, 2)
    rows = pl.DataFrame(
        {
            "series_id": ["OEUN000000000000015205101", "OEUN000000000000015205113", "JTS510000000000000JOL"],
            "year": [2025, 2025, 2025],
            "period": ["A01", "A01", "M11"],
            "value": [233_440.0, 112_590.0, jolts_value],
            "value_text": ["233440", "112590", str(jolts_value)],
            "source": ["api", "api", "api"],
            "retrieved_at": [retrieved] * 3,
        }
    )
    wh.upsert("raw.bls_observations", rows, ["series_id", "year", "period", "retrieved_at"])
    wh.upsert(
        "staging.projections",
        pl.DataFrame(
            {
                "edition": ["2024-34"],
                "soc_code": ["15-2051"],
                "base_year": [2024],
                "projected_year": [2034],
                "change_percent": [33.5],
                "openings_annual": [23_400.0],
                "retrieved_at": [retrieved],
            }
        ),
        ["edition", "soc_code"],
    )


def test_bls_signals_appear_when_bls_data_is_loaded_and_a_change_rewrites_the_history(
    warehouse: Warehouse, settings: Settings, cards: list[RoleCard]
):
    postings = _market(8)
    _stage(warehouse, postings, end_of_week(7))
    compute_outlook(settings, warehouse, cards, end_of_week(7))
    assert warehouse.scalar("SELECT count(*) FROM marts.watch_signals WHERE signal LIKE 'bls_%'") == 0

    _bls(warehouse, 1000.0)
    compute_outlook(settings, warehouse, cards, end_of_week(7))
    got = warehouse.query(
        "SELECT signal, value FROM marts.watch_signals WHERE role_id = 'ai_ml_engineer' AND week = ? "
        "AND (signal LIKE 'bls_%' OR signal LIKE 'jolts_%') ORDER BY signal",
        [START],
    )
    assert dict(got.iter_rows()) == {
        "bls_employment": 233_440.0,
        "bls_median_wage": 112_590.0,
        "bls_projected_growth_pct": 33.5,
        "bls_projected_openings": 23_400.0,
        "jolts_openings_index": 100.0,
    }
    before = _tables(warehouse)
    compute_outlook(settings, warehouse, cards, end_of_week(7), full=True)
    _assert_same(before, _tables(warehouse))


def test_a_role_card_without_postings_gets_no_rows(
    warehouse: Warehouse, settings: Settings, cards: list[RoleCard]
):
    data = tomllib.loads((Path(cards[0].origin)).read_text(encoding="utf-8"))
    data["id"] = "quantum_whisperer"
    extra = parse_role_card(data, "quantum_whisperer.toml")
    _stage(warehouse, _market(6), end_of_week(5))
    report = compute_outlook(settings, warehouse, [*cards, extra], end_of_week(5))
    assert "quantum_whisperer" not in report.states
    assert warehouse.scalar("SELECT count(*) FROM marts.role_scores WHERE role_id = 'quantum_whisperer'") == 0


@pytest.mark.parametrize("role", ["ai_ml_engineer", "data_scientist"])
def test_scores_rows_match_states_rows(
    warehouse: Warehouse, settings: Settings, cards: list[RoleCard], role: str
):
    _stage(warehouse, _market(8), end_of_week(7))
    compute_outlook(settings, warehouse, cards, end_of_week(7))
    joined = warehouse.query(
        "SELECT s.week, s.outlook_state, r.outlook_state AS score_state, r.total FROM marts.role_states s "
        "JOIN marts.role_scores r ON r.role_id = s.role_id AND r.as_of = s.week WHERE s.role_id = ?",
        [role],
    )
    assert joined.height == 8
    assert joined.filter(pl.col("outlook_state") != pl.col("score_state")).is_empty()
