"""Warehouse reads and writes for alert detection and delivery.

Detection reads scores, states and source health up to a logical date and adds candidate alerts
to the outbox (marts.alerts) with insert-missing on the deterministic alert_id, so detecting the
same run twice adds nothing. Delivery reads the outbox, records each channel's outcome in
marts.alert_deliveries (one row per alert and channel, upserted) and keeps the alert's overall
delivery_status current.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import polars as pl

from warehouse.db import Warehouse

ALERTS = "marts.alerts"
DELIVERIES = "marts.alert_deliveries"


def read_role_scores(wh: Warehouse, until: date) -> pl.DataFrame:
    """Scores with as_of on or before `until`, oldest first per role."""
    return wh.query(
        "SELECT role_id, as_of, total, outlook_state, explanation FROM marts.role_scores "
        "WHERE as_of <= ? ORDER BY role_id, as_of",
        [until],
    )


def read_role_states(wh: Warehouse, until: date) -> pl.DataFrame:
    """Outlook states for weeks starting on or before `until`, oldest first per role."""
    return wh.query(
        "SELECT role_id, week, outlook_state, active_triggers, detail FROM marts.role_states "
        "WHERE week <= ? ORDER BY role_id, week",
        [until],
    )


def read_source_health(wh: Warehouse) -> pl.DataFrame:
    """Every board's health per run (run is text: filtering by date happens in the caller)."""
    return wh.query(
        "SELECT source, board, run, status, rows, error FROM marts.source_health ORDER BY source, board, run"
    )


def read_alerted_scores(wh: Warehouse) -> pl.DataFrame:
    """The score_change alerts already in the outbox: the reference for the next score change."""
    return wh.query(
        f"SELECT role_id, fired_at, new_value, alert_id FROM {ALERTS} "
        "WHERE kind = 'score_change' ORDER BY role_id, fired_at, alert_id"
    )


def insert_alerts(wh: Warehouse, alerts: pl.DataFrame) -> int:
    """Add the alerts whose id is not yet in the outbox, as pending; return how many were new."""
    if alerts.is_empty():
        return 0
    return wh.insert_missing(ALERTS, alerts.with_columns(delivery_status=pl.lit("pending")), ["alert_id"])


def read_undelivered(wh: Warehouse) -> pl.DataFrame:
    """Alerts not yet delivered on every channel, oldest first."""
    return wh.query(
        f"SELECT alert_id, role_id, fired_at, kind, old_value, new_value, message, delivery_status "
        f"FROM {ALERTS} WHERE delivery_status <> 'delivered' ORDER BY fired_at, alert_id"
    )


def read_deliveries(wh: Warehouse, alert_ids: Sequence[str]) -> pl.DataFrame:
    """The per-channel records of these alerts."""
    return wh.query(
        f"SELECT alert_id, channel, status, attempts FROM {DELIVERIES} WHERE list_contains(?, alert_id)",
        [list(alert_ids)],
    )


_DELIVERY_SCHEMA = {
    "alert_id": pl.String,
    "channel": pl.String,
    "status": pl.String,
    "attempts": pl.Int32,
    "last_attempt_at": pl.Datetime("us"),
    "error": pl.String,
}


def record_deliveries(wh: Warehouse, alert_id: str, outcomes: Sequence[dict], delivery_status: str) -> None:
    """Write one alert's channel outcomes and its overall status in one transaction.

    `outcomes` are marts.alert_deliveries rows for this alert (one per channel attempted, however
    many tries: attempts counts them). One commit per alert keeps the re-send window after a crash
    to the one alert in flight without paying a commit per channel.
    """
    with wh.transaction():
        if outcomes:
            wh.upsert(
                DELIVERIES, pl.DataFrame(list(outcomes), schema=_DELIVERY_SCHEMA), ["alert_id", "channel"]
            )
        wh.con.execute(
            f"UPDATE {ALERTS} SET delivery_status = ? WHERE alert_id = ?", [delivery_status, alert_id]
        )
