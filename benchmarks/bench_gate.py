"""How much time the expectations gate adds: `python -m benchmarks.bench_gate [--rows N] [--repeats K]`.

Measured, each as the median of K runs after one warm-up:
- the one-off cost per process of building the GX context and the raw_postings suite;
- `validate` on one batch of N postings (prepare with Polars, convert to pandas, run GX);
- `gate_batch` on the same batch into a real warehouse (validation plus the marts.validation_runs row),
  passing, and failing (plus the Parquet copy, the quarantine row and the source_health row);
- the fixed cost per small batch (100 postings, the size of a typical board), because the pipeline
  gates one batch per source board, so many small batches cost more than one big one.

Postings are synthetic but shaped like real ones: 2-6 kB descriptions (plus their HTML, which the gate
does not convert), salaries, dates and URLs, every row passing unless a defect is injected.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import polars as pl

WORDS = (
    "deploy evaluate monitor models production pipelines data quality incidents on-call features "
    "training inference latency python sql experiments stakeholders ownership reliability drift"
).split()


def synthetic_postings(n: int, distinct_texts: int = 1_000) -> pl.DataFrame:
    """n canonical posting records; descriptions of 2-6 kB drawn from a pool of distinct texts."""
    fetched = dt.datetime(2025, 5, 5, 9, 30)
    pool = [
        " ".join(WORDS[(k * j + k) % len(WORDS)] for j in range(300 + k % 500)) for k in range(distinct_texts)
    ]
    idx = pl.int_range(0, n, eager=True)
    text = pl.Series(pool)[idx % distinct_texts]
    boards = pl.Series([f"board{b:03d}" for b in range(250)])
    payloads = pl.Series([f"{b:064x}" for b in range(250)])
    return pl.DataFrame(
        {
            "source": pl.Series(["greenhouse", "lever", "ashby", "themuse"])[idx % 4],
            "source_id": idx.cast(pl.String),
            "board": boards[idx % 250],
            "company": pl.Series(["Acme", "Globex", "Initech", "Hooli"])[idx % 4],
            "title": pl.Series(["Machine Learning Engineer", "Data Scientist", "Senior ML Engineer"])[
                idx % 3
            ],
            "location": ["Remote - US"] * n,
            "remote": (idx % 2 == 0),
            "url": ("https://boards.example.com/jobs/" + idx.cast(pl.String)),
            "description_html": "<div><p>" + text + "</p></div>",
            "description_text": text,
            "posted_at": pl.Series([fetched] * n) - ((idx % 60) + 1).cast(pl.Duration("us")) * 86_400_000_000,
            "salary_min": (120_000 + (idx % 50) * 1_000).cast(pl.Float64),
            "salary_max": (160_000 + (idx % 50) * 1_000).cast(pl.Float64),
            "salary_currency": ["USD"] * n,
            "salary_interval": ["year"] * n,
            "payload_sha256": payloads[idx % 250],
            "fetched_at": [fetched] * n,
        }
    )


def median_seconds(step: Callable[[], object], repeats: int) -> tuple[float, list[float]]:
    step()  # warm-up: first-call costs are measured separately
    runs = []
    for _ in range(repeats):
        started = time.perf_counter()
        step()
        runs.append(time.perf_counter() - started)
    return statistics.median(runs), runs


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--small", type=int, default=100, help="rows per small batch")
    args = parser.parse_args(argv)

    started = time.perf_counter()
    from expectations.gate import gate_batch, validate
    from warehouse.db import Warehouse

    import_seconds = time.perf_counter() - started
    batch = synthetic_postings(args.rows)
    small = batch.head(args.small)
    started = time.perf_counter()
    validate("raw_postings", small)
    build_seconds = time.perf_counter() - started
    bad = batch.with_columns(
        pl.when(pl.col("source_id") == "17")
        .then(pl.lit(1e9))
        .otherwise(pl.col("salary_min"))
        .alias("salary_min")
    )

    with tempfile.TemporaryDirectory() as tmp:
        wh = Warehouse.open(Path(tmp) / "bench.duckdb", Path(tmp) / "data")
        counter = iter(range(10**9))

        def gate_pass() -> None:
            assert gate_batch(wh, "raw_postings", batch, batch_id=f"pass-{next(counter)}").passed

        def gate_fail() -> None:
            result = gate_batch(
                wh, "raw_postings", bad, batch_id=f"fail-{next(counter)}", source="greenhouse", board="acme"
            )
            assert result.failed == ["salary_min_le_max"]

        figures = {
            "validate, one batch": median_seconds(lambda: validate("raw_postings", batch), args.repeats),
            "gate_batch, passing": median_seconds(gate_pass, args.repeats),
            "gate_batch, failing (quarantined)": median_seconds(gate_fail, args.repeats),
            f"gate_batch, one batch of {args.small}": median_seconds(
                lambda: gate_batch(wh, "raw_postings", small, batch_id=f"small-{next(counter)}"),
                args.repeats * 4,
            ),
        }
        wh.close()

    mb = batch.estimated_size("mb")
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(
        f"expectations gate benchmark: {args.rows:,} postings ({mb:,.0f} MB in Polars), median of {args.repeats}"
    )
    print(
        f"machine: Python {platform.python_version()}, {os.cpu_count()} CPUs, {platform.machine()}, "
        f"load average {load}; import GX+gate {import_seconds:.2f} s, "
        f"build context+suite {build_seconds:.2f} s (once per process)"
    )
    print(f"{'case':<40}{'rows':>9}{'median s':>10}{'s per 100k':>12}   runs")
    for name, (median, runs) in figures.items():
        rows = args.small if name.endswith(f"of {args.small}") else args.rows
        per_100k = median * 100_000 / rows
        print(f"{name:<40}{rows:>9,}{median:>10.3f}{per_100k:>12.2f}   {', '.join(f'{r:.3f}' for r in runs)}")


if __name__ == "__main__":
    main()
