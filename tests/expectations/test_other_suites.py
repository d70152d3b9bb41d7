"""BLS observations, projections, watch signals and role scores: good passes, each defect is named."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from expectations.gate import validate
from expectations.suites import component_maxima
from laborwatch.role_cards import DEFAULT_ROLES_DIR, load_role_cards
from tests.expectations.batches import (
    MAXIMA,
    bls_observations,
    projections,
    role_scores,
    set_cell,
    watch_signals,
)


# ------------------------------------------------------------------------------ BLS observations
def test_bls_good_batch_with_typed_gap_passes():
    outcome = validate("bls_observations", bls_observations())
    assert outcome.success, outcome.details


@pytest.mark.parametrize("period", ["M14", "Q06", "S04", "A02", "m01", "2025-04"])
def test_bls_unknown_period(period):
    outcome = validate("bls_observations", set_cell(bls_observations(), "period", 0, period))
    assert outcome.failed == ["period_code_known"]
    assert outcome.sample["period_code_known"] == [period]


@pytest.mark.parametrize("period", ["M13", "Q05", "S03", "A01"])
def test_bls_edge_periods_are_known(period):
    assert validate("bls_observations", set_cell(bls_observations(), "period", 0, period)).success


def test_bls_null_value_without_typed_gap():
    batch = set_cell(set_cell(bls_observations(), "value", 3, None), "value_text", 3, "n/a")
    outcome = validate("bls_observations", batch)
    assert outcome.failed == ["value_or_typed_gap"]
    assert outcome.sample["value_or_typed_gap"] == ["LNS14000000 2025 M04: value_text=n/a"]


def test_bls_null_value_with_footnote_is_a_typed_gap():
    batch = set_cell(set_cell(bls_observations(), "value", 3, None), "value_text", 3, None)
    batch = set_cell(batch, "footnote_codes", 3, "4")
    assert validate("bls_observations", batch).success


def test_bls_nan_value_is_not_a_number():
    batch = set_cell(bls_observations(), "value", 0, float("nan"))
    assert validate("bls_observations", batch).failed == ["value_or_typed_gap"]


def test_bls_text_value_is_not_numeric():
    batch = bls_observations().with_columns(pl.col("value").cast(pl.String))
    outcome = validate("bls_observations", batch)
    # The text column is set aside, so the rows without a typed gap also lack a number.
    assert outcome.failed == ["column_types_match", "value_or_typed_gap"]
    assert outcome.sample["column_types_match"] == ["value: String (expected Float64)"] * 4


def test_bls_duplicate_observation_of_same_vintage():
    batch = pl.concat([bls_observations(), bls_observations().head(1)])
    assert validate("bls_observations", batch).failed == ["no_duplicate_observation"]


def test_bls_same_observation_in_two_vintages_is_fine():
    later = bls_observations().head(1).with_columns(pl.col("retrieved_at") + dt.timedelta(days=30))
    assert validate("bls_observations", pl.concat([bls_observations(), later])).success


# ----------------------------------------------------------------------------------- projections
def test_projections_good_batch_passes():
    assert validate("projections", projections()).success


def test_projections_negative_employment():
    outcome = validate("projections", set_cell(projections(), "employment_base", 0, -5.0))
    assert "employment_base_non_negative" in outcome.failed


@pytest.mark.parametrize("percent", [-100.5, 1500.0])
def test_projections_percent_out_of_range(percent):
    outcome = validate("projections", set_cell(projections(), "change_percent", 0, percent))
    assert outcome.failed == ["change_percent_in_range"]


def test_projections_unit_mixup_breaks_change_consistency():
    batch = set_cell(projections(), "employment_projected", 0, 328.3)  # thousands, not jobs
    outcome = validate("projections", batch)
    assert "change_number_consistent" in outcome.failed


def test_projections_rounding_in_thousands_is_tolerated():
    # 245.9 + 82.5 = 328.4 thousand, published projected level 328.3: BLS rounding, not an error.
    assert validate("projections", projections()).success


def test_projections_duplicate_soc_and_bad_code():
    batch = set_cell(projections(), "soc_code", 1, "15-2051")
    assert validate("projections", batch).failed == ["edition_soc_code_unique"]
    assert validate("projections", set_cell(projections(), "soc_code", 1, "152051")).failed == [
        "soc_code_format"
    ]


# --------------------------------------------------------------------------------- watch signals
def test_watch_signals_good_batch_passes():
    assert validate("watch_signals", watch_signals()).success


def test_share_above_one():
    batch = set_cell(set_cell(watch_signals(), "value", 0, 1.2), "ci_high", 0, 1.3)
    outcome = validate("watch_signals", batch)
    assert outcome.failed == ["share_within_0_1"]
    assert outcome.sample["share_within_0_1"][0].startswith(
        "ai_ml_engineer 2025-05-05 entry_share: value=1.2"
    )


def test_non_share_signal_may_exceed_one():
    assert validate("watch_signals", set_cell(watch_signals(), "value", 2, 250.0)).success


def test_value_outside_its_interval():
    assert validate("watch_signals", set_cell(watch_signals(), "value", 0, 0.1)).failed == ["ci_low_le_value"]
    assert validate("watch_signals", set_cell(watch_signals(), "value", 1, 0.6)).failed == [
        "value_le_ci_high"
    ]


def test_negative_n_and_week_not_monday():
    assert validate("watch_signals", set_cell(watch_signals(), "n", 0, -1)).failed == ["n_non_negative"]
    tuesday = watch_signals().with_columns(pl.lit(dt.date(2025, 5, 6)).alias("week"))
    assert validate("watch_signals", tuesday).failed == ["week_is_monday"]


# ----------------------------------------------------------------------------------- role scores
def test_role_scores_good_batch_passes_with_the_shipped_cards():
    maxima = component_maxima(load_role_cards(DEFAULT_ROLES_DIR))
    assert validate("role_scores", role_scores(), maxima=maxima).success


def test_component_above_card_maximum():
    batch = set_cell(set_cell(role_scores(), "structural_moat", 0, 31.0), "total", 0, 66.0)
    outcome = validate("role_scores", batch, maxima=MAXIMA)
    assert outcome.failed == ["structural_moat_within_card_max"]
    assert outcome.sample["structural_moat_within_card_max"] == [
        "ai_ml_engineer 2025-05-05: structural_moat=31.0 card max=30.0"
    ]


def test_role_without_a_card_maximum_fails():
    batch = set_cell(role_scores(), "role_id", 1, "astronaut")
    outcome = validate("role_scores", batch, maxima=MAXIMA)
    assert "demand_within_card_max" in outcome.failed


def test_total_not_sum_of_components():
    outcome = validate("role_scores", set_cell(role_scores(), "total", 0, 53.0), maxima=MAXIMA)
    assert outcome.failed == ["total_is_sum_of_components"]


def test_total_outside_0_100():
    maxima = {r: {c: 80.0 for c in m} for r, m in MAXIMA.items()}
    batch = set_cell(set_cell(role_scores(), "demand", 0, 71.0), "total", 0, 102.0)
    assert validate("role_scores", batch, maxima=maxima).failed == ["total_within_0_100"]


def test_unknown_outlook_state():
    outcome = validate("role_scores", set_cell(role_scores(), "outlook_state", 0, "booming"), maxima=MAXIMA)
    assert outcome.failed == ["outlook_state_known"]


def test_role_scores_without_maxima_is_a_clear_error():
    with pytest.raises(ValueError, match="card maxima"):
        validate("role_scores", role_scores())
