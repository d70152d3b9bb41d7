"""The expectation suites, in code so they are reviewed and versioned like code.

Each suite is a list of `Rule`s: a stable, human name (what a quarantine row and an operator see)
bound to one GX expectation. Rules GX cannot state on the raw columns (posted_at not after the
fetch, total = sum of components, component within its card maximum) are stated on helper columns
that `prepare` derives with Polars before validation; helper columns start with `_` and never
leave the gate.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import great_expectations as gx
import polars as pl

POSTING_SOURCES = ("greenhouse", "lever", "ashby", "jsonld", "hn", "remoteok", "themuse")
POSTINGS_REQUIRED = (
    "source",
    "source_id",
    "board",
    "title",
    "url",
    "description_text",
    "payload_sha256",
    "fetched_at",
)
POSTINGS_OPTIONAL = {
    "company": pl.String,
    "location": pl.String,
    "remote": pl.Boolean,
    "description_html": pl.String,
    "posted_at": pl.Datetime("us"),
    "salary_min": pl.Float64,
    "salary_max": pl.Float64,
    "salary_currency": pl.String,
    "salary_interval": pl.String,
}
EARLIEST_POSTED_AT = dt.datetime(1990, 1, 1)
# Sources give posted_at in their own time zone, often as a bare date: allow a day of slack.
FUTURE_SLACK = dt.timedelta(days=1)
URL_REGEX = r"^https?://[^\s/?#]+[^\s]*$"


@dataclass(frozen=True)
class Rule:
    """One named expectation; `name` is what quarantine rows and summaries report."""

    name: str
    expectation: Any


def _raw_postings_rules() -> list[Rule]:
    e = gx.expectations
    rules = [Rule(f"{col}_present", e.ExpectColumnToExist(column=col)) for col in POSTINGS_REQUIRED]
    rules += [
        Rule(f"{col}_not_null", e.ExpectColumnValuesToNotBeNull(column=col)) for col in POSTINGS_REQUIRED
    ]
    rules += [
        Rule("source_known", e.ExpectColumnValuesToBeInSet(column="source", value_set=list(POSTING_SOURCES))),
        Rule(
            "source_id_unique_in_batch",
            e.ExpectCompoundColumnsToBeUnique(column_list=["source", "board", "source_id"]),
        ),
        Rule("url_well_formed", e.ExpectColumnValuesToMatchRegex(column="url", regex=URL_REGEX)),
        Rule(
            "description_not_empty",
            e.ExpectColumnValuesToMatchRegex(column="description_text", regex=r"\S"),
        ),
        Rule(
            "posted_at_not_before_1990",
            e.ExpectColumnValuesToBeBetween(column="posted_at", min_value=EARLIEST_POSTED_AT),
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
    return rules


def _prepare_raw_postings(df: pl.DataFrame, as_of: dt.datetime | None) -> pl.DataFrame:
    """Add absent optional columns as nulls, make timestamps naive UTC, derive the future limit."""
    missing = [pl.lit(None, dtype=t).alias(c) for c, t in POSTINGS_OPTIONAL.items() if c not in df.columns]
    out = df.with_columns(missing) if missing else df
    out = out.with_columns(_naive_utc(out, c) for c in ("posted_at", "fetched_at") if c in out.columns)
    limit = (
        pl.lit(as_of)
        if as_of is not None
        else (pl.col("fetched_at") if "fetched_at" in out.columns else None)
    )
    if limit is None:
        return out.with_columns(pl.lit(None, dtype=pl.Datetime("us")).alias("_posted_at_limit"))
    return out.with_columns((limit.cast(pl.Datetime("us")) + FUTURE_SLACK).alias("_posted_at_limit"))


def _naive_utc(df: pl.DataFrame, col: str) -> pl.Expr:
    dtype = df.schema[col]
    expr = pl.col(col)
    if isinstance(dtype, pl.Datetime) and dtype.time_zone is not None:
        return expr.dt.convert_time_zone("UTC").dt.replace_time_zone(None).cast(pl.Datetime("us"))
    return expr.cast(pl.Datetime("us"))


@dataclass(frozen=True)
class SuiteSpec:
    """A suite: its rules (built once per process) and the frame preparation run per batch."""

    name: str
    rules: Callable[[], list[Rule]]
    prepare: Callable[[pl.DataFrame, Mapping[str, Any]], pl.DataFrame]


SUITES: dict[str, SuiteSpec] = {
    "raw_postings": SuiteSpec(
        "raw_postings", _raw_postings_rules, lambda df, p: _prepare_raw_postings(df, p.get("as_of"))
    ),
}
