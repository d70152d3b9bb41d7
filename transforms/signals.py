"""Weekly watch signals per role (docs/signals.md documents every series).

Two steps, so that a new batch of postings costs only the weeks it touches:

1. `weekly_counts` — the heavy, posting-level step: per role and week, integer counts only (open
   postings from first_seen/closed_at events with cumulative sums, never a posting exploded into its
   days; new postings by seniority and tag; employer counts over the trailing window). A week's
   counts depend only on postings open in or near it, so `start_weeks` limits the work to the weeks
   a batch touched and the rest is read back from the warehouse.
2. `watch_signals` — the light, week-level step: trailing-window sums, the baseline, indices,
   shares with Wilson intervals, employer concentration, in long format. It always runs over a
   role's whole history of counts (a few rows per week), so the baseline every index refers to is
   the same whether the counts were computed in one pass or in many.

Everything downstream is derived from integer counts by the same expressions, which is why an
incremental recompute reproduces a full one exactly, not just approximately.

Conventions: a week is the Monday that starts it (ISO week). Shares and rate indices are computed over
the postings first seen in a trailing window of `comparison_weeks` weeks ending with the week, because
one week of new postings for a single role is too small a sample to tell a shift from noise. The
baseline ("comparison window") is that same trailing window at the role's baseline week (see
`baseline_weeks`): the first `comparison_weeks` full weeks after the first scrape, or from the
card's `baseline_start`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING

import polars as pl

from transforms.stats import Z95, rate_ratio, wilson

if TYPE_CHECKING:
    from transforms.role_card import RoleCard

ENTRY_LEVELS = ("intern", "entry")
SENIOR_LEVELS = ("senior", "lead")
TAG_NAMES = (
    "deployment",
    "evaluation",
    "monitoring",
    "data_quality",
    "failure_response",
    "research",
    "routine_adaptation",
)

# Signal name -> kind. The kind decides how a signal is compared with a reference:
#   share  k/n of postings, Wilson interval; compared with the baseline by Newcombe's interval
#   rate   rate index of new postings per week (baseline = 100), conditional-binomial interval
#   index  stock index (baseline = 100), no sampling interval: compared through a dead band
#   level  a level or count with no interval: compared through a dead band
SIGNALS: dict[str, str] = {
    "open_postings": "level",
    "volume_index": "index",
    "senior_open_postings": "level",
    "senior_volume_index": "index",
    "new_postings": "level",
    "entry_share": "share",
    "entry_production_share": "share",
    "entry_routine_only_share": "share",
    "production_share": "share",
    "deployment_share": "share",
    "evaluation_share": "share",
    "monitoring_share": "share",
    "data_quality_share": "share",
    "failure_response_share": "share",
    "research_share": "share",
    "routine_adaptation_share": "share",
    "research_index": "rate",
    "routine_adaptation_index": "rate",
    "distinct_employers": "level",
    "employer_hhi": "level",
    "employer_top5_share": "share",
    "bls_employment": "level",
    "bls_median_wage": "level",
    "bls_median_wage_yoy": "level",
    "bls_projected_growth_pct": "level",
    "bls_projected_openings": "level",
    "jolts_openings_index": "index",
}

# share signal -> (numerator, denominator) among the trailing-window sums of the weekly counts
SHARES: dict[str, tuple[str, str]] = {
    "entry_share": ("new_entry", "new_postings"),
    "entry_production_share": ("new_entry_production", "new_entry"),
    "entry_routine_only_share": ("new_entry_routine_only", "new_entry"),
    "production_share": ("new_production", "new_postings"),
    **{f"{tag}_share": (f"new_{tag}", "new_postings") for tag in TAG_NAMES},
}
RATES: dict[str, str] = {
    "research_index": "new_research",
    "routine_adaptation_index": "new_routine_adaptation",
}

NEW_COUNTS = (
    "new_postings",
    "new_entry",
    "new_entry_production",
    "new_entry_routine_only",
    "new_production",
    *(f"new_{tag}" for tag in TAG_NAMES),
)
OPEN_COUNTS = (
    "open_ref",
    "senior_ref",
    "open_ref_sum",
    "senior_ref_sum",
    "ref_days",
    "open_week_sum",
    "senior_week_sum",
    "week_days",
)
EMPLOYER_COUNTS = ("employer_n", "employers", "employer_sumsq", "employer_top5")
COUNT_COLUMNS = (*OPEN_COUNTS, *NEW_COUNTS, *EMPLOYER_COUNTS)

SIGNAL_SCHEMA = {
    "role_id": pl.String,
    "week": pl.Date,
    "signal": pl.String,
    "value": pl.Float64,
    "n": pl.Int64,
    "ci_low": pl.Float64,
    "ci_high": pl.Float64,
}


def naive_utc(moment: datetime) -> datetime:
    """DuckDB TIMESTAMP has no zone: logical dates are naive UTC."""
    if moment.tzinfo is not None:
        return moment.astimezone(UTC).replace(tzinfo=None)
    return moment


def monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def empty_counts() -> pl.DataFrame:
    schema = {"role_id": pl.String, "week": pl.Date, "ref_day": pl.Date}
    return pl.DataFrame(schema={**schema, **{c: pl.Int64 for c in COUNT_COLUMNS}})


# ----------------------------------------------------------------------------------- step 1: counts
def weekly_counts(
    postings: pl.DataFrame | pl.LazyFrame,
    as_of: datetime,
    windows: Mapping[str, int],
    start_weeks: Mapping[str, date] | None = None,
    first_days: Mapping[str, date] | None = None,
    open_before: Mapping[str, tuple[int, int]] | None = None,
) -> pl.DataFrame:
    """Integer counts per role and week, for the weeks from each role's start week to as_of's week.

    `postings` needs role_id, seniority, tags, production_ownership, routine_only, company_key,
    first_seen and closed_at. Only roles in `windows` (role -> comparison_weeks) are counted; what
    happened after `as_of` is ignored (a posting first seen later does not exist yet, one closed
    later is still open), so a replay week by week sees what a live run saw.

    `start_weeks` (role -> Monday) limits the output to the weeks from there on. For that the input
    must hold at least every posting open on or after six days before the start week, or first seen
    in the trailing window of the start week; other rows do no harm. `first_days` (role -> the date
    of its first posting ever) is needed then too, because the input alone no longer shows it.

    `open_before` (role -> (open, senior open) on the Sunday before the start week, as counted
    before) anchors the running count of open postings, so the input may leave out the postings
    first seen before that week that are still open at as_of: only opening and closing events
    from six days before the start week on move the count, and the anchor supplies the level.
    """
    as_of = naive_utc(as_of)
    today = as_of.date()
    last_week = monday(today)
    roles = list(windows)
    frame = postings.lazy() if isinstance(postings, pl.DataFrame) else postings
    posts = (
        frame.filter(pl.col("role_id").is_in(roles) & (pl.col("first_seen") <= as_of))
        .select(
            "role_id",
            "company_key",
            fs=pl.col("first_seen").dt.date(),
            cl=pl.when(pl.col("closed_at") <= as_of).then(pl.col("closed_at").dt.date()),
            senior=pl.col("seniority").is_in(SENIOR_LEVELS).fill_null(False),
            entry=pl.col("seniority").is_in(ENTRY_LEVELS).fill_null(False),
            production=pl.col("production_ownership").fill_null(False),
            routine_only=pl.col("routine_only").fill_null(False),
            tags=pl.col("tags").fill_null(pl.lit([], dtype=pl.List(pl.String))),
        )
        .with_columns(cl=pl.when(pl.col("cl").is_not_null()).then(pl.max_horizontal("cl", "fs")))
        .collect()
    )
    bounds = _bounds(posts, windows, start_weeks, first_days, open_before, last_week)
    if bounds.is_empty():
        return empty_counts()
    # One join of the bounds onto the postings; the three counts are lazy branches of it, collected
    # together so Polars can run them side by side.
    joined = posts.join(bounds, on="role_id").lazy()
    daily, new, employers = pl.collect_all(
        [_daily_open(joined, bounds, today), _new_counts(joined), _employer_counts(joined, last_week)]
    )
    ref = daily.filter(
        pl.col("day") == pl.min_horizontal(pl.col("week") + timedelta(days=6), pl.lit(today))
    ).select(
        "role_id",
        "week",
        ref_day="day",
        open_ref="open",
        senior_ref="senior_open",
        open_ref_sum="r_open",
        senior_ref_sum="r_senior",
        ref_days="r_days",
    )
    weekly_open = (
        daily.filter(pl.col("week") >= pl.col("ws"))
        .group_by("role_id", "week")
        .agg(
            open_week_sum=pl.col("open_v").sum(),
            senior_week_sum=pl.col("senior_v").sum(),
            week_days=pl.col("valid").sum(),
        )
    )
    grid = bounds.select(
        "role_id", week=pl.date_ranges("ws", pl.lit(last_week), interval="1w", closed="both")
    ).explode("week")
    return (
        grid.join(ref, on=["role_id", "week"], how="left")
        .join(weekly_open, on=["role_id", "week"], how="left")
        .join(new, on=["role_id", "week"], how="left")
        .join(employers, on=["role_id", "week"], how="left")
        .with_columns(pl.col(c).fill_null(0).cast(pl.Int64) for c in COUNT_COLUMNS)
        .select("role_id", "week", "ref_day", *COUNT_COLUMNS)
        .sort("role_id", "week")
    )


def _bounds(
    posts: pl.DataFrame,
    windows: Mapping[str, int],
    start_weeks: Mapping[str, date] | None,
    first_days: Mapping[str, date] | None,
    open_before: Mapping[str, tuple[int, int]] | None,
    last_week: date,
) -> pl.DataFrame:
    """Per role: the first posting day, the first output week `ws`, the first grid day, the window,
    and the anchor of the open count (null: count from the postings alone)."""
    seen = posts.group_by("role_id").agg(seen_first=pl.col("fs").min())
    given = pl.DataFrame(
        {
            "role_id": list(windows),
            "window": list(windows.values()),
            "given_first": [(first_days or {}).get(r) for r in windows],
            "given_start": [(start_weeks or {}).get(r) for r in windows],
            "anchor_open": [(open_before or {}).get(r, (None, None))[0] for r in windows],
            "anchor_senior": [(open_before or {}).get(r, (None, None))[1] for r in windows],
        },
        schema={
            "role_id": pl.String,
            "window": pl.Int64,
            "given_first": pl.Date,
            "given_start": pl.Date,
            "anchor_open": pl.Int64,
            "anchor_senior": pl.Int64,
        },
    )
    return (
        given.join(seen, on="role_id", how="left")
        .with_columns(first_day=pl.coalesce("given_first", "seen_first"))
        .filter(pl.col("first_day").is_not_null())
        .with_columns(
            ws=pl.max_horizontal(
                pl.col("first_day").dt.truncate("1w"), pl.col("given_start").dt.truncate("1w")
            ).clip(upper_bound=last_week)
        )
        .with_columns(d0=pl.col("ws") - timedelta(days=6))
        .select("role_id", "first_day", "ws", "d0", "window", "anchor_open", "anchor_senior")
    )


def _daily_open(joined: pl.LazyFrame, bounds: pl.DataFrame, today: date) -> pl.LazyFrame:
    """Open postings per role and day from +1/-1 events and a cumulative sum, with 7-day sums.

    A posting is open from its first_seen day up to the day before closed_at; events before the
    grid's first day are moved onto it, so the running sum starts at the number open that day.
    """
    ev = joined.filter(pl.col("cl").is_null() | (pl.col("cl") > pl.col("d0")))
    opens = ev.select("role_id", "senior", day=pl.max_horizontal("fs", "d0"), delta=pl.lit(1))
    closes = ev.filter(pl.col("cl").is_not_null()).select("role_id", "senior", day="cl", delta=pl.lit(-1))
    deltas = (
        pl.concat([opens, closes])
        .group_by("role_id", "day")
        .agg(d_all=pl.col("delta").sum(), d_senior=(pl.col("delta") * pl.col("senior")).sum())
    )
    grid = (
        bounds.lazy()
        .select(
            "role_id",
            "first_day",
            "ws",
            "anchor_open",
            "anchor_senior",
            day=pl.date_ranges("d0", pl.lit(today), closed="both"),
        )
        .explode("day")
    )
    anchor_day = pl.col("day") == pl.col("ws") - timedelta(days=1)

    def anchored(running: pl.Expr, anchor: str) -> pl.Expr:
        """The running sum moved so that it equals the anchor on the Sunday before the start week."""
        at_anchor = running.filter(anchor_day).first().over("role_id")
        return (
            pl.when(pl.col(anchor).is_not_null())
            .then(running - at_anchor + pl.col(anchor))
            .otherwise(running)
        )

    return (
        grid.join(deltas, on=["role_id", "day"], how="left")
        .sort("role_id", "day")
        .with_columns(
            open=pl.col("d_all").fill_null(0).cum_sum().over("role_id"),
            senior_open=pl.col("d_senior").fill_null(0).cum_sum().over("role_id"),
            valid=(pl.col("day") >= pl.col("first_day")).cast(pl.Int64),
            week=pl.col("day").dt.truncate("1w"),
        )
        .with_columns(
            open=anchored(pl.col("open"), "anchor_open"),
            senior_open=anchored(pl.col("senior_open"), "anchor_senior"),
        )
        .with_columns(
            open_v=pl.col("open") * pl.col("valid"), senior_v=pl.col("senior_open") * pl.col("valid")
        )
        .with_columns(
            r_open=pl.col("open_v").rolling_sum(7, min_samples=1).over("role_id"),
            r_senior=pl.col("senior_v").rolling_sum(7, min_samples=1).over("role_id"),
            r_days=pl.col("valid").rolling_sum(7, min_samples=1).over("role_id"),
        )
    )


def _new_counts(joined: pl.LazyFrame) -> pl.LazyFrame:
    """Postings first seen per role and week, by seniority and responsibility tag."""
    entry, prod = pl.col("entry"), pl.col("production")
    tags = {f"new_{tag}": pl.col("tags").list.contains(tag).sum() for tag in TAG_NAMES}
    return (
        joined.filter(pl.col("fs") >= pl.col("ws"))
        .group_by("role_id", week=pl.col("fs").dt.truncate("1w"))
        .agg(
            new_postings=pl.len(),
            new_entry=entry.sum(),
            new_entry_production=(entry & prod).sum(),
            new_entry_routine_only=(entry & pl.col("routine_only")).sum(),
            new_production=prod.sum(),
            **tags,
        )
    )


def _employer_counts(joined: pl.LazyFrame, last_week: date) -> pl.LazyFrame:
    """Employer breadth over each week's trailing window of new postings (known employers only).

    Each (role, employer, week) count is spread onto the `window` weeks whose trailing window holds
    it — rows grow by the window length, not by the days a posting is open. Employers are grouped
    by a 64-bit hash of their key (only equality matters, and integers group faster than text).
    """
    per_week = (
        joined.filter(pl.col("company_key").is_not_null())
        .with_columns(week=pl.col("fs").dt.truncate("1w"), employer=pl.col("company_key").hash())
        .filter(pl.col("week") >= pl.col("ws") - pl.duration(weeks=pl.col("window") - 1))
        .group_by("role_id", "week", "employer", "ws", "window")
        .agg(c=pl.len())
    )
    spread = (
        per_week.with_columns(k=pl.int_ranges(0, pl.col("window")))
        .explode("k")
        .with_columns(week=pl.col("week") + pl.duration(weeks=pl.col("k")))
        .filter((pl.col("week") >= pl.col("ws")) & (pl.col("week") <= last_week))
        .group_by("role_id", "week", "employer")
        .agg(pl.col("c").sum())
    )
    return spread.group_by("role_id", "week").agg(
        employer_n=pl.col("c").sum(),
        employers=pl.len(),
        employer_sumsq=(pl.col("c") * pl.col("c")).sum(),
        employer_top5=pl.col("c").top_k(5).sum(),
    )


# --------------------------------------------------------------------------------- step 2: signals
def _rules_frame(cards: Sequence[RoleCard]) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "role_id": [c.id for c in cards],
            "window": [c.rules.comparison_weeks for c in cards],
            "baseline_start": [c.rules.baseline_start for c in cards],
        },
        schema={"role_id": pl.String, "window": pl.Int64, "baseline_start": pl.Date},
    )


def baseline_weeks(weeks: pl.DataFrame, cards: Sequence[RoleCard]) -> pl.DataFrame:
    """Per role: its first week and its baseline week (the comparison window ends there).

    The comparison window is `comparison_weeks` weeks starting with the later of the card's
    baseline_start and the week after the role's first week: the first week holds the open stock
    the first scrape found, all of it "first seen" at once, which would inflate the baseline rate of
    new postings. While the window is still filling, the baseline week is the latest week.
    """
    return (
        weeks.group_by("role_id")
        .agg(first_week=pl.col("week").min(), last_week=pl.col("week").max())
        .join(_rules_frame(cards), on="role_id")
        .with_columns(
            baseline_week=pl.min_horizontal(
                pl.max_horizontal(
                    pl.col("first_week") + timedelta(weeks=1), pl.col("baseline_start").dt.truncate("1w")
                )
                + pl.duration(weeks=pl.col("window") - 1),
                "last_week",
            )
        )
        .select("role_id", "first_week", "baseline_week", "window")
    )


def _window_sums(counts: pl.DataFrame, columns: Sequence[str]) -> pl.DataFrame:
    """Trailing sums over each role's `window` weeks (cumulative sum minus the one `window` back)."""
    cum = counts.sort("role_id", "week").with_columns(pl.col(c).cum_sum().over("role_id") for c in columns)
    back = cum.select(
        "role_id",
        *[pl.col(c).alias(f"{c}__back") for c in columns],
        week=pl.col("week") + pl.duration(weeks=pl.col("window")),
    )
    return cum.join(back, on=["role_id", "week"], how="left").select(
        "role_id",
        "week",
        *[(pl.col(c) - pl.col(f"{c}__back").fill_null(0)).alias(f"win_{c}") for c in columns],
    )


def watch_signals(
    counts: pl.DataFrame, cards: Sequence[RoleCard], bls: BlsInputs | None = None
) -> pl.DataFrame:
    """The long-format watch signals (role_id, week, signal, value, n, ci_low, ci_high).

    `counts` must hold each role's whole history (every week from its first), as weekly_counts
    returns it for a full run. Rows whose value cannot be computed (no postings behind a share, no
    baseline yet for an index) are left out.
    """
    if counts.is_empty():
        return pl.DataFrame(schema=SIGNAL_SCHEMA)
    base = baseline_weeks(counts, cards)
    c = counts.join(base, on="role_id").sort("role_id", "week")
    window_cols = [*NEW_COUNTS, "open_week_sum", "senior_week_sum", "week_days"]
    c = c.join(_window_sums(c, window_cols), on=["role_id", "week"]).with_columns(
        weeks_in_window=pl.min_horizontal(
            "window", ((pl.col("week") - pl.col("first_week")).dt.total_days() // 7) + 1
        )
    )
    at_base = c.filter(pl.col("week") == pl.col("baseline_week")).select(
        "role_id",
        base_open=pl.col("win_open_week_sum") / pl.col("win_week_days"),
        base_senior=pl.col("win_senior_week_sum") / pl.col("win_week_days"),
        base_weeks="weeks_in_window",
        **{f"base_{rate}": pl.col(f"win_{column}") for rate, column in RATES.items()},
    )
    c = c.join(at_base, on="role_id", how="left")

    open_avg = pl.col("open_ref_sum") / pl.col("ref_days")
    senior_avg = pl.col("senior_ref_sum") / pl.col("ref_days")
    parts = [
        _row(c, "open_postings", open_avg, pl.col("open_ref")),
        _row(c, "volume_index", 100.0 * open_avg / pl.col("base_open"), pl.col("open_ref")),
        _row(c, "senior_open_postings", senior_avg, pl.col("senior_ref")),
        _row(c, "senior_volume_index", 100.0 * senior_avg / pl.col("base_senior"), pl.col("senior_ref")),
        _row(c, "new_postings", pl.col("new_postings").cast(pl.Float64), pl.col("new_postings")),
        _row(c, "distinct_employers", pl.col("employers").cast(pl.Float64), pl.col("employer_n")),
        _row(
            c,
            "employer_hhi",
            pl.col("employer_sumsq") / (pl.col("employer_n").cast(pl.Float64) ** 2),
            pl.col("employer_n"),
        ),
        _share(c, "employer_top5_share", pl.col("employer_top5"), pl.col("employer_n")),
    ]
    for name, (num, den) in SHARES.items():
        parts.append(_share(c, name, pl.col(f"win_{num}"), pl.col(f"win_{den}")))
    for name, column in RATES.items():
        ratio, low, high = rate_ratio(f"win_{column}", "weeks_in_window", f"base_{name}", "base_weeks")
        parts.append(_row(c, name, 100.0 * ratio, pl.col(f"win_{column}"), 100.0 * low, 100.0 * high))
    if bls is not None:
        parts.append(bls_signals(counts.select("role_id", "week"), cards, bls))
    return (
        pl.concat(parts, how="vertical_relaxed")
        .filter(pl.col("value").is_not_null() & pl.col("value").is_finite())
        .sort("role_id", "week", "signal")
    )


def _row(
    c: pl.DataFrame,
    name: str,
    value: pl.Expr,
    n: pl.Expr,
    low: pl.Expr | None = None,
    high: pl.Expr | None = None,
) -> pl.DataFrame:
    return c.select(
        "role_id",
        "week",
        signal=pl.lit(name),
        value=value.cast(pl.Float64),
        n=n.cast(pl.Int64),
        ci_low=(low if low is not None else pl.lit(None)).cast(pl.Float64),
        ci_high=(high if high is not None else pl.lit(None)).cast(pl.Float64),
    )


def _share(c: pl.DataFrame, name: str, k: pl.Expr, n: pl.Expr) -> pl.DataFrame:
    low, high = wilson(k, n, Z95)
    value = pl.when(n > 0).then(k.cast(pl.Float64) / n)
    return _row(c, name, value, n, low, high)


# --------------------------------------------------------------------------------------- BLS
@dataclass(frozen=True)
class BlsInputs:
    """BLS frames as the warehouse holds them; any may be None (that family of signals is skipped).

    observations: series_id, year, period, value (the latest vintage per observation).
    series: series_id and role_ids (list of role ids the BLS loader mapped the series to).
    projections: edition, soc_code, base_year, change_percent, openings_annual.
    """

    observations: pl.DataFrame | None = None
    series: pl.DataFrame | None = None
    projections: pl.DataFrame | None = None


def _period_end() -> pl.Expr:
    """The last day of a BLS reference period (M01-M12, M13/A01 annual, Q01-Q04, S01-S02)."""
    year, period = pl.col("year").cast(pl.Int32), pl.col("period")
    number = period.str.slice(1).cast(pl.Int32, strict=False)
    month = (
        pl.when(period.str.starts_with("M") & (number <= 12))
        .then(number)
        .when(period.str.starts_with("Q") & (number <= 4))
        .then(number * 3)
        .when(period.str.starts_with("S") & (number <= 2))
        .then(number * 6)
        .when(period.is_in(["M13", "A01"]))
        .then(12)
    )
    return pl.date(year, month, 1).dt.month_end()


def _role_series(obs: pl.DataFrame, series: pl.DataFrame | None, cards: Sequence[RoleCard]) -> pl.DataFrame:
    """(role_id, series_id, measure) for the series a role's BLS signals read.

    The measure comes from the BLS series id itself (its layout is fixed by BLS): national
    cross-industry OEWS employment (datatype 01) and annual median wage (13) for the card's first
    SOC code, and national JOLTS job-openings levels. OEWS series go to the roles whose primary SOC
    they carry; JOLTS series go to the roles the BLS loader mapped them to (staging.bls_series), or
    to every role when no mapping is known — the labour-market backdrop.
    """
    ids = obs.select("series_id").unique()
    oe = ids.filter(pl.col("series_id").str.contains(r"^OEUN0000000000000\d{6}(01|13)$")).with_columns(
        soc=pl.col("series_id").str.slice(17, 2) + "-" + pl.col("series_id").str.slice(19, 4),
        measure=pl.when(pl.col("series_id").str.ends_with("01"))
        .then(pl.lit("employment"))
        .otherwise(pl.lit("median_wage")),
    )
    primary = pl.DataFrame(
        {"role_id": [c.id for c in cards], "soc": [c.soc_codes[0] if c.soc_codes else None for c in cards]},
        schema={"role_id": pl.String, "soc": pl.String},
    )
    oe_roles = oe.join(primary, on="soc").select("role_id", "series_id", "measure")
    jolts = ids.filter(pl.col("series_id").str.contains(r"^JT[SU]\d{6}0{7}\d{2}JOL$"))
    mapped = None
    if series is not None and "role_ids" in series.columns:
        role_ids = pl.col("role_ids")
        if series.schema["role_ids"] == pl.String:
            role_ids = role_ids.str.split(",").list.eval(pl.element().str.strip_chars())
        mapped = (
            series.select("series_id", role_id=role_ids)
            .explode("role_id")
            .filter(pl.col("role_id").is_not_null())
            .join(jolts, on="series_id")
        )
    if mapped is None or mapped.is_empty():
        mapped = jolts.join(primary.select("role_id"), how="cross")
    # One JOLTS series per role: the mapped one with the lowest id (seasonally adjusted first).
    jolts_roles = (
        mapped.sort("series_id")
        .group_by("role_id")
        .agg(pl.col("series_id").first())
        .with_columns(measure=pl.lit("jolts_openings"))
    )
    return pl.concat([oe_roles, jolts_roles.select("role_id", "series_id", "measure")])


def bls_signals(weeks: pl.DataFrame, cards: Sequence[RoleCard], bls: BlsInputs) -> pl.DataFrame:
    """BLS demand signals per role and week: the latest reference period that ended before the week.

    Reference periods rather than retrieval times decide what a week sees: a replay loads BLS data
    once, at today's date, for weeks in the past. Values carry no sampling interval here (BLS
    publishes standard errors separately); n is null.
    """
    weeks = weeks.select("role_id", "week").unique().sort("role_id", "week")
    parts: list[pl.DataFrame] = []
    obs = bls.observations
    if obs is not None and not obs.is_empty():
        obs = (
            obs.filter(pl.col("value").is_not_null())
            .with_columns(ref_end=_period_end())
            .filter(pl.col("ref_end").is_not_null())
        )
        roles = _role_series(obs, bls.series, cards)
        data = obs.join(roles, on="series_id").select("role_id", "measure", "ref_end", "year", "value")
        parts.extend(_oews_signals(weeks, data))
        parts.extend(_jolts_signals(weeks, data, cards))
    if bls.projections is not None and not bls.projections.is_empty():
        parts.extend(_projection_signals(weeks, bls.projections, cards))
    if not parts:
        return pl.DataFrame(schema=SIGNAL_SCHEMA)
    return pl.concat(parts, how="vertical_relaxed")


def _latest_before(weeks: pl.DataFrame, data: pl.DataFrame) -> pl.DataFrame:
    """For each role-week, the row of `data` (role_id, ref_end, …) with the latest ref_end before it."""
    return weeks.sort("week").join_asof(
        data.sort("ref_end"),
        left_on="week",
        right_on="ref_end",
        by="role_id",
        strategy="backward",
        allow_exact_matches=False,
        check_sortedness=False,
    )


def _long(df: pl.DataFrame, name: str, value: pl.Expr) -> pl.DataFrame:
    return df.select(
        "role_id",
        "week",
        signal=pl.lit(name),
        value=value.cast(pl.Float64),
        n=pl.lit(None, dtype=pl.Int64),
        ci_low=pl.lit(None, dtype=pl.Float64),
        ci_high=pl.lit(None, dtype=pl.Float64),
    ).filter(pl.col("value").is_not_null())


def _oews_signals(weeks: pl.DataFrame, data: pl.DataFrame) -> list[pl.DataFrame]:
    out = []
    for measure, name in (("employment", "bls_employment"), ("median_wage", "bls_median_wage")):
        rows = data.filter(pl.col("measure") == measure).select("role_id", "ref_end", "year", "value")
        if rows.is_empty():
            continue
        rows = rows.sort("role_id", "ref_end").with_columns(
            prior=pl.col("value").shift(1).over("role_id"), prior_year=pl.col("year").shift(1).over("role_id")
        )
        latest = _latest_before(weeks, rows)
        out.append(_long(latest, name, pl.col("value")))
        if measure == "median_wage":
            yoy = pl.when(pl.col("prior_year") == pl.col("year") - 1).then(
                pl.col("value") / pl.col("prior") - 1
            )
            out.append(_long(latest, "bls_median_wage_yoy", yoy))
    return out


def _jolts_signals(weeks: pl.DataFrame, data: pl.DataFrame, cards: Sequence[RoleCard]) -> list[pl.DataFrame]:
    """JOLTS openings indexed to the level known at the role's baseline week (else its first) = 100."""
    rows = data.filter(pl.col("measure") == "jolts_openings").select("role_id", "ref_end", "value")
    if rows.is_empty():
        return []
    latest = _latest_before(weeks, rows)
    base_week = baseline_weeks(weeks, cards).select("role_id", week="baseline_week")
    at_base = _latest_before(base_week, rows).select("role_id", base_value="value")
    first = rows.sort("ref_end").group_by("role_id").agg(first_value=pl.col("value").first())
    latest = latest.join(at_base, on="role_id", how="left").join(first, on="role_id", how="left")
    reference = pl.coalesce("base_value", "first_value")
    return [_long(latest, "jolts_openings_index", 100.0 * pl.col("value") / reference)]


def _projection_signals(
    weeks: pl.DataFrame, projections: pl.DataFrame, cards: Sequence[RoleCard]
) -> list[pl.DataFrame]:
    """Projected growth and openings of the newest edition whose base year ended before the week."""
    primary = pl.DataFrame(
        {
            "role_id": [c.id for c in cards],
            "soc_code": [c.soc_codes[0] if c.soc_codes else None for c in cards],
        },
        schema={"role_id": pl.String, "soc_code": pl.String},
    )
    rows = (
        projections.join(primary, on="soc_code")
        .filter(pl.col("base_year").is_not_null())
        .with_columns(ref_end=pl.date(pl.col("base_year").cast(pl.Int32), 12, 31))
        .sort("role_id", "ref_end", "edition")
        .unique(subset=["role_id", "ref_end"], keep="last", maintain_order=True)
    )
    if rows.is_empty():
        return []
    latest = _latest_before(weeks, rows.select("role_id", "ref_end", "change_percent", "openings_annual"))
    return [
        _long(latest, "bls_projected_growth_pct", pl.col("change_percent")),
        _long(latest, "bls_projected_openings", pl.col("openings_annual")),
    ]


def weekly_signals(
    postings: pl.DataFrame | pl.LazyFrame,
    cards: Sequence[RoleCard],
    as_of: datetime,
    bls: BlsInputs | None = None,
) -> pl.DataFrame:
    """Full recompute of the watch signals from postings: the pure entry point benchmarks time."""
    counts = weekly_counts(postings, as_of, {c.id: c.rules.comparison_weeks for c in cards})
    return watch_signals(counts, cards, bls)
