"""Delivery against a real local webhook server and a real local SMTP server (aiosmtpd)."""

from __future__ import annotations

import datetime as dt
import json
import logging
from pathlib import Path

import pytest

from alerts.channels import ALERT_LOGGER, AlertConfigError
from alerts.delivery import deliver_pending
from alerts.detect import detect_alerts
from laborwatch.settings import ENV_SMTP_PASSWORD, ENV_WEBHOOK_URL, AlertSettings
from tests.alerts.conftest import SmtpServer, free_port, insert_health, insert_scores, make_card, week
from tests.local_http import LocalServer, Response
from warehouse.db import Warehouse

HOOK_PATH = "/services/T0LABOR/B0WATCH/xoxb-s3cr3t-t0ken-4b9f"
TOKEN = "xoxb-s3cr3t-t0ken-4b9f"
PASSWORD = "pa55-w0rd-never-logged"


def two_alerts(wh: Warehouse) -> list[str]:
    """A score change and a source health alert in the outbox, oldest first."""
    insert_scores(wh, [52, 55])
    insert_health(wh, [("greenhouse", "acme", week(2).isoformat(), "parse_error", 0, "bad JSON")])
    assert detect_alerts(wh, [make_card()], dt.datetime.combine(week(2), dt.time())) == 2
    return wh.query("SELECT alert_id FROM marts.alerts ORDER BY fired_at")["alert_id"].to_list()


def deliveries(wh: Warehouse) -> dict[tuple[str, str], tuple[str, int, str | None]]:
    rows = wh.query("SELECT * FROM marts.alert_deliveries").to_dicts()
    return {(r["alert_id"], r["channel"]): (r["status"], r["attempts"], r["error"]) for r in rows}


def statuses(wh: Warehouse) -> list[str]:
    return wh.query("SELECT delivery_status FROM alerts ORDER BY fired_at")["delivery_status"].to_list()


def file_ids(path: Path) -> list[str]:
    return [json.loads(line)["alert_id"] for line in path.read_text().splitlines()]


def smtp_settings(server: SmtpServer, **extra) -> AlertSettings:
    return AlertSettings(
        channels=["smtp"],
        smtp_host=server.host,
        smtp_port=server.port,
        smtp_to=["analyst@example.org"],
        **extra,
    )


def test_every_channel_delivers_once_and_a_failed_webhook_is_retried(
    warehouse: Warehouse,
    http_server: LocalServer,
    smtp_factory,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO)
    http_server.route(HOOK_PATH, [Response(500, "upstream busy"), Response(200, "ok")])
    monkeypatch.setenv(ENV_WEBHOOK_URL, http_server.url + HOOK_PATH)
    smtp = smtp_factory()
    settings = AlertSettings(
        channels=["log", "file", "webhook", "smtp"],
        smtp_host=smtp.host,
        smtp_port=smtp.port,
        smtp_to=["analyst@example.org"],
    )
    alerts_file = tmp_path / "alerts.jsonl"
    first, second = two_alerts(warehouse)

    report = deliver_pending(warehouse, settings, alerts_file)
    assert (report.pending, report.delivered, report.failed) == (2, 1, 1)
    assert report.failures == {"webhook": 1}
    assert statuses(warehouse) == ["failed", "delivered"]
    status, attempts, error = deliveries(warehouse)[(first, "webhook")]
    assert (status, attempts) == ("failed", 1)
    assert "HTTP 500: upstream busy" in error

    report = deliver_pending(warehouse, settings, alerts_file)
    assert (report.pending, report.delivered, report.failed) == (1, 1, 0)
    assert report.attempts == {"webhook": 1}  # only what failed is sent again
    assert statuses(warehouse) == ["delivered", "delivered"]
    assert deliveries(warehouse)[(first, "webhook")] == ("delivered", 2, None)
    assert all(
        attempts == 1 for key, (_, attempts, _) in deliveries(warehouse).items() if key[1] != "webhook"
    )

    report = deliver_pending(warehouse, settings, alerts_file)
    assert (report.pending, report.attempts) == (0, {})

    # Delivered once per channel and recorded once, however many runs.
    assert len(deliveries(warehouse)) == 8
    assert file_ids(alerts_file) == [first, second]
    posts = [json.loads(r.body) for r in http_server.requests]
    messages = warehouse.query("SELECT message FROM marts.alerts ORDER BY fired_at")["message"].to_list()
    assert posts == [{"text": messages[0]}, {"text": messages[1]}, {"text": messages[0]}]
    assert all(
        r.method == "POST" and r.headers["Content-Type"] == "application/json" for r in http_server.requests
    )
    assert [m["Message-ID"] for m in smtp.inbox.messages] == [
        f"<{first}@laborwatch>",
        f"<{second}@laborwatch>",
    ]
    assert smtp.inbox.messages[0]["Subject"].startswith("[laborwatch] AI/ML Engineer: outlook score rose")
    assert smtp.inbox.messages[0]["To"] == "analyst@example.org"
    assert messages[0] in smtp.inbox.messages[0].get_payload(decode=True).decode().replace("\r\n", "\n")
    logged = [r for r in caplog.records if r.name == ALERT_LOGGER]
    assert len(logged) == 2 and logged[0].levelno == logging.WARNING
    assert messages[0] in logged[0].getMessage()


def test_refused_email_is_retried_on_the_next_run(warehouse: Warehouse, smtp_factory, tmp_path: Path) -> None:
    smtp = smtp_factory(refuse=1)
    first, second = two_alerts(warehouse)
    report = deliver_pending(warehouse, smtp_settings(smtp), tmp_path / "alerts.jsonl")
    assert report.failures == {"smtp": 1}
    status, attempts, error = deliveries(warehouse)[(first, "smtp")]
    assert (status, attempts) == ("failed", 1) and "451" in error and "Mailbox busy" in error
    deliver_pending(warehouse, smtp_settings(smtp), tmp_path / "alerts.jsonl")
    assert deliveries(warehouse)[(first, "smtp")] == ("delivered", 2, None)
    assert deliveries(warehouse)[(second, "smtp")] == ("delivered", 1, None)
    assert sorted(m["Message-ID"] for m in smtp.inbox.messages) == sorted(
        [f"<{first}@laborwatch>", f"<{second}@laborwatch>"]
    )


def test_starttls_and_login_with_the_password_from_the_environment(
    warehouse: Warehouse, smtp_factory, tls_server_context, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    smtp = smtp_factory(auth=("laborwatch", PASSWORD), tls_context=tls_server_context)
    settings = smtp_settings(smtp, smtp_user="laborwatch", smtp_starttls=True)
    two_alerts(warehouse)

    report = deliver_pending(warehouse, settings, tmp_path / "alerts.jsonl")
    assert report.failed == 2  # no password in the environment: a clear error, no login attempt
    assert {e for (_, _, e) in deliveries(warehouse).values()} == {
        "ChannelError: smtp_user is set but LABORWATCH_SMTP_PASSWORD is not"
    }
    assert smtp.inbox.logins == []

    monkeypatch.setenv(ENV_SMTP_PASSWORD, PASSWORD)
    report = deliver_pending(warehouse, settings, tmp_path / "alerts.jsonl")
    assert (report.delivered, report.failed) == (2, 0)
    assert smtp.inbox.logins == [("laborwatch", PASSWORD)] * 2
    assert len(smtp.inbox.messages) == 2


def test_starttls_fails_closed_on_an_untrusted_certificate(
    warehouse: Warehouse, smtp_factory, tls_server_context, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SSL_CERT_FILE")
    smtp = smtp_factory(tls_context=tls_server_context)
    two_alerts(warehouse)
    deliver_pending(warehouse, smtp_settings(smtp, smtp_starttls=True), tmp_path / "alerts.jsonl")
    assert all("CERTIFICATE_VERIFY_FAILED" in e for (_, _, e) in deliveries(warehouse).values())
    assert smtp.inbox.messages == []


def _all_text_in_warehouse(wh: Warehouse) -> str:
    """Every VARCHAR value of every table, so a secret stored anywhere would be found."""
    columns = wh.query(
        "SELECT table_schema, table_name, column_name FROM information_schema.columns "
        "WHERE data_type = 'VARCHAR' AND table_catalog = current_database()"
    ).rows()
    return "\n".join(
        str(v)
        for schema, table, column in columns
        for (v,) in wh.con.execute(f'SELECT "{column}" FROM "{schema}"."{table}"').fetchall()
    )


def test_secrets_never_reach_logs_warehouse_or_file(
    warehouse: Warehouse,
    http_server: LocalServer,
    smtp_factory,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    # A hostile webhook echoes the secret path in its error; the SMTP server rejects the login.
    http_server.route(HOOK_PATH, lambda request: Response(404, f"no_service: no hook at {request.path}"))
    monkeypatch.setenv(ENV_WEBHOOK_URL, http_server.url + HOOK_PATH)
    monkeypatch.setenv(ENV_SMTP_PASSWORD, PASSWORD)
    smtp = smtp_factory(auth=("laborwatch", "another password"))
    settings = AlertSettings(
        channels=["log", "file", "webhook", "smtp"],
        smtp_host=smtp.host,
        smtp_port=smtp.port,
        smtp_user="laborwatch",
        smtp_to=["analyst@example.org"],
    )
    alerts_file = tmp_path / "alerts.jsonl"
    two_alerts(warehouse)
    report = deliver_pending(warehouse, settings, alerts_file)
    # Also the unreachable case: the same secret URL on a port nobody listens on.
    monkeypatch.setenv(ENV_WEBHOOK_URL, f"http://127.0.0.1:{free_port()}{HOOK_PATH}")
    report2 = deliver_pending(warehouse, settings, alerts_file)

    assert http_server.requests[0].path == HOOK_PATH  # the secret was really used
    assert set(smtp.inbox.logins) == {("laborwatch", PASSWORD)}  # and so was the password
    errors = deliveries(warehouse)
    webhook_errors = [e for (_, channel), (_, _, e) in errors.items() if channel == "webhook"]
    assert webhook_errors and all("webhook unreachable" in e for e in webhook_errors)
    assert any("no_service: no hook at [redacted]" in e for e in report.errors)
    assert any("SMTPAuthenticationError" in e for e in report2.errors)

    ours = [r.getMessage() for r in caplog.records if not r.name.startswith("mail.")]  # not the server's
    assert any("not delivered on webhook" in line for line in ours)
    places = {
        "logs": "\n".join(ours),
        "warehouse": _all_text_in_warehouse(warehouse),
        "file": alerts_file.read_text(),
        "report": "\n".join(report.errors + report2.errors),
    }
    for place, text in places.items():
        for secret in (TOKEN, HOOK_PATH, PASSWORD):
            assert secret not in text, f"{secret!r} found in {place}"


def test_one_channel_outage_stops_neither_the_others_nor_the_run(
    warehouse: Warehouse, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(ENV_WEBHOOK_URL, f"http://127.0.0.1:{free_port()}/hook")
    insert_scores(warehouse, [52, 55, 58, 61, 64, 67])
    assert detect_alerts(warehouse, [make_card()], dt.datetime.combine(week(5), dt.time())) == 5
    settings = AlertSettings(
        channels=["webhook", "file", "smtp"],
        smtp_port=free_port(),
        smtp_to=["analyst@example.org"],
        max_consecutive_failures=2,
        timeout_seconds=2,
    )
    report = deliver_pending(warehouse, settings, tmp_path / "alerts.jsonl")
    assert report.attempts == {"webhook": 2, "file": 5, "smtp": 2}
    assert report.deferred == {"webhook": 3, "smtp": 3}  # left alone after 2 failures in a row
    assert (report.delivered, report.failed) == (0, 5)
    assert len(file_ids(tmp_path / "alerts.jsonl")) == 5
    assert statuses(warehouse) == ["failed"] * 5
    recorded = deliveries(warehouse)
    assert sorted(channel for (_, channel) in recorded) == ["file"] * 5 + ["smtp"] * 2 + ["webhook"] * 2


def test_missing_webhook_url_is_a_recorded_failure(
    warehouse: Warehouse, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(ENV_WEBHOOK_URL, raising=False)
    two_alerts(warehouse)
    report = deliver_pending(warehouse, AlertSettings(channels=["webhook"]), tmp_path / "alerts.jsonl")
    assert report.failed == 2
    assert report.errors[0].endswith("ChannelError: no webhook URL: set LABORWATCH_WEBHOOK_URL")


def test_unknown_channel_is_a_configuration_error(warehouse: Warehouse, tmp_path: Path) -> None:
    two_alerts(warehouse)
    with pytest.raises(AlertConfigError, match="unknown pager"):
        deliver_pending(warehouse, AlertSettings(channels=["log", "pager"]), tmp_path / "alerts.jsonl")
    assert statuses(warehouse) == ["pending", "pending"]


def test_file_is_appended_once_even_if_the_record_was_lost(warehouse: Warehouse, tmp_path: Path) -> None:
    # A crash after appending but before recording: the alert is sent again (at-least-once),
    # and the file channel sees its id already in the file and does not append it twice.
    alerts_file = tmp_path / "alerts.jsonl"
    settings = AlertSettings(channels=["file"])
    first, second = two_alerts(warehouse)
    deliver_pending(warehouse, settings, alerts_file)
    warehouse.con.execute("DELETE FROM marts.alert_deliveries")
    warehouse.con.execute("UPDATE marts.alerts SET delivery_status = 'pending'")
    report = deliver_pending(warehouse, settings, alerts_file)
    assert report.delivered == 2
    assert file_ids(alerts_file) == [first, second]
    record = json.loads(alerts_file.read_text().splitlines()[0])
    assert set(record) == {"alert_id", "kind", "role_id", "fired_at", "old_value", "new_value", "message"}
    assert record["fired_at"] == "2026-01-12T00:00:00"
