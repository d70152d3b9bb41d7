"""The pipeline steps, composed without Airflow.

The CLI, the demo and every Airflow task call these same functions, so the scheduled path and the
plain path cannot drift apart. Each step opens the warehouse itself and returns a small
JSON-serialisable summary (what Airflow passes through XCom); none keeps state between calls.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, is_dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

import polars as pl

from laborwatch.role_cards import DEFAULT_ROLES_DIR, load_role_cards
from laborwatch.settings import Settings
from transforms.role_card import RoleCard
from warehouse.db import Warehouse, retry_on_conflict
from warehouse.role_cards_load import load_role_cards_table
from warehouse.snapshot import publish_snapshot

P = ParamSpec("P")
R = TypeVar("R")


def resolve_as_of(as_of: datetime | str | None) -> datetime:
    """The run's logical date as a naive UTC timestamp (DuckDB TIMESTAMP has no zone)."""
    if as_of is None:
        return datetime.now(UTC).replace(tzinfo=None, microsecond=0)
    if isinstance(as_of, str):
        as_of = datetime.fromisoformat(as_of)
    if as_of.tzinfo is not None:
        as_of = as_of.astimezone(UTC).replace(tzinfo=None)
    return as_of


def cards_for(settings: Settings) -> list[RoleCard]:
    return load_role_cards(settings.roles_dir or DEFAULT_ROLES_DIR)


@contextmanager
def open_warehouse(settings: Settings) -> Iterator[Warehouse]:
    """The warehouse of `settings`, with migrations applied and the role cards table current."""
    with Warehouse.open(
        settings.warehouse_path,
        settings.data_dir,
        backend=settings.backend,
        ducklake_catalog=settings.ducklake_catalog,
        ducklake_data_path=settings.ducklake_data_path,
    ) as wh:
        load_role_cards_table(wh, cards_for(settings))
        yield wh


def _retried(step: Callable[P, R]) -> Callable[P, R]:
    """Run a whole step again when a DuckLake writer lost a race (never happens on duckdb).

    Every step is idempotent and opens its own warehouse, so replaying it is safe; a transaction
    spanning several helpers cannot be retried from inside.
    """

    @functools.wraps(step)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        return retry_on_conflict(step, *args, **kwargs)

    return run


def _summary(report: Any) -> dict[str, Any]:
    if is_dataclass(report):
        report = asdict(report)
    return {k: (str(v) if isinstance(v, Path | datetime) else v) for k, v in dict(report or {}).items()}


def fetch_board(settings: Settings, source: str, board: str, as_of: datetime | str | None) -> str:
    """Fetch one board into the landing area (no warehouse write: safe to run in parallel)."""
    from laborwatch.ingest_postings import fetch_board as _fetch

    return str(_fetch(settings, source, board, resolve_as_of(as_of)))


@_retried
def load_postings(settings: Settings, manifests: Sequence[str], as_of: datetime | str | None) -> dict:
    """The single writer for landed postings: archive, parse, gate, classify, dedup, load."""
    from laborwatch.ingest_postings import load_landed

    with open_warehouse(settings) as wh:
        paths = [Path(m) for m in manifests]
        return _summary(load_landed(settings, wh, paths, resolve_as_of(as_of), cards_for(settings)))


@_retried
def ingest_postings(settings: Settings, as_of: datetime | str | None, progress: bool = False) -> dict:
    from laborwatch.ingest_postings import ingest_postings as _ingest

    with open_warehouse(settings) as wh:
        report = _ingest(settings, wh, resolve_as_of(as_of), cards_for(settings), progress=progress)
        return _summary(report)


def bls_releases_due(settings: Settings, as_of: datetime | str | None) -> list[str]:
    from laborwatch.ingest_bls import releases_due

    with open_warehouse(settings) as wh:
        return list(releases_due(settings, wh, resolve_as_of(as_of)))


@_retried
def ingest_bls(settings: Settings, as_of: datetime | str | None, force: bool = False) -> dict:
    from laborwatch.ingest_bls import ingest_bls as _ingest

    with open_warehouse(settings) as wh:
        return _summary(_ingest(settings, wh, cards_for(settings), resolve_as_of(as_of), force=force))


@_retried
def compute_outlook(settings: Settings, as_of: datetime | str | None, full: bool = False) -> dict:
    """Signals, states and scores for the weeks the latest data touched."""
    from laborwatch.outlook import compute_outlook as _compute

    with open_warehouse(settings) as wh:
        return _summary(_compute(settings, wh, cards_for(settings), resolve_as_of(as_of), full=full))


@_retried
def fire_alerts(settings: Settings, as_of: datetime | str | None) -> dict:
    """Detect alerts into the outbox, then deliver everything not yet delivered."""
    from alerts.delivery import deliver_pending
    from alerts.detect import detect_alerts

    with open_warehouse(settings) as wh:
        new = detect_alerts(wh, cards_for(settings), resolve_as_of(as_of))
        delivery = _summary(deliver_pending(wh, settings.alerts, settings.alerts_file))
        return {"new_alerts": new, **delivery}


def release_loaders(settings: Settings, wh: Warehouse) -> dict[str, Callable[[pl.DataFrame], int]]:
    """How a released quarantine batch is loaded, per suite: the same loaders the ingest steps use."""
    from laborwatch.ingest_bls import load_bls_batch
    from laborwatch.ingest_postings import load_postings_batch

    as_of = resolve_as_of(None)

    def postings(df: pl.DataFrame) -> int:
        source, board = df["source"][0], df["board"][0]
        return load_postings_batch(settings, wh, df, as_of, cards_for(settings), source, board)

    def bls(df: pl.DataFrame) -> int:
        return load_bls_batch(wh, df, df["retrieved_at"].max())

    return {"raw_postings": postings, "bls_observations": bls}


@_retried
def publish(settings: Settings) -> str:
    """Replace the analyst snapshot atomically with the current warehouse."""
    with open_warehouse(settings) as wh:
        return str(publish_snapshot(wh, settings.snapshot_path))


def run(settings: Settings, as_of: datetime | str | None = None, progress: bool = False) -> dict:
    """One full pass: ingest postings and BLS → gate → transforms → scores → alerts → snapshot."""
    as_of = resolve_as_of(as_of)
    return {
        "as_of": as_of.isoformat(),
        "postings": ingest_postings(settings, as_of, progress=progress),
        "bls": ingest_bls(settings, as_of),
        "outlook": compute_outlook(settings, as_of),
        "alerts": fire_alerts(settings, as_of),
        "snapshot": publish(settings),
    }
