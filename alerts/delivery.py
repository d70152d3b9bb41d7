"""Deliver the outbox: every undelivered alert on every configured channel, at least once.

Per alert and channel one row in marts.alert_deliveries records the outcome and the number of
attempts; a channel that already delivered an alert is never asked again, so a re-run re-sends
only what failed. An alert's outcomes are committed as soon as its channels have been tried, so
a crash can repeat the sends of the one alert in flight (at-least-once), never lose one. An alert is `delivered` once all
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
from warehouse.alerts_load import read_deliveries, read_undelivered, record_deliveries
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
        delivered_on = {c for (a, c), r in done.items() if a == alert.alert_id and r["status"] == "delivered"}
        outcomes = []
        for channel in channels:
            if channel.name in delivered_on:
                continue
            if streak[channel.name] >= alert_settings.max_consecutive_failures:
                _count(report.deferred, channel.name)
                continue
            prior = done.get((alert.alert_id, channel.name))
            error = _attempt(channel, alert, redact)
            outcomes.append(
                {
                    "alert_id": alert.alert_id,
                    "channel": channel.name,
                    "status": "failed" if error else "delivered",
                    "attempts": (prior["attempts"] if prior else 0) + 1,
                    "last_attempt_at": datetime.now(UTC).replace(tzinfo=None),
                    "error": error,
                }
            )
            _count(report.attempts, channel.name)
            if error:
                streak[channel.name] += 1
                _count(report.failures, channel.name)
                report.errors.append(f"{channel.name} {alert.alert_id}: {error}")
                log.warning("alert %s not delivered on %s: %s", alert.alert_id, channel.name, error)
            else:
                streak[channel.name] = 0
                delivered_on.add(channel.name)
        everywhere = all(channel.name in delivered_on for channel in channels)
        record_deliveries(wh, alert.alert_id, outcomes, "delivered" if everywhere else "failed")
        report.delivered += everywhere
        report.failed += not everywhere
    log.info(
        "alert delivery: %d pending, %d delivered, %d failed", report.pending, report.delivered, report.failed
    )
    return report


def _count(counter: dict[str, int], channel: str) -> None:
    counter[channel] = counter.get(channel, 0) + 1


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
