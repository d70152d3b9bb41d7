"""The only place that opens DuckDB.

Everything that writes goes through `Warehouse.transaction()`, so a load that raises half way
leaves the previous state; loads are key-based (delete-then-insert on the batch's keys, or
insert-missing), so the same batch loaded twice leaves identical tables. Delete-then-insert is used
instead of ON CONFLICT because DuckLake tables carry no primary keys.

Two backends, one API:

* `duckdb` (default): one embedded file; one writing process at a time (DESIGN §5).
* `ducklake`: catalog in PostgreSQL, data as Parquet; several processes write at once under
  DuckLake's optimistic concurrency. Keys are kept by guarding every write to a keyed table (see
  warehouse/ducklake.py); a transaction that loses a race raises `WarehouseConflict`, and the units
  the warehouse owns end to end (the load helpers, a single autocommitted write, `atomically`,
  migrations) are retried with exponential backoff and jitter.
"""

from __future__ import annotations

import hashlib
import logging
import random
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from importlib import resources
from pathlib import Path
from typing import Any, TypeVar

import duckdb
import polars as pl

from warehouse import ducklake
from warehouse.sql import string_literal

MIGRATIONS_PACKAGE = "warehouse.migrations"
BACKENDS = ("duckdb", "ducklake")
SCHEMA_MIGRATIONS_DDL = (
    "CREATE TABLE IF NOT EXISTS schema_migrations ("
    " name VARCHAR PRIMARY KEY, sha256 VARCHAR NOT NULL, applied_at TIMESTAMP NOT NULL)"
)

# Rows per row group for the data this connection writes (DuckDB's default: 122,880). DuckDB appends
# to a table with a primary key inside its last row group while that has room, and a checkpoint
# rewrites every column of a row group appended to: onto staging.postings or raw.postings (two
# descriptions a row) a weekly batch rewrote up to ~1 GB each; 8,192 bounds it at ~80 MB. (Bulk
# upserts were fastest at 8,192–16,384 too: 300,000 postings in ~24 s of CPU, against ~45 s at the
# default and ~29 s at 2,048.)
# ROW_GROUP_SIZE is an option of ATTACH, so the file is attached to one in-memory DuckDB instance
# per process, shared by every Warehouse on it (as connecting to the file twice used to share one).
ROW_GROUP_SIZE = 8192
# DuckDB's buffer pool may grow to 80 % of RAM by default, and keeps what a load wrote cached up to
# that; capped, DuckDB spills to <file>.tmp instead. At a million postings a full load peaked at
# ~6.0 GB uncapped and ~4.7 GB with 2 GB, in the same time; the weekly batch is unchanged (~1.8 GB).
MEMORY_LIMIT = "2GB"
INSTANCE = ":memory:laborwatch"
_attached: dict[str, int] = {}  # catalog name -> open Warehouses using it
_attaching = threading.Lock()
T = TypeVar("T")
log = logging.getLogger(__name__)


class WarehouseError(RuntimeError):
    """A warehouse operation that cannot be carried out; the message says why."""


class WarehouseConflict(WarehouseError):
    """DuckLake refused a commit because a concurrent transaction wrote the same table first.

    Nothing of the losing transaction was kept; running the same unit again, on fresh data, is safe.
    """


def _attach(path: Path) -> tuple[duckdb.DuckDBPyConnection, str]:
    """A connection whose default database is the file at `path`, attached with ROW_GROUP_SIZE."""
    resolved = str(path.resolve())
    catalog = "wh_" + hashlib.sha256(resolved.encode()).hexdigest()[:12]
    with _attaching:
        con = duckdb.connect(INSTANCE)
        try:
            if not _attached:  # a new instance: what connecting to the file gave, memory capped
                con.execute(f"SET memory_limit = {string_literal(MEMORY_LIMIT)}")
                con.execute(f"SET temp_directory = {string_literal(resolved + '.tmp')}")
            if not _attached.get(catalog):
                con.execute(
                    f"ATTACH IF NOT EXISTS {string_literal(resolved)} AS {catalog} (ROW_GROUP_SIZE {ROW_GROUP_SIZE})"
                )
            con.execute(f"USE {catalog}")
        except BaseException:
            con.close()
            raise
        _attached[catalog] = _attached.get(catalog, 0) + 1
    return con, catalog


def _detach(con: duckdb.DuckDBPyConnection, catalog: str) -> None:
    """Close one Warehouse's connection; the last one on a file detaches it (checkpoint, lock freed)."""
    with _attaching:
        _attached[catalog] -= 1
        try:
            if not _attached[catalog]:
                del _attached[catalog]
                con.execute("USE memory")
                con.execute(f"DETACH {catalog}")
        finally:
            con.close()


def _migrations() -> list[tuple[str, str]]:
    files = resources.files(MIGRATIONS_PACKAGE)
    names = sorted(p.name for p in files.iterdir() if p.name.endswith(".sql"))
    return [(name, files.joinpath(name).read_text(encoding="utf-8")) for name in names]


def retry_on_conflict(fn: Callable[..., T], *args: Any, attempts: int = 6, **kwargs: Any) -> T:
    """Call `fn(*args, **kwargs)` again (with backoff) when it fails with `WarehouseConflict`.

    For whole pipeline steps, which open their own warehouse and are idempotent: a step whose
    transaction spans several helpers cannot be retried from inside, but the step itself can.
    """
    for attempt in range(1, attempts + 1):
        try:
            return fn(*args, **kwargs)
        except WarehouseConflict:
            if attempt == attempts:
                raise
            time.sleep(_backoff(attempt, 0.2, 5.0))
    raise AssertionError("unreachable")


def _backoff(attempt: int, base: float, cap: float) -> float:
    """Full-jitter exponential backoff, so writers that collided do not collide again in step."""
    return random.uniform(0, min(cap, base * 2**attempt))


class _LakeConnection:
    """`Warehouse.con` on DuckLake: the DuckDB connection, except that writes to keyed tables are guarded.

    Code throughout the project writes with `wh.con.execute(...)`; routing those calls through the
    warehouse means the guard cannot be forgotten by a caller. Everything else is delegated unchanged.
    """

    def __init__(self, warehouse: Warehouse, raw: duckdb.DuckDBPyConnection):
        self._warehouse = warehouse
        self._raw = raw

    def execute(self, query: Any, parameters: Any = None) -> Any:
        return self._warehouse._write_aware(query, lambda: self._raw.execute(query, parameters))

    def executemany(self, query: Any, parameters: Any = None) -> Any:
        return self._warehouse._write_aware(query, lambda: self._raw.executemany(query, parameters))

    def sql(self, query: Any, *args: Any, **kwargs: Any) -> Any:
        return self._warehouse._write_aware(query, lambda: self._raw.sql(query, *args, **kwargs))

    query = sql

    def append(self, table_name: str, df: Any, **kwargs: Any) -> Any:
        return self._warehouse._write_aware(
            f"INSERT INTO {table_name} VALUES (NULL)", lambda: self._raw.append(table_name, df, **kwargs)
        )

    def __getattr__(self, name: str) -> Any:
        return getattr(self._raw, name)


class Warehouse:
    """A DuckDB connection with migrations applied, plus the load helpers every stage uses."""

    conflict_attempts = 12
    conflict_base_delay = 0.05
    conflict_max_delay = 2.0

    def __init__(
        self,
        con: duckdb.DuckDBPyConnection,
        data_dir: Path,
        path: Path | None = None,
        *,
        backend: str = "duckdb",
        catalog: str | None = None,
    ):
        if backend not in BACKENDS:
            raise WarehouseError(f"unknown warehouse backend {backend!r}; expected one of {BACKENDS}")
        self._raw = con
        self.backend = backend
        self.catalog = catalog
        self.con: Any = _LakeConnection(self, con) if backend == "ducklake" else con
        self.data_dir = Path(data_dir)
        self.path = path
        self._depth = 0
        self._guarded: set[str] = set()
        self._keys: dict[str, tuple[str, ...]] | None = None
        self._attached_as: str | None = None  # the catalog `open` attached the file as
        self.conflicts = 0  # transactions this connection lost to a concurrent writer and retried

    @classmethod
    def open(
        cls,
        path: Path | str | None,
        data_dir: Path | str | None = None,
        *,
        backend: str = "duckdb",
        ducklake_catalog: str | None = None,
        ducklake_data_path: Path | str | None = None,
    ) -> Warehouse:
        """Open (creating if needed) and migrate the warehouse.

        `duckdb`: the file at `path`. `ducklake`: the lake whose catalog is `ducklake_catalog` (a DuckLake
        catalog string such as "postgres:dbname=laborwatch host=127.0.0.1"), its Parquet files under
        `ducklake_data_path` (default `<data_dir>/lake`); `path` is not used.
        """
        if backend == "ducklake":
            if not ducklake_catalog:
                raise WarehouseError("backend ducklake needs a ducklake_catalog")
            if data_dir is None:
                raise WarehouseError("backend ducklake needs a data_dir (raw archive, landing, snapshot)")
            return cls.open_ducklake(ducklake_catalog, data_dir, ducklake_data_path)
        if backend != "duckdb":
            raise WarehouseError(f"unknown warehouse backend {backend!r}; expected one of {BACKENDS}")
        if path is None:
            raise WarehouseError("backend duckdb needs a warehouse path")
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        con, catalog = _attach(path)
        try:
            warehouse = cls(con, Path(data_dir) if data_dir else path.parent, path)
            warehouse._attached_as = catalog
            warehouse.migrate()
        except BaseException:
            _detach(con, catalog)
            raise
        return warehouse

    @classmethod
    def open_ducklake(
        cls, catalog: str, data_dir: Path | str, data_path: Path | str | None = None
    ) -> Warehouse:
        data_dir = Path(data_dir)
        # Absolute, because the catalog records the path and every worker must find the same files.
        data_path = (Path(data_path) if data_path else data_dir / "lake").resolve()
        data_path.mkdir(parents=True, exist_ok=True)
        con = duckdb.connect()
        for attempt in range(1, 6):
            # Two processes creating a brand-new lake at once race on its catalog tables; the loser
            # finds them on the next try. A configuration error is reported at once.
            try:
                ducklake.attach(con, catalog, data_path)
                break
            except duckdb.Error as exc:
                if attempt == 5 or ducklake.is_configuration_error(exc):
                    con.close()
                    raise WarehouseError(f"cannot attach DuckLake catalog {catalog!r}: {exc}") from exc
                time.sleep(_backoff(attempt, 0.1, 1.0))
        con.execute("SET ducklake_max_retry_count = 100")
        warehouse = cls(con, data_dir, None, backend="ducklake", catalog=catalog)
        try:
            warehouse.migrate()
        except BaseException:
            con.close()
            raise
        return warehouse

    def close(self) -> None:
        catalog, self._attached_as = self._attached_as, None
        if catalog:
            _detach(self._raw, catalog)
        else:
            self._raw.close()

    def __enter__(self) -> Warehouse:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ---------------------------------------------------------------- migrations
    @property
    def keys(self) -> dict[str, tuple[str, ...]]:
        """Table → key columns, as the migrations declare them (DuckDB enforces them; DuckLake cannot)."""
        if self._keys is None:
            keys = dict(ducklake.declared_keys(SCHEMA_MIGRATIONS_DDL))
            for _, sql in _migrations():
                keys.update(ducklake.declared_keys(sql))
            self._keys = keys
        return self._keys

    def migrate(self) -> list[str]:
        """Apply migrations not yet applied, each in its own transaction; return their names."""
        if self.backend == "ducklake":
            done: list[str] = []
            retry_on_conflict(self._migrate_lake, done, attempts=self.conflict_attempts)
            return done
        self.con.execute(SCHEMA_MIGRATIONS_DDL)
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

    def _migrate_lake(self, done: list[str]) -> None:
        """The same migrations, translated for DuckLake, each with the guards of the keys it declares.

        Several workers may open a new lake at once: they conflict on the first CREATE TABLE or on
        schema_migrations, and the losers start over and find the migrations applied.
        """
        bootstrap = ducklake.translate_ddl(SCHEMA_MIGRATIONS_DDL)
        with self.transaction():
            self._raw.execute(bootstrap.sql + ducklake.guard_ddl("schema_migrations"))
        applied = {row[0] for row in self._raw.execute("SELECT name FROM schema_migrations").fetchall()}
        for name, sql in _migrations():
            if name in applied:
                continue
            try:
                translated = ducklake.translate_ddl(sql)
            except ducklake.UnportableDDL as exc:
                raise WarehouseError(f"migration {name} cannot run on DuckLake: {exc}") from exc
            with self.transaction():
                # Decide inside the transaction, after the guard: a writer that applied `name` since
                # the read above either committed before we began (we see its row) or conflicts.
                self._guard({"main.schema_migrations"})
                if self._raw.execute("SELECT 1 FROM schema_migrations WHERE name = ?", [name]).fetchone():
                    continue
                self._raw.execute(translated.sql)
                for table in translated.keys:
                    self._raw.execute(ducklake.guard_ddl(table))
                self.con.execute(
                    "INSERT INTO schema_migrations VALUES (?, ?, now()::TIMESTAMP)",
                    [name, hashlib.sha256(sql.encode()).hexdigest()],
                )
            done.append(name)

    # -------------------------------------------------------------- transactions
    @contextmanager
    def transaction(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """One transaction; nested calls join the outer one, so a whole run can be atomic.

        On DuckLake a lost race surfaces here as `WarehouseConflict` (at COMMIT, after the body ran):
        a with-block cannot be replayed, so the caller retries — see `atomically` and `retry_on_conflict`.
        """
        if self._depth:
            self._depth += 1
            try:
                yield self.con
            finally:
                self._depth -= 1
            return
        self._raw.execute("BEGIN TRANSACTION")
        self._depth = 1
        self._guarded = set()
        try:
            yield self.con
        except BaseException as exc:
            self._depth = 0
            if self.backend == "ducklake":
                self._rollback_quietly()
                if ducklake.is_conflict(exc):
                    raise WarehouseConflict(str(exc)) from exc
            else:
                self._raw.execute("ROLLBACK")
            raise
        self._depth = 0
        try:
            self._raw.execute("COMMIT")
        except duckdb.Error as exc:
            if self.backend == "ducklake" and ducklake.is_conflict(exc):
                self._rollback_quietly()
                raise WarehouseConflict(str(exc)) from exc
            raise

    def _rollback_quietly(self) -> None:
        """DuckDB ends a transaction whose COMMIT failed; a ROLLBACK then has nothing to undo."""
        try:
            self._raw.execute("ROLLBACK")
        except duckdb.Error:
            pass

    def atomically(self, fn: Callable[[Warehouse], T]) -> T:
        """Run `fn(self)` in one transaction; on DuckLake, run it again (backoff) if a writer won the race.

        `fn` must be safe to run twice: it sees fresh data on each attempt and only the last one commits.
        Inside an outer transaction it simply joins it (the outer owner handles conflicts).
        """
        return self._retrying(lambda: fn(self))

    def _retrying(self, body: Callable[[], T]) -> T:
        if self._depth or self.backend != "ducklake":
            with self.transaction():
                return body()
        for attempt in range(1, self.conflict_attempts + 1):
            try:
                with self.transaction():
                    return body()
            except WarehouseConflict as exc:
                self.conflicts += 1
                if attempt == self.conflict_attempts:
                    raise
                log.info("DuckLake write conflict (attempt %d), retrying: %s", attempt, str(exc)[:200])
                time.sleep(_backoff(attempt, self.conflict_base_delay, self.conflict_max_delay))
        raise AssertionError("unreachable")

    def _guard(self, tables: set[str]) -> None:
        """Bump the guard of each keyed table this transaction writes (once per transaction)."""
        for table in sorted(tables - self._guarded):
            self._raw.execute(f"UPDATE {ducklake.guard_table(table)} SET writes = writes + 1")
            self._guarded.add(table)

    def _write_aware(self, query: Any, run: Callable[[], Any]) -> Any:
        """Run one call of `con`; if it writes keyed tables, guard them (in its own retried transaction
        when no transaction is open: the result rows are then returned as a relation)."""
        tables = ducklake.written_tables(query) & set(self.keys) if isinstance(query, str) else set()
        if not tables:
            return run()
        if self._depth:
            self._guard(tables)
            return run()

        def body() -> Any:
            self._guard(tables)
            result = run()
            return result.fetch_arrow_table() if result is not None else None

        rows = self._retrying(body)
        return self._raw.from_arrow(rows) if rows is not None else None

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

        def body() -> int:
            match = " AND ".join(f"t.{k} IS NOT DISTINCT FROM b.{k}" for k in key)
            self.con.execute(f"DELETE FROM {table} t WHERE EXISTS (SELECT 1 FROM {view} b WHERE {match})")
            cols = ", ".join(columns)
            self.con.execute(f"INSERT INTO {table} ({cols}) SELECT {cols} FROM {view}")
            return df.height

        try:
            return self._retrying(body)
        finally:
            self.con.unregister(view)

    def insert_missing(self, table: str, df: pl.DataFrame, key: Sequence[str]) -> int:
        """Insert only the rows whose key is not yet in `table`; return how many were new."""
        if df.is_empty():
            return 0
        view, columns = self._register(df.unique(subset=list(key), keep="first"), table)

        def body() -> int:
            match = " AND ".join(f"t.{k} IS NOT DISTINCT FROM b.{k}" for k in key)
            cols = ", ".join(columns)
            before = self.scalar(f"SELECT count(*) FROM {table}")
            self.con.execute(
                f"INSERT INTO {table} ({cols}) SELECT {cols} FROM {view} b "
                f"WHERE NOT EXISTS (SELECT 1 FROM {table} t WHERE {match})"
            )
            return self.scalar(f"SELECT count(*) FROM {table}") - before

        try:
            return self._retrying(body)
        finally:
            self.con.unregister(view)

    def replace_where(self, table: str, df: pl.DataFrame, where: str, params: Sequence[Any]) -> int:
        """Delete the rows matching `where`, then insert `df`: a partition rewrite in one transaction."""
        view, columns = self._register(df, table) if not df.is_empty() else (None, [])

        def body() -> int:
            self.con.execute(f"DELETE FROM {table} WHERE {where}", list(params))
            if view is None:
                return 0
            cols = ", ".join(columns)
            self.con.execute(f"INSERT INTO {table} ({cols}) SELECT {cols} FROM {view}")
            return df.height

        try:
            return self._retrying(body)
        finally:
            if view is not None:
                self.con.unregister(view)
