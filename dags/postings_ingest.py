"""
### postings_ingest

Fetches every configured job board and loads what arrived into the laborwatch warehouse.

* **list_boards** reads the config (`$LABORWATCH_CONFIG`) and lists each `(source, board)`.
* **fetch_board** is mapped over that list, one task instance per board, so a board that fails is
  retried on its own and never holds the others back. It only fetches: payloads go to the raw
  archive and a manifest to the landing area; it opens no database.
* **load_postings** is the single writer (pool `duckdb_writer`): archive index, parse (bad payloads
  quarantined), expectations gate, classification, dedup, lifecycle and `source_health`. It runs
  once all fetches are done, whatever their outcome, with the manifests that exist, and updates the
  `laborwatch_postings` Asset, which starts the `outlook` DAG right away.

Schedule: `$LABORWATCH_POSTINGS_SCHEDULE` (cron, default every four hours; `none` for manual only).
Replays: trigger with conf `{"as_of": "2026-03-01T18:00:00"}`.
"""

from __future__ import annotations

from datetime import timedelta

from airflow.sdk import dag, get_current_context, task
from dag_support import (
    POSTINGS,
    START,
    TAGS,
    WRITER_POOL,
    default_args,
    run_as_of,
    schedule_from_env,
    settings,
)


@dag(
    dag_id="postings_ingest",
    schedule=schedule_from_env("LABORWATCH_POSTINGS_SCHEDULE", "0 */4 * * *"),
    start_date=START,
    catchup=False,
    max_active_runs=1,
    doc_md=__doc__,
    tags=[*TAGS, "ingest"],
    default_args=default_args(),
)
def postings_ingest():
    @task(retries=1, execution_timeout=timedelta(minutes=2))
    def list_boards() -> list[list[str]]:
        """Every (source, board) of the config; a source with no boards is not read."""
        config = settings()
        return [[s.name, board] for s in config.sources.values() if s.enabled for board in s.boards]

    @task(
        retries=3,
        retry_delay=timedelta(minutes=1),
        execution_timeout=timedelta(minutes=20),
        map_index_template="{{ board_label }}",
    )
    def fetch_board(board: list[str]) -> str:
        """Fetch one board into the landing area; return its manifest path (XCom carries paths, not data)."""
        from laborwatch import pipeline

        context = get_current_context()
        source, name = board
        context["board_label"] = f"{source}:{name}"[:200]
        return pipeline.fetch_board(settings(), source, name, run_as_of(context))

    @task(
        pool=WRITER_POOL,
        trigger_rule="all_done",
        retries=2,
        execution_timeout=timedelta(minutes=30),
        outlets=[POSTINGS],
    )
    def load_postings(manifests: list[str]) -> dict:
        """The one writer: load every manifest the fetches left, then tell the outlook DAG."""
        from airflow.sdk.exceptions import AirflowSkipException

        from laborwatch import pipeline

        context = get_current_context()
        manifests = list(manifests)
        if not manifests:
            raise AirflowSkipException("no board was fetched: nothing to load")
        as_of = run_as_of(context)
        summary = pipeline.load_postings(settings(), manifests, as_of)
        context["outlet_events"][POSTINGS].extra = {"as_of": as_of, "manifests": len(manifests)}
        return summary

    load_postings(fetch_board.expand(board=list_boards()))


postings_ingest()
