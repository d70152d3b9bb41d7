"""Analyst queries on the views (postings, watch_signals, role_scores) of the full-size warehouse.

Each query is timed two ways, each the median of several runs after one warm-up:
- `laborwatch sql`'s path (laborwatch.sql_cmd.run_query): open the file read-only, run, close —
  what an analyst at the command line gets, with DuckDB's own buffer pool empty every time;
- on one open read-only connection (a notebook session), the same query again and again.

The queries are what the README's analyst examples and the report ask: trends by week, employers,
shares by seniority, tag mixes, salaries, a signal's series with its interval, the latest scores,
state changes, one posting's text, and a text search over a quarter's descriptions.

The text search goes through `search_postings(term, since := ...)` (migration 070, a word index the
snapshot publish keeps current); `reference_queries` holds the plain `ILIKE` it stands for. That is
run once, outside the timed runs, and must give the same rows; its one time is recorded beside them.
"""

from __future__ import annotations

import statistics
import time
from datetime import datetime, timedelta

import duckdb

from benchmarks import bench_data
from benchmarks.harness import Figure, peak_rss_mb, reset_peak


def queries(as_of: datetime) -> dict[str, str]:
    """name -> SQL, with the history's end date written in (as an analyst would type it)."""
    day = as_of.date()
    q26 = (day - timedelta(weeks=26)).isoformat()
    q13 = (day - timedelta(weeks=13)).isoformat()
    return {
        "weekly_new_by_seniority": f"""
            SELECT date_trunc('week', first_seen) AS week, seniority, count(*) AS postings
            FROM postings WHERE role_id = 'ai_ml_engineer' AND first_seen >= DATE '{q26}'
            GROUP BY ALL ORDER BY ALL""",
        "top_employers_open": """
            SELECT company, count(*) AS open_postings, count(*) FILTER (WHERE seniority IN ('intern', 'entry'))
                   AS entry_open
            FROM postings WHERE role_id = 'ai_ml_engineer' AND closed_at IS NULL
            GROUP BY company ORDER BY open_postings DESC LIMIT 20""",
        "entry_production_share_by_month": """
            SELECT role_id, date_trunc('month', first_seen) AS month, count(*) AS entry_postings,
                   avg(production_ownership::INT) AS production_share, avg(routine_only::INT) AS routine_only_share
            FROM postings WHERE role_id IS NOT NULL AND seniority IN ('intern', 'entry')
            GROUP BY ALL ORDER BY ALL""",
        "tag_mix_entry_13_weeks": f"""
            SELECT role_id, tag, count(*) AS postings
            FROM (SELECT role_id, unnest(tags) AS tag FROM postings
                  WHERE role_id IS NOT NULL AND seniority = 'entry' AND first_seen >= DATE '{q13}')
            GROUP BY ALL ORDER BY role_id, postings DESC""",
        "salary_by_role_seniority": """
            SELECT role_id, seniority, count(*) AS postings, median(salary_min) AS median_min,
                   median(salary_max) AS median_max
            FROM postings WHERE salary_interval = 'year' AND salary_currency = 'USD'
            GROUP BY ALL ORDER BY ALL""",
        "signal_series_with_ci": """
            SELECT week, value, n, ci_low, ci_high FROM watch_signals
            WHERE role_id = 'ai_ml_engineer' AND signal = 'entry_share' ORDER BY week""",
        "signals_latest_week": """
            SELECT role_id, signal, value, n, ci_low, ci_high FROM watch_signals
            QUALIFY week = max(week) OVER (PARTITION BY role_id) ORDER BY role_id, signal""",
        "latest_scores": """
            SELECT * FROM role_scores
            QUALIFY row_number() OVER (PARTITION BY role_id ORDER BY as_of DESC) = 1""",
        "state_changes": """
            SELECT role_id, as_of, outlook_state, previous, total FROM (
                SELECT role_id, as_of, outlook_state, total,
                       lag(outlook_state) OVER (PARTITION BY role_id ORDER BY as_of) AS previous
                FROM role_scores)
            WHERE previous IS DISTINCT FROM outlook_state ORDER BY role_id, as_of""",
        "one_posting_text": """
            SELECT posting_key, title, company, first_seen, closed_at, tags, description_text
            FROM postings WHERE posting_key = (SELECT max(posting_key) FROM postings)""",
        "text_search_13_weeks": f"""
            SELECT role_id, count(*) AS postings FROM search_postings('kubernetes', since := DATE '{q13}')
            GROUP BY ALL ORDER BY ALL""",
    }


def reference_queries(as_of: datetime) -> dict[str, str]:
    """name -> the straightforward SQL a query must agree with, where the timed one takes another path."""
    q13 = (as_of.date() - timedelta(weeks=13)).isoformat()
    return {
        "text_search_13_weeks": f"""
            SELECT role_id, count(*) AS postings FROM postings
            WHERE first_seen >= DATE '{q13}' AND description_text ILIKE '%kubernetes%'
            GROUP BY ALL ORDER BY ALL""",
    }


def _median(run: object, repeats: int) -> tuple[float, list[float], int]:
    rows = run()  # warm-up: the OS page cache, DuckDB's plan caches
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        rows = run()
        times.append(time.perf_counter() - started)
    return statistics.median(times), times, len(rows)


def _check_reference(con: object, name: str, sql: str, reference: str | None) -> dict:
    """Run the straightforward SQL once (timed once) and require the same rows as `sql`."""
    if reference is None:
        return {}
    started = time.perf_counter()
    expected = con.execute(reference).fetchall()  # type: ignore[attr-defined]
    seconds = time.perf_counter() - started
    got = con.execute(sql).fetchall()  # type: ignore[attr-defined]
    if got != expected:
        raise AssertionError(f"query {name}: {got[:5]} differs from the straightforward SQL's {expected[:5]}")
    return {
        "note": f"; same rows as the plain SQL, which took {seconds * 1000:.0f} ms (one run)",
        "extra": {"reference_sql": " ".join(reference.split()), "reference_seconds": round(seconds, 4)},
    }


def _require_search_index(con: duckdb.DuckDBPyConnection, path: object) -> None:
    """The text search needs the index a publish refreshes; a warehouse from before it cannot run it."""
    sql = (
        "SELECT (SELECT count(*) FROM duckdb_functions() WHERE function_name = 'search_postings') > 0 "
        "AND (SELECT count(*) FROM search.documents) = (SELECT count(*) FROM staging.postings)"
    )
    try:
        ready = con.execute(sql).fetchone()[0]
    except duckdb.CatalogException:  # no search schema at all
        ready = False
    if not ready:
        con.close()
        raise RuntimeError(
            f"{path}: no up-to-date search index (migration 070 + warehouse.search_index.refresh); rebuild "
            "the warehouse without LABORWATCH_BENCH_REUSE, or open it with Warehouse.open and refresh it"
        )


def analyst_queries(n: int, repeats: int) -> list[Figure]:
    from laborwatch.sql_cmd import run_query
    from warehouse.snapshot import open_read_only

    path = bench_data.warehouse(n)
    as_of = bench_data.staged_as_of(n)
    repeats = max(repeats, 5)
    figures = []
    con = open_read_only(path)
    con.execute("SET enable_progress_bar = false")
    _require_search_index(con, path)
    references = reference_queries(as_of)
    try:
        for name, sql in queries(as_of).items():
            reset_peak()
            cli, cli_runs, rows = _median(lambda sql=sql: run_query(path, sql), repeats)
            warm, warm_runs, _ = _median(lambda sql=sql: con.execute(sql).fetchall(), repeats)
            peak = peak_rss_mb()
            # The one-off reference scan runs after the timed runs: DuckDB keeps what it read cached,
            # which would otherwise count as the analyst query's memory.
            checked = _check_reference(con, name, sql, references.get(name))
            figures.append(
                Figure(
                    case=f"query_{name}",
                    n=n,
                    median_seconds=round(cli, 4),
                    runs=[round(t, 4) for t in cli_runs],
                    per_second=round(1 / cli, 1) if cli else 0.0,
                    peak_rss_mb=round(peak, 1),
                    note=f"{rows} rows; open connection {warm * 1000:.0f} ms" + checked.get("note", ""),
                    extra={
                        "sql": " ".join(sql.split()),
                        "warm_seconds": round(warm, 4),
                        "rows": rows,
                        "warm_runs": [round(t, 4) for t in warm_runs],
                        **checked.get("extra", {}),
                    },
                )
            )
    finally:
        con.close()
    return figures
