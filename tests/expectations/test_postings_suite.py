"""The raw_postings suite: a good batch passes, each kind of defect fails exactly its named rule."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from expectations.gate import validate
from tests.expectations.batches import FETCHED_AT, postings, set_cell

REQUIRED = (
    "source",
    "source_id",
    "board",
    "title",
    "url",
    "description_text",
    "payload_sha256",
    "fetched_at",
)


def test_good_batch_passes_every_rule():
    outcome = validate("raw_postings", postings())
    assert outcome.success, outcome.details
    assert outcome.failed == []
    assert outcome.evaluated >= 16


def test_nulls_in_optional_fields_pass():
    batch = postings().with_columns(
        pl.lit(None, dtype=pl.Datetime("us")).alias("posted_at"),
        pl.lit(None, dtype=pl.Float64).alias("salary_min"),
        pl.lit(None).alias("company"),
    )
    assert validate("raw_postings", batch).success


def test_optional_columns_may_be_absent_and_timezones_are_respected():
    batch = postings().drop("salary_min", "salary_max", "description_html", "location")
    batch = batch.with_columns(pl.col("fetched_at", "posted_at").dt.replace_time_zone("UTC"))
    assert validate("raw_postings", batch).success


@pytest.mark.parametrize("column", REQUIRED)
def test_required_field_missing_is_named(column):
    outcome = validate("raw_postings", set_cell(postings(), column, 1, None))
    assert outcome.failed == [f"{column}_not_null"]
    assert outcome.sample[f"{column}_not_null"] == [None]


def test_required_column_absent_is_named():
    outcome = validate("raw_postings", postings().drop("title"))
    assert outcome.failed == ["required_columns_present", "title_not_null"]
    assert outcome.sample["required_columns_present"][0] == "title"


def test_duplicate_id_within_batch():
    batch = set_cell(postings(), "source_id", 2, "4000")
    outcome = validate("raw_postings", batch)
    assert outcome.failed == ["source_id_unique_in_batch"]
    assert {"source": "greenhouse", "board": "acme", "source_id": "4000"} in outcome.sample[
        "source_id_unique_in_batch"
    ]


def test_same_id_on_two_boards_is_not_a_duplicate():
    batch = pl.concat([postings(2, board="acme"), postings(2, board="globex")])
    assert validate("raw_postings", batch).success


@pytest.mark.parametrize(
    "url", ["ftp://acme.example/jobs/1", "boards.greenhouse.io/acme/1", "http://", "https:// x"]
)
def test_malformed_url(url):
    outcome = validate("raw_postings", set_cell(postings(), "url", 0, url))
    assert outcome.failed == ["url_well_formed"]
    assert outcome.sample["url_well_formed"] == [url]


@pytest.mark.parametrize("posted_at", [FETCHED_AT + dt.timedelta(days=3), dt.datetime(2030, 1, 1)])
def test_posted_in_the_future(posted_at):
    outcome = validate("raw_postings", set_cell(postings(), "posted_at", 0, posted_at))
    assert outcome.failed == ["posted_at_not_in_future"]


def test_a_day_of_time_zone_slack_is_allowed():
    batch = set_cell(postings(), "posted_at", 0, FETCHED_AT + dt.timedelta(hours=20))
    assert validate("raw_postings", batch).success


def test_future_is_judged_against_as_of_when_replaying():
    batch = postings()  # posted_at up to a day before FETCHED_AT
    assert not validate("raw_postings", batch, as_of=FETCHED_AT - dt.timedelta(days=10)).success
    assert validate("raw_postings", batch, as_of=FETCHED_AT).success


def test_posted_before_1990():
    outcome = validate("raw_postings", set_cell(postings(), "posted_at", 1, dt.datetime(1989, 12, 31)))
    assert outcome.failed == ["posted_at_not_before_1990"]
    assert outcome.sample["posted_at_not_before_1990"] == [["1989-12-31T00:00:00", "1990-01-01T00:00:00"]]


@pytest.mark.parametrize("text", ["", "   \n\t "])
def test_empty_description(text):
    outcome = validate("raw_postings", set_cell(postings(), "description_text", 0, text))
    assert outcome.failed == ["description_not_empty"]


def test_salary_min_above_max():
    outcome = validate("raw_postings", set_cell(postings(), "salary_min", 0, 250_000.0))
    assert outcome.failed == ["salary_min_le_max"]
    assert outcome.sample["salary_min_le_max"] == [[190_000.0, 250_000.0]]


def test_unknown_source():
    outcome = validate("raw_postings", postings(source="indeed"))
    assert outcome.failed == ["source_known"]


def test_several_defects_are_all_named():
    batch = set_cell(set_cell(postings(), "url", 0, "mailto:jobs@acme.example"), "salary_max", 1, 1.0)
    assert validate("raw_postings", batch).failed == ["salary_min_le_max", "url_well_formed"]


def test_wrongly_typed_column_is_named_not_crashed_on():
    batch = postings().with_columns(pl.col("fetched_at").dt.strftime("%Y-%m-%d %H:%M"))
    outcome = validate("raw_postings", batch)
    assert outcome.failed == ["column_types_match", "fetched_at_not_null"]
    assert (
        outcome.sample["column_types_match"][0]
        == "fetched_at: String (expected Datetime(time_unit='us', time_zone=None))"
    )


def test_compatible_types_are_accepted():
    batch = postings().with_columns(
        pl.col("salary_min", "salary_max").cast(pl.Int64),
        pl.col("source").cast(pl.Categorical),
        pl.col("posted_at").cast(pl.Date),
        pl.col("fetched_at").cast(pl.Datetime("ns")),
    )
    assert validate("raw_postings", batch).success
