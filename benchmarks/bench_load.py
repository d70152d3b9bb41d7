"""Loading classified postings into the warehouse, beside DuckDB's own bulk load of the same Parquet.

Every run starts from a new, migrated, empty warehouse file, and reads the same staged Parquet
(classified rows, all staging.postings columns):
- `load_bulk_floor`: one `INSERT INTO staging.postings SELECT … FROM read_parquet(…)` — the floor;
- `load_upsert`: our key-based write, `Warehouse.upsert` of each Parquet part (100,000 rows) into
  staging.postings, the write every postings load ends with.

The whole load step (dedup against the warehouse, sightings, lifecycle, per board) is timed where
it runs in production, onto a full history: benchmarks.bench_incremental.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from benchmarks import bench_data
from benchmarks.harness import Figure, timed

BUDGET = 150.0  # seconds: no further run starts after the runs so far took this long (3 runs of ~1 min)


@contextmanager
def _scratch() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(dir=bench_data.CACHE) as tmp:
        yield Path(tmp)


def _fresh(tmp: Path, k: list[int]):  # noqa: ANN202 - returns a Warehouse
    from warehouse.db import Warehouse

    k[0] += 1
    path = tmp / f"load-{k[0]}.duckdb"
    return bench_data.quiet(Warehouse.open(path, tmp / "data"))


def _rows(wh: object) -> int:
    return wh.scalar("SELECT count(*) FROM staging.postings")  # type: ignore[attr-defined]


def load_bulk_floor(n: int, repeats: int) -> list[Figure]:
    parquet = bench_data.staged_glob(n)
    counter = [0]
    with _scratch() as tmp:

        def step(wh: object) -> None:
            bench_data.bulk_load(wh, parquet)
            assert _rows(wh) == n
            _done(wh)

        figure = timed(
            "load_bulk_floor", n, step, repeats, setup=lambda: _fresh(tmp, counter), budget_seconds=BUDGET
        )
    figure.note = "INSERT INTO staging.postings SELECT … FROM read_parquet(staged parts)"
    return [figure]


def load_upsert(n: int, repeats: int) -> list[Figure]:
    path = bench_data.staged_glob(n)
    counter = [0]
    with _scratch() as tmp:

        def step(wh: object) -> None:
            for chunk in bench_data.chunks(path):
                with wh.transaction():  # type: ignore[attr-defined]
                    wh.upsert(
                        "staging.postings",
                        chunk.select(wh.columns("staging.postings")),  # type: ignore[attr-defined]
                        ["posting_key"],
                    )
            assert _rows(wh) == n
            _done(wh)

        figure = timed(
            "load_upsert", n, step, repeats, setup=lambda: _fresh(tmp, counter), budget_seconds=BUDGET
        )
    figure.note = f"Warehouse.upsert per Parquet part of {bench_data.CHUNK:,} rows (read included)"
    return [figure]


def _done(wh: object) -> None:
    """Close (and delete) a run's warehouse: its file is large and each run makes a new one."""
    path = wh.path  # type: ignore[attr-defined]
    wh.close()  # type: ignore[attr-defined]
    Path(path).unlink(missing_ok=True)
    Path(f"{path}.wal").unlink(missing_ok=True)
