"""Deliver the outbox: every undelivered alert on every configured channel, at least once.

Per alert and channel one row in marts.alert_deliveries records the outcome and the number of
attempts; a channel that already delivered an alert is never asked again, so a re-run re-sends
only what failed. Each outcome is recorded right after its attempt, so a crash can repeat at most
the one send in flight (at-least-once), never lose one. An alert is `delivered` once all
configured channels have delivered it and `failed` otherwise, and is retried on the next run.

One channel's outage does not stop the others or the run: its error is recorded (redacted) and
delivery goes on. After `max_consecutive_failures` failures in a row a channel is left alone for
the rest of the run, so a webhook that times out does not cost a timeout per pending alert.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from alerts.channels import AlertConfig, Channel, build_channels
from alerts.outbox import Alert
from alerts.redact import Redactor
from warehouse.alerts_load import read_deliveries, read_undelivered, record_delivery, set_delivery_status
from warehouse.db import Warehouse

log = logging.getLogger(__name__)


@dataclass
class DeliveryReport:
    pending: int = 0  # alerts not yet delivered everywhere when the run started
    delivered: int = 0  # of those, now delivered on every channel
    failed: int = 0  # of those, still missing a channel (retried on the next run)
    attempts: dict[str, int] = field(default_factory=dict)  # sends tried this run, per channel
    failures: dict[str, int] = field(default_factory=dict)  # sends that failed this run, per channel
    deferred: dict[str, int] = field(default_factory=dict)  # sends skipped: channel kept failing
    errors: list[str] = field(default_factory=list)  # "channel alert_id: error", redacted


def deliver_pending(wh: Warehouse, alert_settings: AlertConfig, alerts_file: Path) -> DeliveryReport:
    """Send every alert not yet delivered on each configured channel; record each outcome."""
    redact = Redactor.for_secrets(alert_settings.webhook_url, alert_settings.smtp_password)
    channels = build_channels(alert_settings, alerts_file, redact)
    pending = read_undelivered(wh)
    report = DeliveryReport(pending=pending.height)
    if pending.is_empty():
        return report
    if not channels:
        log.warning("%d alerts pending but [alerts] channels is empty; nothing delivered", pending.height)
        return report
    done = {
        (row["alert_id"], row["channel"]): row
        for row in read_deliveries(wh, pending["alert_id"].to_list()).to_dicts()
    }
    streak = dict.fromkeys((c.name for c in channels), 0)
    for row in pending.to_dicts():
        alert = Alert.from_row(row)
        everywhere = True
        for channel in channels:
            prior = done.get((alert.alert_id, channel.name))
            if prior and prior["status"] == "delivered":
                continue
            if streak[channel.name] >= alert_settings.max_consecutive_failures:
                report.deferred[channel.name] = report.deferred.get(channel.name, 0) + 1
                everywhere = False
                continue
            error = _attempt(channel, alert, redact)
            attempts = (prior["attempts"] if prior else 0) + 1
            record_delivery(
                wh,
                alert.alert_id,
                channel.name,
                "failed" if error else "delivered",
                attempts,
                datetime.now(UTC).replace(tzinfo=None),
                error,
            )
            report.attempts[channel.name] = report.attempts.get(channel.name, 0) + 1
            if error:
                streak[channel.name] += 1
                everywhere = False
                report.failures[channel.name] = report.failures.get(channel.name, 0) + 1
                report.errors.append(f"{channel.name} {alert.alert_id}: {error}")
                log.warning(
                    "alert %s not delivered on %s (attempt %d): %s",
                    alert.alert_id,
                    channel.name,
                    attempts,
                    error,
                )
            else:
                streak[channel.name] = 0
        status = "delivered" if everywhere else "failed"
        if status != row["delivery_status"]:
            set_delivery_status(wh, alert.alert_id, status)
        report.delivered += everywhere
        report.failed += not everywhere
    log.info(
        "alert delivery: %d pending, %d delivered, %d failed", report.pending, report.delivered, report.failed
    )
    return report


def _attempt(channel: Channel, alert: Alert, redact: Redactor) -> str | None:
    """Send once; the redacted error text, or None when delivered.

    Any exception counts as this channel's failure (a bug in one channel must not stop the
    others); only its text is kept, never a traceback that could quote a secret.
    """
    try:
        channel.send(alert)
    except Exception as exc:  # any failure is this channel's alone
        return redact(f"{type(exc).__name__}: {exc}") or type(exc).__name__
    return None
