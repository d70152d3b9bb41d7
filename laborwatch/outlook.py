"""The outlook step: watch signals, outlook states and scores for the weeks the latest data touched.

Incremental by default. The expensive part is counting postings into weeks; everything after it
(indices against the baseline, intervals, triggers with their hysteresis, scores) is a few rows per
role and week, so it is recomputed over each role's whole history every time — states are
path-dependent, and this way a touched week and every week after it come out exactly as a full
recompute would make them. What decides where counting starts, per role:

* the Monday of the last computed as_of (that week may have been partial) — or earlier, the Monday
  of the earliest change in the postings since then: a new, reclassified or removed posting
  touches the weeks from its first_seen on, a closed one the weeks from its closed_at on (found by
  comparing per-week fingerprints of the postings with those stored, marts.outlook_fingerprints);
* everything, when asked (`full`), on the first computation, when the role card changed, or when
  as_of moved back in time.

Counting from a start week needs the postings first seen in its trailing window and those that
closed since; the postings still open from before are not read again: the open count is anchored
on the stored count of the Sunday before (a change could not have touched it, or the start week
would be earlier).

Rows are rewritten from the first recounted week on — from the role's first week when that week is
inside the baseline window (every index refers to it) or when the BLS data changed. Everything is
written in one transaction, and running twice for the same as_of writes the same rows again.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import polars as pl

from expectations.gate import gate_batch
from expectations.suites import component_maxima
from laborwatch.settings import Settings
from transforms.role_card import RoleCard
from transforms.scores import role_scores
from transforms.signals import baseline_weeks, monday, naive_utc, watch_signals, weekly_counts
from transforms.states import outlook_states
from warehouse import outlook_load as load
from warehouse.db import Warehouse


@dataclass
class OutlookReport:
    """What one computation did; `recomputed` maps each role to "all" or the first Monday recounted."""

    as_of: datetime
    full: bool
    recomputed: dict[str, str] = field(default_factory=dict)
    touched: dict[str, str] = field(default_factory=dict)  # role -> earliest week a change touched
    postings_read: int = 0
    rows_written: dict[str, int] = field(default_factory=dict)
    states: dict[str, str] = field(default_factory=dict)
    totals: dict[str, float] = field(default_factory=dict)
    quarantined: list[str] = field(default_factory=list)  # mart batches the gate held (nothing written)
    seconds: float = 0.0


def card_fingerprint(card: RoleCard) -> str:
    """Changes whenever anything the outlook of `card` depends on changes."""
    parts = (card.soc_codes, card.components, card.states, card.triggers, card.adjustments)
    return hashlib.sha256(repr(parts).encode()).hexdigest()


def touched_weeks(current: pl.DataFrame, stored: pl.DataFrame) -> dict[str, date]:
    """Per role, the earliest week whose fingerprint row (postings first seen, or closed, that
    week) differs from the stored one: a new, reclassified or removed posting touches the weeks
    from its first_seen, a closing the weeks from its closed_at."""
    key = ["role_id", "week", "kind"]
    both = current.join(stored, on=key, how="full", coalesce=True, suffix="_old")
    differs = both.filter(
        pl.col("postings").is_null()
        | pl.col("postings_old").is_null()
        | (pl.col("postings") != pl.col("postings_old"))
        | (pl.col("fingerprint") != pl.col("fingerprint_old"))
    )
    per_role = differs.group_by("role_id").agg(pl.col("week").min())
    return dict(zip(per_role["role_id"].to_list(), per_role["week"].to_list(), strict=True))


def first_days(current: pl.DataFrame, as_of: datetime) -> dict[str, date]:
    """Each role's first posting day, if it is not after as_of (the start of its valid days)."""
    rows = (
        current.filter(pl.col("kind") == "first_seen")
        .group_by("role_id")
        .agg(pl.col("earliest").min())
        .filter(pl.col("earliest") <= as_of)
    )
    return dict(zip(rows["role_id"].to_list(), rows["earliest"].dt.date().to_list(), strict=True))


def open_anchors(history: pl.DataFrame, starts: dict[str, date]) -> dict[str, tuple[int, int]]:
    """Per role, (open, senior open) on the Sunday before its start week, from the stored counts of
    the week before — only where that week was counted complete (its reference day is that Sunday)."""
    rows = history.join(
        pl.DataFrame(
            {"role_id": list(starts), "start": list(starts.values())},
            schema={"role_id": pl.String, "start": pl.Date},
        ),
        on="role_id",
    ).filter(
        (pl.col("week") == pl.col("start") - timedelta(weeks=1))
        & (pl.col("ref_day") == pl.col("start") - timedelta(days=1))
    )
    return {r: (o, s) for r, o, s in rows.select("role_id", "open_ref", "senior_ref").iter_rows()}


def _plan(
    cards: Sequence[RoleCard], marks: pl.DataFrame, touched: dict[str, date], as_of: datetime, full: bool
) -> dict[str, date | None]:
    """Per role: the first Monday to recount, or None to recount everything."""
    known = {row["role_id"]: row for row in marks.to_dicts()}
    this_week = monday(as_of.date())
    plan: dict[str, date | None] = {}
    for card in cards:
        mark = known.get(card.id)
        if full or mark is None or mark["card_sha256"] != card_fingerprint(card) or as_of < mark["as_of"]:
            plan[card.id] = None
            continue
        since = monday(mark["as_of"].date())
        if card.id in touched:
            since = min(since, touched[card.id])
        plan[card.id] = min(since, this_week)
    return plan


def compute_outlook(
    settings: Settings, wh: Warehouse, cards: Sequence[RoleCard], as_of: datetime, full: bool = False
) -> OutlookReport:
    """Recompute watch_signals, role_states and role_scores up to `as_of` (see the module doc).

    `settings` is taken for the uniform pipeline-step signature; nothing in it changes the result.
    """
    del settings
    started = time.perf_counter()
    as_of = naive_utc(as_of)
    cards = list(cards)
    windows = {c.id: c.rules.comparison_weeks for c in cards}

    def body(wh: Warehouse) -> OutlookReport:
        report = OutlookReport(as_of=as_of, full=full)
        marks = load.read_watermarks(wh)
        current = load.posting_fingerprints(wh, list(windows))
        touched = touched_weeks(current, load.stored_fingerprints(wh))
        bls, bls_fingerprint = load.read_bls(wh)
        plan = _plan(cards, marks, touched, as_of, full)
        starts = {r: s for r, s in plan.items() if s is not None}
        history = load.read_counts(wh, starts)
        anchors = open_anchors(history, starts)
        posts = load.read_postings(wh, plan, windows, as_of, anchored=anchors)
        counts_new = weekly_counts(
            posts,
            as_of,
            windows,
            start_weeks=starts,
            first_days=first_days(current, as_of),
            open_before=anchors,
        )
        counts = pl.concat([history, counts_new], how="vertical_relaxed")

        signals = watch_signals(counts, cards, bls)
        states = outlook_states(signals, cards)
        scores = role_scores(signals, states, cards)

        marts_from = _marts_from(plan, counts, cards, marks, bls_fingerprint)
        report.quarantined = _gate_marts(wh, signals, scores, cards, marts_from, as_of)
        if report.quarantined:  # keep the marts as they were; the next run recomputes these weeks
            return report
        report.rows_written = load.write_outlook(wh, counts_new, plan, signals, states, scores, marts_from)
        load.record_fingerprints(wh, current, list(windows))
        load.record_watermarks(
            wh,
            pl.DataFrame(
                {
                    "role_id": list(windows),
                    "as_of": [as_of] * len(windows),
                    "card_sha256": [card_fingerprint(c) for c in cards],
                    "bls_fingerprint": [bls_fingerprint] * len(windows),
                    "computed_at": [datetime.now().replace(microsecond=0)] * len(windows),
                },
                schema_overrides={"as_of": pl.Datetime("us"), "computed_at": pl.Datetime("us")},
            ),
        )
        report.recomputed = {r: ("all" if s is None else s.isoformat()) for r, s in plan.items()}
        report.touched = {r: w.isoformat() for r, w in touched.items()}
        report.postings_read = posts.height
        latest = scores.sort("as_of").group_by("role_id").agg(pl.all().last())
        report.states = dict(zip(latest["role_id"].to_list(), latest["outlook_state"].to_list(), strict=True))
        report.totals = dict(zip(latest["role_id"].to_list(), latest["total"].to_list(), strict=True))
        return report

    report = wh.atomically(body)
    report.seconds = round(time.perf_counter() - started, 3)
    return report


def _rows_from(df: pl.DataFrame, column: str, since: Mapping[str, date | None]) -> pl.DataFrame:
    """The rows write_outlook would replace: per role, from its first changed week (None: all)."""
    keep = pl.lit(False)
    for role, start in since.items():
        mine = pl.col("role_id") == role
        keep = keep | (mine if start is None else mine & (pl.col(column) >= start))
    return df.filter(keep)


def _gate_marts(
    wh: Warehouse,
    signals: pl.DataFrame,
    scores: pl.DataFrame,
    cards: Sequence[RoleCard],
    marts_from: Mapping[str, date | None],
    as_of: datetime,
) -> list[str]:
    """Validate the signals and scores about to be written; return the ids of batches held back.

    A held batch is quarantined with a `source_health` row (source `outlook`, board = the suite), so
    the alerts stage says why the marts did not move.
    """
    run = as_of.date().isoformat()
    batches = [
        ("watch_signals", _rows_from(signals, "week", marts_from), {}),
        ("role_scores", _rows_from(scores, "as_of", marts_from), {"maxima": component_maxima(cards)}),
    ]
    held = []
    for suite, batch, params in batches:
        if batch.is_empty():
            continue
        gate = gate_batch(
            wh, suite, batch, batch_id=f"{suite}:{run}", source="outlook", board=suite, run=run, **params
        )
        if not gate.passed:
            held.append(str(gate.quarantine_id))
    return held


def _marts_from(
    plan: dict[str, date | None],
    counts: pl.DataFrame,
    cards: Sequence[RoleCard],
    marks: pl.DataFrame,
    bls_fingerprint: str,
) -> dict[str, date | None]:
    """Per role, the first week whose signals, states or scores can differ from what is stored."""
    base = baseline_weeks(counts.select("role_id", "week"), cards)
    baseline = dict(zip(base["role_id"].to_list(), base["baseline_week"].to_list(), strict=True))
    old_bls = dict(zip(marks["role_id"].to_list(), marks["bls_fingerprint"].to_list(), strict=True))
    out: dict[str, date | None] = {}
    for role, since in plan.items():
        moved_baseline = role not in baseline or since is None or since <= baseline[role]
        out[role] = None if moved_baseline or old_bls.get(role) != bls_fingerprint else since
    return out
