"""Loading classified postings into the warehouse, beside DuckDB's own bulk load of the same Parquet.

Every run starts from a new, migrated, empty warehouse file, and reads the same staged Parquet
(classified rows, all staging.postings columns):
- `load_bulk_floor`: one `INSERT INTO staging.postings SELECT … FROM read_parquet(…)` — the floor;
- `load_upsert`: our key-based write, `Warehouse.upsert` of each Parquet part (100,000 rows) into
  staging.postings, the write every postings load ends with;
- `load_postings_batch`: the whole load step (laborwatch.ingest_postings.load_postings_batch: raw
  records, dedup by id and across sources, sightings, lifecycle, staging rows), one call per board,
  on a sample of boards (`load_batch_sample` postings), because it runs once per fetched board.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import polars as pl

from benchmarks import bench_data
from benchmarks.harness import Figure, progress, timed


@contextmanager
def _scratch() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(dir=bench_data.CACHE) as tmp:
        yield Path(tmp)


def _fresh(tmp: Path, k: list[int]):  # noqa: ANN202 - returns a Warehouse
    from warehouse.db import Warehouse

    k[0] += 1
    path = tmp / f"load-{k[0]}.duckdb"
    return Warehouse.open(path, tmp / "data")


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

        figure = timed("load_bulk_floor", n, step, repeats, setup=lambda: _fresh(tmp, counter))
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

        figure = timed("load_upsert", n, step, repeats, setup=lambda: _fresh(tmp, counter))
    figure.note = f"Warehouse.upsert per Parquet part of {bench_data.CHUNK:,} rows (read included)"
    return [figure]


def _done(wh: object) -> None:
    """Close (and delete) a run's warehouse: its file is large and each run makes a new one."""
    path = wh.path  # type: ignore[attr-defined]
    wh.close()  # type: ignore[attr-defined]
    Path(path).unlink(missing_ok=True)
    Path(f"{path}.wal").unlink(missing_ok=True)


def load_postings_batch(n: int, repeats: int, sample: int = 20_000) -> list[Figure]:
    """The whole load step per board, on the first boards totalling about `sample` postings."""
    from laborwatch.ingest_postings import load_postings_batch as load
    from laborwatch.settings import load_settings

    cards = bench_data.cards()
    as_of = bench_data.staged_as_of(n)
    records = pl.read_parquet(bench_data.postings(n), n_rows=min(n, sample))
    boards = records.partition_by("source", "board", as_dict=False)
    counter = [0]
    progress(f"load_postings_batch: {records.height:,} postings on {len(boards):,} boards")
    with _scratch() as tmp:
        settings = load_settings(None, warehouse=tmp / "unused.duckdb")
        settings.data_dir = tmp / "data"

        def step(wh: object) -> None:
            total = 0
            with wh.transaction():  # type: ignore[attr-defined]
                for batch in boards:
                    source, board = batch["source"][0], batch["board"][0]
                    total += load(settings, wh, batch, as_of, cards, source, board)
            assert total == records.height, total
            _done(wh)

        figure = timed(
            "load_postings_batch", records.height, step, repeats, setup=lambda: _fresh(tmp, counter)
        )
    figure.note = f"one call per board ({len(boards):,} boards) into an empty warehouse, one transaction"
    figure.extra = {"boards": len(boards)}
    return [figure]
