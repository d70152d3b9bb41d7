"""`laborwatch alerts`: listing from the warehouse and from the read-only analyst snapshot."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from alerts.detect import detect_alerts
from laborwatch import pipeline
from laborwatch.alerts_cmd import list_alerts
from laborwatch.settings import Settings, load_settings
from tests.alerts.conftest import insert_health, insert_scores, insert_states, make_card, week
from warehouse.db import Warehouse
from warehouse.snapshot import open_read_only, publish_snapshot


def fill(wh: Warehouse) -> None:
    insert_scores(wh, [52, 55, 55.5, 58])
    insert_states(wh, [("stable", []), ("stable", []), ("strengthening", ["strengthening"])])
    insert_health(wh, [("lever", "initech", week(3).isoformat(), "dropped_to_zero", 0, None)])
    assert detect_alerts(wh, [make_card()], dt.datetime.combine(week(3), dt.time())) == 5


def test_list_alerts_newest_first_with_since(warehouse: Warehouse) -> None:
    fill(warehouse)
    every = list_alerts(warehouse, None)
    assert every.columns == [
        "alert_id",
        "role_id",
        "fired_at",
        "kind",
        "old_value",
        "new_value",
        "message",
        "delivery_status",
    ]
    assert every["fired_at"].is_sorted(descending=True)
    assert every.height == 5
    recent = list_alerts(warehouse, week(2))
    assert sorted(recent["kind"].to_list()) == ["outlook_change", "score_change", "source_health", "trigger"]
    assert list_alerts(warehouse, week(4)).is_empty()


def test_list_alerts_reads_the_read_only_snapshot(warehouse: Warehouse, tmp_path: Path) -> None:
    fill(warehouse)
    snapshot = publish_snapshot(warehouse, tmp_path / "snapshot" / "analyst.duckdb")
    con = open_read_only(snapshot)
    try:
        listed = list_alerts(con, week(3))
        deliveries = con.execute("SELECT count(*) FROM alert_deliveries").fetchone()[0]
    finally:
        con.close()
    assert listed.select("kind", "delivery_status").sort("kind").rows() == [
        ("score_change", "pending"),
        ("source_health", "pending"),
    ]
    assert deliveries == 0


def test_alert_settings_from_the_config_file(tmp_path: Path) -> None:
    config = tmp_path / "laborwatch.toml"
    config.write_text(
        "[alerts]\n"
        'channels = ["log", "smtp"]\n'
        'smtp_host = "mail.example.org"\n'
        "smtp_port = 587\n"
        "smtp_starttls = true\n"
        'smtp_to = ["analysts@example.org"]\n'
        "timeout_seconds = 5\n"
        "max_consecutive_failures = 1\n"
    )
    alerts = load_settings(config).alerts
    assert (alerts.channels, alerts.smtp_port, alerts.timeout_seconds, alerts.max_consecutive_failures) == (
        ["log", "smtp"],
        587,
        5,
        1,
    )
    defaults = load_settings(None).alerts
    assert (defaults.channels, defaults.timeout_seconds, defaults.max_consecutive_failures) == (
        ["log", "file"],
        10.0,
        3,
    )


def test_pipeline_step_detects_then_delivers_to_the_default_channels(settings: Settings) -> None:
    with Warehouse.open(settings.warehouse_path, settings.data_dir) as wh:
        insert_scores(wh, [52, 54.5])
    as_of = dt.datetime.combine(week(1), dt.time(12)).isoformat()
    first = pipeline.fire_alerts(settings, as_of)
    again = pipeline.fire_alerts(settings, as_of)
    assert (first["new_alerts"], first["delivered"], again["new_alerts"], again["pending"]) == (1, 1, 0, 0)
    json.dumps(first)  # a summary Airflow can pass through XCom
    lines = settings.alerts_file.read_text().splitlines()
    assert [json.loads(line)["new_value"] for line in lines] == ["54.5"]
