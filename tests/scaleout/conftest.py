from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.scaleout.services import fresh_database, libpq
from warehouse.db import Warehouse


@pytest.fixture
def lake_catalog() -> Iterator[str]:
    """A DuckLake catalog string on a fresh PostgreSQL database (dropped after the test)."""
    with fresh_database() as name:
        yield f"postgres:{libpq(name)}"


@pytest.fixture
def lake(tmp_path: Path, lake_catalog: str) -> Iterator[Warehouse]:
    with Warehouse.open(None, tmp_path / "data", backend="ducklake", ducklake_catalog=lake_catalog) as wh:
        yield wh
