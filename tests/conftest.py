from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from laborwatch.settings import Settings, load_settings
from tests.local_http import LocalServer
from warehouse.db import Warehouse


@pytest.fixture
def http_server() -> Iterator[LocalServer]:
    with LocalServer() as server:
        yield server


@pytest.fixture
def warehouse(tmp_path: Path) -> Iterator[Warehouse]:
    with Warehouse.open(tmp_path / "warehouse.duckdb", tmp_path / "data") as wh:
        yield wh


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    config = tmp_path / "laborwatch.toml"
    config.write_text('[warehouse]\npath = "data/warehouse.duckdb"\ndata_dir = "data"\n')
    return load_settings(config)
