"""What both end-to-end scale-out tests share: the pipeline run week by week the way the DAGs run it,
and the comparison of two warehouses."""

from __future__ import annotations

import re
from pathlib import Path

import polars as pl

from laborwatch import pipeline
from laborwatch.demo_market import Market
from laborwatch.demo_server import DemoServer
from laborwatch.settings import Settings
from warehouse.db import Warehouse

# The analyst views compared between an embedded and a DuckLake warehouse, in a total order.
COMPARED = {
    "watch_signals": "SELECT * FROM watch_signals ORDER BY role_id, week, signal",
    "role_scores": "SELECT * FROM role_scores ORDER BY role_id, as_of",
    "alerts": "SELECT * FROM alerts ORDER BY alert_id",
}
# Tables whose row counts must agree too (a row written twice would show here first).
COUNTED = (
    "staging.postings",
    "raw.postings",
    "marts.role_states",
    "marts.alert_deliveries",
    "marts.source_health",
)


# A configured board the market does not have: its 404 is a `source_health` alert every run, so the
# alerts compared are never an empty table, however few weeks a test replays.
MISSING_BOARD = "no-such-board"


def _with_missing_board(text: str) -> str:
    pattern = r'(\[sources\.greenhouse\]\nbase_url = "[^"]+"\nboards = \[)'
    return re.sub(pattern, rf'\1"{MISSING_BOARD}", ', text, count=1)


def ducklake_config(server: DemoServer, data_dir: Path, catalog: str, boards_per_source: int) -> str:
    """The demo server's config, plus the missing board, with the warehouse on DuckLake."""
    alerts = data_dir / "alerts.jsonl"
    text = server.config_toml(data_dir / "unused.duckdb", data_dir, alerts, boards_per_source)
    lake = f'[warehouse]\nbackend = "ducklake"\nducklake_catalog = "{catalog}"\n'
    return _with_missing_board(text.replace("[warehouse]\n", lake, 1))


def embedded_config(server: DemoServer, data_dir: Path, boards_per_source: int) -> str:
    """The same config with the warehouse in an embedded DuckDB file."""
    alerts = data_dir / "alerts.jsonl"
    text = server.config_toml(data_dir / "warehouse.duckdb", data_dir, alerts, boards_per_source)
    return _with_missing_board(text)


def run_weeks(settings: Settings, market: Market, weeks: tuple[int, ...]) -> None:
    """Per week, what the DAGs do in order: postings_ingest (fetch every board, load), then the outlook
    run its Asset triggers (outlook, alerts, snapshot)."""
    boards = [(s.name, b) for s in settings.sources.values() if s.enabled for b in s.boards]
    for week in weeks:
        market.set_week(week)
        as_of = market.as_of(week)
        manifests = [pipeline.fetch_board(settings, source, board, as_of) for source, board in boards]
        pipeline.load_postings(settings, manifests, as_of)
        pipeline.compute_outlook(settings, as_of)
        pipeline.fire_alerts(settings, as_of)
        pipeline.publish(settings)


def open_warehouse(settings: Settings) -> Warehouse:
    """The warehouse of `settings` without loading role cards (a reader's view)."""
    return Warehouse.open(
        settings.warehouse_path,
        settings.data_dir,
        backend=settings.backend,
        ducklake_catalog=settings.ducklake_catalog,
        ducklake_data_path=settings.ducklake_data_path,
    )


def duplicates(wh: Warehouse) -> dict[str, int]:
    """Keyed tables holding some key more than once: 'nothing was written twice' is this being empty."""
    found = {}
    for table, key in wh.keys.items():
        extra = wh.scalar(f"SELECT count(*) - count(DISTINCT ({', '.join(key)})) FROM {table}")
        if extra:
            found[table] = extra
    return found


def delivered(settings: Settings) -> pl.Series:
    """alert_id of every record the file channel wrote."""
    path = Path(settings.alerts_file)
    lines = [line for line in path.read_text().splitlines() if line.strip()] if path.exists() else []
    return pl.Series("alert_id", lines, dtype=pl.String).str.json_path_match("$.alert_id")


def assert_same_marts(lake: Warehouse, embedded: Warehouse) -> dict[str, int]:
    """watch_signals, role_scores and alerts equal, row for row; the counted tables equal in size;
    no key twice in the lake. Returns the row counts compared."""
    assert lake.backend == "ducklake" and embedded.backend == "duckdb"
    rows = {}
    for view, query in COMPARED.items():
        ours, theirs = lake.query(query), embedded.query(query)
        assert ours.equals(theirs), f"{view} differs between DuckLake and embedded DuckDB:\n{ours}\n{theirs}"
        rows[view] = ours.height
    for table in COUNTED:
        count = f"SELECT count(*) FROM {table}"
        assert lake.scalar(count) == embedded.scalar(count), table
    assert duplicates(lake) == {}
    return rows
