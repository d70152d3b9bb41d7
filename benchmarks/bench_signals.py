"""Weekly signals, outlook states and scores from scratch over the whole history.

Two figures:
- `signals_full`: the pure transforms (transforms.signals.weekly_signals → transforms.states.
  outlook_states → transforms.scores.role_scores) on the postings already in memory — the columns
  the signals read, about 100 bytes a posting, not the descriptions.
- `outlook_full`: the pipeline step itself (laborwatch.outlook.compute_outlook with full=True) on
  the full-size warehouse: read staging.postings, compute, rewrite the marts (with what was there:
  a full recompute is deterministic).
"""

from __future__ import annotations

import time

import polars as pl

from benchmarks import bench_data
from benchmarks.harness import Figure, timed

SIGNAL_COLUMNS = [
    "role_id",
    "seniority",
    "tags",
    "production_ownership",
    "routine_only",
    "company_key",
    "first_seen",
    "closed_at",
]


def signals_full(n: int, repeats: int) -> list[Figure]:
    from transforms.scores import role_scores
    from transforms.signals import weekly_signals
    from transforms.states import outlook_states

    cards = bench_data.cards()
    as_of = bench_data.staged_as_of(n)
    frame = pl.scan_parquet(bench_data.staged_glob(n)).select(SIGNAL_COLUMNS).collect()
    stages: dict[str, list[float]] = {"signals": [], "states": [], "scores": []}
    shape: dict[str, int] = {}

    def step() -> None:
        t0 = time.perf_counter()
        signals = weekly_signals(frame, cards, as_of)
        t1 = time.perf_counter()
        states = outlook_states(signals, cards)
        t2 = time.perf_counter()
        scores = role_scores(signals, states, cards)
        t3 = time.perf_counter()
        for name, seconds in zip(stages, (t1 - t0, t2 - t1, t3 - t2), strict=True):
            stages[name].append(round(seconds, 4))
        shape.update(signals=signals.height, states=states.height, scores=scores.height)

    figure = timed("signals_full", n, step, repeats)
    medians = {k: sorted(v)[len(v) // 2] for k, v in stages.items()}
    figure.note = (
        f"pure transforms on {frame.estimated_size('mb'):,.0f} MB in memory: "
        + ", ".join(f"{k} {v:.2f} s" for k, v in medians.items())
        + f"; {shape['signals']:,} signal rows, {shape['scores']:,} score rows"
    )
    figure.extra = {"stages": medians, **shape}
    return [figure]


def outlook_full(n: int, repeats: int) -> list[Figure]:
    from laborwatch.outlook import compute_outlook
    from laborwatch.settings import load_settings
    from warehouse.db import Warehouse

    cards = bench_data.cards()
    as_of = bench_data.staged_as_of(n)
    with bench_data.writable_warehouse(n) as path, Warehouse.open(path, bench_data.CACHE / "data") as wh:
        bench_data.quiet(wh)
        settings = load_settings(None, warehouse=path)
        settings.data_dir = bench_data.CACHE / "data"
        reports: list = []
        figure = timed(
            "outlook_full",
            n,
            lambda: reports.append(compute_outlook(settings, wh, cards, as_of, full=True)),
            repeats,
        )
    held = sorted({q for r in reports for q in getattr(r, "quarantined", [])})
    figure.note = (
        "laborwatch.outlook.compute_outlook(full=True): read staging.postings, recompute, rewrite marts"
    )
    if held:
        figure.note += (
            f"; NB the step's expectations gate held its output ({', '.join(held)}): nothing was written"
        )
    figure.extra = {"quarantined": held}
    return [figure]
