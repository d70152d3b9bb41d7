"""Fixtures for the postings ingest tests: settings pointing every source at the local server."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from laborwatch.role_cards import load_role_cards
from laborwatch.settings import Settings, load_settings
from tests.local_http import LocalServer
from transforms.role_card import RoleCard
from warehouse.db import Warehouse

AS_OF = datetime(2026, 3, 3, 12, 0)
FAST_HTTP = {
    "timeout_seconds": 1.0,
    "max_retries": 2,
    "backoff_seconds": 0.01,
    "max_backoff_seconds": 2.0,
    "max_response_bytes": 200_000,
    "default_rate_limit_per_second": 200.0,
}


def _toml(value: Any) -> str:
    if isinstance(value, dict):
        return "{" + ", ".join(f"{json.dumps(k)} = {_toml(v)}" for k, v in value.items()) + "}"
    return json.dumps(value)


def write_config(path: Path, server: LocalServer, sources: dict[str, dict[str, Any]], **http: Any) -> Path:
    """A laborwatch TOML: every named source at the local server (unless it gives its own base_url)."""
    lines = ["[warehouse]", 'path = "data/warehouse.duckdb"', 'data_dir = "data"', "", "[http]"]
    lines += [f"{k} = {_toml(v)}" for k, v in {**FAST_HTTP, **http}.items()]
    for name, table in sources.items():
        lines += ["", f"[sources.{name}]"]
        table = {"base_url": server.url, "rate_limit_per_second": 200.0, **table}
        lines += [f"{k} = {_toml(v)}" for k, v in table.items()]
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.fixture
def configure(tmp_path: Path, http_server: LocalServer) -> Callable[..., Settings]:
    def make(sources: dict[str, dict[str, Any]], **http: Any) -> Settings:
        return load_settings(write_config(tmp_path / "laborwatch.toml", http_server, sources, **http))

    return make


@pytest.fixture
def cards() -> list[RoleCard]:
    return load_role_cards()


@pytest.fixture
def open_warehouse(tmp_path: Path) -> Callable[[Settings], Warehouse]:
    opened: list[Warehouse] = []

    def make(settings: Settings) -> Warehouse:
        wh = Warehouse.open(settings.warehouse_path, settings.data_dir)
        opened.append(wh)
        return wh

    yield make
    for wh in opened:
        wh.close()
