from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import duckdb
import polars as pl
import pytest

from warehouse.archive import Fetch, archive_fetch, last_validators, read_payload
from warehouse.db import Warehouse, WarehouseError
from warehouse.snapshot import publish_snapshot

VIEWS = {
    "postings": {"source", "source_id", "title", "seniority", "tags", "first_seen", "last_seen", "closed_at"},
    "bls_observations": {"series_id", "year", "period", "value", "footnote_codes", "retrieved_at"},
    "projections": {"edition", "soc_code", "employment_base", "employment_projected", "openings_annual"},
    "watch_signals": {"role_id", "week", "signal", "value", "n", "ci_low", "ci_high"},
    "role_scores": {"role_id", "as_of", "automation_resistance", "structural_moat", "demand", "total"},
    "alerts": {
        "alert_id",
        "role_id",
        "fired_at",
        "kind",
        "old_value",
        "new_value",
        "message",
        "delivery_status",
    },
    "source_health": {"source", "board", "run", "status", "rows", "error"},
    "role_cards": {"role_id", "soc_codes", "total"},
}


def _dump(wh: Warehouse) -> dict[str, list[tuple]]:
    tables = wh.con.execute(
        "SELECT table_schema || '.' || table_name FROM information_schema.tables "
        "WHERE table_type = 'BASE TABLE' ORDER BY 1"
    ).fetchall()
    return {t: sorted(map(repr, wh.con.execute(f"SELECT * FROM {t}").fetchall())) for (t,) in tables}


def test_migrations_applied_twice_equal_once(tmp_path: Path) -> None:
    with Warehouse.open(tmp_path / "w.duckdb") as wh:
        first = _dump(wh)
        assert wh.migrate() == []
    with Warehouse.open(tmp_path / "w.duckdb") as wh:
        assert _dump(wh) == first
        applied = wh.scalar("SELECT count(*) FROM schema_migrations")
        assert applied == len({r[0] for r in wh.con.execute("SELECT name FROM schema_migrations").fetchall()})


def test_views_exist_with_their_columns(warehouse: Warehouse) -> None:
    for view, columns in VIEWS.items():
        assert columns <= set(warehouse.columns(view)), view
        assert warehouse.scalar(f"SELECT count(*) FROM {view}") == 0


def _signals(value: float) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "role_id": ["r", "r"],
            "week": [date(2026, 1, 5), date(2026, 1, 12)],
            "signal": ["entry_share", "entry_share"],
            "value": [value, 0.3],
            "n": [40, 41],
            "ci_low": [0.1, 0.2],
            "ci_high": [0.6, 0.5],
        }
    )


def test_upsert_of_the_same_batch_twice_leaves_identical_tables(warehouse: Warehouse) -> None:
    key = ["role_id", "week", "signal"]
    warehouse.upsert("marts.watch_signals", _signals(0.4), key)
    once = _dump(warehouse)
    warehouse.upsert("marts.watch_signals", _signals(0.4), key)
    assert _dump(warehouse) == once
    warehouse.upsert("marts.watch_signals", _signals(0.45), key)
    values = warehouse.query("SELECT value FROM marts.watch_signals ORDER BY week")["value"].to_list()
    assert values == [0.45, 0.3]
    assert warehouse.insert_missing("marts.watch_signals", _signals(0.9), key) == 0


def test_upsert_refuses_a_batch_that_repeats_a_key(warehouse: Warehouse) -> None:
    batch = pl.concat([_signals(0.4), _signals(0.4)])
    with pytest.raises(WarehouseError, match="repeats a key"):
        warehouse.upsert("marts.watch_signals", batch, ["role_id", "week", "signal"])


def test_a_load_that_raises_half_way_leaves_the_tables_as_before(warehouse: Warehouse) -> None:
    warehouse.upsert("marts.watch_signals", _signals(0.4), ["role_id", "week", "signal"])
    before = _dump(warehouse)
    with pytest.raises(RuntimeError, match="crash"):
        with warehouse.transaction():
            warehouse.upsert("marts.watch_signals", _signals(0.9), ["role_id", "week", "signal"])
            warehouse.con.execute("DELETE FROM staging.role_cards")
            assert warehouse.scalar("SELECT max(value) FROM marts.watch_signals") == 0.9
            raise RuntimeError("crash in the middle of a load")
    assert _dump(warehouse) == before


def test_archive_stores_a_payload_once_and_remembers_validators(warehouse: Warehouse) -> None:
    fetch = Fetch("http://127.0.0.1/x", datetime(2026, 1, 1, 12), 200, b"[1]", etag='"e1"')
    sha = archive_fetch(warehouse, fetch)
    assert archive_fetch(warehouse, fetch) == sha
    assert read_payload(warehouse.data_dir, sha) == b"[1]"
    assert warehouse.scalar("SELECT count(*) FROM raw.payloads") == 1
    assert warehouse.scalar("SELECT count(*) FROM raw.fetches") == 1
    assert last_validators(warehouse, "http://127.0.0.1/x") == ('"e1"', None, sha)


def test_snapshot_is_replaced_atomically_and_is_a_full_copy(warehouse: Warehouse, tmp_path: Path) -> None:
    target = tmp_path / "snap" / "analyst.duckdb"
    publish_snapshot(warehouse, target)
    warehouse.upsert("marts.watch_signals", _signals(0.4), ["role_id", "week", "signal"])
    publish_snapshot(warehouse, target)
    con = duckdb.connect(str(target), read_only=True)
    assert con.execute("SELECT count(*) FROM watch_signals").fetchone()[0] == 2
    con.close()
    assert [p.name for p in target.parent.iterdir()] == ["analyst.duckdb"]
