"""
### outlook

Turns the latest postings and BLS data into watch signals, outlook states, scores and alerts, then
publishes the analyst snapshot. Scheduled on the Assets the ingest DAGs update
(`laborwatch_postings | laborwatch_bls`), so it starts as soon as either ingest finishes: new postings
reach scores and alerts without waiting for a nightly batch.

* **compute_outlook**: signals → states → scores for the weeks the new data touched (pool
  `duckdb_writer`).
* **fire_alerts**: detects `score_change`, `outlook_change`, `trigger` and `source_health` alerts
  into the outbox, then delivers everything not yet delivered (failed deliveries are retried on the
  next run). Re-running records nothing twice.
* **publish_snapshot**: replaces the read-only analyst copy atomically.

Each step is idempotent: running the DAG twice for the same date changes nothing. The run computes
as of the `as_of` carried by the triggering asset events (conf `{"as_of": ...}` overrides).
"""

from __future__ import annotations

from datetime import timedelta

from airflow.sdk import dag, get_current_context, task
from dag_support import BLS, OUTLOOK, POSTINGS, START, TAGS, WRITER_POOL, default_args, run_as_of, settings


@dag(
    dag_id="outlook",
    schedule=(POSTINGS | BLS),
    start_date=START,
    catchup=False,
    max_active_runs=1,
    doc_md=__doc__,
    tags=[*TAGS, "outlook"],
    default_args=default_args(),
)
def outlook():
    @task(pool=WRITER_POOL, execution_timeout=timedelta(minutes=30))
    def compute_outlook() -> dict:
        from laborwatch import pipeline

        return pipeline.compute_outlook(settings(), run_as_of(get_current_context()))

    @task(pool=WRITER_POOL, retries=3, execution_timeout=timedelta(minutes=10))
    def fire_alerts() -> dict:
        from laborwatch import pipeline

        return pipeline.fire_alerts(settings(), run_as_of(get_current_context()))

    @task(pool=WRITER_POOL, execution_timeout=timedelta(minutes=10), outlets=[OUTLOOK])
    def publish_snapshot() -> str:
        from laborwatch import pipeline

        return pipeline.publish(settings())

    compute_outlook() >> fire_alerts() >> publish_snapshot()


outlook()
