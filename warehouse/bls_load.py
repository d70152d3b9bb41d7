"""Loading BLS data: observation vintages, the series catalog, projections, releases, the query budget.

Vintages: raw.bls_observations keeps every retrieval, but a row is written only when it differs
(value, value text or footnotes) from the latest vintage of the same observation from the same
source. So an identical re-pull adds nothing, a revision adds exactly one row, and the
`bls_observations` view (latest vintage) changes only when BLS changed something. Comparing within
a source keeps an OEWS file row and the API row for the same point from replacing each other on
every run.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime, timedelta

import polars as pl

from warehouse.db import Warehouse

OBSERVATION_KEY = ("series_id", "year", "period")
OBSERVATION_COLUMNS = {
    "series_id": pl.String,
    "year": pl.Int32,
    "period": pl.String,
    "value": pl.Float64,
    "value_text": pl.String,
    "footnote_codes": pl.String,
    "source": pl.String,
    "retrieved_at": pl.Datetime("us"),
}
# A data program → the program whose release publishes it (CPS comes out in the Employment Situation).
RELEASED_WITH = {"CPS": "CES"}


def _naive_utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(tzinfo=None) if moment.tzinfo else moment


def _changed(
    wh: Warehouse, table: str, df: pl.DataFrame, key: Sequence[str], compare: Sequence[str]
) -> pl.DataFrame:
    """Rows of `df` that are new in `table` or differ from the stored row with the same key."""
    if df.is_empty():
        return df
    view = f"_changed_{abs(hash((table, id(df))))}"
    wh.con.register(view, df.to_arrow())
    try:
        on = " AND ".join(f"t.{k} = b.{k}" for k in key)
        differs = " OR ".join(f"t.{c} IS DISTINCT FROM b.{c}" for c in compare)
        keys = ", ".join(f"b.{k}" for k in key)
        changed = wh.query(
            f"SELECT {keys} FROM {view} b LEFT JOIN {table} t ON {on} WHERE t.{key[0]} IS NULL OR {differs}"
        )
    finally:
        wh.con.unregister(view)
    return df.join(changed, on=list(key), how="semi", nulls_equal=True)


# ------------------------------------------------------------------------------ observations


def prepare_observations(df: pl.DataFrame, retrieved_at: datetime) -> pl.DataFrame:
    """The batch in table shape, stamped with `retrieved_at`, one row per observation (API first)."""
    batch = df.with_columns(pl.lit(_naive_utc(retrieved_at)).alias("retrieved_at"))
    batch = batch.select(pl.col(c).cast(t) for c, t in OBSERVATION_COLUMNS.items())
    return batch.sort(pl.col("source") != "api").unique(
        list(OBSERVATION_KEY), keep="first", maintain_order=True
    )


def new_vintages(wh: Warehouse, batch: pl.DataFrame) -> pl.DataFrame:
    """The rows of a prepared batch that differ from the latest stored vintage of the same source."""
    if batch.is_empty():
        return batch
    view = f"_vintages_{abs(hash(id(batch)))}"
    wh.con.register(view, batch.to_arrow())
    try:
        fresh = wh.query(
            f"""
            WITH latest AS (
                SELECT o.series_id, o.year, o.period, o.source, o.value, o.value_text, o.footnote_codes
                FROM raw.bls_observations o SEMI JOIN {view} k USING (series_id, year, period)
                QUALIFY row_number() OVER (
                    PARTITION BY o.series_id, o.year, o.period, o.source ORDER BY o.retrieved_at DESC) = 1
            )
            SELECT b.series_id, b.year, b.period FROM {view} b
            LEFT JOIN latest l USING (series_id, year, period, source)
            WHERE l.series_id IS NULL
               OR l.value IS DISTINCT FROM b.value
               OR l.value_text IS DISTINCT FROM b.value_text
               OR l.footnote_codes IS DISTINCT FROM b.footnote_codes
            """
        )
    finally:
        wh.con.unregister(view)
    return batch.join(fresh.cast({"year": pl.Int32}), on=list(OBSERVATION_KEY), how="semi")


def load_observations(wh: Warehouse, df: pl.DataFrame, retrieved_at: datetime) -> int:
    """Write the new vintages in `df` (a validated batch); return how many rows were added."""
    batch = prepare_observations(df, retrieved_at)
    with wh.transaction():
        fresh = new_vintages(wh, batch)
        return wh.insert_missing("raw.bls_observations", fresh, [*OBSERVATION_KEY, "retrieved_at"])


def load_footnotes(wh: Warehouse, footnotes: pl.DataFrame, seen_at: datetime) -> int:
    rows = footnotes.filter(pl.col("text") != "").with_columns(
        pl.lit(_naive_utc(seen_at)).alias("first_seen")
    )
    return wh.insert_missing("staging.bls_footnotes", rows, ["series_id", "code", "text"])


# ------------------------------------------------------------------------ catalog, files, calendar


def load_catalog(wh: Warehouse, catalog: pl.DataFrame, updated_at: datetime) -> int:
    """The catalog is derived from the cards: it replaces the table (dropped series drop out)."""
    compare = ["program", "measure", "unit", "soc_code", "industry", "role_ids", "description"]
    changed = _changed(wh, "staging.bls_series", catalog, ["series_id"], compare)
    gone = wh.scalar(
        "SELECT count(*) FROM staging.bls_series WHERE series_id NOT IN (SELECT unnest(?::VARCHAR[]))",
        [catalog["series_id"].to_list()],
    )
    if changed.is_empty() and not gone:
        return 0
    rows = catalog.with_columns(pl.lit(_naive_utc(updated_at)).alias("updated_at"))
    return wh.replace_where("staging.bls_series", rows, "true", [])


def load_projections(wh: Warehouse, df: pl.DataFrame, retrieved_at: datetime) -> int:
    """Upsert the rows of an edition that are new or revised; return how many changed."""
    compare = [c for c in df.columns if c not in ("edition", "soc_code")]
    changed = _changed(wh, "staging.projections", df, ["edition", "soc_code"], compare)
    rows = changed.with_columns(pl.lit(_naive_utc(retrieved_at)).alias("retrieved_at"))
    return wh.upsert("staging.projections", rows, ["edition", "soc_code"])


def load_releases(wh: Warehouse, df: pl.DataFrame, retrieved_at: datetime) -> int:
    """Upsert new or rescheduled releases; past releases that left the calendar file are kept."""
    changed = _changed(
        wh, "staging.bls_releases", df, ["uid"], ["program", "title", "released_at", "sequence"]
    )
    rows = changed.with_columns(pl.lit(_naive_utc(retrieved_at)).alias("retrieved_at"))
    return wh.upsert("staging.bls_releases", rows, ["uid"])


def quarantine_payload(
    wh: Warehouse, *, source: str, board: str, reason: str, payload_sha: str | None, created_at: datetime
) -> str:
    """Hold an archived payload that could not be parsed (stage 'parse'); the same failure is held once."""
    digest = hashlib.sha256(f"parse\x00{source}\x00{board}\x00{payload_sha}\x00{reason}".encode()).hexdigest()
    qid = f"q-{digest[:16]}"
    row = pl.DataFrame(
        {
            "quarantine_id": [qid],
            "created_at": [_naive_utc(created_at)],
            "stage": ["parse"],
            "source": [source],
            "board": [board],
            "reason": [reason],
            "payload_refs": [json.dumps([payload_sha] if payload_sha else [])],
        }
    )
    wh.insert_missing("raw.quarantine", row, ["quarantine_id"])
    return qid


# ----------------------------------------------------------------------------- budget and pulls


class WarehouseQueryBudget:
    """The day's BLS query count in raw.bls_query_budget, and this run's share of it.

    Each query is counted before it is sent and committed at once (not with the run's load), so a
    run that fails later still remembers what it spent. `day` is the BLS (US Eastern) calendar day.
    """

    def __init__(self, wh: Warehouse, day: date, daily_limit: int, run_share: float) -> None:
        self.wh = wh
        self.day = day
        self.daily_limit = daily_limit
        self.allowance = max(1, math.floor(daily_limit * run_share))
        self.spent = 0

    def used_today(self) -> int:
        return int(self.wh.scalar("SELECT queries FROM raw.bls_query_budget WHERE day = ?", [self.day]) or 0)

    def remaining(self) -> int:
        return max(0, min(self.allowance - self.spent, self.daily_limit - self.used_today()))

    def _set(self, queries: int) -> None:
        self.wh.upsert(
            "raw.bls_query_budget", pl.DataFrame({"day": [self.day], "queries": [queries]}), ["day"]
        )

    def take(self) -> bool:
        with self.wh.transaction():
            used = self.used_today()
            if self.spent >= self.allowance or used >= self.daily_limit:
                return False
            self._set(used + 1)
        self.spent += 1
        return True

    def exhaust(self) -> None:
        with self.wh.transaction():
            self._set(max(self.used_today(), self.daily_limit))


def record_pulls(
    wh: Warehouse, counts: dict[str, tuple[int, int]], as_of: datetime, pulled_at: datetime
) -> None:
    """One row per program whose series all settled: program → (series, new rows)."""
    if not counts:
        return
    rows = pl.DataFrame(
        {
            "program": list(counts),
            "as_of": [_naive_utc(as_of)] * len(counts),
            "pulled_at": [_naive_utc(pulled_at)] * len(counts),
            "series": [c[0] for c in counts.values()],
            "new_rows": [c[1] for c in counts.values()],
        }
    )
    wh.insert_missing("raw.bls_pulls", rows, ["program", "pulled_at"])


def due_programs(wh: Warehouse, programs: Iterable[str], as_of: datetime, grace: timedelta) -> list[str]:
    """Programs to pull at `as_of`: never pulled, no calendar entry to go by, or released since the pull.

    A release counts `grace` after its scheduled time (the API lags the news release a little), and
    is compared with the logical date of the last pull, so a replayed history behaves like the live one.
    """
    as_of = _naive_utc(as_of)
    last = dict(wh.con.execute("SELECT program, max(as_of) FROM raw.bls_pulls GROUP BY program").fetchall())
    releases = wh.query(
        "SELECT program, (released_at AT TIME ZONE 'UTC') AS released_at FROM staging.bls_releases"
    )
    due = []
    for program in sorted(set(programs)):
        published = releases.filter(pl.col("program") == RELEASED_WITH.get(program, program))["released_at"]
        effective = [moment + grace for moment in published.to_list()]
        if program not in last or not effective or any(last[program] < t <= as_of for t in effective):
            due.append(program)
    return due


def release_schedule(wh: Warehouse, as_of: datetime) -> dict[str, dict[str, str | None]]:
    """Per program: the latest release at or before `as_of` and the next one after it (ISO, UTC)."""
    rows = wh.query(
        "SELECT program, max(released_at) FILTER (WHERE released_at <= ?) AS last_release, "
        "min(released_at) FILTER (WHERE released_at > ?) AS next_release "
        "FROM (SELECT program, released_at AT TIME ZONE 'UTC' AS released_at FROM staging.bls_releases) "
        "GROUP BY program ORDER BY program",
        [_naive_utc(as_of), _naive_utc(as_of)],
    )
    return {
        r["program"]: {
            k: (r[k].isoformat() + "Z" if r[k] else None) for k in ("last_release", "next_release")
        }
        for r in rows.iter_rows(named=True)
    }


def record_health(
    wh: Warehouse, source: str, run: str, boards: dict[str, tuple[str, int, str | None]]
) -> None:
    """marts.source_health rows (board → status, rows, error), so a failing BLS feed raises an alert."""
    if not boards:
        return
    names = sorted(boards)
    frame = pl.DataFrame(
        {
            "source": [source] * len(names),
            "board": names,
            "run": [run] * len(names),
            "status": [boards[b][0] for b in names],
            "rows": [boards[b][1] for b in names],
            "error": [boards[b][2] for b in names],
        },
        schema_overrides={"error": pl.String, "rows": pl.Int64},
    )
    wh.upsert("marts.source_health", frame, ["source", "board", "run"])
