"""compute_outlook on DuckLake (PostgreSQL catalog) gives the embedded DuckDB result, week by week."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from laborwatch.outlook import compute_outlook
from laborwatch.settings import Settings
from tests.scaleout.services import fresh_database, libpq
from tests.signals.market import end_of_week
from tests.signals.test_outlook import MARTS, _market, _stage, _tables
from transforms.role_card import RoleCard
from warehouse.db import Warehouse

pytestmark = pytest.mark.scaleout


@pytest.fixture
def lake(tmp_path: Path) -> Iterator[Warehouse]:
    """A DuckLake warehouse on a fresh PostgreSQL database (dropped after the test)."""
    with fresh_database() as name:
        catalog = f"postgres:{libpq(name)}"
        with Warehouse.open(None, tmp_path / "data", backend="ducklake", ducklake_catalog=catalog) as wh:
            yield wh


def test_incremental_outlook_on_ducklake_equals_embedded(
    lake: Warehouse, tmp_path: Path, settings: Settings, cards: list[RoleCard]
):
    postings = _market(8)
    for week in range(8):
        _stage(lake, postings, end_of_week(week))
        compute_outlook(settings, lake, cards, end_of_week(week))
    with Warehouse.open(tmp_path / "embedded.duckdb", tmp_path / "embedded") as embedded:
        _stage(embedded, postings, end_of_week(7))
        compute_outlook(settings, embedded, cards, end_of_week(7))
        expected = _tables(embedded)
    got = _tables(lake)
    for table in MARTS:
        assert got[table].height > 0 and got[table].equals(expected[table]), table
