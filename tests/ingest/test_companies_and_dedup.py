"""Company identity and deduplication (pure Polars)."""

from __future__ import annotations

from datetime import datetime

import polars as pl
import pytest

from laborwatch.ingest_postings import company_aliases
from transforms.companies import add_company_key
from transforms.dedup import (
    assign_postings,
    assign_run,
    dedup_within_source,
    location_key_expr,
    matchable,
    title_key_expr,
)

AS_OF = datetime(2026, 3, 3)
TEXT = (
    "You will deploy ranking models to production, design the offline evaluation suite, monitor drift "
    "and data quality for the recommendations platform, and lead incident response for model failures."
)
OTHER_TEXT = (
    "Join the growth analytics team to run experiments on pricing pages, build dashboards for finance "
    "partners, and explain weekly revenue movements to the executive staff in written reviews."
)


@pytest.mark.parametrize(
    ("names", "key"),
    [
        (["OpenAI", "OpenAI, Inc.", "openai", "OPENAI LLC", "OpenAI OpCo"], "openai"),
        (["Scale AI", "scaleai", "Scale AI, Inc.", "Scale"], "scaleai"),
        (["Müller GmbH & Co. KG", "Muller GmbH", "MÜLLER"], "muller"),
        (["The Walt Disney Company", "Walt Disney Co."], "waltdisney"),
        (["Meta Platforms, Inc.", "Facebook", "Meta"], "meta"),
        (["Anthropic PBC", "Anthropic"], "anthropic"),
        (["Acme & Co.", "ACME and Co", "Acme Corp."], "acme"),
    ],
)
def test_one_identity_per_employer(names: list[str], key: str) -> None:
    keyed = add_company_key(pl.DataFrame({"company": names}), company_aliases())
    assert keyed["company_key"].to_list() == [key] * len(names)
    assert keyed["company"].to_list() == names, "order and names are kept"


def test_a_name_that_is_only_a_legal_form_keeps_itself() -> None:
    keyed = add_company_key(pl.DataFrame({"company": ["Inc.", "Co", None, "  "]}))
    assert keyed["company_key"].to_list() == ["inc", "co", None, None]


def test_title_and_location_keys() -> None:
    df = pl.DataFrame(
        {
            "title": ["Sr. ML Engineer (Remote)", "Senior ML Engineer", "Jr Data Scientist"],
            "location": ["San Francisco, CA, US", "San Francisco, California", "Remote - US"],
        }
    )
    out = df.select(title_key_expr(pl.col("title")), location_key_expr(pl.col("location")))
    assert out["title"].to_list() == ["senior ml engineer", "senior ml engineer", "junior data scientist"]
    assert out["location"].to_list() == ["san francisco", "san francisco", "remote"]


def _records(**columns: list) -> pl.DataFrame:
    n = len(columns["source_id"])
    base = {
        "source": ["jsonld"] * n,
        "board": ["https://careers.example.com/ml"] * n,
        "company_key": ["exampleco"] * n,
        "title": ["Senior ML Engineer"] * n,
        "location": ["San Francisco, CA"] * n,
        "description_text": [TEXT] * n,
        "posted_at": [None] * n,
    }
    return pl.DataFrame({**base, **columns}, schema_overrides={"posted_at": pl.Datetime("us")})


def _candidates(**columns: list) -> pl.DataFrame:
    n = len(columns["posting_key"])
    base = {
        "source": ["greenhouse"] * n,
        "company_key": ["exampleco"] * n,
        "title": ["Senior ML Engineer"] * n,
        "location": ["San Francisco, CA"] * n,
        "description_text": [TEXT] * n,
        "posted_at": [None] * n,
        "closed_at": [None] * n,
    }
    return pl.DataFrame(
        {**base, **columns}, schema_overrides={"posted_at": pl.Datetime("us"), "closed_at": pl.Datetime("us")}
    )


NO_KNOWN = pl.DataFrame(
    schema={
        "source": pl.String,
        "source_id": pl.String,
        "posting_key": pl.String,
        "canonical_board": pl.String,
    }
)


def test_same_job_from_another_source_is_an_alias() -> None:
    out = assign_postings(
        _records(source_id=["J-1"], location=["San Francisco, CA, US"]),
        NO_KNOWN,
        _candidates(posting_key=["greenhouse:4001"]),
        as_of=AS_OF,
    )
    assert out.select("posting_key", "is_alias", "matched_by").row(0) == (
        "greenhouse:4001",
        True,
        "cross_source",
    )


def test_same_title_and_city_but_different_text_is_a_different_job() -> None:
    out = assign_postings(
        _records(source_id=["J-1"], description_text=[OTHER_TEXT]),
        NO_KNOWN,
        _candidates(posting_key=["greenhouse:4001"]),
        as_of=AS_OF,
    )
    assert out.select("posting_key", "is_alias", "matched_by").row(0) == ("jsonld:J-1", False, "new")


def test_near_identical_text_matches_despite_location_wording() -> None:
    out = assign_postings(
        _records(source_id=["J-1"], location=["Remote (anywhere in the US)"]),
        NO_KNOWN,
        _candidates(posting_key=["greenhouse:4001"], location=["US-Remote"]),
        as_of=AS_OF,
    )
    assert out["posting_key"].to_list() == ["greenhouse:4001"]


def test_window_and_same_source_rules() -> None:
    long_closed = _candidates(posting_key=["greenhouse:1"], closed_at=[datetime(2025, 9, 1)])
    same_source = _candidates(posting_key=["jsonld:other"], source=["jsonld"])
    far_apart = _candidates(posting_key=["greenhouse:2"], posted_at=[datetime(2025, 6, 1)])
    records = _records(source_id=["J-1"], posted_at=[datetime(2026, 3, 1)])
    for candidates in (long_closed, same_source, far_apart):
        out = assign_postings(records, NO_KNOWN, candidates, as_of=AS_OF)
        assert out["matched_by"].to_list() == ["new"], candidates["posting_key"].to_list()


def test_known_ids_keep_their_posting_and_other_boards_are_aliases() -> None:
    known = pl.DataFrame(
        {
            "source": ["themuse", "themuse"],
            "source_id": ["77", "78"],
            "posting_key": ["themuse:77", "greenhouse:9"],
            "canonical_board": ["Data Science", None],
        }
    )
    records = _records(
        source=["themuse"] * 3,
        board=["Data Science", "Engineering", "Engineering"],
        source_id=["77", "77", "78"],
    )
    out = assign_postings(records, known, _candidates(posting_key=["greenhouse:5"]), as_of=AS_OF)
    assert out.select("posting_key", "is_alias", "matched_by").rows() == [
        ("themuse:77", False, "id"),
        ("themuse:77", True, "id"),
        ("greenhouse:9", True, "id"),
    ]


def test_within_source_duplicates_collapse() -> None:
    records = _records(source_id=["1", "1", "2"], title=["A", "A again", "B"])
    assert dedup_within_source(records)["title"].to_list() == ["A", "B"]


NO_CANDIDATES = _candidates(posting_key=["none"]).clear()


def test_a_run_dedups_against_postings_earlier_sources_created_in_it() -> None:
    """Source by source, as if the boards loaded one after the other: the ATS record of a new job is
    the posting, the career page's copy of it (later source) its alias."""
    records = pl.concat(
        [
            _records(source=["greenhouse"], board=["exampleco"], source_id=["4001"]),
            _records(source_id=["J-1"]),
        ]
    )
    out = assign_run(records, NO_KNOWN, NO_CANDIDATES, as_of=AS_OF)
    assert out.select("source", "posting_key", "is_alias", "matched_by").rows() == [
        ("greenhouse", "greenhouse:4001", False, "new"),
        ("jsonld", "greenhouse:4001", True, "cross_source"),
    ]


def test_a_new_id_on_two_boards_of_a_source_is_one_posting() -> None:
    records = _records(source=["themuse"] * 2, board=["Data Science", "Engineering"], source_id=["77", "77"])
    out = assign_run(records, NO_KNOWN, NO_CANDIDATES, as_of=AS_OF)
    assert out.select("board", "posting_key", "is_alias", "matched_by").rows() == [
        ("Data Science", "themuse:77", False, "new"),
        ("Engineering", "themuse:77", True, "id"),
    ]


def test_only_candidates_that_pair_up_are_worth_their_description() -> None:
    records = _records(source_id=["J-1", "J-2"], title=["Senior ML Engineer", "Staff Data Engineer"])
    candidates = _candidates(
        posting_key=["greenhouse:1", "greenhouse:2", "jsonld:3", "greenhouse:4"],
        title=["Sr. ML Engineer", "Product Designer", "Senior ML Engineer", "Staff Data Engineer"],
        source=["greenhouse", "greenhouse", "jsonld", "greenhouse"],
        closed_at=[None, None, None, datetime(2025, 9, 1)],
    ).drop("description_text")
    assert matchable(records, candidates, as_of=AS_OF).to_list() == ["greenhouse:1"]
