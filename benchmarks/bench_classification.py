"""Classification at full size, beside its floor and a per-row Python implementation.

All three read the same generated postings from Parquet, `CHUNK` rows at a time (the descriptions
of 1,000,000 postings are several GB; in chunks the memory is bounded whatever n is), so reading
costs the same in each and the ratio compares the work done on the text:

- `classify`: transforms.classify.classify_postings on every chunk (all canonical columns in);
- `classify_floor`: the same reads, then one Polars pass that reads every description once (a
  literal scan: it must look at every byte). Also reported: the reading alone, and the reading
  plus one full case-insensitive regex pass, the unit a rule classifier's cost is made of;
- `classify_rowwise`: the classification helper's per-row Python `re` reference implementation of
  the same rules (benchmarks.bench_classify), on a sample.
"""

from __future__ import annotations

import time

import polars as pl

from benchmarks import bench_data
from benchmarks.harness import Figure, timed

ROWWISE_SAMPLE = 5_000
BUDGET = 120.0  # seconds: at full size a slow classifier gets fewer than `repeats` runs
# Never matches real text, and has no literal prefix for the regex engine to skip ahead with.
REGEX_PASS = r"(?i)\b[a-z]+ing\s+q[0-9]z\b"


def _columns() -> list[str]:
    from ingest.records import CANONICAL_COLUMNS

    return list(CANONICAL_COLUMNS)


def classify(n: int, repeats: int) -> list[Figure]:
    from transforms.classify import classify_postings

    cards = bench_data.cards()
    path = bench_data.postings(n)
    columns = _columns()
    counts: dict[str, int] = {}

    def step() -> None:
        rows = 0
        for chunk in bench_data.chunks(path, columns):
            out = classify_postings(chunk, cards)
            rows += out.height
        counts["rows"] = rows

    figure = timed("classify", n, step, repeats, budget_seconds=BUDGET)
    assert counts["rows"] == n
    figure.note = f"classify_postings per {bench_data.CHUNK:,}-row chunk read from Parquet (read included)"
    return [figure]


def floor(n: int, repeats: int) -> list[Figure]:
    """Read the same chunks, then touch every byte of every description once (a literal scan).

    Also timed once each: the read alone, and one case-insensitive regex pass that cannot stop
    early (a pattern that never matches, so the regex engine walks the whole text): the price of
    one of the many regex passes a vectorized rule classifier makes.
    """
    path = bench_data.postings(n)
    columns = _columns()
    text = pl.col("description_html")

    def scan(expr: pl.Expr | None) -> None:
        for chunk in bench_data.chunks(path, columns):
            if expr is not None:
                chunk.select(expr)

    figure = timed(
        "classify_floor",
        n,
        lambda: scan(text.str.contains("\x00\x01", literal=True).sum()),
        repeats,
        budget_seconds=BUDGET,
    )
    extra = {}
    for name, expr in (("read", None), ("regex_pass", text.str.contains(REGEX_PASS).sum())):
        started = time.perf_counter()
        scan(expr)
        extra[f"{name}_seconds"] = round(time.perf_counter() - started, 3)
    figure.note = (
        f"same chunked read, then one literal scan of every description; read alone "
        f"{extra['read_seconds']:.2f} s, read + one full case-insensitive regex pass {extra['regex_pass_seconds']:.2f} s"
    )
    figure.extra = extra
    return [figure]


def rowwise(n: int, repeats: int) -> list[Figure]:
    """The per-row reference (benchmarks.bench_classify) on the first ROWWISE_SAMPLE postings."""
    from benchmarks import bench_classify

    cards = bench_data.cards()
    sample = min(n, ROWWISE_SAMPLE)
    df = pl.read_parquet(bench_data.postings(n), n_rows=sample, columns=_columns())
    rows = df.to_dicts()
    figure = timed("classify_rowwise", sample, lambda: bench_classify.classify_rowwise(rows, cards), repeats)
    figure.note = f"per-row Python re on the first {sample:,} postings (benchmarks.bench_classify)"
    return [figure]
