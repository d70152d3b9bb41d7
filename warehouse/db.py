"""The only place that opens DuckDB.

Everything that writes goes through `Warehouse.transaction()`, so a load that raises half way
leaves the previous state; loads are key-based (delete-then-insert on the batch's keys, or
insert-missing), so the same batch loaded twice leaves identical tables. Delete-then-insert is used
instead of ON CONFLICT because DuckLake tables carry no primary keys.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from importlib import resources
from pathlib import Path
from typing import Any

import duckdb
import polars as pl

MIGRATIONS_PACKAGE = "warehouse.migrations"


class WarehouseError(RuntimeError):
    """A warehouse operation that cannot be carried out; the message says why."""


def _migrations() -> list[tuple[str, str]]:
    files = resources.files(MIGRATIONS_PACKAGE)
    names = sorted(p.name for p in files.iterdir() if p.name.endswith(".sql"))
    return [(name, files.joinpath(name).read_text(encoding="utf-8")) for name in names]


class Warehouse:
    """A DuckDB connection with migrations applied, plus the load helpers every stage uses."""

    def __init__(self, con: duckdb.DuckDBPyConnection, data_dir: Path, path: Path | None = None):
        self.con = con
        self.data_dir = Path(data_dir)
        self.path = path
        self._depth = 0

    @classmethod
    def open(cls, path: Path | str, data_dir: Path | str | None = None) -> Warehouse:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        con = duckdb.connect(str(path))
        warehouse = cls(con, Path(data_dir) if data_dir else path.parent, path)
        warehouse.migrate()
        return warehouse

    def close(self) -> None:
        self.con.close()

    def __enter__(self) -> Warehouse:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ---------------------------------------------------------------- migrations
    def migrate(self) -> list[str]:
        """Apply migrations not yet applied, each in its own transaction; return their names."""
        self.con.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations ("
            " name VARCHAR PRIMARY KEY, sha256 VARCHAR NOT NULL, applied_at TIMESTAMP NOT NULL)"
        )
        applied = {row[0] for row in self.con.execute("SELECT name FROM schema_migrations").fetchall()}
        done = []
        for name, sql in _migrations():
            if name in applied:
                continue
            with self.transaction():
                self.con.execute(sql)
                self.con.execute(
                    "INSERT INTO schema_migrations VALUES (?, ?, now()::TIMESTAMP)",
                    [name, hashlib.sha256(sql.encode()).hexdigest()],
                )
            done.append(name)
        return done

    # -------------------------------------------------------------- transactions
    @contextmanager
    def transaction(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """One transaction; nested calls join the outer one, so a whole run can be atomic."""
        if self._depth:
            self._depth += 1
            try:
                yield self.con
            finally:
                self._depth -= 1
            return
        self.con.execute("BEGIN TRANSACTION")
        self._depth = 1
        try:
            yield self.con
        except BaseException:
            self._depth = 0
            self.con.execute("ROLLBACK")
            raise
        self._depth = 0
        self.con.execute("COMMIT")

    # --------------------------------------------------------------------- reads
    def query(self, sql: str, params: Sequence[Any] | None = None) -> pl.DataFrame:
        return self.con.execute(sql, params or []).pl()

    def scalar(self, sql: str, params: Sequence[Any] | None = None) -> Any:
        row = self.con.execute(sql, params or []).fetchone()
        return row[0] if row else None

    def columns(self, table: str) -> list[str]:
        return [row[0] for row in self.con.execute(f"DESCRIBE {table}").fetchall()]

    # --------------------------------------------------------------------- loads
    def _register(self, df: pl.DataFrame, table: str) -> tuple[str, list[str]]:
        columns = [c for c in self.columns(table) if c in df.columns]
        missing_keys = set(df.columns) - set(self.columns(table))
        if missing_keys:
            raise WarehouseError(f"{table}: batch has columns the table lacks: {sorted(missing_keys)}")
        view = f"_batch_{abs(hash((table, id(df))))}"
        self.con.register(view, df.select(columns).to_arrow())
        return view, columns

    def upsert(self, table: str, df: pl.DataFrame, key: Sequence[str]) -> int:
        """Replace the rows whose key is in `df` by `df`'s rows; return the number of rows written."""
        if df.is_empty():
            return 0
        if df.select(key).is_duplicated().any():
            raise WarehouseError(f"{table}: batch repeats a key of {list(key)}")
        view, columns = self._register(df, table)
        try:
            with self.transaction():
                match = " AND ".join(f"t.{k} IS NOT DISTINCT FROM b.{k}" for k in key)
                self.con.execute(f"DELETE FROM {table} t WHERE EXISTS (SELECT 1 FROM {view} b WHERE {match})")
                cols = ", ".join(columns)
                self.con.execute(f"INSERT INTO {table} ({cols}) SELECT {cols} FROM {view}")
        finally:
            self.con.unregister(view)
        return df.height

    def insert_missing(self, table: str, df: pl.DataFrame, key: Sequence[str]) -> int:
        """Insert only the rows whose key is not yet in `table`; return how many were new."""
        if df.is_empty():
            return 0
        view, columns = self._register(df.unique(subset=list(key), keep="first"), table)
        try:
            with self.transaction():
                match = " AND ".join(f"t.{k} IS NOT DISTINCT FROM b.{k}" for k in key)
                cols = ", ".join(columns)
                before = self.scalar(f"SELECT count(*) FROM {table}")
                self.con.execute(
                    f"INSERT INTO {table} ({cols}) SELECT {cols} FROM {view} b "
                    f"WHERE NOT EXISTS (SELECT 1 FROM {table} t WHERE {match})"
                )
                return self.scalar(f"SELECT count(*) FROM {table}") - before
        finally:
            self.con.unregister(view)

    def replace_where(self, table: str, df: pl.DataFrame, where: str, params: Sequence[Any]) -> int:
        """Delete the rows matching `where`, then insert `df`: a partition rewrite in one transaction."""
        with self.transaction():
            self.con.execute(f"DELETE FROM {table} WHERE {where}", list(params))
            if df.is_empty():
                return 0
            view, columns = self._register(df, table)
            try:
                cols = ", ".join(columns)
                self.con.execute(f"INSERT INTO {table} ({cols}) SELECT {cols} FROM {view}")
            finally:
                self.con.unregister(view)
        return df.height
