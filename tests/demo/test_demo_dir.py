"""The demo rebuilds only what it created: `--warehouse` can never wipe real data."""

from __future__ import annotations

import pytest

from laborwatch.demo import MARKER, DemoError, prepare_directory, run_demo


def test_refuses_a_warehouse_it_did_not_create(tmp_path):
    warehouse = tmp_path / "warehouse.duckdb"
    warehouse.write_bytes(b"real data")
    with pytest.raises(DemoError, match="not created by `laborwatch demo`"):
        prepare_directory(warehouse)
    assert warehouse.read_bytes() == b"real data"


def test_wipes_its_own_previous_run_only(tmp_path):
    warehouse = tmp_path / "warehouse.duckdb"
    (tmp_path / MARKER).write_text("{}")
    warehouse.write_bytes(b"old demo")
    (tmp_path / "raw").mkdir()
    (tmp_path / "raw" / "x").write_bytes(b"payload")
    (tmp_path / "notes.txt").write_text("mine")
    assert prepare_directory(warehouse) == tmp_path
    assert not warehouse.exists() and not (tmp_path / "raw").exists()
    assert (tmp_path / "notes.txt").read_text() == "mine"


def test_unknown_scenario_is_a_clear_error(tmp_path):
    with pytest.raises(DemoError, match="unknown scenario 'boom'"):
        run_demo("boom", 16, tmp_path / "w.duckdb", out=None)
