"""
### bls_releases

Pulls BLS data (API v2 series for every role card's SOC proxies and the shared industry series,
the Employment Projections workbook, OEWS files) when there is something new to pull.

* **check_releases** asks the pipeline which releases have come out (per the BLS release calendar)
  or which sources changed since the last pull. Nothing due: the run stops here, the Asset is not
  updated and `outlook` does not run.
* **ingest_bls** pulls and loads every vintage (pool `duckdb_writer`), spending at most the
  configured share of the day's API query budget, and updates the `laborwatch_bls` Asset.

Schedule: `$LABORWATCH_BLS_SCHEDULE` (cron, default daily at 16:00 UTC, after the 08:30 and
10:00 ET release times). Conf `{"force": true}` pulls regardless; `{"as_of": "..."}` replays a date.
The BLS key comes from `$LABORWATCH_BLS_API_KEY` or the Airflow connection `laborwatch_bls`.
"""

from __future__ import annotations

from datetime import timedelta

from airflow.sdk import dag, get_current_context, task
from dag_support import BLS, START, TAGS, WRITER_POOL, default_args, run_as_of, schedule_from_env, settings


@dag(
    dag_id="bls_releases",
    schedule=schedule_from_env("LABORWATCH_BLS_SCHEDULE", "0 16 * * *"),
    start_date=START,
    catchup=False,
    max_active_runs=1,
    doc_md=__doc__,
    tags=[*TAGS, "ingest"],
    default_args=default_args(),
)
def bls_releases():
    @task.short_circuit(pool=WRITER_POOL, retries=2, execution_timeout=timedelta(minutes=5))
    def check_releases() -> list[str]:
        """The releases due (an empty list skips the pull)."""
        from laborwatch import pipeline

        context = get_current_context()
        if (context["dag_run"].conf or {}).get("force"):
            return ["forced"]
        return pipeline.bls_releases_due(settings(), run_as_of(context))

    @task(pool=WRITER_POOL, retries=3, execution_timeout=timedelta(minutes=30), outlets=[BLS])
    def ingest_bls(due: list[str]) -> dict:
        from laborwatch import pipeline

        context = get_current_context()
        as_of = run_as_of(context)
        summary = pipeline.ingest_bls(settings(), as_of, force="forced" in due)
        context["outlet_events"][BLS].extra = {"as_of": as_of, "releases": due[:20]}
        return summary

    ingest_bls(check_releases())


bls_releases()
