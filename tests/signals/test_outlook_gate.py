"""The expectations gate between the outlook transforms and the marts."""

from __future__ import annotations

import polars as pl

from laborwatch.outlook import _gate_marts, compute_outlook
from laborwatch.settings import Settings
from tests.signals.market import end_of_week
from tests.signals.test_outlook import _market, _stage
from transforms.role_card import RoleCard
from warehouse.db import Warehouse


def test_signals_and_scores_are_validated_before_they_are_written(
    warehouse: Warehouse, settings: Settings, cards: list[RoleCard]
) -> None:
    _stage(warehouse, _market(8), end_of_week(7))
    report = compute_outlook(settings, warehouse, cards, end_of_week(7))
    assert report.quarantined == []
    runs = warehouse.query("SELECT suite, success FROM validation_runs ORDER BY suite").rows()
    assert runs == [("role_scores", True), ("watch_signals", True)]


def test_a_mart_batch_that_fails_its_suite_is_held_with_a_health_row(
    warehouse: Warehouse, settings: Settings, cards: list[RoleCard]
) -> None:
    _stage(warehouse, _market(8), end_of_week(7))
    compute_outlook(settings, warehouse, cards, end_of_week(7))
    signals = warehouse.query("SELECT * FROM marts.watch_signals")
    scores = warehouse.query("SELECT * FROM marts.role_scores")
    broken = signals.with_columns(
        value=pl.when(pl.col("signal") == "entry_share").then(1.7).otherwise(pl.col("value"))
    )
    held = _gate_marts(warehouse, broken, scores, cards, dict.fromkeys(c.id for c in cards), end_of_week(8))
    assert len(held) == 1
    assert warehouse.query("SELECT suite FROM quarantine").rows() == [("watch_signals",)]
    health = warehouse.query("SELECT source, board, status FROM source_health").rows()
    assert health == [("outlook", "watch_signals", "quarantined")]
