"""Outlook score per role and week: card baseline + bounded adjustments from named signals.

For each card [[adjustments]] entry:

    points = clamp(points_per_unit * credited_shift, -max_points, +max_points), rounded to 0.1

where credited_shift is the part of (value - reference) the data is sure of: for a share compared
with its baseline, the bound of Newcombe's interval for the difference nearest zero (zero when the
interval contains zero); for a share or rate index compared with a number, the distance from the
reference to the signal's nearest interval bound (zero when the reference is inside the interval);
for a level or stock index, the shift beyond the adjustment's dead band. Intervals use the card's z,
and nothing moves on fewer than min_n postings or before the baseline window is complete — so a
steady market scores exactly the published baseline, and small samples cannot move a score.

Each component is then clamped to [0, its card max]; total = sum of components. Points are
rounded before they are summed, so the explanation's numbers add up to the score exactly.

All adjustments of all cards are evaluated in one vectorized pass: one row per (role, week,
adjustment), the adjustment's parameters as columns.
"""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl

from transforms.role_card import COMPONENTS, RoleCard
from transforms.signals import SIGNALS, baseline_weeks
from transforms.stats import wilson

SCORE_SCHEMA = {
    "role_id": pl.String,
    "as_of": pl.Date,
    "automation_resistance": pl.Float64,
    "structural_moat": pl.Float64,
    "demand": pl.Float64,
    "total": pl.Float64,
    "outlook_state": pl.String,
    "explanation": pl.String,
}


def _num(expr: pl.Expr, digits: int | pl.Expr) -> pl.Expr:
    if isinstance(digits, int):
        return expr.round(digits).cast(pl.String)
    return pl.when(digits == 3).then(expr.round(3)).otherwise(expr.round(1)).cast(pl.String)


def _signed(expr: pl.Expr) -> pl.Expr:
    return pl.format("{}{}", pl.when(expr > 0).then(pl.lit("+")).otherwise(pl.lit("")), _num(expr, 1))


def adjustments_frame(cards: Sequence[RoleCard]) -> pl.DataFrame:
    """One row per card adjustment, its parameters as columns (`order` keeps the card's order)."""
    rows = [
        {
            "role_id": card.id,
            "order": COMPONENTS.index(adj.component) * 1000 + i,
            "component": adj.component,
            "signal": adj.signal,
            "kind": SIGNALS[adj.signal],
            "vs_baseline": adj.reference == "baseline",
            "reference": None if adj.reference == "baseline" else float(adj.reference),
            "ppu": adj.points_per_unit,
            "max_points": adj.max_points,
            "deadband": adj.deadband,
            "min_n": adj.min_n if adj.min_n is not None else card.rules.min_n,
            "z": card.rules.z,
        }
        for card in cards
        for i, adj in enumerate(card.adjustments)
    ]
    schema = {
        "role_id": pl.String,
        "order": pl.Int64,
        "component": pl.String,
        "signal": pl.String,
        "kind": pl.String,
        "vs_baseline": pl.Boolean,
        "reference": pl.Float64,
        "ppu": pl.Float64,
        "max_points": pl.Float64,
        "deadband": pl.Float64,
        "min_n": pl.Int64,
        "z": pl.Float64,
    }
    return pl.DataFrame(rows, schema=schema)


def adjustment_points(signals: pl.DataFrame, grid: pl.DataFrame, cards: Sequence[RoleCard]) -> pl.DataFrame:
    """(role_id, week, order, component, points, text) for every adjustment and week."""
    c = pl.col
    df = grid.join(adjustments_frame(cards), on="role_id").join(
        signals.select("role_id", "week", "signal", "value", "n"),
        on=["role_id", "week", "signal"],
        how="left",
    )
    at_base = df.filter(c("week") == c("baseline_week")).select(
        "role_id", "order", base_value="value", base_n="n"
    )
    df = df.join(at_base, on=["role_id", "order"], how="left").with_columns(
        ref=pl.when(c("vs_baseline")).then(c("base_value")).otherwise(c("reference")),
        k1=(c("value") * c("n")).round(0),
        k0=(c("base_value") * c("base_n")).round(0),
    )
    l1, u1 = wilson("k1", "n", c("z"))
    l0, u0 = wilson("k0", "base_n", c("z"))
    # rate indices: n events now vs base_n in the baseline window of the same length (conditional binomial)
    lr, ur = wilson("n", c("n") + c("base_n"), c("z"))
    df = df.with_columns(l1=l1, u1=u1, l0=l0, u0=u0, lr=lr, ur=ur)
    p1, p0 = c("value"), c("base_value")
    share_vs_base = (c("kind") == "share") & c("vs_baseline")
    low = (
        pl.when(share_vs_base)
        .then(p1 - p0 - ((p1 - c("l1")) ** 2 + (c("u0") - p0) ** 2).sqrt())
        .when(c("kind") == "share")
        .then(c("l1") - c("ref"))
        .when(c("kind") == "rate")
        .then(100.0 * c("lr") / (1.0 - c("lr")) - c("ref"))
        .otherwise(p1 - c("ref"))
    )
    high = (
        pl.when(share_vs_base)
        .then(p1 - p0 + ((c("u1") - p1) ** 2 + (p0 - c("l0")) ** 2).sqrt())
        .when(c("kind") == "share")
        .then(c("u1") - c("ref"))
        .when(c("kind") == "rate")
        .then(pl.when(c("ur") < 1.0).then(100.0 * c("ur") / (1.0 - c("ur")) - c("ref")))
        .otherwise(p1 - c("ref"))
    )
    df = df.with_columns(low=low, high=high).with_columns(
        shift=pl.when(c("low") > 0).then(c("low")).when(c("high") < 0).then(c("high")).otherwise(0.0)
    )
    enough = c("n").is_null() | (c("n") >= c("min_n"))
    enough = enough & (~c("vs_baseline") | ~c("kind").is_in(["share", "rate"]) | (c("base_n") >= c("min_n")))
    eligible = (c("week") > c("baseline_week")) & enough & c("value").is_not_null() & c("ref").is_not_null()
    credited = c("shift").sign() * (c("shift").abs() - c("deadband")).clip(lower_bound=0.0)
    raw = (credited * c("ppu")).clip(-c("max_points"), c("max_points"))
    df = df.with_columns(
        points=pl.when(eligible).then((raw * 10).round(0) / 10).otherwise(0.0).fill_null(0.0).fill_nan(0.0)
    )
    digits = pl.when(c("kind") == "share").then(3).otherwise(1)
    reference = (
        pl.when(c("vs_baseline"))
        .then(pl.format("baseline {}", _num(c("base_value"), digits)))
        .otherwise(c("reference").round(3).cast(pl.String))
    )
    n_text = pl.when(c("n").is_not_null()).then(pl.format(", n={}", c("n"))).otherwise(pl.lit(""))
    text = pl.format(
        "{} {} ({} {} vs {}{})",
        c("component"),
        _signed(c("points")),
        c("signal"),
        _num(c("value"), digits),
        reference,
        n_text,
    )
    return df.filter(c("points") != 0).select("role_id", "week", "order", "component", "points", text=text)


def role_scores(signals: pl.DataFrame, states: pl.DataFrame, cards: Sequence[RoleCard]) -> pl.DataFrame:
    """marts.role_scores rows for every role and week in `signals` (as_of = the week's Monday)."""
    present = set(signals["role_id"].unique().to_list()) if not signals.is_empty() else set()
    known = [card for card in cards if card.id in present]
    if not known:
        return pl.DataFrame(schema=SCORE_SCHEMA)
    c = pl.col
    grid = signals.select("role_id", "week").unique()
    grid = grid.join(baseline_weeks(grid, known), on="role_id")
    moved = adjustment_points(signals, grid, known)
    base = pl.DataFrame(
        [
            {"role_id": card.id, "component": name, "rank": i, "baseline": comp.baseline, "max": comp.max}
            for card in known
            for i, (name, comp) in enumerate((n, card.components[n]) for n in COMPONENTS)
        ]
    )
    per_component = (
        grid.select("role_id", "week")
        .join(base, on="role_id")
        .join(
            moved.sort("order")
            .group_by("role_id", "week", "component")
            .agg(points=c("points").sum(), texts=c("text")),
            on=["role_id", "week", "component"],
            how="left",
        )
        .with_columns(points=c("points").fill_null(0.0), texts=c("texts").fill_null([]))
        .with_columns(unclamped=(c("baseline") + c("points")).round(6))
        .with_columns(score=c("unclamped").clip(0.0, c("max")))
        .with_columns(
            texts=pl.when(c("score") != c("unclamped"))
            .then(
                c("texts").list.concat(
                    pl.concat_list(
                        pl.format(
                            "{} capped at {} ({})",
                            c("component"),
                            _num(c("score"), 1),
                            _num(c("score") - c("unclamped"), 1),
                        )
                    )
                )
            )
            .otherwise(c("texts"))
        )
    )
    wide = (
        per_component.sort("role_id", "week", "rank")
        .group_by("role_id", "week", maintain_order=True)
        .agg(
            *[c("score").filter(c("component") == name).first().alias(name) for name in COMPONENTS],
            baseline_total=c("baseline").sum(),
            texts=c("texts").list.explode(keep_nulls=False, empty_as_null=False),
        )
        .with_columns(total=pl.sum_horizontal(*COMPONENTS).round(6))
    )
    explanation = (
        pl.when(c("texts").list.len() == 0)
        .then(
            pl.format("total {} = published baseline; no signal moved beyond its margin", _num(c("total"), 1))
        )
        .otherwise(
            pl.format(
                "total {} = baseline {} {}: {}",
                _num(c("total"), 1),
                _num(c("baseline_total"), 1),
                _signed(c("total") - c("baseline_total")),
                c("texts").list.join("; "),
            )
        )
    )
    out = wide.with_columns(explanation=explanation)
    if states.is_empty():
        out = out.with_columns(outlook_state=pl.lit(None, dtype=pl.String))
    else:
        out = out.join(states.select("role_id", "week", "outlook_state"), on=["role_id", "week"], how="left")
    return out.select(
        "role_id",
        as_of="week",
        **{name: c(name) for name in COMPONENTS},
        total="total",
        outlook_state=c("outlook_state").fill_null("stable"),
        explanation="explanation",
    ).sort("role_id", "as_of")
