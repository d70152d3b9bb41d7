"""The benchmark cases: `python -m benchmarks.cases NAME [--n N] [--repeats K]`.

Prints progress on stderr and, on the last line of stdout, a JSON list of figures (see
benchmarks.harness.Figure). `benchmarks.run` runs every case in its own process this way; a case can
also be run alone, e.g. `python -m benchmarks.cases signals_full --n 100000`.

`prepare` builds the cached data the cases read at that n (generated postings, staged Parquet, the
full-size warehouse) and reports nothing; a case run alone builds what it lacks the same way.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from collections.abc import Callable

from benchmarks import (
    bench_classification,
    bench_data,
    bench_incremental,
    bench_load,
    bench_parse,
    bench_queries,
    bench_signals,
)
from benchmarks.harness import Figure, emit, progress

Case = Callable[[int, int], list[Figure]]

# name -> (function, what it needs prepared: "postings" | "staged" | "warehouse" | None)
CASES: dict[str, tuple[Case, str | None]] = {
    "classify": (bench_classification.classify, "postings"),
    "classify_floor": (bench_classification.floor, "postings"),
    "classify_rowwise": (bench_classification.rowwise, "postings"),
    "signals_full": (bench_signals.signals_full, "staged"),
    "outlook_full": (bench_signals.outlook_full, "warehouse"),
    "incremental": (bench_incremental.incremental, "warehouse"),
    "load_bulk_floor": (bench_load.load_bulk_floor, "staged"),
    "load_upsert": (bench_load.load_upsert, "staged"),
    "queries": (bench_queries.analyst_queries, "warehouse"),
    "parse": (bench_parse.parse_case, None),
}
PREPARED = {"postings": bench_data.postings, "staged": bench_data.staged, "warehouse": bench_data.warehouse}


def ensure_prepared(need: str | None, n: int) -> None:
    """Build missing cached data in a separate process, so this case's peak memory excludes it."""
    if need is None:
        return
    ready = {
        "postings": bench_data.postings_path(n).exists(),
        "staged": (bench_data.staged_dir(n) / "_done").exists(),
        "warehouse": bench_data.warehouse_path(n).exists(),
    }
    if not ready[need]:
        progress(f"preparing {need} at n={n:,}")
        subprocess.run([sys.executable, "-m", "benchmarks.cases", "prepare", "--n", str(n)], check=True)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("name", choices=[*CASES, "prepare"])
    parser.add_argument("--n", type=int, default=1_000_000, help="postings (parse: per source format)")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)
    if args.name == "prepare":
        for need, build in PREPARED.items():
            progress(f"prepare {need}: {build(args.n)}")
        emit([])
        return
    case, need = CASES[args.name]
    ensure_prepared(need, args.n)
    emit(case(args.n, args.repeats))


if __name__ == "__main__":
    main()
