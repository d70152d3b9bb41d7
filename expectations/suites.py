"""The expectation suites, in code so they are reviewed and versioned like code.

A suite is a list of `Rule`s: a stable name (what a quarantine row, a test and an operator see)
bound to one GX expectation, plus the table schema the batch is meant for. Before validation,
`SuiteSpec.prepare` does two things with Polars:

- absent columns are added as typed nulls and listed in `_missing_columns`, so a batch that lacks a
  required column fails `required_columns_present` (and that column's `*_not_null`) instead of
  crashing every expectation that mentions it;
- row-level rules that GX cannot state on raw columns (a value or a typed gap, a share within [0, 1],
  total = sum of components, a component within its role's card maximum) become *violation columns*:
  null where the row is fine, a short description of the offence where it is not, checked with
  `ExpectColumnValuesToBeNull`. The description is what the quarantine sample shows.

Helper columns start with `_` and never leave the gate.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import great_expectations as gx
import polars as pl

from ingest.records import CANONICAL_SCHEMA

POSTING_SOURCES = ("greenhouse", "lever", "ashby", "jsonld", "hn", "remoteok", "themuse")
EARLIEST_POSTED_AT = dt.datetime(1990, 1, 1)
# Sources give posted_at in their own time zone, often as a bare date: allow a day of slack.
FUTURE_SLACK = dt.timedelta(days=1)
URL_REGEX = r"^https?://[^\s/?#]+[^\s]*$"
BLS_PERIODS = (
    [f"M{m:02d}" for m in range(1, 14)] + [f"Q{q:02d}" for q in range(1, 6)] + ["S01", "S02", "S03", "A01"]
)
BLS_GAP_TEXTS = ("-",)
OUTLOOK_STATES = ("stable", "strengthening", "weakening", "mixed_review")
SCORE_COMPONENTS = ("automation_resistance", "structural_moat", "demand")
SUM_TOLERANCE = 1e-6
# BLS publishes employment in thousands with one decimal: recomputing change from the two rounded
# levels can be off by a couple of hundred jobs, so the consistency check allows that much.
PROJECTION_CHANGE_TOLERANCE_JOBS = 250.0
PROJECTION_CHANGE_TOLERANCE_SHARE = 0.001
MISSING = "_missing_columns"
WRONG_TYPES = "_wrong_types"

e = gx.expectations


@dataclass(frozen=True)
class Rule:
    """One named expectation; `name` is what quarantine rows and summaries report."""

    name: str
    expectation: Any


@dataclass(frozen=True)
class SuiteSpec:
    """A suite: the table schema it expects, its rules (built once per process), its derivations."""

    name: str
    schema: Mapping[str, pl.DataType]
    required: tuple[str, ...]
    key: tuple[str, ...]
    key_rule: str
    build_rules: Callable[[], list[Rule]]
    derive: Callable[[pl.DataFrame, Mapping[str, Any]], list[pl.Expr]]
    timestamps: tuple[str, ...] = ()
    # Long texts whose rules only ask "null?" and "blank?": GX sees their first non-blank character
    # (null stays null, blank becomes ""), the same verdicts for a fraction of the pandas cost.
    long_texts: tuple[str, ...] = ()

    def rules(self) -> list[Rule]:
        return [*_common_rules(self), *self.build_rules()]

    def prepare(self, df: pl.DataFrame, params: Mapping[str, Any]) -> pl.DataFrame:
        """The frame GX sees: schema-complete, types checked, timestamps naive UTC, helpers added.

        A column of the wrong type (fetched_at as text, say) is reported by `column_types_match` and
        replaced by nulls here, so the derivations below never fail on it.
        """
        absent = [c for c in self.schema if c not in df.columns]
        wrong = [c for c in self.schema if c in df.columns and not _compatible(df.schema[c], self.schema[c])]
        out = df.with_columns(
            [pl.lit(None, dtype=t).alias(c) for c, t in self.schema.items() if c in absent or c in wrong]
            + [
                pl.col(c).cast(t)
                for c, t in self.schema.items()
                if c in df.columns and c not in wrong and (df.schema[c] == pl.Null or t == pl.String)
            ]
        )
        out = out.with_columns(_naive_utc(out, c) for c in self.timestamps)
        out = out.with_columns(_first_non_blank(c) for c in self.long_texts)
        out = out.with_columns(
            pl.lit(", ".join(c for c in self.required if c in absent) or None, dtype=pl.String).alias(
                MISSING
            ),
            pl.lit(
                ", ".join(f"{c}: {df.schema[c]} (expected {self.schema[c]})" for c in wrong) or None,
                dtype=pl.String,
            ).alias(WRONG_TYPES),
        )
        return out.with_columns(self.derive(out, params))


def _compatible(actual: pl.DataType, expected: pl.DataType) -> bool:
    """Whether a column of type `actual` can stand for `expected` (integers for floats, any time unit)."""
    if actual == pl.Null:
        return True
    if expected.is_numeric():
        return actual.is_numeric()
    if expected == pl.String:
        return actual in (pl.String, pl.Categorical) or isinstance(actual, pl.Enum)
    if isinstance(expected, pl.Datetime | pl.Date):
        return isinstance(actual, pl.Datetime | pl.Date)
    return actual == expected


def _common_rules(spec: SuiteSpec) -> list[Rule]:
    rules = [
        Rule("required_columns_present", e.ExpectColumnValuesToBeNull(column=MISSING)),
        Rule("column_types_match", e.ExpectColumnValuesToBeNull(column=WRONG_TYPES)),
    ]
    rules += [Rule(f"{c}_not_null", e.ExpectColumnValuesToNotBeNull(column=c)) for c in spec.required]
    rules.append(Rule(spec.key_rule, e.ExpectCompoundColumnsToBeUnique(column_list=list(spec.key))))
    return rules


def _naive_utc(df: pl.DataFrame, col: str) -> pl.Expr:
    dtype = df.schema[col]
    expr = pl.col(col)
    if isinstance(dtype, pl.Datetime) and dtype.time_zone is not None:
        expr = expr.dt.convert_time_zone("UTC").dt.replace_time_zone(None)
    return expr.cast(pl.Datetime("us"))


def _first_non_blank(col: str) -> pl.Expr:
    """The first non-blank character; "" for a blank text, null for null. Scans only the leading blanks."""
    text = pl.col(col)
    return (
        pl.when(text.str.contains(r"\S")).then(text.str.extract(r"(\S)", 1)).otherwise(text.str.slice(0, 0))
    )


def _violation(name: str, offends: pl.Expr, describe: pl.Expr) -> pl.Expr:
    """Null where the row is fine, a description of the offence where it is not."""
    return pl.when(offends.fill_null(False)).then(describe).otherwise(None).alias(f"_{name}")


def _violation_rule(name: str) -> Rule:
    return Rule(name, e.ExpectColumnValuesToBeNull(column=f"_{name}"))


def _text(*parts: str | pl.Expr) -> pl.Expr:
    return pl.concat_str(
        [p if isinstance(p, pl.Expr) else pl.lit(p) for p in parts], ignore_nulls=False
    ).fill_null("<null>")


def _fmt(col: str) -> pl.Expr:
    return pl.col(col).cast(pl.String).fill_null("null")


# ------------------------------------------------------------------ raw postings (DESIGN §3.1)
RAW_POSTINGS_SCHEMA: dict[str, pl.DataType] = CANONICAL_SCHEMA  # the record every source yields


def _raw_postings_rules() -> list[Rule]:
    return [
        Rule("source_known", e.ExpectColumnValuesToBeInSet(column="source", value_set=list(POSTING_SOURCES))),
        Rule("url_well_formed", e.ExpectColumnValuesToMatchRegex(column="url", regex=URL_REGEX)),
        Rule(
            "description_not_empty", e.ExpectColumnValuesToMatchRegex(column="description_text", regex=r"\S")
        ),
        # A pair with a constant column, not ExpectColumnValuesToBeBetween: GX compares datetimes
        # with a bound row by row in Python, but two columns in one vectorized step.
        Rule(
            "posted_at_not_before_1990",
            e.ExpectColumnPairValuesAToBeGreaterThanB(
                column_A="posted_at",
                column_B="_earliest_posted_at",
                or_equal=True,
                ignore_row_if="either_value_is_missing",
            ),
        ),
        Rule(
            "posted_at_not_in_future",
            e.ExpectColumnPairValuesAToBeGreaterThanB(
                column_A="_posted_at_limit",
                column_B="posted_at",
                or_equal=True,
                ignore_row_if="either_value_is_missing",
            ),
        ),
        Rule(
            "salary_min_le_max",
            e.ExpectColumnPairValuesAToBeGreaterThanB(
                column_A="salary_max",
                column_B="salary_min",
                or_equal=True,
                ignore_row_if="either_value_is_missing",
            ),
        ),
    ]


def _raw_postings_derive(df: pl.DataFrame, params: Mapping[str, Any]) -> list[pl.Expr]:
    """posted_at may not be later than the run's logical date (replays) or else the row's fetch."""
    as_of = params.get("as_of")
    if as_of is not None:
        limit = pl.lit(as_of).cast(pl.Datetime("us"))
    elif df.schema["fetched_at"].is_temporal():
        limit = pl.col("fetched_at")
    else:  # a mistyped fetched_at: posted_at_not_in_future cannot be judged, fetched_at's rules fail
        limit = pl.lit(None, dtype=pl.Datetime("us"))
    return [
        (limit + FUTURE_SLACK).alias("_posted_at_limit"),
        pl.lit(EARLIEST_POSTED_AT, dtype=pl.Datetime("us")).alias("_earliest_posted_at"),
    ]


# ------------------------------------------------------------- BLS observations (raw table)
BLS_SCHEMA: dict[str, pl.DataType] = {
    "series_id": pl.String(),
    "year": pl.Int64(),
    "period": pl.String(),
    "value": pl.Float64(),
    "value_text": pl.String(),
    "footnote_codes": pl.String(),
    "source": pl.String(),
    "retrieved_at": pl.Datetime("us"),
}


def _bls_rules() -> list[Rule]:
    return [
        Rule("period_code_known", e.ExpectColumnValuesToBeInSet(column="period", value_set=BLS_PERIODS)),
        Rule(
            "year_plausible", e.ExpectColumnValuesToBeBetween(column="year", min_value=1900, max_value=2100)
        ),
        Rule("source_known", e.ExpectColumnValuesToBeInSet(column="source", value_set=["api", "oews_file"])),
        _violation_rule("value_or_typed_gap"),
    ]


def _bls_derive(df: pl.DataFrame, params: Mapping[str, Any]) -> list[pl.Expr]:
    footnoted = pl.col("footnote_codes").str.strip_chars().str.len_chars() > 0
    typed_gap = pl.col("value_text").str.strip_chars().is_in(BLS_GAP_TEXTS) | footnoted
    offends = (pl.col("value").is_null() & ~typed_gap.fill_null(False)) | pl.col("value").cast(
        pl.Float64
    ).is_nan()
    describe = _text(
        _fmt("series_id"), " ", _fmt("year"), " ", _fmt("period"), ": value_text=", _fmt("value_text")
    )
    return [_violation("value_or_typed_gap", offends, describe)]


# ---------------------------------------------------------- projections (staging.projections)
PROJECTIONS_SCHEMA: dict[str, pl.DataType] = {
    "edition": pl.String(),
    "soc_code": pl.String(),
    "title": pl.String(),
    "base_year": pl.Int64(),
    "projected_year": pl.Int64(),
    "employment_base": pl.Float64(),
    "employment_projected": pl.Float64(),
    "change_number": pl.Float64(),
    "change_percent": pl.Float64(),
    "openings_annual": pl.Float64(),
    "median_wage": pl.Float64(),
    "retrieved_at": pl.Datetime("us"),
}


def _projections_rules() -> list[Rule]:
    rules = [
        Rule(f"{c}_non_negative", e.ExpectColumnValuesToBeBetween(column=c, min_value=0))
        for c in ("employment_base", "employment_projected", "openings_annual", "median_wage")
    ]
    return [
        *rules,
        Rule("soc_code_format", e.ExpectColumnValuesToMatchRegex(column="soc_code", regex=r"^\d{2}-\d{4}$")),
        # An occupation cannot lose more than all of its jobs; a tenfold gain is a unit error.
        Rule(
            "change_percent_in_range",
            e.ExpectColumnValuesToBeBetween(column="change_percent", min_value=-100, max_value=1000),
        ),
        Rule(
            "projected_year_after_base_year",
            e.ExpectColumnPairValuesAToBeGreaterThanB(
                column_A="projected_year", column_B="base_year", ignore_row_if="either_value_is_missing"
            ),
        ),
        _violation_rule("change_number_consistent"),
    ]


def _projections_derive(df: pl.DataFrame, params: Mapping[str, Any]) -> list[pl.Expr]:
    """change = projected - base, within rounding; catches a thousands/jobs unit mix-up."""
    gap = (pl.col("employment_projected") - pl.col("employment_base") - pl.col("change_number")).abs()
    scale = pl.max_horizontal("employment_base", "employment_projected").abs()
    offends = gap > PROJECTION_CHANGE_TOLERANCE_JOBS + PROJECTION_CHANGE_TOLERANCE_SHARE * scale
    describe = _text(
        _fmt("soc_code"),
        ": base=",
        _fmt("employment_base"),
        " projected=",
        _fmt("employment_projected"),
        " change=",
        _fmt("change_number"),
    )
    return [_violation("change_number_consistent", offends, describe)]


# ------------------------------------------------------------ watch signals (marts table)
WATCH_SIGNALS_SCHEMA: dict[str, pl.DataType] = {
    "role_id": pl.String(),
    "week": pl.Date(),
    "signal": pl.String(),
    "value": pl.Float64(),
    "n": pl.Int64(),
    "ci_low": pl.Float64(),
    "ci_high": pl.Float64(),
}


def _watch_signals_rules() -> list[Rule]:
    return [
        Rule("n_non_negative", e.ExpectColumnValuesToBeBetween(column="n", min_value=0)),
        Rule(
            "ci_low_le_value",
            e.ExpectColumnPairValuesAToBeGreaterThanB(
                column_A="value", column_B="ci_low", or_equal=True, ignore_row_if="either_value_is_missing"
            ),
        ),
        Rule(
            "value_le_ci_high",
            e.ExpectColumnPairValuesAToBeGreaterThanB(
                column_A="ci_high", column_B="value", or_equal=True, ignore_row_if="either_value_is_missing"
            ),
        ),
        _violation_rule("share_within_0_1"),
        _violation_rule("week_is_monday"),
    ]


def _watch_signals_derive(df: pl.DataFrame, params: Mapping[str, Any]) -> list[pl.Expr]:
    is_share = pl.col("signal").str.ends_with("_share")
    out_of_range = pl.any_horizontal(
        [(pl.col(c) < 0) | (pl.col(c) > 1) for c in ("value", "ci_low", "ci_high")]
    )
    where = _text(_fmt("role_id"), " ", _fmt("week"), " ", _fmt("signal"))
    return [
        _violation(
            "share_within_0_1",
            is_share & out_of_range,
            _text(where, ": value=", _fmt("value"), " ci=[", _fmt("ci_low"), ", ", _fmt("ci_high"), "]"),
        ),
        _violation("week_is_monday", pl.col("week").dt.weekday() != 1, where),
    ]


# -------------------------------------------------------------- role scores (marts table)
ROLE_SCORES_SCHEMA: dict[str, pl.DataType] = {
    "role_id": pl.String(),
    "as_of": pl.Date(),
    **{c: pl.Float64() for c in SCORE_COMPONENTS},
    "total": pl.Float64(),
    "outlook_state": pl.String(),
    "explanation": pl.String(),
}


def _role_scores_rules() -> list[Rule]:
    return [
        Rule(
            "total_within_0_100", e.ExpectColumnValuesToBeBetween(column="total", min_value=0, max_value=100)
        ),
        Rule(
            "outlook_state_known",
            e.ExpectColumnValuesToBeInSet(column="outlook_state", value_set=list(OUTLOOK_STATES)),
        ),
        Rule("explanation_not_empty", e.ExpectColumnValuesToMatchRegex(column="explanation", regex=r"\S")),
        *[_violation_rule(f"{c}_within_card_max") for c in SCORE_COMPONENTS],
        _violation_rule("total_is_sum_of_components"),
    ]


def component_maxima(cards: Iterable[Any]) -> dict[str, dict[str, float]]:
    """role_id -> component -> maximum, from role cards (anything with `.id` and `.components[c].max`)."""
    return {card.id: {c: float(card.components[c].max) for c in SCORE_COMPONENTS} for card in cards}


def _role_scores_derive(df: pl.DataFrame, params: Mapping[str, Any]) -> list[pl.Expr]:
    maxima = params.get("maxima")
    if maxima is None:
        raise ValueError("the role_scores suite needs the card maxima: pass maxima=component_maxima(cards)")
    where = _text(_fmt("role_id"), " ", _fmt("as_of"))
    exprs = []
    for c in SCORE_COMPONENTS:
        mapping = {role: float(m[c]) for role, m in maxima.items()}
        card_max = pl.col("role_id").replace_strict(mapping, default=None, return_dtype=pl.Float64)
        offends = card_max.is_null() | (pl.col(c) < 0) | (pl.col(c) > card_max)
        describe = _text(
            where, f": {c}=", _fmt(c), " card max=", card_max.cast(pl.String).fill_null("no card")
        )
        exprs.append(_violation(f"{c}_within_card_max", offends, describe))
    total = pl.sum_horizontal(*SCORE_COMPONENTS, ignore_nulls=False)
    exprs.append(
        _violation(
            "total_is_sum_of_components",
            (pl.col("total") - total).abs() > SUM_TOLERANCE,
            _text(where, ": total=", _fmt("total"), " sum=", total.cast(pl.String).fill_null("null")),
        )
    )
    return exprs


SUITES: dict[str, SuiteSpec] = {
    spec.name: spec
    for spec in (
        SuiteSpec(
            "raw_postings",
            RAW_POSTINGS_SCHEMA,
            (
                "source",
                "source_id",
                "board",
                "title",
                "url",
                "description_text",
                "payload_sha256",
                "fetched_at",
            ),
            ("source", "board", "source_id"),
            "source_id_unique_in_batch",
            _raw_postings_rules,
            _raw_postings_derive,
            timestamps=("posted_at", "fetched_at"),
            long_texts=("description_text",),
        ),
        SuiteSpec(
            "bls_observations",
            BLS_SCHEMA,
            ("series_id", "year", "period", "retrieved_at"),
            ("series_id", "year", "period", "retrieved_at"),
            "no_duplicate_observation",
            _bls_rules,
            _bls_derive,
            timestamps=("retrieved_at",),
        ),
        SuiteSpec(
            "projections",
            PROJECTIONS_SCHEMA,
            ("edition", "soc_code", "employment_base", "employment_projected"),
            ("edition", "soc_code"),
            "edition_soc_code_unique",
            _projections_rules,
            _projections_derive,
        ),
        SuiteSpec(
            "watch_signals",
            WATCH_SIGNALS_SCHEMA,
            ("role_id", "week", "signal"),
            ("role_id", "week", "signal"),
            "signal_unique_per_role_week",
            _watch_signals_rules,
            _watch_signals_derive,
        ),
        SuiteSpec(
            "role_scores",
            ROLE_SCORES_SCHEMA,
            ("role_id", "as_of", *SCORE_COMPONENTS, "total", "outlook_state", "explanation"),
            ("role_id", "as_of"),
            "score_unique_per_role_day",
            _role_scores_rules,
            _role_scores_derive,
        ),
    )
}


def columns_used(rules: Iterable[Rule]) -> list[str]:
    """Every column a rule reads: only these are converted to pandas (description_html is not)."""
    seen: dict[str, None] = {}
    for rule in rules:
        kwargs = rule.expectation.configuration.kwargs
        for key in ("column", "column_A", "column_B"):
            if isinstance(kwargs.get(key), str):
                seen[kwargs[key]] = None
        for col in kwargs.get("column_list") or ():
            seen[col] = None
    return list(seen)
