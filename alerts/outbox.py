"""The alert record, its deterministic id, and its outbox row.

Alerts follow the transactional-outbox pattern: detection writes them to marts.alerts before any
channel sees them, so a crash between detecting and delivering loses nothing. The id is a hash of
what the alert is about (kind, role or board, logical week or run, new value), never of the wall
clock, so detecting the same run again yields the same ids and the outbox keeps one row each.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import polars as pl

KINDS = ("score_change", "outlook_change", "trigger", "source_health")

OUTBOX_SCHEMA = {
    "alert_id": pl.String,
    "role_id": pl.String,
    "fired_at": pl.Datetime("us"),
    "kind": pl.String,
    "old_value": pl.String,
    "new_value": pl.String,
    "message": pl.String,
}


def make_alert_id(kind: str, subject: str, logical_key: str, new_value: str | None) -> str:
    """A stable id: the same alert detected again (a re-run, a replay) gets the same id."""
    text = "\x1f".join((kind, subject, logical_key, new_value or ""))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:24]


@dataclass(frozen=True)
class Alert:
    alert_id: str
    role_id: str | None
    fired_at: datetime
    kind: str
    old_value: str | None
    new_value: str | None
    message: str

    @property
    def headline(self) -> str:
        """The message's first line: the e-mail subject and the log line."""
        return self.message.split("\n", 1)[0]

    def as_record(self) -> dict[str, Any]:
        """JSON-ready fields (what the file channel writes)."""
        return {
            "alert_id": self.alert_id,
            "kind": self.kind,
            "role_id": self.role_id,
            "fired_at": self.fired_at.isoformat(),
            "old_value": self.old_value,
            "new_value": self.new_value,
            "message": self.message,
        }

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> Alert:
        return cls(**{name: row[name] for name in OUTBOX_SCHEMA})


def alerts_frame(alerts: list[Alert]) -> pl.DataFrame:
    """Outbox rows for `alerts` (delivery_status is set by the load)."""
    return pl.DataFrame(
        [{name: getattr(a, name) for name in OUTBOX_SCHEMA} for a in alerts], schema=OUTBOX_SCHEMA
    )
