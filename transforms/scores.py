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
"""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl

from transforms.role_card import COMPONENTS, Adjustment, RoleCard
from transforms.signals import SIGNALS, baseline_weeks
from transforms.stats import newcombe, rate_ratio, wilson

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


def _num(expr: pl.Expr, digits: int) -> pl.Expr:
    return expr.round(digits).cast(pl.String)


def _credited(adj: Adjustment, z: float) -> pl.Expr:
    """The shift (signal units) this adjustment credits, from columns value/n/ci and base_*."""
    kind = SIGNALS[adj.signal]
    value = pl.col("value")
    if adj.reference == "baseline":
        reference = pl.col("base_value")
    else:
        reference = pl.lit(float(adj.reference))
    if kind == "share":
        k1, n1 = (value * pl.col("n")).round(0), pl.col("n")
        if adj.reference == "baseline":
            k0, n0 = (pl.col("base_value") * pl.col("base_n")).round(0), pl.col("base_n")
            low, high = newcombe(k1, n1, k0, n0, z)
        else:
            low, high = wilson(k1, n1, z)
            low, high = low - reference, high - reference
        shift = pl.when(low > 0).then(low).when(high < 0).then(high).otherwise(0.0)
    elif kind == "rate":
        ratio, low, high = rate_ratio(pl.col("n"), pl.col("window"), pl.col("base_n"), pl.col("window"), z)
        low, high = 100.0 * low - reference, 100.0 * high - reference
        shift = pl.when(low > 0).then(low).when(high.is_not_null() & (high < 0)).then(high).otherwise(0.0)
    else:
        shift = value - reference
    if adj.deadband:
        shift = shift.sign() * (shift.abs() - adj.deadband).clip(lower_bound=0.0)
    return shift


def _adjustment_rows(
    signals: pl.DataFrame, grid: pl.DataFrame, card: RoleCard, order: int, adj: Adjustment
) -> pl.DataFrame:
    """Points and explanation text of one adjustment for every week of the role."""
    rules = card.rules
    min_n = adj.min_n if adj.min_n is not None else rules.min_n
    rows = signals.filter((pl.col("role_id") == card.id) & (pl.col("signal") == adj.signal))
    df = grid.filter(pl.col("role_id") == card.id).join(
        rows.select("role_id", "week", "value", "n"), on=["role_id", "week"], how="left"
    )
    at_base = df.filter(pl.col("week") == pl.col("baseline_week")).select(
        "role_id", base_value="value", base_n="n"
    )
    df = df.join(at_base, on="role_id", how="left")
    enough = pl.col("n").is_null() | (pl.col("n") >= min_n)
    if adj.reference == "baseline" and SIGNALS[adj.signal] in ("share", "rate"):
        enough = enough & (pl.col("base_n") >= min_n)
    eligible = (pl.col("week") > pl.col("baseline_week")) & enough & pl.col("value").is_not_null()
    raw_points = (_credited(adj, rules.z) * adj.points_per_unit).clip(-adj.max_points, adj.max_points)
    points = (
        pl.when(eligible).then((raw_points * 10).round(0) / 10).otherwise(0.0).fill_null(0.0).fill_nan(0.0)
    )
    digits = 3 if SIGNALS[adj.signal] == "share" else 1
    reference = (
        pl.format("baseline {}", _num(pl.col("base_value"), digits))
        if adj.reference == "baseline"
        else pl.lit(f"{adj.reference:g}")
    )
    n_text = pl.when(pl.col("n").is_not_null()).then(pl.format(", n={}", pl.col("n"))).otherwise(pl.lit(""))
    text = pl.format(
        "{} {} ({} {} vs {}{})",
        pl.lit(adj.component),
        pl.format(
            "{}{}",
            pl.when(pl.col("points") > 0).then(pl.lit("+")).otherwise(pl.lit("")),
            _num(pl.col("points"), 1),
        ),
        pl.lit(adj.signal),
        _num(pl.col("value"), digits),
        reference,
        n_text,
    )
    return (
        df.with_columns(points=points)
        .with_columns(text=text)
        .select(
            "role_id",
            "week",
            component=pl.lit(adj.component),
            order=pl.lit(COMPONENTS.index(adj.component) * 1000 + order),
            points="points",
            text="text",
        )
    )


def role_scores(signals: pl.DataFrame, states: pl.DataFrame, cards: Sequence[RoleCard]) -> pl.DataFrame:
    """marts.role_scores rows for every role and week in `signals` (as_of = the week's Monday)."""
    present = set(signals["role_id"].unique().to_list()) if not signals.is_empty() else set()
    known = [c for c in cards if c.id in present]
    if not known:
        return pl.DataFrame(schema=SCORE_SCHEMA)
    grid = signals.select("role_id", "week").unique()
    grid = grid.join(baseline_weeks(grid, known), on="role_id").sort("role_id", "week")
    parts = [
        _adjustment_rows(signals, grid, card, i, adj)
        for card in known
        for i, adj in enumerate(card.adjustments)
    ]
    base = pl.DataFrame(
        [
            {
                "role_id": c.id,
                "component": name,
                "baseline": c.components[name].baseline,
                "max": c.components[name].max,
            }
            for c in known
            for name in COMPONENTS
        ]
    )
    moved = (
        pl.concat(parts).filter(pl.col("points") != 0).sort("role_id", "week", "order")
        if parts
        else pl.DataFrame(
            schema={
                "role_id": pl.String,
                "week": pl.Date,
                "component": pl.String,
                "order": pl.Int32,
                "points": pl.Float64,
                "text": pl.String,
            }
        )
    )
    per_component = (
        grid.select("role_id", "week")
        .join(base, on="role_id")
        .join(
            moved.group_by("role_id", "week", "component").agg(
                points=pl.col("points").sum(), texts=pl.col("text").sort_by("order")
            ),
            on=["role_id", "week", "component"],
            how="left",
        )
        .with_columns(points=pl.col("points").fill_null(0.0), texts=pl.col("texts").fill_null([]))
        .with_columns(
            unclamped=(pl.col("baseline") + pl.col("points")).round(6),
        )
        .with_columns(score=pl.col("unclamped").clip(0.0, pl.col("max")))
        .with_columns(
            texts=pl.when(pl.col("score") != pl.col("unclamped"))
            .then(
                pl.col("texts").list.concat(
                    pl.concat_list(
                        pl.format(
                            "{} capped at {} ({})",
                            pl.col("component"),
                            _num(pl.col("score"), 1),
                            _num(pl.col("score") - pl.col("unclamped"), 1),
                        )
                    )
                )
            )
            .otherwise(pl.col("texts")),
            rank=pl.col("component").replace_strict({c: i for i, c in enumerate(COMPONENTS)}),
        )
    )
    wide = (
        per_component.sort("role_id", "week", "rank")
        .group_by("role_id", "week", maintain_order=True)
        .agg(
            *[pl.col("score").filter(pl.col("component") == c).first().alias(c) for c in COMPONENTS],
            baseline_total=pl.col("baseline").sum(),
            texts=pl.col("texts").list.explode(keep_nulls=False, empty_as_null=False),
        )
        .with_columns(total=pl.sum_horizontal(*COMPONENTS).round(6))
    )
    explanation = (
        pl.when(pl.col("texts").list.len() == 0)
        .then(
            pl.format(
                "total {} = published baseline; no signal moved beyond its margin", _num(pl.col("total"), 1)
            )
        )
        .otherwise(
            pl.format(
                "total {} = baseline {} {}: {}",
                _num(pl.col("total"), 1),
                _num(pl.col("baseline_total"), 1),
                pl.format(
                    "{}{}",
                    pl.when(pl.col("total") >= pl.col("baseline_total"))
                    .then(pl.lit("+"))
                    .otherwise(pl.lit("")),
                    _num(pl.col("total") - pl.col("baseline_total"), 1),
                ),
                pl.col("texts").list.join("; "),
            )
        )
    )
    state = states.select("role_id", "week", "outlook_state") if not states.is_empty() else None
    out = wide.with_columns(explanation=explanation)
    if state is not None:
        out = out.join(state, on=["role_id", "week"], how="left")
    else:
        out = out.with_columns(outlook_state=pl.lit(None, dtype=pl.String))
    return out.select(
        "role_id",
        as_of="week",
        **{c: pl.col(c) for c in COMPONENTS},
        total="total",
        outlook_state=pl.col("outlook_state").fill_null("stable"),
        explanation="explanation",
    ).sort("role_id", "as_of")
