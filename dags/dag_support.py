"""What the three laborwatch DAG files share: the Assets, the writer pool, settings, a run's as_of.

Kept light on purpose: the DAG processor imports this on every parse, so nothing here imports
polars, duckdb or Great Expectations (the pipeline steps do, inside the tasks that call them).
"""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from typing import Any

from airflow.sdk import Asset

# The two ingest DAGs update these; the outlook DAG is scheduled on either (POSTINGS | BLS).
POSTINGS = Asset(
    name="laborwatch_postings", uri="laborwatch://warehouse/staging/postings", group="laborwatch"
)
BLS = Asset(name="laborwatch_bls", uri="laborwatch://warehouse/raw/bls_observations", group="laborwatch")
OUTLOOK = Asset(name="laborwatch_outlook", uri="laborwatch://warehouse/marts/role_scores", group="laborwatch")

# DuckDB takes one writing process at a time: every task that opens the warehouse runs in this pool,
# created with one slot (`airflow pools set duckdb_writer 1 "DuckDB single writer"`, see docs/airflow.md).
WRITER_POOL = "duckdb_writer"
START = datetime(2026, 1, 1, tzinfo=UTC)
TAGS = ["laborwatch"]

# Airflow connections that may hold the secrets the pipeline reads from the environment
# (connection id → environment variable); the secret is the connection's password.
SECRET_CONNECTIONS = {
    "laborwatch_bls": "LABORWATCH_BLS_API_KEY",
    "laborwatch_webhook": "LABORWATCH_WEBHOOK_URL",
    "laborwatch_smtp": "LABORWATCH_SMTP_PASSWORD",
}


def schedule_from_env(name: str, default: str) -> str | None:
    """A cron expression (or preset) from the environment; "none" turns the schedule off."""
    value = os.environ.get(name, default).strip()
    return None if value.lower() in ("", "none", "off") else value


def default_args(retries: int = 2) -> dict[str, Any]:
    return {
        "owner": "laborwatch",
        "retries": retries,
        "retry_delay": timedelta(minutes=2),
        "retry_exponential_backoff": True,
        "max_retry_delay": timedelta(minutes=30),
    }


def settings():
    """laborwatch settings from $LABORWATCH_CONFIG (or the defaults), with secrets from connections."""
    from laborwatch.settings import load_settings

    _secrets_from_connections()
    return load_settings()


def _secrets_from_connections() -> None:
    """Copy secrets from Airflow connections into the environment the pipeline reads, unless set."""
    from airflow.sdk import Connection
    from airflow.sdk.exceptions import AirflowNotFoundException

    for conn_id, env in SECRET_CONNECTIONS.items():
        if os.environ.get(env):
            continue
        try:
            secret = Connection.get(conn_id).password
        except AirflowNotFoundException:
            continue
        if secret:
            os.environ[env] = secret


def _iso(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    return value.replace(microsecond=0).isoformat()


def run_as_of(context: Any) -> str:
    """The logical date the pipeline steps run at, the same for every task of a run.

    In order: `as_of` in the run's conf (replays, tests); the latest `as_of` carried by the asset
    events that triggered the run (the outlook DAG computes as of the ingest it follows); the run's
    logical date; its run_after (asset-triggered and date-less manual runs have no logical date).
    """
    dag_run = context["dag_run"]
    conf = getattr(dag_run, "conf", None) or {}
    if conf.get("as_of"):
        return _iso(conf["as_of"])
    events = context.get("triggering_asset_events") or {}
    carried = [
        _iso(event.extra["as_of"])
        for asset_events in events.values()
        for event in asset_events
        if (event.extra or {}).get("as_of")
    ]
    if carried:
        return max(carried)
    return _iso(context.get("logical_date") or dag_run.run_after)
