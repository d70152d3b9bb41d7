"""The DuckLake backend against a real PostgreSQL catalog: same schema, same results, keys kept under
concurrent writers, analysts reading without blocking anyone."""

from __future__ import annotations

import datetime as dt
import multiprocessing
import time
from pathlib import Path

import duckdb
import polars as pl
import pytest

from tests.scaleout import lake_writers
from warehouse import ducklake
from warehouse.db import Warehouse, WarehouseConflict, WarehouseError, _migrations
from warehouse.snapshot import open_read_only, publish_snapshot

pytestmark = pytest.mark.scaleout
OPENERS = 6


def _schema(wh: Warehouse) -> pl.DataFrame:
    return wh.query(
        "SELECT table_schema, table_name, column_name, data_type, is_nullable FROM information_schema.columns "
        "WHERE table_catalog = current_database() AND table_schema <> ? ORDER BY ALL",
        [ducklake.GUARD_SCHEMA],
    )


def _duplicates(wh: Warehouse) -> dict[str, int]:
    """Keyed tables holding a key more than once (the test of 'nothing was written twice')."""
    found = {}
    for table, key in wh.keys.items():
        cols = ", ".join(key)
        extra = wh.scalar(f"SELECT count(*) - count(DISTINCT ({cols})) FROM {table}")
        if extra:
            found[table] = extra
    return found


def test_same_tables_columns_and_views_as_embedded(tmp_path: Path, lake: Warehouse) -> None:
    with Warehouse.open(tmp_path / "embedded.duckdb", tmp_path / "data") as embedded:
        assert _schema(lake).equals(_schema(embedded))
        assert len(_schema(lake)) > 100
        applied = "SELECT name FROM schema_migrations ORDER BY name"
        assert lake.query(applied).equals(embedded.query(applied))
    assert lake.migrate() == []  # a second open applies nothing


def _workload(wh: Warehouse) -> None:
    key = ["role_id", "week", "signal"]
    wh.upsert("marts.watch_signals", lake_writers.signals("ai_ml_engineer", range(0, 6), 1.0), key)
    wh.upsert("marts.watch_signals", lake_writers.signals("ai_ml_engineer", range(3, 9), 2.0), key)
    wh.insert_missing("marts.watch_signals", lake_writers.signals("data_scientist", range(0, 3), 5.0), key)
    wh.insert_missing("marts.watch_signals", lake_writers.signals("data_scientist", range(0, 5), 7.0), key)
    with wh.transaction():
        wh.replace_where("marts.watch_signals", pl.DataFrame(), "week < ?", [dt.date(2024, 1, 8)])
        wh.con.execute("INSERT INTO raw.bls_query_budget VALUES (DATE '2024-01-01', 2)")
        wh.con.execute("UPDATE raw.bls_query_budget SET queries = queries + 1")


def test_load_helpers_leave_identical_tables(tmp_path: Path, lake: Warehouse) -> None:
    with Warehouse.open(tmp_path / "embedded.duckdb", tmp_path / "data") as embedded:
        for wh in (embedded, lake):
            _workload(wh)
        for table in ("marts.watch_signals", "raw.bls_query_budget"):
            query = f"SELECT * FROM {table} ORDER BY ALL"
            assert lake.query(query).equals(embedded.query(query)), table
        assert lake.scalar("SELECT count(*) FROM marts.watch_signals") == 12
        assert lake.scalar("SELECT queries FROM raw.bls_query_budget") == 3


def test_a_failed_transaction_leaves_nothing(lake: Warehouse) -> None:
    with pytest.raises(ZeroDivisionError), lake.transaction():
        lake.upsert(
            "marts.watch_signals", lake_writers.signals("r", range(3), 1.0), ["role_id", "week", "signal"]
        )
        _ = 1 / 0
    assert lake.scalar("SELECT count(*) FROM marts.watch_signals") == 0


def test_plain_ducklake_writes_a_key_twice_and_the_guard_stops_it(tmp_path: Path, lake_catalog: str) -> None:
    """Why the guard exists: DuckLake sees no conflict between two delete-then-inserts of a new key."""
    raw_a, raw_b = duckdb.connect(), duckdb.connect()
    for con in (raw_a, raw_b):
        ducklake.attach(con, lake_catalog, tmp_path / "data" / "lake")
    raw_a.execute("CREATE TABLE k (key VARCHAR, v INTEGER)")
    for con in (raw_a, raw_b):
        con.execute("BEGIN")
        con.execute("DELETE FROM k WHERE key = 'x'")
        con.execute("INSERT INTO k VALUES ('x', 1)")
    raw_a.execute("COMMIT")
    raw_b.execute("COMMIT")  # no conflict reported ...
    assert raw_a.execute("SELECT count(*) FROM k").fetchone()[0] == 2  # ... and the key is there twice

    a = Warehouse.open(None, tmp_path / "data", backend="ducklake", ducklake_catalog=lake_catalog)
    b = Warehouse.open(None, tmp_path / "data", backend="ducklake", ducklake_catalog=lake_catalog)
    key = ["role_id", "week", "signal"]
    with pytest.raises(WarehouseConflict):
        with b.transaction():
            b.upsert("marts.watch_signals", lake_writers.signals("r", range(2), 2.0), key)
            with a.transaction():
                a.upsert("marts.watch_signals", lake_writers.signals("r", range(2), 1.0), key)
    assert a.query("SELECT value FROM marts.watch_signals").to_series().to_list() == [1.0, 1.0]

    def rewrite(wh: Warehouse) -> int:
        # The first attempt races a concurrent commit by `a` and loses; the retry sees a's rows.
        n = wh.upsert("marts.watch_signals", lake_writers.signals("r", range(2), 3.0), key)
        if wh.conflicts == 0:
            a.upsert("marts.watch_signals", lake_writers.signals("r", range(2), 4.0), key)
        return n

    assert b.atomically(rewrite) == 2
    assert b.conflicts == 1
    assert b.query("SELECT value FROM marts.watch_signals").to_series().to_list() == [3.0, 3.0]
    assert _duplicates(b) == {}
    a.close()
    b.close()


def test_concurrent_writer_processes_keep_every_key_once(tmp_path: Path, lake: Warehouse) -> None:
    writers, rounds = 4, 6
    ctx = multiprocessing.get_context("spawn")
    start, conflicts = ctx.Event(), ctx.Queue()
    catalog, data_dir = lake.catalog, str(lake.data_dir)
    procs = [
        ctx.Process(target=lake_writers.hammer, args=(catalog, data_dir, w, rounds, start, conflicts))
        for w in range(writers)
    ]
    for p in procs:
        p.start()
    start.set()
    for p in procs:
        p.join(timeout=300)
    assert [p.exitcode for p in procs] == [0] * writers
    retried = sum(conflicts.get(timeout=5) for _ in range(writers))
    assert retried > 0, "the writers never collided: the test did not exercise concurrency"
    assert _duplicates(lake) == {}
    assert lake.scalar("SELECT count(*) FROM marts.watch_signals") == rounds + 3
    assert lake.scalar("SELECT count(*) FROM raw.payloads") == rounds + 1
    assert lake.scalar("SELECT count(*) FROM marts.role_scores") == 1
    assert lake.scalar("SELECT count(*) FROM raw.bls_query_budget") == rounds


def test_workers_opening_a_new_lake_at_once_migrate_it_once(tmp_path: Path, lake_catalog: str) -> None:
    ctx = multiprocessing.get_context("spawn")
    start, results = ctx.Event(), ctx.Queue()
    # Staggered starts: a late opener reads schema_migrations while an early one is still migrating,
    # then begins its own transaction after that one committed (the race the probe DAG first hit).
    procs = [
        ctx.Process(
            target=lake_writers.open_only,
            args=(lake_catalog, str(tmp_path / "data"), start, results, i * 0.15),
        )
        for i in range(OPENERS)
    ]
    for p in procs:
        p.start()
    start.set()
    for p in procs:
        p.join(timeout=240)
    assert [p.exitcode for p in procs] == [0] * OPENERS
    counts = [results.get(timeout=5) for _ in range(OPENERS)]
    with Warehouse.open(None, tmp_path / "data", backend="ducklake", ducklake_catalog=lake_catalog) as wh:
        assert _duplicates(wh) == {}
        applied = wh.scalar("SELECT count(*) FROM schema_migrations")
    assert counts == [applied] * OPENERS and applied >= len(_migrations())


def test_analysts_read_the_lake_and_its_snapshot_without_blocking_writers(
    tmp_path: Path, lake: Warehouse
) -> None:
    key = ["role_id", "week", "signal"]
    lake.upsert("marts.watch_signals", lake_writers.signals("ai_ml_engineer", range(3), 1.0), key)
    snapshot = publish_snapshot(lake, tmp_path / "snapshot" / "analyst.duckdb")
    with open_read_only(snapshot) as con:
        assert con.execute("SELECT count(*) FROM watch_signals").fetchone()[0] == 3
        schemas = {r[0] for r in con.execute("SELECT schema_name FROM duckdb_schemas()").fetchall()}
        assert ducklake.GUARD_SCHEMA not in schemas

    analyst = ducklake.open_read_only(lake.catalog)
    assert analyst.execute("SELECT count(*) FROM watch_signals").fetchone()[0] == 3
    lake.upsert("marts.watch_signals", lake_writers.signals("ai_ml_engineer", range(3, 5), 1.0), key)
    assert analyst.execute("SELECT count(*) FROM watch_signals").fetchone()[0] == 5  # sees new commits
    with pytest.raises(duckdb.Error, match="read-only|read only"):
        analyst.execute("DELETE FROM marts.watch_signals")
    analyst.close()


def test_configuration_errors_fail_at_once_and_say_what_is_wrong(tmp_path: Path, lake: Warehouse) -> None:
    started = time.monotonic()
    with pytest.raises(WarehouseError, match="does not exist"):
        Warehouse.open(
            None,
            tmp_path,
            backend="ducklake",
            ducklake_catalog="postgres:dbname=laborwatch_no_such_db host=127.0.0.1",
        )
    with pytest.raises(WarehouseError, match="does not match existing data path"):
        Warehouse.open(
            None,
            tmp_path,
            backend="ducklake",
            ducklake_catalog=lake.catalog,
            ducklake_data_path=tmp_path / "elsewhere",
        )
    assert time.monotonic() - started < 10  # no retry loop on errors that retrying cannot fix
    with pytest.raises(WarehouseError, match="needs a ducklake_catalog"):
        Warehouse.open(None, tmp_path, backend="ducklake")
    with pytest.raises(WarehouseError, match="unknown warehouse backend"):
        Warehouse.open(tmp_path / "w.duckdb", tmp_path, backend="sqlite")


def test_maintenance_keeps_the_data_and_drops_old_snapshots(lake: Warehouse) -> None:
    key = ["role_id", "week", "signal"]
    versions = []
    for value in (1.0, 2.0, 3.0):
        lake.upsert("marts.watch_signals", lake_writers.signals("r", range(4), value), key)
        versions.append(lake.scalar("SELECT max(snapshot_id) FROM ducklake_snapshots('lake')"))
    travel = f"SELECT DISTINCT value FROM watch_signals AT (VERSION => {versions[0]})"
    assert lake.query(travel).to_series().to_list() == [1.0]  # time travel, for analysts
    before = lake.query("SELECT * FROM watch_signals ORDER BY ALL")
    snapshots = lake.scalar("SELECT count(*) FROM ducklake_snapshots('lake')")
    ducklake.maintain(lake.con, older_than_days=0)
    assert lake.query("SELECT * FROM watch_signals ORDER BY ALL").equals(before)
    assert lake.scalar("SELECT count(*) FROM ducklake_snapshots('lake')") < snapshots
