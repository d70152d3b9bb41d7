"""The analyst snapshot: a read-only copy of the warehouse, replaced atomically after each run.

DuckDB lets one process write, and even a read-only reader blocks the writer, so analysts never
open the live file: they open this copy, which the pipeline rebuilds beside it and swaps in with
os.replace.

On DuckLake the snapshot is the same kind of file (so `laborwatch sql` works unchanged), copied from
the lake at one consistent DuckLake snapshot; analysts may also attach the lake itself read-only
(warehouse.ducklake.open_read_only), which never blocks the writers.

Publishing first brings the description search index up to date (warehouse.search_index), so that
`search_postings(term)` in the snapshot answers for exactly the postings the snapshot holds.
"""

from __future__ import annotations

import os
from pathlib import Path

import duckdb

from warehouse import ducklake, search_index
from warehouse.db import Warehouse, WarehouseError


def publish_snapshot(warehouse: Warehouse, snapshot_path: Path) -> Path:
    snapshot_path = Path(snapshot_path)
    snapshot_path.parent.mkdir(parents=True, exist_ok=True)
    tmp = snapshot_path.with_name(f".{snapshot_path.name}.{os.getpid()}.tmp")
    tmp.unlink(missing_ok=True)
    search_index.refresh(warehouse)
    con = warehouse.con
    con.execute(f"ATTACH '{tmp}' AS lw_snapshot")
    try:
        source_db = con.execute("SELECT current_database()").fetchone()[0]
        con.execute(f"COPY FROM DATABASE {source_db} TO lw_snapshot")
        if warehouse.backend == "ducklake":
            # The write guards are concurrency machinery, not data: analysts need not see them.
            con.execute(f"DROP SCHEMA IF EXISTS lw_snapshot.{ducklake.GUARD_SCHEMA} CASCADE")
    finally:
        con.execute("DETACH lw_snapshot")
    os.replace(tmp, snapshot_path)
    return snapshot_path


def open_read_only(path: Path) -> duckdb.DuckDBPyConnection:
    if not Path(path).exists():
        raise WarehouseError(
            f"{path}: no analyst snapshot yet; run `laborwatch run` or `laborwatch demo` first"
        )
    return duckdb.connect(str(path), read_only=True)
