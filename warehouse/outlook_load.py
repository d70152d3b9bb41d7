"""Warehouse reads and writes for the outlook step (laborwatch/outlook.py).

Reads: the classified postings a recompute needs (all of a role's, or only those that can affect
the weeks from a given Monday), the stored weekly counts before that Monday, the BLS frames, and
per role and week a fingerprint of the postings (compared with the one stored at the last
computation to find the weeks a change touched). Writes: counts, signals, states and scores for
the weeks recomputed, the fingerprints and the watermarks — all inside the caller's transaction.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import date, datetime
from itertools import count

import polars as pl

from transforms.signals import COUNT_COLUMNS, BlsInputs
from warehouse.db import Warehouse

COUNTS = "marts.outlook_counts"
FINGERPRINTS = "marts.outlook_fingerprints"
WATERMARKS = "marts.outlook_watermarks"
SIGNALS = "marts.watch_signals"
STATES = "marts.role_states"
SCORES = "marts.role_scores"
POSTING_COLUMNS = (
    "role_id",
    "seniority",
    "tags",
    "production_ownership",
    "routine_only",
    "company_key",
    "first_seen",
    "closed_at",
)
# What a posting contributes to its role's counts, apart from closed_at (which touches weeks from then).
_FINGERPRINT = (
    "hash(posting_key, seniority, tags, production_ownership, routine_only, company_key, first_seen)"
)
_names = count()


@contextmanager
def _frame(wh: Warehouse, df: pl.DataFrame) -> Iterator[str]:
    name = f"_outlook_frame_{next(_names)}"
    wh.con.register(name, df.to_arrow())
    try:
        yield name
    finally:
        wh.con.unregister(name)


# ----------------------------------------------------------------------------------------- reads
def read_watermarks(wh: Warehouse) -> pl.DataFrame:
    return wh.query(f"SELECT role_id, as_of, card_sha256, bls_fingerprint FROM {WATERMARKS}")


def posting_fingerprints(wh: Warehouse, roles: Sequence[str]) -> pl.DataFrame:
    """The current fingerprint rows of the roles' postings (see marts.outlook_fingerprints).

    One scan of staging.postings and no per-posting state: the comparison with the stored rows is
    over a few rows per role and week, whatever the number of postings.
    """
    return wh.query(
        f"""
        SELECT role_id, date_trunc('week', first_seen)::DATE AS week, 'first_seen' AS kind,
               count(*) AS postings, bit_xor({_FINGERPRINT}) AS fingerprint, min(first_seen) AS earliest
        FROM staging.postings WHERE list_contains(?, role_id) GROUP BY ALL
        UNION ALL
        SELECT role_id, date_trunc('week', closed_at)::DATE AS week, 'closed_at' AS kind,
               count(*) AS postings, bit_xor(hash(posting_key, closed_at)) AS fingerprint,
               NULL::TIMESTAMP AS earliest
        FROM staging.postings WHERE list_contains(?, role_id) AND closed_at IS NOT NULL GROUP BY ALL
        """,
        [list(roles), list(roles)],
    )


def stored_fingerprints(wh: Warehouse) -> pl.DataFrame:
    return wh.query(f"SELECT role_id, week, kind, postings, fingerprint, earliest FROM {FINGERPRINTS}")


def read_postings(
    wh: Warehouse,
    since: Mapping[str, date | None],
    windows: Mapping[str, int],
    as_of: datetime,
    anchored: Collection[str] = (),
) -> pl.DataFrame:
    """The postings the counts from each role's `since` Monday need (None: all of the role's).

    Needed are the postings first seen in the trailing window of `since`, those that closed from
    six days before it on, and — unless the role's open count is `anchored` on the stored count of
    the week before (transforms.signals.weekly_counts) — every posting still open. The filter keeps
    a day of slack each way. Tags are read only for the postings first seen from `since` on (the
    weekly counts before it are stored) and employers only for those in the window.
    """
    plan = pl.DataFrame(
        {
            "role_id": list(since),
            "since": list(since.values()),
            "window": [windows[r] for r in since],
            "anchored": [r in anchored for r in since],
        },
        schema={"role_id": pl.String, "since": pl.Date, "window": pl.Int64, "anchored": pl.Boolean},
    )
    recent = (
        "(plan.since IS NULL OR p.first_seen >= plan.since - to_days(CAST(plan.window * 7 + 1 AS INTEGER)))"
    )
    new = "(plan.since IS NULL OR p.first_seen >= plan.since - INTERVAL 1 DAY)"
    detail = {"company_key": recent, "tags": new}  # employers over the window; tags for new postings
    cols = ", ".join(
        f"CASE WHEN {detail[c]} THEN p.{c} END AS {c}" if c in detail else f"p.{c}" for c in POSTING_COLUMNS
    )
    with _frame(wh, plan) as name:
        return wh.query(
            f"""
            SELECT {cols} FROM staging.postings p JOIN {name} plan ON p.role_id = plan.role_id
            WHERE p.first_seen <= ?
              AND ({recent}
                   OR (plan.anchored AND p.closed_at BETWEEN plan.since - INTERVAL 8 DAY AND ?)
                   OR (NOT plan.anchored AND (p.closed_at IS NULL OR p.closed_at >= plan.since - INTERVAL 8 DAY)))
            """,
            [as_of, as_of],
        )


def read_counts(wh: Warehouse, before: Mapping[str, date]) -> pl.DataFrame:
    """Stored weekly counts of each role for the weeks before its Monday in `before`."""
    plan = pl.DataFrame(
        {"role_id": list(before), "before": list(before.values())},
        schema={"role_id": pl.String, "before": pl.Date},
    )
    cols = ", ".join(f"c.{col}" for col in ("role_id", "week", "ref_day", *COUNT_COLUMNS))
    with _frame(wh, plan) as name:
        return wh.query(
            f"SELECT {cols} FROM {COUNTS} c JOIN {name} b ON c.role_id = b.role_id WHERE c.week < b.before "
            "ORDER BY c.role_id, c.week"
        )


def _table_exists(wh: Warehouse, schema: str, table: str) -> bool:
    return bool(
        wh.scalar(
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = ? AND table_name = ?",
            [schema, table],
        )
    )


def read_bls(wh: Warehouse) -> tuple[BlsInputs, str]:
    """The BLS frames the signals read, and a fingerprint that changes when any of them does.

    Without the BLS loader's series catalog (staging.bls_series) the signals fall back to the
    series ids alone; without any observations or projections there are simply no BLS signals.
    """
    observations = wh.query("SELECT series_id, year, period, value FROM bls_observations")
    projections = wh.query(
        "SELECT edition, soc_code, base_year, change_percent, openings_annual FROM projections"
    )
    series = None
    if _table_exists(wh, "staging", "bls_series"):
        series = wh.query("SELECT series_id, role_ids FROM staging.bls_series")
    fingerprint = "|".join(
        str(
            wh.scalar(
                f"SELECT count(*) || ':' || coalesce(sum(hash({cols})), 0) FROM {table}",
            )
        )
        for table, cols in (
            ("bls_observations", "series_id, year, period, value"),
            ("projections", "edition, soc_code, base_year, change_percent, openings_annual"),
            *([("staging.bls_series", "series_id, role_ids")] if series is not None else []),
        )
    )
    return BlsInputs(observations=observations, series=series, projections=projections), fingerprint


# ---------------------------------------------------------------------------------------- writes
def _replace_roles(
    wh: Warehouse, table: str, df: pl.DataFrame, week_col: str, write_from: Mapping[str, date | None]
) -> int:
    """Per role: delete its rows from `write_from[role]` on (all of them if None), insert `df`'s."""
    plan = pl.DataFrame(
        {"role_id": list(write_from), "since": list(write_from.values())},
        schema={"role_id": pl.String, "since": pl.Date},
    )
    rows = df.join(plan, on="role_id").filter(
        pl.col("since").is_null() | (pl.col(week_col) >= pl.col("since"))
    )
    with _frame(wh, plan) as name:
        wh.con.execute(
            f"DELETE FROM {table} t WHERE EXISTS (SELECT 1 FROM {name} p WHERE p.role_id = t.role_id "
            f"AND (p.since IS NULL OR t.{week_col} >= p.since))"
        )
    rows = rows.drop("since")
    if rows.is_empty():
        return 0
    cols = ", ".join(rows.columns)
    with _frame(wh, rows) as name:
        wh.con.execute(f"INSERT INTO {table} ({cols}) SELECT {cols} FROM {name}")
    return rows.height


def write_outlook(
    wh: Warehouse,
    counts: pl.DataFrame,
    counts_from: Mapping[str, date | None],
    signals: pl.DataFrame,
    states: pl.DataFrame,
    scores: pl.DataFrame,
    marts_from: Mapping[str, date | None],
) -> dict[str, int]:
    """Replace each role's counts from `counts_from` and its marts from `marts_from` (None: all)."""
    with wh.transaction():
        return {
            "counts": _replace_roles(wh, COUNTS, counts, "week", counts_from),
            "signals": _replace_roles(wh, SIGNALS, signals, "week", marts_from),
            "states": _replace_roles(wh, STATES, states, "week", marts_from),
            "scores": _replace_roles(wh, SCORES, scores, "as_of", marts_from),
        }


def record_fingerprints(wh: Warehouse, current: pl.DataFrame, roles: Sequence[str]) -> None:
    """Store the roles' current fingerprint rows in place of the old ones."""
    _replace_roles(wh, FINGERPRINTS, current, "week", dict.fromkeys(roles))


def record_watermarks(wh: Warehouse, marks: pl.DataFrame) -> None:
    """One row per role: role_id, as_of, card_sha256, bls_fingerprint, computed_at."""
    wh.upsert(WATERMARKS, marks, ["role_id"])
