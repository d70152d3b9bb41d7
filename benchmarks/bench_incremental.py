"""An incremental batch of new postings onto the full history, end to end through the scores.

On the full-size warehouse, each run is the next weekly run: a batch of `batch` new postings
(generated with a fresh seed, ids of their own, first seen that week) goes through the steps
load_landed runs after the gate — the very functions, on one board entry per (source, board) as
staging leaves them — each committed as in production:

1. classify: the run's boards one after the other (laborwatch.ingest_postings.load_landed's
   concatenation) and one classifier call for all of them (`_classify`: company keys, then
   transforms.classify);
2. load: `_load_boards`, the set-based load of every board at once (one dedup by id and across
   sources against the warehouse, one write per table, source_health per board), in one
   transaction. The boards are a partial view (`complete` false: a batch of new postings, not the
   boards' whole listings), so nothing is closed;
3. checkpoint: DuckDB writes what the batch added from its write-ahead log into the database file.
   DuckDB does this by itself at the first commit after the log passes 16 MB, which a batch of
   10,000 postings always does, so in the pipeline it lands inside whichever step commits next; here
   it is an explicit CHECKPOINT so that it is timed on its own;
4. outlook: laborwatch.outlook.compute_outlook (incremental): recompute the weeks the batch touched,
   then states and scores.

Fetching, parsing and the expectations gate come before this and are measured apart (`parse` here,
benchmarks/bench_gate.py). The load_landed steps are private functions: the benchmark calls them
directly to time exactly the post-gate path without rendering payloads. The figure is the median
end-to-end time over `repeats` successive weeks. Afterwards (not timed) the batches are removed
again and the marts and health rows restored, so the cached warehouse is what it was.
"""

from __future__ import annotations

import statistics
import time
from datetime import datetime, timedelta

import polars as pl

from benchmarks import bench_data
from benchmarks.harness import Figure, peak_rss_mb, progress, reset_peak

BATCH = 10_000
WEEKS_BUDGET = 150.0  # seconds: no further week starts after the weeks so far took this long
ID_PREFIX = "bench-w"  # source_id prefix of the batches' postings, so they can be removed again
NEW = f"source_id LIKE '{ID_PREFIX}%'"
TABLES_WITH_NEW_ROWS = (
    "raw.postings",
    "staging.posting_aliases",
    "staging.posting_sightings",
    "staging.postings",
)


def new_batch(size: int, week: int, as_of: datetime) -> pl.DataFrame:
    """`size` new canonical records for the run at `as_of`: own ids, dates within its week."""
    from ingest.records import canonical

    df = canonical(bench_data.generate(size, seed=1_000 + week))
    hours = pl.int_range(0, df.height) % (7 * 24) + 1
    return df.with_columns(
        source_id=pl.format(f"{ID_PREFIX}{week}-{{}}", pl.col("source_id")),
        url=pl.format("{}?w={}", pl.col("url"), pl.lit(week)),
        posted_at=pl.lit(as_of, dtype=pl.Datetime("us")) - pl.duration(hours=hours),
        fetched_at=pl.lit(as_of, dtype=pl.Datetime("us")),
    )


def _fingerprint(wh: object) -> tuple:
    """Row counts and a lifecycle checksum: equal before and after means the undo was complete."""
    counts = tuple(wh.scalar(f"SELECT count(*) FROM {t}") for t in TABLES_WITH_NEW_ROWS)  # type: ignore[attr-defined]
    lifecycle = wh.scalar(  # type: ignore[attr-defined]
        "SELECT sum(epoch(first_seen) + epoch(last_seen) + coalesce(epoch(closed_at), 0)) FROM staging.postings"
    )
    return (*counts, lifecycle)


def _marts(wh: object) -> dict[str, pl.DataFrame]:
    tables = wh.query(  # type: ignore[attr-defined]
        "SELECT table_schema || '.' || table_name AS t FROM information_schema.tables "
        "WHERE table_schema = 'marts' AND table_type = 'BASE TABLE'"
    )["t"].to_list()
    return {t: wh.query(f"SELECT * FROM {t}") for t in tables}  # type: ignore[attr-defined]


def undo(wh: object, marts: dict[str, pl.DataFrame]) -> None:
    """Remove the batches' rows, re-derive the lifecycle of postings they aliased, restore the marts."""
    with wh.transaction():  # type: ignore[attr-defined]
        con = wh.con  # type: ignore[attr-defined]
        con.execute(
            "CREATE TEMP TABLE _touched AS SELECT DISTINCT posting_key FROM staging.posting_sightings "
            f"WHERE {NEW}"
        )
        for table in TABLES_WITH_NEW_ROWS:
            con.execute(f"DELETE FROM {table} WHERE {NEW}")
        con.execute(
            """
            UPDATE staging.postings p SET first_seen = a.first_seen, last_seen = a.last_seen,
                   closed_at = a.closed_at
            FROM (SELECT posting_key, min(first_seen) AS first_seen, max(last_seen) AS last_seen,
                         CASE WHEN bool_or(closed_at IS NULL) THEN NULL ELSE max(closed_at) END AS closed_at
                  FROM staging.posting_sightings WHERE posting_key IN (SELECT posting_key FROM _touched)
                  GROUP BY posting_key) a
            WHERE p.posting_key = a.posting_key
            """
        )
        con.execute("DROP TABLE _touched")
        for table, rows in marts.items():
            wh.replace_where(table, rows, "true", [])  # type: ignore[attr-defined]
    wh.con.execute("CHECKPOINT")  # type: ignore[attr-defined]


def _boards(records: pl.DataFrame) -> list:
    """One staged board entry per (source, board), in load_landed's (source priority) order."""
    from laborwatch.ingest_postings import BoardReport, _priority, _Staged

    parts = records.partition_by("source", "board", as_dict=True, maintain_order=True)
    order = sorted(parts, key=lambda k: _priority({"source": k[0], "board": k[1]}))
    return [_Staged(BoardReport(s, b, "ok", fetches=1), parts[(s, b)], complete=False) for s, b in order]


def incremental(n: int, repeats: int, batch: int | None = None) -> list[Figure]:
    """`repeats` successive weekly batches of `batch` new postings (default 10,000; 1 % of a smaller
    n, at least 20). No further week starts once the weeks so far took WEEKS_BUDGET seconds (the
    figure's runs show how many)."""
    from laborwatch import ingest_postings
    from laborwatch.outlook import compute_outlook
    from laborwatch.settings import load_settings
    from warehouse.db import Warehouse

    name = "incremental"
    batch = batch or min(BATCH, max(20, n // 100))
    cards = bench_data.cards()
    start = bench_data.staged_as_of(n)
    weeks = [start + timedelta(days=7 * k) for k in range(1, repeats + 1)]
    batches = [new_batch(batch, k, at) for k, at in enumerate(weeks, start=1)]
    stages: dict[str, list[float]] = {
        "classify": [],
        "load": [],
        "checkpoint": [],
        "outlook": [],
        "total": [],
    }
    boards_per_batch: list[int] = []
    held: set[str] = set()
    cpu_seconds: list[float] = []
    recomputed: list[dict] = []
    data_dir = bench_data.CACHE / "data"
    with bench_data.writable_warehouse(n) as path, Warehouse.open(path, data_dir) as wh:
        bench_data.quiet(wh)
        settings = load_settings(None, warehouse=path)
        settings.data_dir = data_dir
        before, marts = _fingerprint(wh), _marts(wh)
        reset_peak()
        try:
            for records, as_of in zip(batches, weeks, strict=True):
                staged = _boards(records)
                boards_per_batch.append(len(staged))
                t0, cpu = time.perf_counter(), time.process_time()
                run_records = pl.concat([s.batch for s in staged])
                classified = ingest_postings._classify(run_records, cards)
                t1 = time.perf_counter()
                with wh.transaction():
                    reports = ingest_postings._load_boards(
                        wh, staged, run_records, classified, as_of, as_of.date().isoformat()
                    )
                t2 = time.perf_counter()
                wh.con.execute("CHECKPOINT")
                tc = time.perf_counter()
                report = compute_outlook(settings, wh, cards, as_of)
                t3 = time.perf_counter()
                cpu_seconds.append(time.process_time() - cpu)
                loaded = sum(r.rows for r in reports)
                assert loaded == records.height, (loaded, records.height)
                held.update(getattr(report, "quarantined", []))
                recomputed.append(report.recomputed)
                times = (t1 - t0, t2 - t1, tc - t2, t3 - tc, t3 - t0)
                for stage, seconds in zip(stages, times, strict=True):
                    stages[stage].append(round(seconds, 4))
                progress(
                    f"{name} {as_of:%Y-%m-%d}: classify {t1 - t0:.2f} s, load {t2 - t1:.2f} s "
                    f"({len(staged):,} boards), checkpoint {tc - t2:.2f} s, outlook {t3 - tc:.2f} s"
                )
                if sum(stages["total"]) >= WEEKS_BUDGET:
                    break
            peak = peak_rss_mb()
        finally:
            undo(wh, marts)  # also after a failure: the cached warehouse must be left as it was
        after = _fingerprint(wh)
        if after != before:
            raise RuntimeError(
                f"undoing the incremental batches left the warehouse changed: {before} -> {after}"
            )
    medians = {k: statistics.median(v) for k, v in stages.items()}
    return [
        Figure(
            case=name,
            n=batch,
            median_seconds=round(medians["total"], 4),
            runs=stages["total"],
            per_second=round(batch / medians["total"], 1),
            peak_rss_mb=round(peak, 1),
            cpu_seconds=round(statistics.median(cpu_seconds), 4),
            note=(
                f"{batch:,} new postings a week onto {n:,}, {statistics.median(boards_per_batch):,.0f} boards, "
                "one set-based load (load_landed's path): "
                + ", ".join(f"{k} {v:.2f} s" for k, v in medians.items() if k != "total")
                + (f"; NB the outlook gate held its output ({', '.join(sorted(held))})" if held else "")
            ),
            extra={
                "stages": stages,
                "boards": boards_per_batch,
                "history": n,
                "quarantined": sorted(held),
                "recomputed": recomputed,
            },
        )
    ]
