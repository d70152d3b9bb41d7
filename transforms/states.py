"""Outlook state per role and week from the three triggers of DESIGN §1 (docs/signals.md).

Each trigger compares the current trailing window with the role's baseline window and is *raw*
in a week when the shift is at least the card's threshold, rests on at least `min_n` postings on
both sides, and is statistically distinguishable at the card's `z` (Newcombe's interval for a
difference of shares excludes zero; the conditional-binomial interval of a rate index excludes 100).
A raw trigger becomes *active* after `enter_weeks` consecutive raw weeks and stops being active only
after `exit_weeks` consecutive weeks without it — hysteresis in time, so a market hovering at a
threshold flaps neither in nor out.

The state follows from the active triggers: one alone names the state; weakening together with
strengthening contradict each other and need review (mixed_review); the mixed trigger together
with weakening or strengthening is explained by that more specific trigger (compressing routine
work is what a junior cut, or a move to production ownership, looks like from the tags).
"""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl

from transforms.role_card import RoleCard
from transforms.signals import baseline_weeks
from transforms.stats import Z95, newcombe, rate_ratio

TRIGGERS = ("weakening", "strengthening", "mixed_review")
STATES = ("stable", "strengthening", "weakening", "mixed_review")

_INPUTS = (
    "entry_share",
    "senior_volume_index",
    "production_share",
    "entry_production_share",
    "employer_top5_share",
    "distinct_employers",
    "research_index",
    "research_share",
    "routine_adaptation_index",
    "routine_adaptation_share",
)

_SHARE_INPUTS = (
    "entry_share",
    "production_share",
    "entry_production_share",
    "employer_top5_share",
    "research_share",
    "routine_adaptation_share",
)

STATE_SCHEMA = {
    "role_id": pl.String,
    "week": pl.Date,
    "outlook_state": pl.String,
    "raw_triggers": pl.List(pl.String),
    "active_triggers": pl.List(pl.String),
    "detail": pl.String,
}


def _params(cards: Sequence[RoleCard]) -> pl.DataFrame:
    """One row per role with its state rules and trigger thresholds as columns."""
    rows = []
    for card in cards:
        rules = card.rules
        weak, strong, mixed = (card.trigger(name) for name in TRIGGERS)
        rows.append(
            {
                "role_id": card.id,
                "z": rules.z,
                "min_n": rules.min_n,
                "enter_weeks": rules.enter_weeks,
                "exit_weeks": rules.exit_weeks,
                "entry_share_fall": float(weak["entry_share_fall"]),
                "senior_hold": float(weak["senior_hold"]),
                "production_rise": float(strong["production_rise"]),
                "entry_production_rise": float(strong["entry_production_rise"]),
                "top5_fall": float(strong["top5_fall"]),
                "employers_rise": float(strong["employers_rise"]),
                "routine_compress": float(mixed["routine_compress"]),
                "routine_share_fall": float(mixed["routine_share_fall"]),
                "research_share_rise": float(mixed["research_share_rise"]),
                "research_hold": float(mixed["research_hold"]),
                "research_min": float(mixed["research_min"]),
            }
        )
    return pl.DataFrame(rows)


def trigger_inputs(signals: pl.DataFrame, cards: Sequence[RoleCard]) -> pl.DataFrame:
    """Per role and week: value and n of every trigger input, now and in the baseline window."""
    grid = signals.select("role_id", "week").unique()
    base = baseline_weeks(grid, cards)
    wide = grid.join(base, on="role_id")
    for name in _INPUTS:
        rows = signals.filter(pl.col("signal") == name).select(
            "role_id", "week", pl.col("value").alias(f"{name}"), pl.col("n").alias(f"{name}_n")
        )
        wide = wide.join(rows, on=["role_id", "week"], how="left")
    at_base = wide.filter(pl.col("week") == pl.col("baseline_week")).select(
        "role_id", *[pl.col(c).alias(f"base_{c}") for name in _INPUTS for c in (name, f"{name}_n")]
    )
    return wide.join(at_base, on="role_id", how="left").sort("role_id", "week")


def _k(name: str, base: bool = False) -> tuple[pl.Expr, pl.Expr]:
    prefix = "base_" if base else ""
    n = pl.col(f"{prefix}{name}_n")
    return (pl.col(f"{prefix}{name}") * n).round(0), n


def _share_bounds(df: pl.DataFrame, name: str) -> pl.DataFrame:
    """Add {name}_lo/_hi: Newcombe's interval for (share now - share at baseline) at the card's z."""
    k1, n1 = _k(name)
    k0, n0 = _k(name, base=True)
    low, high = newcombe(k1, n1, k0, n0, pl.col("z"))
    return df.with_columns(low.alias(f"{name}_lo"), high.alias(f"{name}_hi"))


def _share_shift(name: str, threshold: str, direction: int) -> pl.Expr:
    """The share moved by at least `threshold` in `direction` (+1 up, -1 down), on enough postings,
    and Newcombe's interval for the difference excludes zero (columns from `_share_bounds`)."""
    moved = (pl.col(name) - pl.col(f"base_{name}")) * direction >= pl.col(threshold)
    distinct = (pl.col(f"{name}_lo") > 0) if direction > 0 else (pl.col(f"{name}_hi") < 0)
    enough = (pl.col(f"{name}_n") >= pl.col("min_n")) & (pl.col(f"base_{name}_n") >= pl.col("min_n"))
    return (enough & moved & distinct).fill_null(False)


def _rate(name: str) -> tuple[pl.Expr, pl.Expr, pl.Expr]:
    """A rate index's ratio and interval (in index points) at the card's z, from the window counts."""
    ratio, low, high = rate_ratio(
        pl.col(f"{name}_n"), pl.col("window"), pl.col(f"base_{name}_n"), pl.col("window"), pl.col("z")
    )
    return 100.0 * ratio, 100.0 * low, 100.0 * high


def raw_triggers(inputs: pl.DataFrame, cards: Sequence[RoleCard]) -> pl.DataFrame:
    """Add a boolean column per trigger: its condition holds this week (before any persistence)."""
    df = inputs.join(_params(cards), on="role_id")
    for name in _SHARE_INPUTS:
        df = _share_bounds(df, name)
    after_baseline = pl.col("week") > pl.col("baseline_week")

    # The senior stock on the reference day is close to Poisson (postings arrive independently and
    # stay open a while), so "holds" means its 95 % upper bound reaches the hold level: a stock of
    # 120 dipping to 85 by chance still holds, one that fell to 70 does not.
    senior_n = pl.col("senior_volume_index_n").cast(pl.Float64)
    senior_upper = pl.col("senior_volume_index") * (1.0 + Z95 / senior_n.sqrt())
    senior_holds = ((senior_n > 0) & (senior_upper >= pl.col("senior_hold"))).fill_null(False)
    weakening = _share_shift("entry_share", "entry_share_fall", -1) & senior_holds

    production_up = _share_shift("production_share", "production_rise", 1) | _share_shift(
        "entry_production_share", "entry_production_rise", 1
    )
    employers_up = (
        (pl.col("distinct_employers_n") >= pl.col("min_n"))
        & (pl.col("distinct_employers") >= pl.col("base_distinct_employers") * (1 + pl.col("employers_rise")))
    ).fill_null(False)
    breadth = _share_shift("employer_top5_share", "top5_fall", -1) | employers_up
    strengthening = production_up & breadth

    # Product-model work compresses: fewer routine-adaptation postings per week, and the mix moves
    # away from them — their share falls, or research's share rises as the rest shrinks around it.
    # The shares carry the significance (binomial, free of the volume's week-to-week wander).
    mix_moves = _share_shift("routine_adaptation_share", "routine_share_fall", -1) | _share_shift(
        "research_share", "research_share_rise", 1
    )
    routine, _, routine_high = _rate("routine_adaptation_index")
    fewer_routine = (
        (pl.col("base_routine_adaptation_index_n") >= pl.col("min_n"))
        & (routine <= pl.col("routine_compress"))
        & (routine_high < 100.0)
    ).fill_null(False)
    compress = fewer_routine & mix_moves
    _, _, research_high = _rate("research_index")
    research_holds = (
        (pl.col("base_research_index_n") >= pl.col("research_min"))
        & (research_high.is_null() | (research_high >= pl.col("research_hold")))
    ).fill_null(False)
    mixed = compress & research_holds

    return df.with_columns(
        raw_weakening=after_baseline & weakening,
        raw_strengthening=after_baseline & strengthening,
        raw_mixed_review=after_baseline & mixed,
    )


def persist(
    df: pl.DataFrame, raw: str, out: str, enter: str, leave: str, by: str = "role_id"
) -> pl.DataFrame:
    """Add column `out`: hysteresis in time over boolean column `raw`, vectorized — active once
    `raw` has held `enter` weeks in a row, inactive again once it has lapsed `leave` weeks in a row.

    The state machine only changes on those two events, so the state in a week is the last event
    so far (forward fill) — no loop over weeks. Rows must be sorted by `by`, then week.
    """
    flag = pl.col(raw)
    return (
        df.with_columns(_run=flag.rle_id().over(by))
        .with_columns(_length=pl.int_range(pl.len()).over(by, "_run") + 1)
        .with_columns(
            _event=pl.when(flag & (pl.col("_length") == pl.col(enter)))
            .then(True)
            .when(~flag & (pl.col("_length") == pl.col(leave)))
            .then(False)
        )
        .with_columns(pl.col("_event").forward_fill().over(by).fill_null(False).alias(out))
        .drop("_run", "_length", "_event")
    )


def _num(expr: pl.Expr, digits: int) -> pl.Expr:
    return expr.round(digits).cast(pl.String).fill_null("n/a")


def _detail() -> pl.Expr:
    """Human-readable evidence behind the week's triggers (the alerts quote it)."""

    def vs(name: str, digits: int) -> pl.Expr:
        return pl.format(
            "{} {} vs {} (n {} vs {})",
            pl.lit(name),
            _num(pl.col(name), digits),
            _num(pl.col(f"base_{name}"), digits),
            _num(pl.col(f"{name}_n"), 0),
            _num(pl.col(f"base_{name}_n"), 0),
        )

    weak = pl.format(
        "weakening: {}, senior_volume_index {}",
        vs("entry_share", 3),
        _num(pl.col("senior_volume_index"), 1),
    )
    strong = pl.format(
        "strengthening: {}, {}, {}, distinct_employers {} vs {}",
        vs("production_share", 3),
        vs("entry_production_share", 3),
        vs("employer_top5_share", 3),
        _num(pl.col("distinct_employers"), 0),
        _num(pl.col("base_distinct_employers"), 0),
    )
    mixed = pl.format(
        "mixed_review: routine_adaptation_index {}, {}, {}, research_index {} (n {})",
        _num(pl.col("routine_adaptation_index"), 1),
        vs("routine_adaptation_share", 3),
        vs("research_share", 3),
        _num(pl.col("research_index"), 1),
        _num(pl.col("research_index_n"), 0),
    )
    evidence = pl.concat_str([weak, strong, mixed], separator="; ")
    return (
        pl.when(pl.col("week") <= pl.col("baseline_week"))
        .then(pl.format("baseline window (ends the week of {}): no comparison yet", pl.col("baseline_week")))
        .otherwise(pl.format("vs baseline window ending {}: {}", pl.col("baseline_week"), evidence))
    )


def outlook_states(signals: pl.DataFrame, cards: Sequence[RoleCard]) -> pl.DataFrame:
    """marts.role_states rows (role_id, week, outlook_state, raw_triggers, active_triggers, detail)
    for every role and week in `signals` (a role's whole history: states are path-dependent)."""
    known = [c for c in cards if c.id in set(signals["role_id"].unique().to_list())]
    if not known or signals.is_empty():
        return pl.DataFrame(schema=STATE_SCHEMA)
    df = raw_triggers(trigger_inputs(signals, known), known).sort("role_id", "week")
    for name in TRIGGERS:
        df = persist(df, f"raw_{name}", f"active_{name}", "enter_weeks", "exit_weeks")
    weak, strong, mixed = (pl.col(f"active_{name}") for name in TRIGGERS)
    state = (
        pl.when(weak & strong)
        .then(pl.lit("mixed_review"))
        .when(weak)
        .then(pl.lit("weakening"))
        .when(strong)
        .then(pl.lit("strengthening"))
        .when(mixed)
        .then(pl.lit("mixed_review"))
        .otherwise(pl.lit("stable"))
    )

    def names(prefix: str) -> pl.Expr:
        return pl.concat_list(
            [pl.when(pl.col(f"{prefix}_{n}")).then(pl.lit(n)).otherwise(pl.lit(None)) for n in TRIGGERS]
        ).list.drop_nulls()

    return df.select(
        "role_id",
        "week",
        outlook_state=state,
        raw_triggers=names("raw"),
        active_triggers=names("active"),
        detail=_detail(),
    )
