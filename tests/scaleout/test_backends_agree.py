"""The pipeline on DuckLake gives the same marts as on embedded DuckDB: the same demo market, the same
steps in the same order, in this process, one warehouse on each backend."""

from __future__ import annotations

from pathlib import Path

import pytest

from laborwatch.demo_market import build_market
from laborwatch.demo_server import DemoServer
from laborwatch.settings import load_settings
from tests.scaleout.pipeline_runs import (
    assert_same_marts,
    delivered,
    ducklake_config,
    embedded_config,
    open_warehouse,
    run_weeks,
)
from warehouse.snapshot import open_read_only

pytestmark = pytest.mark.scaleout

SCENARIO = "strengthen"
WEEKS = (0, 1, 2)


def test_watch_signals_role_scores_and_alerts_equal_on_both_backends(
    tmp_path: Path, lake_catalog: str
) -> None:
    market = build_market(SCENARIO, 8)
    with DemoServer(market) as server:
        (tmp_path / "embedded").mkdir()
        (tmp_path / "lake").mkdir()
        embedded_toml = tmp_path / "embedded" / "laborwatch.toml"
        embedded_toml.write_text(embedded_config(server, tmp_path / "embedded", 1))
        lake_toml = tmp_path / "lake" / "laborwatch.toml"
        lake_toml.write_text(ducklake_config(server, tmp_path / "lake", lake_catalog, 1))
        embedded, lake = load_settings(embedded_toml), load_settings(lake_toml)
        assert (embedded.backend, lake.backend) == ("duckdb", "ducklake")
        run_weeks(embedded, market, WEEKS)
        run_weeks(lake, market, WEEKS)

    with open_warehouse(embedded) as e, open_warehouse(lake) as lk:
        rows = assert_same_marts(lk, e)
    assert all(rows.values()), f"nothing to compare in {rows}: choose weeks in which alerts fire"
    assert sorted(delivered(lake)) == sorted(delivered(embedded))
    # The analyst snapshot published from the lake answers like the embedded one.
    query = "SELECT role_id, as_of, total, outlook_state FROM role_scores ORDER BY ALL"
    with open_read_only(embedded.snapshot_path) as a, open_read_only(lake.snapshot_path) as b:
        assert a.execute(query).fetchall() == b.execute(query).fetchall()
