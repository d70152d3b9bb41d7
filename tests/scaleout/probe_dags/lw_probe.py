"""A small DAG that proves the deployment, not the pipeline: eight mapped tasks spread over the
Celery workers, each writing the shared DuckLake warehouse at the same time as the others."""

from __future__ import annotations

import os

import pendulum
from airflow.sdk import dag, task

WRITERS = 8
POOL = os.environ.get("LABORWATCH_WRITER_POOL", "duckdb_writer")


@dag(
    schedule=None, start_date=pendulum.datetime(2026, 1, 1, tz="UTC"), catchup=False, tags=["laborwatch-test"]
)
def lw_probe():
    @task(pool=POOL)
    def write(i: int) -> dict:
        import datetime as dt
        import os

        import polars as pl

        from laborwatch.pipeline import open_warehouse
        from laborwatch.settings import load_settings

        def rows(week: int, value: float) -> pl.DataFrame:
            return pl.DataFrame(
                {
                    "role_id": ["probe"],
                    "week": [dt.date(2026, 1, 5) + dt.timedelta(weeks=week)],
                    "signal": ["writer"],
                    "value": [value],
                    "n": [1],
                    "ci_low": [0.0],
                    "ci_high": [1.0],
                }
            )

        # Its own lake (LABORWATCH_PROBE_CONFIG), so the pipeline's warehouse holds only pipeline data.
        with open_warehouse(load_settings(os.environ["LABORWATCH_PROBE_CONFIG"])) as wh:
            key = ["role_id", "week", "signal"]
            wh.upsert("marts.watch_signals", rows(i, float(i)), key)  # a row of its own
            wh.insert_missing("marts.watch_signals", rows(100, -1.0), key)  # a row every task races for
            return {"pid": os.getpid(), "conflicts": wh.conflicts}

    write.expand(i=list(range(WRITERS)))


lw_probe()
