"""Loading postings: raw records, deduplicated staging rows, aliases, sightings, lifecycle, health.

Lifecycle lives on sightings (staging.posting_sightings: one per source, board and source id) and a
posting's first_seen / last_seen / closed_at are their aggregate, recomputed for every posting a
load touches. Every write goes through the key-based helpers and writes only rows that differ from
what is stored, so loading the same batch twice leaves every table as it was, and all of it runs
inside the caller's transaction.

Times are the run's logical date (`as_of`), so a history can be replayed week by week: last_seen
only moves forward, first_seen only backward, and a replay of an earlier date neither closes nor
reopens what a later run decided.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import count

import polars as pl

from warehouse.db import Warehouse

STAGING = "staging.postings"
SIGHTINGS = "staging.posting_sightings"
ALIASES = "staging.posting_aliases"
IDENTITY = ["source", "board", "source_id"]
RAW_KEY = ["source", "board", "source_id", "payload_sha256"]
LIFECYCLE = ["first_seen", "last_seen", "closed_at"]
PROVENANCE = ["payload_sha256", "fetched_at"]  # kept from the first payload that carried this version
_names = count()


@dataclass(frozen=True)
class BatchCounts:
    rows: int  # records in the batch
    new_postings: int  # postings that did not exist before
    aliases: int  # records newly recorded as another source's copy of an existing posting


@contextmanager
def _frame(wh: Warehouse, df: pl.DataFrame) -> Iterator[str]:
    """`df` visible to SQL under a fresh name for the duration of the block."""
    name = f"_postings_frame_{next(_names)}"
    wh.con.register(name, df.to_arrow())
    try:
        yield name
    finally:
        wh.con.unregister(name)


# --------------------------------------------------------------------------------------- reads
def known_postings(wh: Warehouse, ids: pl.DataFrame) -> pl.DataFrame:
    """(source, source_id, posting_key, canonical_board) for the ids in `ids` seen before.

    canonical_board is the posting row's board when the id is that row's own record, else null
    (the id is an alias of another record's posting).
    """
    with _frame(wh, ids.select("source", "source_id").unique()) as batch:
        return wh.query(
            f"""
            SELECT b.source, b.source_id, coalesce(p.posting_key, s.posting_key) AS posting_key,
                   p.board AS canonical_board
            FROM {batch} b
            LEFT JOIN (SELECT source, source_id, min(posting_key) AS posting_key
                       FROM {SIGHTINGS} GROUP BY source, source_id) s
              ON s.source = b.source AND s.source_id = b.source_id
            LEFT JOIN {STAGING} p ON p.source = b.source AND p.source_id = b.source_id
            WHERE coalesce(p.posting_key, s.posting_key) IS NOT NULL
            QUALIFY row_number() OVER (PARTITION BY b.source, b.source_id ORDER BY p.first_seen) = 1
            """
        )


def dedup_candidates(
    wh: Warehouse, company_keys: Sequence[str], source: str, as_of: datetime, window_days: int
) -> pl.DataFrame:
    """Postings of these employers from other sources, open or closed within the window."""
    keys = pl.DataFrame({"company_key": list(company_keys)}, schema={"company_key": pl.String})
    with _frame(wh, keys) as batch:
        return wh.query(
            f"""
            SELECT posting_key, source, company_key, title, location, description_text, posted_at, closed_at
            FROM {STAGING}
            WHERE company_key IN (SELECT company_key FROM {batch}) AND source <> ?
              AND (closed_at IS NULL OR closed_at >= ?)
            """,
            [source, as_of - timedelta(days=window_days)],
        )


def payload_source_ids(wh: Warehouse, source: str, board: str, sha256: str) -> list[str]:
    """The ids a stored payload yielded (what a 304 for it confirms is still there)."""
    rows = wh.con.execute(
        "SELECT DISTINCT source_id FROM raw.postings WHERE source = ? AND board = ? AND payload_sha256 = ?",
        [source, board, sha256],
    ).fetchall()
    return [r[0] for r in rows]


def open_sightings(wh: Warehouse, source: str, board: str) -> int:
    return wh.scalar(
        f"SELECT count(*) FROM {SIGHTINGS} WHERE source = ? AND board = ? AND closed_at IS NULL",
        [source, board],
    )


def payload_first_fetched(wh: Warehouse, sha256: str) -> datetime | None:
    """When a payload was first fetched: the fetched_at of every record parsed from it, so the same
    body fetched again yields the very same records (and the same gate batch)."""
    return wh.scalar("SELECT first_fetched_at FROM raw.payloads WHERE sha256 = ?", [sha256])


def index_payload(
    wh: Warehouse, sha256: str, size: int, content_type: str | None, path: str, when: datetime
) -> int:
    """Make sure raw.payloads lists an archived body (one a 304 points back to, say)."""
    row = pl.DataFrame(
        {
            "sha256": [sha256],
            "bytes": [size],
            "content_type": [content_type],
            "path": [path],
            "first_fetched_at": [when],
        },
        schema_overrides={"content_type": pl.String, "first_fetched_at": pl.Datetime("us")},
    )
    return wh.insert_missing("raw.payloads", row, ["sha256"])


# -------------------------------------------------------------------------------------- writes
def _upsert_changed(wh: Warehouse, table: str, rows: pl.DataFrame, key: list[str]) -> int:
    """Upsert only the rows that are new or differ from the stored ones; return how many."""
    if rows.is_empty():
        return 0
    columns = [c for c in wh.columns(table) if c in rows.columns]
    with _frame(wh, rows.select(key).unique()) as batch:
        match = " AND ".join(f"t.{k} IS NOT DISTINCT FROM b.{k}" for k in key)
        stored = wh.query(
            f"SELECT t.* FROM {table} t WHERE EXISTS (SELECT 1 FROM {batch} b WHERE {match})"
        ).select(columns)
    rows = rows.select(columns).cast(dict(stored.schema))
    others = [c for c in columns if c not in key]
    previous = stored.rename({c: f"{c}__stored" for c in others}).with_columns(pl.lit(True).alias("__stored"))
    differs = pl.col("__stored").is_null() | pl.any_horizontal(
        ~pl.col(c).eq_missing(pl.col(f"{c}__stored")) for c in others
    )
    changed = rows.join(previous, on=key, how="left", nulls_equal=True).filter(differs).select(columns)
    return wh.upsert(table, changed, key)


def _touch_sightings(wh: Warehouse, rows: pl.DataFrame, as_of: datetime) -> pl.DataFrame:
    """Mark (source, board, source_id, posting_key) rows seen at `as_of`; return the sightings."""
    with _frame(wh, rows.select(IDENTITY)) as batch:
        stored = wh.query(f"SELECT s.* FROM {SIGHTINGS} s JOIN {batch} b USING (source, board, source_id)")
    at = pl.lit(as_of, dtype=pl.Datetime("us"))
    merged = (
        rows.select(*IDENTITY, "posting_key")
        .join(stored, on=IDENTITY, how="left", suffix="_stored")
        .select(
            *IDENTITY,
            pl.coalesce("posting_key_stored", "posting_key").alias("posting_key"),
            pl.min_horizontal("first_seen", at).alias("first_seen"),
            pl.max_horizontal("last_seen", at).alias("last_seen"),
            # seen now: open again, unless a later run (this is a replay) closed it after this date
            pl.when(pl.col("closed_at") > at).then(pl.col("closed_at")).otherwise(None).alias("closed_at"),
        )
    )
    _upsert_changed(wh, SIGHTINGS, merged, IDENTITY)
    return merged


def _write_postings(wh: Warehouse, keys: pl.Series, content: pl.DataFrame | None = None) -> int:
    """Rewrite the postings `keys`: new content where given, lifecycle from their sightings.

    Content equal to what is stored keeps the stored payload_sha256/fetched_at, so a re-fetch of an
    unchanged job changes nothing. Returns the number of postings that did not exist before.
    """
    keys_df = pl.DataFrame({"posting_key": keys.unique()}, schema={"posting_key": pl.String})
    with _frame(wh, keys_df) as batch:
        stored = wh.query(f"SELECT p.* FROM {STAGING} p JOIN {batch} b USING (posting_key)")
        lifecycle = wh.query(
            f"""
            SELECT posting_key, min(first_seen) AS first_seen, max(last_seen) AS last_seen,
                   CASE WHEN bool_or(closed_at IS NULL) THEN NULL ELSE max(closed_at) END AS closed_at
            FROM {SIGHTINGS} JOIN {batch} USING (posting_key) GROUP BY posting_key
            """
        )
    columns = stored.columns
    compare = [c for c in columns if c not in ("posting_key", *LIFECYCLE, *PROVENANCE)]
    rows = stored
    if content is not None and not content.is_empty():
        absent = [c for c in columns if c not in content.columns or c in LIFECYCLE]
        fresh = content.with_columns([pl.lit(None, dtype=stored.schema[c]).alias(c) for c in absent]).select(
            [pl.col(c).cast(stored.schema[c]) for c in columns]
        )
        previous = stored.select("posting_key", *compare, *PROVENANCE)
        joined = fresh.join(previous, on="posting_key", how="left", suffix="__stored")
        same = pl.col("payload_sha256__stored").is_not_null() & pl.all_horizontal(
            pl.col(c).eq_missing(pl.col(f"{c}__stored")) for c in compare
        )
        fresh = joined.with_columns(
            [pl.when(same).then(pl.col(f"{c}__stored")).otherwise(pl.col(c)).alias(c) for c in PROVENANCE]
        ).select(columns)
        rows = pl.concat([fresh, stored.join(fresh.select("posting_key"), on="posting_key", how="anti")])
    rows = (
        rows.join(lifecycle, on="posting_key", how="left", suffix="__agg")
        .with_columns([pl.coalesce(f"{c}__agg", c).alias(c) for c in ("first_seen", "last_seen")])
        .with_columns(
            pl.when(pl.col("first_seen__agg").is_not_null())
            .then(pl.col("closed_at__agg"))
            .otherwise(pl.col("closed_at"))
            .alias("closed_at")
        )
        .select(columns)
    )
    _upsert_changed(wh, STAGING, rows, ["posting_key"])
    return rows.height - stored.height


def load_batch(wh: Warehouse, records: pl.DataFrame, assigned: pl.DataFrame, as_of: datetime) -> BatchCounts:
    """Load one validated board batch.

    records: canonical records (raw.postings). assigned: the same records with company_key,
    classification, posting_key and is_alias (see transforms.dedup.assign_postings).
    """
    with wh.transaction():
        wh.insert_missing("raw.postings", records, RAW_KEY)
        _touch_sightings(wh, assigned, as_of)
        aliases = wh.insert_missing(
            ALIASES, assigned.filter(pl.col("is_alias")).select(*IDENTITY, "posting_key"), IDENTITY
        )
        canonical = assigned.filter(~pl.col("is_alias")).unique(
            "posting_key", keep="first", maintain_order=True
        )
        new = _write_postings(wh, assigned["posting_key"], canonical)
    return BatchCounts(rows=assigned.height, new_postings=new, aliases=aliases)


def mark_seen(wh: Warehouse, source: str, board: str, source_ids: Sequence[str], as_of: datetime) -> int:
    """A 304 confirms these ids are still listed: move their last_seen (and reopen if closed)."""
    ids = pl.DataFrame({"source_id": list(source_ids)}, schema={"source_id": pl.String})
    with wh.transaction(), _frame(wh, ids) as batch:
        rows = wh.query(
            f"SELECT source, board, source_id, posting_key FROM {SIGHTINGS} "
            f"WHERE source = ? AND board = ? AND source_id IN (SELECT source_id FROM {batch})",
            [source, board],
        )
        if rows.is_empty():
            return 0
        _touch_sightings(wh, rows, as_of)
        _write_postings(wh, rows["posting_key"])
    return rows.height


def close_missing(wh: Warehouse, source: str, board: str, seen_ids: Sequence[str], as_of: datetime) -> int:
    """Close this board's open sightings that a complete, successful fetch did not list."""
    ids = pl.DataFrame({"source_id": list(seen_ids)}, schema={"source_id": pl.String})
    with wh.transaction(), _frame(wh, ids) as batch:
        gone = wh.query(
            f"SELECT * FROM {SIGHTINGS} WHERE source = ? AND board = ? AND closed_at IS NULL "
            f"AND last_seen <= ? AND source_id NOT IN (SELECT source_id FROM {batch})",
            [source, board, as_of],
        )
        if gone.is_empty():
            return 0
        closed = gone.with_columns(pl.lit(as_of, dtype=pl.Datetime("us")).alias("closed_at"))
        _upsert_changed(wh, SIGHTINGS, closed, IDENTITY)
        _write_postings(wh, closed["posting_key"])
    return closed.height


def record_source_health(
    wh: Warehouse, source: str, board: str, run: str, status: str, rows: int, error: str | None
) -> None:
    row = pl.DataFrame(
        {
            "source": [source],
            "board": [board],
            "run": [run],
            "status": [status],
            "rows": [rows],
            "error": [error],
        },
        schema_overrides={"error": pl.String, "rows": pl.Int64},
    )
    _upsert_changed(wh, "marts.source_health", row, ["source", "board", "run"])


def quarantine_payload(
    wh: Warehouse,
    *,
    quarantine_id: str,
    created_at: datetime,
    source: str,
    board: str,
    reason: str,
    sha256: str,
    path: str,
    snippet: str,
) -> int:
    """Hold an unparseable payload (stage 'parse'); the same payload failing again is held once."""
    row = pl.DataFrame(
        {
            "quarantine_id": [quarantine_id],
            "created_at": [created_at],
            "stage": ["parse"],
            "source": [source],
            "board": [board],
            "suite": [None],
            "reason": [reason],
            "failed_expectations": [None],
            "sample": [json.dumps({"snippet": snippet})],
            "payload_refs": [json.dumps([sha256])],
            "batch_path": [path],
            "released_at": [None],
        },
        schema_overrides={
            "suite": pl.String,
            "failed_expectations": pl.String,
            "released_at": pl.Datetime("us"),
            "created_at": pl.Datetime("us"),
        },
    )
    return wh.insert_missing("raw.quarantine", row, ["quarantine_id"])


def parse_quarantine(wh: Warehouse, quarantine_id: str) -> dict | None:
    """A stage-'parse' quarantine row (to re-parse its payload after a parser fix), or None."""
    found = wh.query(
        "SELECT quarantine_id, source, board, payload_refs, released_at FROM raw.quarantine "
        "WHERE quarantine_id = ? AND stage = 'parse'",
        [quarantine_id],
    )
    return found.row(0, named=True) if found.height else None


def mark_released(wh: Warehouse, quarantine_id: str, when: datetime) -> None:
    wh.con.execute("UPDATE raw.quarantine SET released_at = ? WHERE quarantine_id = ?", [when, quarantine_id])
