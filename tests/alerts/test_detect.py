"""Detection on constructed scores, states and source health in a real temp warehouse."""

from __future__ import annotations

import datetime as dt

import pytest

from alerts.detect import detect_alerts
from tests.alerts.conftest import (
    alerts_table,
    insert_health,
    insert_scores,
    insert_states,
    make_card,
    week,
)
from warehouse.db import Warehouse

CARD = make_card()


def at(n: int) -> dt.datetime:
    """Mid-week of week n: a run's logical date."""
    return dt.datetime.combine(week(n), dt.time(9)) + dt.timedelta(days=2)


def score_alerts(wh: Warehouse) -> list[tuple[dt.date, str, str]]:
    rows = wh.query(
        "SELECT fired_at, old_value, new_value FROM marts.alerts WHERE kind = 'score_change' ORDER BY fired_at"
    )
    return [(r["fired_at"].date(), r["old_value"], r["new_value"]) for r in rows.to_dicts()]


# ------------------------------------------------------------------ score_change
def test_slow_drift_alerts_once_it_adds_up_to_the_threshold(warehouse: Warehouse) -> None:
    # Weekly steps below the 2-point threshold; the reference is the last alerted score, so the
    # drift alerts at 54 (from the 52 baseline) and again at 56 (from 54), never in between.
    insert_scores(warehouse, [52, 53, 53.9, 54.0, 55.0, 55.9, 56.5])
    assert detect_alerts(warehouse, [CARD], at(6)) == 2
    assert score_alerts(warehouse) == [(week(3), "52", "54"), (week(6), "54", "56.5")]


def test_wiggles_below_the_threshold_never_alert(warehouse: Warehouse) -> None:
    insert_scores(warehouse, [52, 53.9, 52.1, 53.95, 50.1, 51.5, 53.99, 52])
    assert detect_alerts(warehouse, [CARD], at(7)) == 0
    assert alerts_table(warehouse).is_empty()


def test_threshold_is_inclusive_and_floating_point_safe(warehouse: Warehouse) -> None:
    # 51.7 + 2.0 is 53.7 in decimal but not quite in binary: it must still count as reaching 2.0.
    insert_scores(warehouse, [51.7, 53.7])
    insert_scores(warehouse, [52, 53.99], role_id="data_scientist")
    cards = [CARD, make_card("data_scientist", "Data Scientist")]
    assert detect_alerts(warehouse, cards, at(1)) == 1
    assert score_alerts(warehouse) == [(week(1), "51.7", "53.7")]


def test_first_score_is_the_baseline_even_far_from_the_card(warehouse: Warehouse) -> None:
    insert_scores(warehouse, [60])
    assert detect_alerts(warehouse, [CARD], at(0)) == 0


def test_each_card_sets_its_own_threshold(warehouse: Warehouse) -> None:
    insert_scores(warehouse, [52, 55, 58])
    assert detect_alerts(warehouse, [make_card(threshold=5)], at(2)) == 1
    assert score_alerts(warehouse) == [(week(2), "52", "58")]


def test_falling_score_message_names_the_change_and_explanation(warehouse: Warehouse) -> None:
    insert_scores(warehouse, [52, 49.5], state="weakening")
    detect_alerts(warehouse, [CARD], at(1))
    alert = alerts_table(warehouse).row(0, named=True)
    assert alert["kind"] == "score_change" and alert["role_id"] == "ai_ml_engineer"
    assert alert["message"].startswith("AI/ML Engineer: outlook score fell from 52 to 49.5 (-2.5 points)")
    assert "Outlook state: weakening" in alert["message"]
    assert "entry_production_share moved automation_resistance by -2.5" in alert["message"]
    assert alert["delivery_status"] == "pending"


def test_reference_comes_from_alerts_already_in_the_outbox(warehouse: Warehouse) -> None:
    # Week by week, as the scheduler runs it: each run sees the alerts earlier runs recorded.
    totals = [52, 53, 54.2, 55, 56.2, 57, 58.3, 58.5]
    for n in range(len(totals)):
        insert_scores(warehouse, totals[: n + 1])
        detect_alerts(warehouse, [CARD], at(n))
    weekly = score_alerts(warehouse)
    assert weekly == [(week(2), "52", "54.2"), (week(4), "54.2", "56.2"), (week(6), "56.2", "58.3")]


def test_week_by_week_replay_equals_one_detection_at_the_end(tmp_path) -> None:
    totals = [52, 50.5, 49.9, 52, 54.1, 54.4, 51.8, 52.2, 56]
    states = [("stable", [])] * 3 + [("strengthening", ["strengthening"])] * 4 + [("stable", [])] * 2
    tables = []
    for name, replay in (("weekly", True), ("once", False)):
        with Warehouse.open(tmp_path / f"{name}.duckdb") as wh:
            insert_scores(wh, totals)
            insert_states(wh, states)
            for n in range(len(totals)) if replay else [len(totals) - 1]:
                detect_alerts(wh, [CARD], at(n))
            tables.append(alerts_table(wh))
    assert tables[0]["kind"].value_counts(sort=True).rows() == [
        ("score_change", 5),  # at 49.9, 52, 54.1, 51.8 and 56
        ("outlook_change", 2),
        ("trigger", 1),
    ]
    assert tables[0].equals(tables[1])


def test_rerunning_the_same_as_of_never_duplicates(warehouse: Warehouse) -> None:
    insert_scores(warehouse, [52, 54.5, 57])
    insert_states(warehouse, [("stable", []), ("strengthening", ["strengthening"])])
    insert_health(warehouse, [("greenhouse", "acme", week(2).isoformat(), "parse_error", 0, "bad JSON")])
    first = detect_alerts(warehouse, [CARD], at(2))
    assert first == 5
    before = alerts_table(warehouse)
    for _ in range(3):
        assert detect_alerts(warehouse, [CARD], at(2)) == 0
    assert detect_alerts(warehouse, [CARD], at(1)) == 0  # replaying an earlier week finds the same ids
    assert alerts_table(warehouse).equals(before)


def test_a_recomputed_week_is_alerted_once_with_its_first_value(warehouse: Warehouse) -> None:
    insert_scores(warehouse, [52, 54.5])
    insert_states(warehouse, [("stable", []), ("strengthening", ["strengthening"])])
    assert detect_alerts(warehouse, [CARD], at(1)) == 3
    # A later run revises week 1 (late postings): the week was already alerted, so nothing new fires.
    insert_scores(warehouse, [52, 54.6])
    insert_states(warehouse, [("stable", []), ("weakening", ["weakening"])])
    assert detect_alerts(warehouse, [CARD], at(2)) == 1  # only the newly active trigger
    assert score_alerts(warehouse) == [(week(1), "52", "54.5")]
    kinds = warehouse.query("SELECT kind, new_value FROM marts.alerts ORDER BY kind, new_value").rows()
    assert kinds == [
        ("outlook_change", "strengthening"),
        ("score_change", "54.5"),
        ("trigger", "strengthening"),
        ("trigger", "weakening"),
    ]


def test_fired_at_is_the_logical_date_and_later_rows_wait(warehouse: Warehouse) -> None:
    insert_scores(warehouse, [52, 55, 59])
    assert detect_alerts(warehouse, [CARD], at(1)) == 1
    assert alerts_table(warehouse)["fired_at"].to_list() == [dt.datetime.combine(week(1), dt.time())]
    assert detect_alerts(warehouse, [CARD], dt.datetime.combine(week(2), dt.time(), dt.UTC)) == 1


def test_roles_without_a_card_are_not_watched(warehouse: Warehouse) -> None:
    insert_scores(warehouse, [52, 60], role_id="retired_role")
    assert detect_alerts(warehouse, [CARD], at(1)) == 0


# ------------------------------------------------------------- outlook and triggers
def test_outlook_change_carries_both_states_and_the_score_explanation(warehouse: Warehouse) -> None:
    insert_scores(warehouse, [52, 52.5, 53])
    insert_states(warehouse, [("stable", []), ("stable", []), ("strengthening", ["strengthening"])])
    detect_alerts(warehouse, [CARD], at(2))
    outlook = alerts_table(warehouse).filter(kind="outlook_change").row(0, named=True)
    assert (outlook["old_value"], outlook["new_value"]) == ("stable", "strengthening")
    assert outlook["fired_at"] == dt.datetime.combine(week(2), dt.time())
    assert outlook["message"].startswith(
        "AI/ML Engineer: outlook changed from stable to strengthening in the week of 2026-01-19"
    )
    assert "Active triggers: strengthening" in outlook["message"]
    assert "Score: 53 as of 2026-01-19. Why: entry_production_share" in outlook["message"]


def test_trigger_alerts_when_it_becomes_active_not_while_it_stays(warehouse: Warehouse) -> None:
    card = make_card(triggers={"weakening": {"description": "Junior modeling roles cut, seniors kept."}})
    insert_states(
        warehouse,
        [
            ("stable", []),
            ("weakening", ["weakening"]),
            ("weakening", ["weakening"]),
            ("mixed_review", ["weakening", "mixed_review"]),
            ("stable", []),
            ("weakening", ["weakening"]),
        ],
    )
    detect_alerts(warehouse, [card], at(5))
    triggers = alerts_table(warehouse).filter(kind="trigger")
    assert [(r["fired_at"].date(), r["new_value"]) for r in triggers.to_dicts()] == [
        (week(1), "weakening"),
        (week(3), "mixed_review"),
        (week(5), "weakening"),
    ]
    assert "Junior modeling roles cut, seniors kept." in triggers["message"][0]
    outlook = alerts_table(warehouse).filter(kind="outlook_change")
    assert outlook.select("old_value", "new_value").rows() == [
        ("stable", "weakening"),
        ("weakening", "mixed_review"),
        ("mixed_review", "stable"),
        ("stable", "weakening"),
    ]


def test_first_week_of_states_is_the_baseline(warehouse: Warehouse) -> None:
    insert_states(warehouse, [("strengthening", ["strengthening"])])
    assert detect_alerts(warehouse, [CARD], at(0)) == 0


# ------------------------------------------------------------------ source health
@pytest.mark.parametrize("status", ["parse_error", "dropped_to_zero", "fetch_error", "quarantined"])
def test_unhealthy_board_alerts(warehouse: Warehouse, status: str) -> None:
    insert_health(
        warehouse,
        [
            ("greenhouse", "acme", "2026-01-05", "ok", 41, None),
            ("greenhouse", "acme", "2026-01-12", status, 0, "Expecting value: line 1 column 1"),
            ("lever", "initech", "2026-01-12", "ok", 12, None),
        ],
    )
    assert detect_alerts(warehouse, [], dt.datetime(2026, 1, 12, 6)) == 1
    alert = alerts_table(warehouse).row(0, named=True)
    assert alert["kind"] == "source_health" and alert["role_id"] is None
    assert (alert["old_value"], alert["new_value"]) == ("ok", status)
    assert alert["fired_at"] == dt.datetime(2026, 1, 12)
    assert "greenhouse board 'acme'" in alert["message"] and "run 2026-01-12" in alert["message"]
    assert "Error: Expecting value: line 1 column 1" in alert["message"]


def test_empty_alerts_only_after_the_board_had_rows(warehouse: Warehouse) -> None:
    insert_health(
        warehouse,
        [
            ("lever", "quiet", "2026-01-05", "empty", 0, None),
            ("lever", "quiet", "2026-01-12", "empty", 0, None),
            ("ashby", "shrinking", "2026-01-05", "ok", 5, None),
            ("ashby", "shrinking", "2026-01-12", "empty", 0, None),
        ],
    )
    detect_alerts(warehouse, [], dt.datetime(2026, 1, 13))
    assert alerts_table(warehouse).select("new_value", "message").rows() == [
        (
            "empty",
            "Source health: ashby board 'shrinking' returned no postings although it had some before "
            "in run 2026-01-12\nStatus: empty; rows: 0; previous run: ok",
        )
    ]


def test_one_health_alert_per_board_and_run_and_none_for_future_runs(warehouse: Warehouse) -> None:
    insert_health(warehouse, [("greenhouse", "acme", "2026-01-12", "fetch_error", 0, "HTTP 503")])
    assert detect_alerts(warehouse, [], dt.datetime(2026, 1, 12)) == 1
    # The same run repeated fails differently: still one alert for that board and run.
    insert_health(warehouse, [("greenhouse", "acme", "2026-01-12", "parse_error", 0, "bad JSON")])
    assert detect_alerts(warehouse, [], dt.datetime(2026, 1, 12)) == 0
    insert_health(warehouse, [("greenhouse", "acme", "2026-01-19", "parse_error", 0, "bad JSON")])
    assert detect_alerts(warehouse, [], dt.datetime(2026, 1, 12)) == 0  # not yet: run is after as_of
    assert detect_alerts(warehouse, [], dt.datetime(2026, 1, 19)) == 1


def test_run_that_is_not_an_iso_date_fires_at_the_detection_date(warehouse: Warehouse) -> None:
    insert_health(warehouse, [("themuse", "site", "manual-backfill-3", "parse_error", 0, "HTML, not JSON")])
    assert detect_alerts(warehouse, [], dt.datetime(2026, 1, 12, 6, tzinfo=dt.UTC)) == 1
    assert alerts_table(warehouse)["fired_at"].to_list() == [dt.datetime(2026, 1, 12, 6)]
    # The id rests on the run, not on the detection date: a later run adds nothing.
    assert detect_alerts(warehouse, [], dt.datetime(2026, 1, 19)) == 0
