"""Measure the outlook rules on simulated markets: false alarms in steady years, power on shifts.

    .venv/bin/python -m tests.signals.calibrate [--seeds 300] [--per-week 30 50 80] [--demo 8]

Prints, per market size, how many of N simulated 52-week steady markets ever leave `stable` (a
false alarm), and for each scenario of 16 weeks (shift from week 5, three-week ramp) how many runs
reach the expected state and in which week. `--demo K` also runs the demo market's four scenarios
(laborwatch.demo_market, K seeds) on their ground-truth labels — the pipeline minus the classifier.
The figures in docs/signals.md come from this script.
"""

from __future__ import annotations

import argparse
import statistics
from typing import Any

import polars as pl

from laborwatch.role_cards import load_role_cards
from tests.signals.market import Market, end_of_week, simulate
from tests.signals.test_states import _scenarios
from transforms.signals import weekly_signals
from transforms.states import outlook_states


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=300)
    parser.add_argument("--shift-seeds", type=int, default=30)
    parser.add_argument("--per-week", type=float, nargs="+", default=[30, 50, 80])
    parser.add_argument("--demo", type=int, default=0, help="seeds of the demo market to run as well")
    args = parser.parse_args()
    card = next(c for c in load_role_cards() if c.id == "ai_ml_engineer")
    if args.demo:
        demo(args.demo)
    for per_week in args.per_week:
        false_alarms = 0
        for seed in range(10_000, 10_000 + args.seeds):
            signals = weekly_signals(
                simulate(52, seed, Market(new_per_week=per_week)), [card], end_of_week(51)
            )
            states = outlook_states(signals, [card])
            false_alarms += any(s != "stable" for s in states["outlook_state"])
        print(
            f"{per_week:>4.0f}/week steady 52 weeks: {false_alarms}/{args.seeds} market-years left 'stable'"
        )
        for state, market in _scenarios(per_week).items():
            firsts, wrong = [], 0
            for seed in range(args.shift_seeds):
                signals = weekly_signals(simulate(16, seed, market), [card], end_of_week(15))
                seen = outlook_states(signals, [card]).sort("week")["outlook_state"].to_list()
                hits = [week for week, s in enumerate(seen) if s == state]
                firsts.extend(hits[:1])
                wrong += any(s not in ("stable", state) for s in seen)
            median = statistics.median(firsts) if firsts else None
            print(
                f"     {state:<14} reached in {len(firsts)}/{args.shift_seeds} runs, "
                f"median week {median}, runs showing another state: {wrong}"
            )


def _demo_frame(market: Any) -> pl.DataFrame:
    """The staging rows the weekly demo runs would produce, from the market's ground truth."""
    rows = []
    for p in market.postings:
        first_week = max(p.open_week, 0)
        if p.role is None or first_week >= market.weeks:
            continue
        rows.append(
            {
                "role_id": p.role,
                "seniority": p.seniority,
                "tags": sorted(p.tags),
                "production_ownership": p.production_ownership,
                "routine_only": "routine_adaptation" in p.tags
                and not p.production_ownership
                and "research" not in p.tags,
                "company_key": p.employer.key,
                "first_seen": market.as_of(first_week).replace(tzinfo=None),
                "closed_at": market.as_of(p.close_week).replace(tzinfo=None)
                if p.close_week < market.weeks
                else None,
            }
        )
    return pl.DataFrame(rows, schema_overrides={"tags": pl.List(pl.String), "closed_at": pl.Datetime("us")})


def demo(seeds: int) -> None:
    from laborwatch.demo_market import DEFAULT_SEED, SCENARIOS, build_market

    cards = load_role_cards()
    for scenario in SCENARIOS:
        for seed in [DEFAULT_SEED, *range(1, seeds)]:
            market = build_market(scenario, 16, seed)
            signals = weekly_signals(_demo_frame(market), cards, market.as_of(15).replace(tzinfo=None))
            states = outlook_states(signals, cards).filter(pl.col("role_id") == "ai_ml_engineer").sort("week")
            line = " ".join(s[:4] for s in states["outlook_state"])
            print(f"demo {scenario:<10} seed {seed:>8}: {line}")


if __name__ == "__main__":
    main()
