"""Classification at full size, beside its floor and a per-row Python implementation.

The postings are read from the cached Parquet in batches of `BATCH` (the descriptions of 1,000,000
postings are several GB; in batches memory stays bounded whatever n is), and only the work on each
batch in memory is timed, the reading is not: the same definitions as the classification helper's
own benchmark (benchmarks/bench_classify.py), so the two report the same ratio.

- `classify`: transforms.classify.classify_postings on every batch (all canonical columns in);
- `classify_floor`: one Polars pass that reads and writes every description once
  (`str.to_lowercase`, the cheapest whole-text transformation; the target is classification within
  3× of it). Also reported: a literal scan that only reads every byte (memchr), and the reading;
- `classify_rowwise`: the per-row Python `re` implementation of the same rule tables
  (benchmarks.bench_classify.classify_rowwise), on a sample.

CPU seconds are reported beside wall time: both cores share the work, and on a shared machine the
wall clock also measures the neighbours.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable

import polars as pl

from benchmarks import bench_data
from benchmarks.harness import Figure, peak_rss_mb, reset_peak

BATCH = 100_000  # 500,000 postings measured: 250,000 peaked at 4.2 GB RSS, 100,000 at 1.5 GB, same CPU time
ROWWISE_SAMPLE = 5_000
BUDGET = 240.0  # seconds: at full size a slow classifier gets fewer than `repeats` runs
DESCRIPTION = pl.coalesce("description_html", "description_text")


def _columns() -> list[str]:
    from ingest.records import CANONICAL_COLUMNS

    return list(CANONICAL_COLUMNS)


def _over_batches(
    case: str, n: int, repeats: int, work: Callable[[pl.DataFrame], object], columns: list[str]
) -> Figure:
    """Median over runs of the summed time of `work` on every batch (reading not timed)."""
    path = bench_data.postings(n)
    reset_peak()
    walls: list[float] = []
    cpus: list[float] = []
    for _ in range(repeats):
        if walls and sum(walls) >= BUDGET:
            break
        wall = cpu = 0.0
        for frame in bench_data.chunks(path, columns, size=BATCH):
            w, c = time.perf_counter(), time.process_time()
            work(frame)
            wall += time.perf_counter() - w
            cpu += time.process_time() - c
        walls.append(wall)
        cpus.append(cpu)
    median = statistics.median(walls)
    return Figure(
        case,
        n,
        round(median, 4),
        [round(w, 4) for w in walls],
        round(n / median, 1),
        round(peak_rss_mb(), 1),
        cpu_seconds=round(statistics.median(cpus), 4),
    )


def classify(n: int, repeats: int) -> list[Figure]:
    from transforms.classify import classify_postings

    cards = bench_data.cards()
    figure = _over_batches("classify", n, repeats, lambda f: classify_postings(f, cards), _columns())
    figure.note = f"classify_postings on batches of {min(n, BATCH):,} (Parquet reading not timed)"
    return [figure]


def floor(n: int, repeats: int) -> list[Figure]:
    columns = ["description_html", "description_text"]
    figure = _over_batches(
        "classify_floor",
        n,
        repeats,
        lambda f: f.select(DESCRIPTION.str.to_lowercase().str.len_bytes().sum()),
        columns,
    )
    memchr = _over_batches(
        "memchr", n, 1, lambda f: f.select(DESCRIPTION.str.contains("\x00zq", literal=True).sum()), columns
    )
    started = time.perf_counter()
    for _ in bench_data.chunks(bench_data.postings(n), columns, size=BATCH):
        pass
    read = time.perf_counter() - started
    figure.note = (
        f"one to_lowercase pass over every description; a memchr scan reading every byte "
        f"{memchr.median_seconds:.2f} s; reading the descriptions from Parquet {read:.2f} s"
    )
    figure.extra = {"memchr_seconds": memchr.median_seconds, "read_seconds": round(read, 3)}
    return [figure]


def rowwise(n: int, repeats: int) -> list[Figure]:
    """The per-row reference (benchmarks.bench_classify) on the first ROWWISE_SAMPLE postings."""
    from benchmarks.bench_classify import classify_rowwise

    cards = bench_data.cards()
    sample = min(n, ROWWISE_SAMPLE)
    rows = pl.read_parquet(bench_data.postings(n), n_rows=sample, columns=_columns()).to_dicts()
    reset_peak()
    wall, cpu = time.perf_counter(), time.process_time()
    classify_rowwise(rows, cards)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    figure = Figure(
        "classify_rowwise",
        sample,
        round(wall, 4),
        [round(wall, 4)],
        round(sample / wall, 1),
        round(peak_rss_mb(), 1),
        note=f"per-row Python re, same rule tables, first {sample:,} postings, one run (benchmarks.bench_classify)",
        cpu_seconds=round(cpu, 4),
    )
    return [figure]
