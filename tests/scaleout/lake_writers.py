"""Writer processes for the DuckLake concurrency tests (module level, so `spawn` can import them)."""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path

import polars as pl

from warehouse.db import Warehouse


def signals(role: str, weeks: range, value: float) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "role_id": [role] * len(weeks),
            "week": [dt.date(2024, 1, 1) + dt.timedelta(weeks=w) for w in weeks],
            "signal": ["entry_share"] * len(weeks),
            "value": [value] * len(weeks),
            "n": [10] * len(weeks),
            "ci_low": [0.0] * len(weeks),
            "ci_high": [1.0] * len(weeks),
        }
    )


def hammer(catalog: str, data_dir: str, writer: int, rounds: int, start, conflicts) -> None:
    """Each round: upsert an overlapping window of weeks, insert-missing payload rows, replace a
    partition, and an autocommitted raw INSERT ... WHERE NOT EXISTS: every kind of keyed write."""
    with Warehouse.open(None, Path(data_dir), backend="ducklake", ducklake_catalog=catalog) as wh:
        start.wait()
        for r in range(rounds):
            wh.upsert(
                "marts.watch_signals",
                signals("ai_ml_engineer", range(r, r + 4), float(writer)),
                ["role_id", "week", "signal"],
            )
            payloads = pl.DataFrame(
                {
                    "sha256": [f"sha{r}", f"sha{r + 1}"],
                    "bytes": [1, 1],
                    "content_type": ["application/json"] * 2,
                    "path": ["p", "p"],
                    "first_fetched_at": [dt.datetime(2024, 1, 1)] * 2,
                }
            )
            wh.insert_missing("raw.payloads", payloads, ["sha256"])
            wh.replace_where(
                "marts.role_scores",
                pl.DataFrame(
                    {
                        "role_id": ["data_scientist"],
                        "as_of": [dt.date(2024, 2, 1)],
                        "automation_resistance": [20.0],
                        "structural_moat": [15.0],
                        "demand": [float(writer)],
                        "total": [35.0 + writer],
                        "outlook_state": ["stable"],
                        "explanation": [f"writer {writer} round {r}"],
                    }
                ),
                "role_id = ? AND as_of = ?",
                ["data_scientist", dt.date(2024, 2, 1)],
            )
            wh.con.execute(
                "INSERT INTO raw.bls_query_budget SELECT ?, 1 "
                "WHERE NOT EXISTS (SELECT 1 FROM raw.bls_query_budget WHERE day = ?)",
                [dt.date(2024, 1, 1) + dt.timedelta(days=r), dt.date(2024, 1, 1) + dt.timedelta(days=r)],
            )
        conflicts.put(wh.conflicts)


def open_only(catalog: str, data_dir: str, start, results, delay: float = 0.0) -> None:
    start.wait()
    time.sleep(delay)
    with Warehouse.open(None, Path(data_dir), backend="ducklake", ducklake_catalog=catalog) as wh:
        results.put(wh.scalar("SELECT count(*) FROM schema_migrations"))
