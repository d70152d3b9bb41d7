"""Loading postings: raw records, deduplicated staging rows, aliases, sightings, lifecycle, health.

Lifecycle lives on sightings (staging.posting_sightings: one per source, board and source id) and a
posting's first_seen / last_seen / closed_at are their aggregate, recomputed for every posting a
load touches. A run's boards load together (`load_run`): one read of what is stored for the run's
keys and one write per table, each writing only rows that differ from what is stored, so loading
the same run twice leaves every table as it was, and all of it runs inside the caller's
transaction.

Reads are by key and narrow: staging.postings holds every description twice (HTML and text), so
a scan of its wide columns costs seconds at a million postings. Wide columns are only read for the
rows a load needs them for (`_by_key`: IN lists short enough for DuckDB to use the primary-key
index), and a posting whose content is unchanged gets an UPDATE of its lifecycle, not a rewrite.

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
from warehouse.sql import string_literal

STAGING = "staging.postings"
SIGHTINGS = "staging.posting_sightings"
ALIASES = "staging.posting_aliases"
IDENTITY = ["source", "board", "source_id"]
BOARD = ["source", "board"]
RAW_KEY = ["source", "board", "source_id", "payload_sha256"]
LIFECYCLE = ["first_seen", "last_seen", "closed_at"]
PROVENANCE = ["payload_sha256", "fetched_at"]  # kept from the first payload that carried this version
CANDIDATE_COLUMNS = ["posting_key", "source", "company_key", "title", "location", "posted_at", "closed_at"]
INDEX_SCAN_KEYS = 2000  # DuckDB looks an IN list up in the primary-key index up to 2,048 values
_names = count()


@dataclass(frozen=True)
class RunCounts:
    """What `load_run` did, per board: (source, board, new, aliases, closed)."""

    boards: pl.DataFrame

    def of(self) -> dict[tuple[str, str], tuple[int, int, int]]:
        return {(s, b): (n, a, c) for s, b, n, a, c in self.boards.iter_rows()}


@contextmanager
def _frame(wh: Warehouse, df: pl.DataFrame) -> Iterator[str]:
    """`df` visible to SQL under a fresh name for the duration of the block."""
    name = f"_postings_frame_{next(_names)}"
    wh.con.register(name, df.to_arrow())
    try:
        yield name
    finally:
        wh.con.unregister(name)


def _by_key(wh: Warehouse, table: str, key: str, keys: pl.Series, columns: Sequence[str]) -> pl.DataFrame:
    """`columns` of the rows of `table` whose `key` is in `keys`, looked up in its primary-key index.

    A join with a frame of keys would scan every wide column of the table; IN lists of literal
    values (short enough for DuckDB's index scan) read only the rows asked for.
    """
    keys = keys.drop_nulls().unique()
    select = ", ".join(columns)
    parts = [
        wh.query(f"SELECT {select} FROM {table} WHERE {key} IN ({', '.join(map(string_literal, chunk))})")
        for chunk in (keys.slice(i, INDEX_SCAN_KEYS).to_list() for i in range(0, keys.len(), INDEX_SCAN_KEYS))
    ]
    if parts:
        return pl.concat(parts)
    return wh.query(f"SELECT {select} FROM {table} WHERE false")


# --------------------------------------------------------------------------------------- reads
def known_postings(wh: Warehouse, ids: pl.DataFrame) -> pl.DataFrame:
    """(source, source_id, posting_key, canonical_board) for the ids in `ids` seen before.

    canonical_board is the posting row's board when the id is that row's own record, else null
    (the id is an alias of another record's posting).
    """
    with _frame(wh, ids.select("source", "source_id").unique()) as batch:
        return wh.query(
            f"""
            WITH s AS (SELECT source, source_id, min(posting_key) AS posting_key
                       FROM {SIGHTINGS} SEMI JOIN {batch} USING (source, source_id) GROUP BY ALL),
                 p AS (SELECT source, source_id, posting_key, board, first_seen
                       FROM {STAGING} SEMI JOIN {batch} USING (source, source_id))
            SELECT b.source, b.source_id, coalesce(p.posting_key, s.posting_key) AS posting_key,
                   p.board AS canonical_board
            FROM {batch} b
            LEFT JOIN s ON s.source = b.source AND s.source_id = b.source_id
            LEFT JOIN p ON p.source = b.source AND p.source_id = b.source_id
            WHERE coalesce(p.posting_key, s.posting_key) IS NOT NULL
            QUALIFY row_number() OVER (PARTITION BY b.source, b.source_id ORDER BY p.first_seen) = 1
            """
        )


def dedup_candidates(wh: Warehouse, records: pl.DataFrame, as_of: datetime, window_days: int) -> pl.DataFrame:
    """Postings of the records' employers that cross-source dedup might match (CANDIDATE_COLUMNS,
    no description): open or closed within the window, posted within the window of some record."""
    window = timedelta(days=window_days)
    when = records.select(pl.coalesce("posted_at", pl.lit(as_of, dtype=pl.Datetime("us"))).alias("w"))["w"]
    keys = records.select(pl.col("company_key").drop_nulls().unique())
    with _frame(wh, keys) as batch:
        return wh.query(
            f"""
            SELECT {", ".join(CANDIDATE_COLUMNS)} FROM {STAGING}
            WHERE company_key IN (SELECT company_key FROM {batch})
              AND (closed_at IS NULL OR closed_at >= ?)
              AND (posted_at IS NULL OR posted_at BETWEEN ? AND ?)
            """,
            [as_of - window, when.min() - window, when.max() + window],
        )


def descriptions(wh: Warehouse, posting_keys: pl.Series) -> pl.DataFrame:
    """(posting_key, description_text) of these postings only."""
    return _by_key(wh, STAGING, "posting_key", posting_keys, ["posting_key", "description_text"])


def payload_source_ids(wh: Warehouse, source: str, board: str, sha256: str) -> list[str]:
    """The ids a stored payload yielded (what a 304 for it confirms is still there)."""
    rows = wh.con.execute(
        "SELECT DISTINCT source_id FROM raw.postings WHERE source = ? AND board = ? AND payload_sha256 = ?",
        [source, board, sha256],
    ).fetchall()
    return [r[0] for r in rows]


def open_sightings(wh: Warehouse, boards: pl.DataFrame) -> dict[tuple[str, str], int]:
    """Open sightings per (source, board) of `boards` (boards with none are left out)."""
    with _frame(wh, boards.select(BOARD).unique()) as batch:
        rows = wh.query(
            f"SELECT source, board, count(*) AS n FROM {SIGHTINGS} SEMI JOIN {batch} USING (source, board) "
            "WHERE closed_at IS NULL GROUP BY ALL"
        )
    return {(s, b): n for s, b, n in rows.iter_rows()}


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
def _changed(rows: pl.DataFrame, stored: pl.DataFrame, key: list[str]) -> pl.DataFrame:
    """The rows of `rows` that are new or differ from the `stored` row with their key."""
    others = [c for c in rows.columns if c not in key]
    previous = stored.select(*key, *others).rename({c: f"{c}__stored" for c in others})
    differs = pl.col("__stored").is_null() | pl.any_horizontal(
        ~pl.col(c).eq_missing(pl.col(f"{c}__stored")) for c in others
    )
    return (
        rows.join(previous.with_columns(pl.lit(True).alias("__stored")), on=key, how="left", nulls_equal=True)
        .filter(differs)
        .select(rows.columns)
    )


def _upsert_changed(wh: Warehouse, table: str, rows: pl.DataFrame, key: list[str]) -> int:
    """Upsert only the rows of a narrow table that are new or differ from the stored ones."""
    if rows.is_empty():
        return 0
    columns = [c for c in wh.columns(table) if c in rows.columns]
    with _frame(wh, rows.select(key).unique()) as batch:
        stored = wh.query(f"SELECT t.* FROM {table} t SEMI JOIN {batch} USING ({', '.join(key)})")
    rows = rows.select(columns).cast(dict(stored.select(columns).schema))
    return wh.upsert(table, _changed(rows, stored.select(columns), key), key)


def _sightings(
    wh: Warehouse, seen: pl.DataFrame, unchanged: pl.DataFrame, closing: pl.DataFrame, as_of: datetime
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Move the sightings a run listed to `as_of` and close the open ones of the `closing` boards it
    did not list; write what changed; return (listed, closed) sightings as they are now.

    seen: (source, board, source_id, posting_key) of the loaded records; unchanged: (source, board,
    source_id) a 304 confirmed, which are moved only if they have a sighting.
    """
    at = pl.lit(as_of, dtype=pl.Datetime("us"))
    listed = pl.concat([seen.select(IDENTITY), unchanged.select(IDENTITY)]).unique()
    with _frame(wh, listed) as ids, _frame(wh, closing.select(BOARD).unique()) as boards:
        stored = wh.query(f"SELECT s.* FROM {SIGHTINGS} s SEMI JOIN {ids} USING (source, board, source_id)")
        gone = wh.query(
            f"SELECT s.* FROM {SIGHTINGS} s SEMI JOIN {boards} USING (source, board) "
            f"ANTI JOIN {ids} USING (source, board, source_id) WHERE closed_at IS NULL AND last_seen <= ?",
            [as_of],
        )
    confirmed = stored.join(unchanged.select(IDENTITY), on=IDENTITY, how="semi")
    touched = (
        pl.concat([seen.select(*IDENTITY, "posting_key"), confirmed.select(*IDENTITY, "posting_key")])
        .unique(IDENTITY, keep="first", maintain_order=True)
        .join(stored, on=IDENTITY, how="left", suffix="_stored")
        .select(
            *IDENTITY,
            pl.coalesce("posting_key_stored", "posting_key").alias("posting_key"),
            pl.min_horizontal("first_seen", at).alias("first_seen"),
            pl.max_horizontal("last_seen", at).alias("last_seen"),
            # seen now: open again, unless a later run (this is a replay) closed it after this date
            pl.when(pl.col("closed_at") > at).then(pl.col("closed_at")).otherwise(None).alias("closed_at"),
        )
        .cast(dict(stored.schema))
    )
    closed = gone.with_columns(at.alias("closed_at")).select(touched.columns)
    rows = pl.concat([touched, closed])
    wh.upsert(SIGHTINGS, _changed(rows, pl.concat([stored, gone]).select(rows.columns), IDENTITY), IDENTITY)
    return touched, closed


def _aliases(wh: Warehouse, aliases: pl.DataFrame) -> pl.DataFrame:
    """Record (source, board, source_id, posting_key) aliases not recorded before; return those."""
    with _frame(wh, aliases.select(IDENTITY)) as ids:
        stored = wh.query(
            f"SELECT source, board, source_id FROM {ALIASES} SEMI JOIN {ids} USING (source, board, source_id)"
        )
    new = aliases.join(stored, on=IDENTITY, how="anti")
    wh.insert_missing(ALIASES, new, IDENTITY)
    return new


def _staging_schema(wh: Warehouse) -> dict[str, pl.DataType]:
    return dict(wh.query(f"SELECT * FROM {STAGING} WHERE false").schema)


def _write_postings(wh: Warehouse, keys: pl.Series, content: pl.DataFrame) -> pl.Series:
    """Rewrite the postings `keys`: new `content` where given, lifecycle from their sightings.

    A new posting is inserted and one whose content differs from the stored one replaced; any other
    gets an UPDATE of its lifecycle where that moved, so content equal to what is stored keeps the
    stored payload_sha256 / fetched_at and a re-fetch of an unchanged job changes nothing. Only the
    re-fetched postings' stored content is read (by key). Returns the keys of the new postings.
    """
    keys_df = pl.DataFrame({"posting_key": keys.unique()}, schema={"posting_key": pl.String})
    with _frame(wh, keys_df) as batch:
        lifecycle = wh.query(
            f"""
            SELECT posting_key, min(first_seen) AS first_seen, max(last_seen) AS last_seen,
                   CASE WHEN bool_or(closed_at IS NULL) THEN NULL ELSE max(closed_at) END AS closed_at
            FROM {SIGHTINGS} SEMI JOIN {batch} USING (posting_key) GROUP BY posting_key
            """
        )
        stored_lifecycle = wh.query(
            f"SELECT posting_key, {', '.join(LIFECYCLE)} FROM {STAGING} SEMI JOIN {batch} USING (posting_key)"
        )
    schema = _staging_schema(wh)
    compare = [c for c in schema if c not in ("posting_key", *LIFECYCLE, *PROVENANCE)]
    rows = (
        content.drop(LIFECYCLE, strict=False)
        .join(lifecycle, on="posting_key", how="left")
        .select(
            [
                (pl.col(c) if c in content.columns or c in LIFECYCLE else pl.lit(None)).cast(t).alias(c)
                for c, t in schema.items()
            ]
        )
    )
    stored_keys = stored_lifecycle.select("posting_key")
    fresh = rows.join(stored_keys, on="posting_key", how="anti")
    refetched = rows.join(stored_keys, on="posting_key", how="semi")
    stored = _by_key(wh, STAGING, "posting_key", refetched["posting_key"], ["posting_key", *compare])
    replaced = _changed(refetched.select("posting_key", *compare), stored, ["posting_key"])
    rewrite = pl.concat([fresh, refetched.join(replaced.select("posting_key"), on="posting_key", how="semi")])
    wh.upsert(STAGING, rewrite, ["posting_key"])
    moved = _changed(
        lifecycle.join(rewrite.select("posting_key"), on="posting_key", how="anti"),
        stored_lifecycle,
        ["posting_key"],
    ).join(stored_lifecycle.select("posting_key"), on="posting_key", how="semi")
    if not moved.is_empty():
        with _frame(wh, moved) as rows_name:
            wh.con.execute(
                f"UPDATE {STAGING} p SET first_seen = r.first_seen, last_seen = r.last_seen, "
                f"closed_at = r.closed_at FROM {rows_name} r WHERE p.posting_key = r.posting_key"
            )
    return fresh["posting_key"]


def _per_board(df: pl.DataFrame, name: str) -> pl.DataFrame:
    return df.group_by(BOARD).agg(pl.len().cast(pl.Int64).alias(name))


def load_run(
    wh: Warehouse,
    records: pl.DataFrame,
    assigned: pl.DataFrame,
    unchanged: pl.DataFrame,
    closing: pl.DataFrame,
    as_of: datetime,
) -> RunCounts:
    """Load every board of a run at once: one read of what is stored for the run's keys, one write
    per table (raw.postings, sightings, aliases, postings).

    records: canonical records (raw.postings). assigned: the same records with company_key,
    classification, posting_key and is_alias (transforms.dedup.assign_run). unchanged: (source,
    board, source_id) confirmed still listed by a 304. closing: (source, board) of the boards whose
    complete, successful fetch closes the sightings it did not list.
    """
    with wh.transaction():
        wh.insert_missing("raw.postings", records, RAW_KEY)
        touched, closed = _sightings(wh, assigned, unchanged, closing, as_of)
        alias = pl.col("is_alias")
        aliases = _aliases(wh, assigned.filter(alias).select(*IDENTITY, "posting_key"))
        canonical = assigned.filter(~alias).unique("posting_key", keep="first", maintain_order=True)
        keys = pl.concat([touched["posting_key"], closed["posting_key"]])
        new = _write_postings(wh, keys, canonical)
    boards = pl.concat([assigned.select(BOARD), unchanged.select(BOARD), closing.select(BOARD)]).unique(
        maintain_order=True
    )
    counts = boards
    for name, rows in (
        ("new", canonical.filter(pl.col("posting_key").is_in(new.implode()))),
        ("aliases", aliases),
        ("closed", closed),
    ):
        counts = counts.join(_per_board(rows, name), on=BOARD, how="left")
    return RunCounts(counts.fill_null(0))


def record_source_health(wh: Warehouse, rows: pl.DataFrame) -> None:
    """marts.source_health rows (source, board, run, status, rows, error), one per board."""
    schema = {
        "source": pl.String,
        "board": pl.String,
        "run": pl.String,
        "status": pl.String,
        "rows": pl.Int64,
        "error": pl.String,
    }
    _upsert_changed(
        wh,
        "marts.source_health",
        rows.select([pl.col(c).cast(t) for c, t in schema.items()]),
        ["source", "board", "run"],
    )


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
