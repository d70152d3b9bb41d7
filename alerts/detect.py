"""Change detection: scores, outlook states, triggers and source health become candidate alerts.

Detection walks the whole history up to the run's logical date, not only the latest week, so a
backfill or a week-by-week replay alerts for every week it should; because alert ids are
deterministic, what was detected before is found again and skipped, and detecting the same run
twice adds nothing. fired_at is the logical date of the row that caused the alert (the score's
as_of, the state's week, the health row's run), never the wall clock, so replays reproduce it.

Only roles that have a card are watched: the card carries the score_change threshold and the
title the messages use.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import UTC, date, datetime, time

import polars as pl

from alerts.outbox import Alert, alerts_frame, make_alert_id
from transforms.role_card import RoleCard
from warehouse.alerts_load import (
    insert_alerts,
    read_alerted_scores,
    read_role_scores,
    read_role_states,
    read_source_health,
)
from warehouse.db import Warehouse

log = logging.getLogger(__name__)

# Floating-point slack for "at or above the threshold": 53.7 - 51.7 must count as 2.0.
_EPSILON = 1e-9

_HEALTH_WORDS = {
    "empty": "returned no postings although it had some before",
    "dropped_to_zero": "dropped to zero postings",
    "parse_error": "returned a payload that could not be parsed",
    "fetch_error": "could not be fetched",
    "quarantined": "had its batch quarantined by the expectations gate",
}


def detect_alerts(wh: Warehouse, cards: Sequence[RoleCard], as_of: datetime) -> int:
    """Write every alert due up to `as_of` to the outbox (marts.alerts); return how many were new."""
    as_of = _naive_utc(as_of)
    watched = {card.id: card for card in cards}
    scores = _watched_only(read_role_scores(wh, as_of.date()), watched, "role_scores")
    states = _watched_only(read_role_states(wh, as_of.date()), watched, "role_states")
    candidates = [
        *score_change_alerts(scores, read_alerted_scores(wh), watched),
        *outlook_change_alerts(states, scores, watched),
        *trigger_alerts(states, watched),
        *source_health_alerts(read_source_health(wh), as_of),
    ]
    new = insert_alerts(wh, alerts_frame(candidates))
    log.info("alerts detected up to %s: %d candidates, %d new", as_of.date(), len(candidates), new)
    return new


def score_change_alerts(
    scores: pl.DataFrame, alerted: pl.DataFrame, cards: dict[str, RoleCard]
) -> list[Alert]:
    """A score alert whenever |total - last alerted total| reaches the card threshold.

    The reference is the last *alerted* score, not last week's, so a slow drift alerts once it has
    added up to the threshold and wiggles around one level never alert. The first score of a role
    is its baseline. The walk is sequential by nature (each alert moves the reference); references
    already in the outbox (earlier runs) are honoured in logical-date order.
    """
    alerts: list[Alert] = []
    for (role_id,), rows in scores.sort("role_id", "as_of").group_by("role_id", maintain_order=True):
        card = cards[role_id]
        earlier = alerted.filter(pl.col("role_id") == role_id).sort("fired_at", "alert_id")
        outbox = list(zip(earlier["fired_at"].to_list(), earlier["new_value"].to_list(), strict=True))
        history = rows.to_dicts()
        reference = history[0]["total"]
        seen = 0
        for row in history[1:]:
            fired_at = _midnight(row["as_of"])
            while seen < len(outbox) and outbox[seen][0] < fired_at:
                reference = float(outbox[seen][1])
                seen += 1
            if abs(row["total"] - reference) + _EPSILON < card.score_change_threshold:
                continue
            new_value = _value_text(row["total"])
            alerts.append(
                Alert(
                    alert_id=make_alert_id("score_change", role_id, row["as_of"].isoformat(), None),
                    role_id=role_id,
                    fired_at=fired_at,
                    kind="score_change",
                    old_value=_value_text(reference),
                    new_value=new_value,
                    message=_score_message(card, reference, row),
                )
            )
            reference = row["total"]
    return alerts


def outlook_change_alerts(
    states: pl.DataFrame, scores: pl.DataFrame, cards: dict[str, RoleCard]
) -> list[Alert]:
    """An alert for each week whose outlook state differs from the role's previous week."""
    changes = (
        states.sort("role_id", "week")
        .with_columns(previous=pl.col("outlook_state").shift(1).over("role_id"))
        .filter(pl.col("previous").is_not_null() & (pl.col("outlook_state") != pl.col("previous")))
    )
    if changes.is_empty():
        return []
    # The score computed within the same week (if any) explains what the new state did to it.
    changes = changes.with_columns(week_end=pl.col("week") + pl.duration(days=6)).sort("week_end")
    week_scores = scores.select("role_id", "as_of", "total", "explanation").sort("as_of")
    changes = changes.join_asof(
        week_scores,
        left_on="week_end",
        right_on="as_of",
        by="role_id",
        strategy="backward",
        tolerance="6d",
        check_sortedness=False,
    ).sort("role_id", "week")
    alerts = []
    for row in changes.to_dicts():
        card = cards[row["role_id"]]
        lines = [
            f"{card.title}: outlook changed from {row['previous']} to {row['outlook_state']} "
            f"in the week of {row['week']}",
            f"Active triggers: {', '.join(row['active_triggers']) or 'none'}",
        ]
        if row["detail"]:
            lines.append(f"Detail: {row['detail']}")
        if row["total"] is not None:
            lines.append(f"Score: {_number(row['total'])} as of {row['as_of']}. Why: {row['explanation']}")
        alerts.append(
            Alert(
                alert_id=make_alert_id("outlook_change", row["role_id"], row["week"].isoformat(), None),
                role_id=row["role_id"],
                fired_at=_midnight(row["week"]),
                kind="outlook_change",
                old_value=row["previous"],
                new_value=row["outlook_state"],
                message="\n".join(lines),
            )
        )
    return alerts


def trigger_alerts(states: pl.DataFrame, cards: dict[str, RoleCard]) -> list[Alert]:
    """An alert for each trigger that is active in a week but was not active the week before."""
    activated = (
        states.sort("role_id", "week")
        .with_columns(previous=pl.col("active_triggers").shift(1).over("role_id"))
        .filter(pl.col("previous").is_not_null())
        .with_columns(trigger=pl.col("active_triggers").list.set_difference(pl.col("previous")))
        .explode("trigger")
        .filter(pl.col("trigger").is_not_null())
        .sort("role_id", "week", "trigger")
    )
    alerts = []
    for row in activated.to_dicts():
        card = cards[row["role_id"]]
        name = row["trigger"]
        lines = [
            f"{card.title}: trigger '{name}' became active in the week of {row['week']} "
            f"(outlook {row['outlook_state']})"
        ]
        spec = card.triggers.get(name)
        if isinstance(spec, dict) and spec.get("description"):
            lines.append(str(spec["description"]))
        if row["detail"]:
            lines.append(f"Detail: {row['detail']}")
        alerts.append(
            Alert(
                alert_id=make_alert_id("trigger", row["role_id"], row["week"].isoformat(), name),
                role_id=row["role_id"],
                fired_at=_midnight(row["week"]),
                kind="trigger",
                old_value=None,
                new_value=name,
                message="\n".join(lines),
            )
        )
    return alerts


def source_health_alerts(health: pl.DataFrame, as_of: datetime) -> list[Alert]:
    """One alert per board and run whose status is not ok, for runs up to `as_of`.

    `empty` counts only after the board has had rows in an earlier run: a board that never had an
    opening is quiet, one that suddenly has none is news. The id leaves the status out, so a re-run
    of the same run that fails differently still yields one alert for that board and run.
    """
    if health.is_empty():
        return []
    run_times = {run: _parse_run(run) for run in health["run"].unique().to_list()}
    flagged = (
        health.sort("source", "board", "run")
        .with_columns(
            run_at=pl.col("run").replace_strict(run_times, return_dtype=pl.Datetime("us")),
            previous=pl.col("status").shift(1).over("source", "board"),
            had_rows=pl.col("rows").cum_max().shift(1).over("source", "board").fill_null(0) > 0,
        )
        .filter(pl.col("run_at").is_null() | (pl.col("run_at") <= as_of))
        .filter((pl.col("status") != "ok") & ((pl.col("status") != "empty") | pl.col("had_rows")))
    )
    alerts = []
    for row in flagged.to_dicts():
        what = _HEALTH_WORDS.get(row["status"], f"reported status {row['status']}")
        lines = [
            f"Source health: {row['source']} board '{row['board']}' {what} in run {row['run']}",
            f"Status: {row['status']}; rows: {row['rows']}; previous run: {row['previous'] or 'none'}",
        ]
        if row["error"]:
            lines.append(f"Error: {row['error']}")
        alerts.append(
            Alert(
                alert_id=make_alert_id("source_health", f"{row['source']}/{row['board']}", row["run"], None),
                role_id=None,
                fired_at=row["run_at"] or as_of,
                kind="source_health",
                old_value=row["previous"],
                new_value=row["status"],
                message="\n".join(lines),
            )
        )
    return alerts


def _score_message(card: RoleCard, reference: float, row: dict) -> str:
    total = row["total"]
    direction = "rose" if total > reference else "fell"
    return "\n".join(
        [
            f"{card.title}: outlook score {direction} from {_number(reference)} to {_number(total)} "
            f"({_number(total - reference, signed=True)} points) as of {row['as_of']}",
            f"Outlook state: {row['outlook_state']}. Alert threshold: {_number(card.score_change_threshold)} "
            "points from the last alerted score.",
            f"Why: {row['explanation']}",
        ]
    )


def _watched_only(df: pl.DataFrame, cards: dict[str, RoleCard], table: str) -> pl.DataFrame:
    unwatched = set(df["role_id"].unique().to_list()) - set(cards)
    if unwatched:
        log.info("%s: no role card for %s; not alerting on them", table, ", ".join(sorted(unwatched)))
    return df.filter(pl.col("role_id").is_in(list(cards)))


def _value_text(total: float) -> str:
    """The stored form of a total: exact enough to be the next reference."""
    return f"{round(total, 4):g}"


def _number(value: float, signed: bool = False) -> str:
    return f"{round(value, 2):+g}" if signed else f"{round(value, 2):g}"


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time())


def _naive_utc(value: datetime | date) -> datetime:
    """DuckDB TIMESTAMP has no zone: logical dates are naive UTC."""
    if not isinstance(value, datetime):
        return _midnight(value)
    if value.tzinfo is not None:
        return value.astimezone(UTC).replace(tzinfo=None)
    return value


def _parse_run(run: str) -> datetime | None:
    try:
        return _naive_utc(datetime.fromisoformat(run))
    except ValueError:
        log.warning("source_health: run %r is not an ISO date; using the detection date", run)
        return None
