"""Where classification time goes: CPU seconds of each rule pass over the same postings, one thread.

    POLARS_MAX_THREADS=1 python -m benchmarks.profile_classify [--n 50000] [--repeats 3]

Each pass of transforms.classify runs on its own, on the output of the pass before it held in
memory, and is timed as the best of `--repeats` runs (the first run of a pass also pays for the
pages its output first touches). The sum is close to, not equal to, one `classify_lazy` run, which
fuses some steps; the point is the ranking and the budget: 100,000 postings/s on 2 cores leaves
20 µs of CPU per posting, 1.0 s per 50,000.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable

import polars as pl

from benchmarks import bench_data
from benchmarks.generate_postings import generate_postings
from transforms import salary, seniority, tags
from transforms.classify import classify_lazy, raw_description
from transforms.scope import SCOPE_OPS, apply_op, lowered


def _best_cpu(work: Callable[[], object], repeats: int) -> float:
    best = float("inf")
    for _ in range(repeats):
        started = time.process_time()
        work()
        best = min(best, time.process_time() - started)
    return best


def profile(n: int, repeats: int) -> list[tuple[str, float]]:
    """(pass, best CPU seconds) for every pass, then the whole classifier."""
    postings = generate_postings(n, seed=7)
    text = pl.col("t")
    rows: list[tuple[str, float]] = []

    def timed(name: str, work: Callable[[], pl.DataFrame]) -> pl.DataFrame:
        rows.append((name, _best_cpu(work, repeats)))
        return work()

    raw = postings.select(raw_description(pl.col("description_html"), pl.col("description_text")).alias("t"))
    full = scoped = timed("lowercase", lambda: raw.select(lowered(text).alias("t")))
    for op in SCOPE_OPS:
        scoped = timed(op.name, lambda frame=scoped, op=op: frame.select(apply_op(text, op).alias("t")))
    for tag in tags.TAGS:
        timed(f"tag {tag}", lambda tag=tag: scoped.select(text.str.contains(tags.TAG_PATTERNS[tag])))
    # as in the classifier, the seniority scans read only the texts of postings whose title names no level
    titled = postings.select(seniority.title_level(pl.col("title").fill_null("")).is_not_null()).to_series()
    untitled = scoped.select(pl.when(~titled).then(text).alias("t"))
    timed("years asked", lambda: untitled.select(seniority.years_asked(text)))
    timed("text cues", lambda: untitled.select(seniority.text_cues(text)))
    timed("work modes", lambda: full.select(salary.work_mode_statements(text)))
    timed("salary", lambda: salary.salary_table(full.with_row_index("r").lazy(), "r", "t").collect())
    cards = bench_data.cards()
    rows.append(("(sum of passes)", sum(cpu for _, cpu in rows)))
    rows.append(
        ("classify_lazy, whole", _best_cpu(lambda: classify_lazy(postings, cards).collect(), repeats))
    )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=50_000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    print(
        f"CPU seconds per pass, {args.n:,} postings, {pl.thread_pool_size()} thread(s), best of {args.repeats}"
    )
    for name, cpu in profile(args.n, args.repeats):
        print(f"{name:24s} {cpu:7.3f} s  {cpu / args.n * 1e6:6.1f} µs/posting")


if __name__ == "__main__":
    main()
