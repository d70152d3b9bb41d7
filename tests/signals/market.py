"""A synthetic postings market for the signal tests: classified staging rows with known parameters.

Every week draws a Poisson number of new postings; each posting draws its seniority, employer
(Zipf-weighted, so a few employers dominate unless `concentration` is low), responsibility tags
and how long it stays open from the week's parameters. Week 0 also holds the open stock a first
scrape finds, so the volume index does not start with a ramp. With parameters fixed, what varies
from week to week is sampling noise only — the steady market the false-alarm tests need.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta

import numpy as np
import polars as pl

PRODUCTION_TAGS = ("deployment", "evaluation", "monitoring", "data_quality", "failure_response")
START = date(2026, 1, 5)  # a Monday


@dataclass(frozen=True)
class Market:
    new_per_week: float = 60.0
    entry_share: float = 0.30  # intern + entry among new postings
    senior_share: float = 0.30  # senior + lead
    entry_production: float = 0.40  # P(production ownership | entry)
    production: float = 0.55  # P(production ownership | not entry)
    research: float = 0.15
    routine: float = 0.35
    employers: int = 40
    concentration: float = 1.0  # Zipf exponent of employer weights
    open_weeks: float = 5.0  # mean weeks a posting stays open

    def but(self, **changes: float) -> Market:
        return replace(self, **changes)


def simulate(
    weeks: int,
    seed: int,
    market: Market | Callable[[int], Market] = Market(),
    role_id: str = "ai_ml_engineer",
    start: date = START,
) -> pl.DataFrame:
    """Staging-like postings (the columns the signals read) for `weeks` weeks from `start`."""
    rng = np.random.default_rng(seed)
    at = market if callable(market) else (lambda _week: market)
    frames = []
    for week in range(weeks):
        m = at(week)
        count = rng.poisson(m.new_per_week)
        day_offsets = rng.integers(0, 7, count) + week * 7
        if week == 0:
            stock = rng.poisson(m.new_per_week * m.open_weeks)
            count += stock
            day_offsets = np.concatenate([np.zeros(stock, dtype=int), day_offsets])
        frames.append(_draw(rng, m, count, day_offsets, start, role_id, f"w{week}"))
    return pl.concat(frames)


def _draw(
    rng: np.random.Generator,
    m: Market,
    count: int,
    day_offsets: np.ndarray,
    start: date,
    role_id: str,
    prefix: str,
) -> pl.DataFrame:
    level = rng.random(count)
    entry = level < m.entry_share
    senior = level > 1 - m.senior_share
    intern = entry & (rng.random(count) < 0.2)
    seniority = np.where(intern, "intern", np.where(entry, "entry", np.where(senior, "senior", "mid")))
    production = rng.random(count) < np.where(entry, m.entry_production, m.production)
    research = rng.random(count) < m.research
    routine = rng.random(count) < m.routine
    weights = 1.0 / np.arange(1, m.employers + 1) ** m.concentration
    employer = rng.choice(m.employers, size=count, p=weights / weights.sum())
    which = rng.integers(0, len(PRODUCTION_TAGS), count)
    second = rng.integers(0, len(PRODUCTION_TAGS), count)
    tags = []
    for i in range(count):
        row = []
        if production[i]:
            row = sorted({PRODUCTION_TAGS[which[i]], PRODUCTION_TAGS[second[i]]})
        if research[i]:
            row.append("research")
        if routine[i]:
            row.append("routine_adaptation")
        tags.append(row)
    first = [
        datetime.combine(start, datetime.min.time()) + timedelta(days=int(d), hours=9) for d in day_offsets
    ]
    open_days = rng.exponential(m.open_weeks * 7, count).astype(int) + 1
    closed = [f + timedelta(days=int(d)) for f, d in zip(first, open_days, strict=True)]
    return pl.DataFrame(
        {
            "posting_key": [f"{prefix}-{i}" for i in range(count)],
            "role_id": role_id,
            "seniority": seniority,
            "tags": tags,
            "production_ownership": production,
            "routine_only": routine & ~production & ~research,
            "company_key": [f"employer-{e:03d}" for e in employer],
            "first_seen": first,
            "closed_at": closed,
        },
        schema_overrides={"tags": pl.List(pl.String)},
    )


def end_of_week(week: int, start: date = START) -> datetime:
    """The last moment of week `week` (0-based) of the simulated market."""
    return datetime.combine(start + timedelta(days=7 * week + 6), datetime.max.time()).replace(microsecond=0)


# One day's hires in the exact market: (seniority, tags, employer). Ten postings a day, so every
# day, week and window has exactly the same mix — signals that cannot move.
STEADY_DAY: tuple[tuple[str, tuple[str, ...], str], ...] = (
    ("entry", ("deployment", "evaluation"), "employer-000"),
    ("entry", ("routine_adaptation",), "employer-001"),
    ("intern", ("routine_adaptation",), "employer-002"),
    ("mid", ("evaluation", "monitoring"), "employer-003"),
    ("mid", ("routine_adaptation",), "employer-004"),
    ("mid", ("research",), "employer-005"),
    ("senior", ("deployment", "failure_response"), "employer-006"),
    ("senior", ("research",), "employer-007"),
    ("lead", ("data_quality", "evaluation"), "employer-008"),
    ("senior", ("routine_adaptation", "monitoring"), "employer-009"),
)


def exact(
    weeks: int,
    day_mix: Callable[[int], tuple[tuple[str, tuple[str, ...], str], ...]] = lambda _day: STEADY_DAY,
    open_days: int = 35,
    role_id: str = "ai_ml_engineer",
    start: date = START,
) -> pl.DataFrame:
    """A noise-free market: `day_mix(day)` opens each day, every posting stays open `open_days`.

    Postings opened before day 0 (the stock) are first seen on day 0, as a first scrape sees them.
    """
    rows = []
    for day in range(-open_days + 1, weeks * 7):
        for i, (seniority, tags, employer) in enumerate(day_mix(max(day, 0))):
            opened = datetime.combine(start, datetime.min.time()) + timedelta(days=day, hours=9)
            production = any(t in PRODUCTION_TAGS for t in tags)
            rows.append(
                {
                    "posting_key": f"d{day}-{i}",
                    "role_id": role_id,
                    "seniority": seniority,
                    "tags": list(tags),
                    "production_ownership": production,
                    "routine_only": "routine_adaptation" in tags
                    and not production
                    and "research" not in tags,
                    "company_key": employer,
                    "first_seen": max(
                        opened, datetime.combine(start, datetime.min.time()) + timedelta(hours=9)
                    ),
                    "closed_at": opened + timedelta(days=open_days),
                }
            )
    return pl.DataFrame(rows, schema_overrides={"tags": pl.List(pl.String)})
