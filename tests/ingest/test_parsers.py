"""Each source's parser on payloads in the source's real format, and on broken ones."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime

import pytest

from ingest.records import CANONICAL_COLUMNS, ParseError, html_to_text, records_frame
from ingest.sources import ashby, greenhouse, hn, jsonld, lever, remoteok, themuse
from tests.ingest import payloads as P
from warehouse.archive import Fetch

FETCHED = datetime(2026, 3, 3, 12, 0, 5)
PAGE = "https://careers.example.com/jobs/ml"


def fetch_of(body: bytes, url: str = "https://host/x", content_type: str = "application/json") -> Fetch:
    return Fetch(url=url, fetched_at=FETCHED, status=200, body=body, content_type=content_type)


def only(records: list[dict]) -> dict:
    assert len(records) == 1, records
    return records[0]


def assert_canonical(record: dict, body: bytes) -> None:
    assert tuple(record) == CANONICAL_COLUMNS
    assert record["payload_sha256"] == hashlib.sha256(body).hexdigest()
    assert record["fetched_at"] == FETCHED
    assert record["description_text"] and "<" not in record["description_text"]
    assert "&amp;" not in record["description_text"] and "&lt;" not in record["description_text"]


def test_greenhouse_unescapes_content_and_reads_pay_ranges() -> None:
    body = P.greenhouse([P.Job("4001", "Senior ML Engineer", company="ExampleCo", salary=(180000, 220000))])
    record = only(greenhouse.parse(fetch_of(body), "exampleco"))
    assert_canonical(record, body)
    assert record["description_html"].startswith("<h2>About us</h2>")
    assert "- Deploy models to production and own their rollout" in record["description_text"].splitlines()
    assert "Benefits: health, dental & 401(k)." in record["description_text"]
    assert (record["source_id"], record["company"], record["location"]) == (
        "4001",
        "ExampleCo",
        "San Francisco, CA",
    )
    assert record["url"] == "https://boards.greenhouse.io/exampleco/jobs/4001"
    assert (
        record["salary_min"],
        record["salary_max"],
        record["salary_currency"],
        record["salary_interval"],
    ) == (
        180000.0,
        220000.0,
        "USD",
        "year",
    )
    assert record["posted_at"] == datetime(2026, 2, 20, 15, 0)


def test_greenhouse_without_company_name_falls_back_to_the_board() -> None:
    data = json.loads(P.greenhouse([P.Job("4001", "Data Scientist")]))
    del data["jobs"][0]["company_name"]
    assert only(greenhouse.parse(fetch_of(json.dumps(data).encode()), "exampleco"))["company"] == "exampleco"


def test_lever_joins_description_lists_and_additional_in_order() -> None:
    body = P.lever(
        [P.Job("0d5c-11", "ML Engineer", location="New York, NY", salary=(150000, 190000), remote=True)]
    )
    record = only(lever.parse(fetch_of(body), "leverco"))
    assert_canonical(record, body)
    text = record["description_text"]
    assert text.index("forecasting tools") < text.index("What you will do") < text.index("relocation support")
    assert (record["salary_min"], record["salary_max"], record["salary_interval"]) == (
        150000.0,
        190000.0,
        "year",
    )
    assert record["remote"] is True and record["url"] == "https://jobs.lever.co/leverco/0d5c-11"
    assert record["posted_at"] == datetime(2026, 2, 20, 15, 0)


def test_ashby_skips_unlisted_jobs_and_reads_salary_component() -> None:
    body = P.ashby(
        [P.Job("a-1", "Applied Scientist", location="Remote - US", remote=True, salary=(160000, 210000))],
        unlisted=[P.Job("a-2", "Secret Role")],
    )
    record = only(ashby.parse(fetch_of(body), "ashco"))
    assert_canonical(record, body)
    assert (record["title"], record["remote"], record["salary_min"], record["salary_currency"]) == (
        "Applied Scientist",
        True,
        160000.0,
        "USD",
    )


def test_remoteok_skips_the_legal_notice() -> None:
    body = P.remoteok(
        [P.Job("98765", "ML Engineer", company="DataWorks", location="Worldwide", salary=(120000, 0.0))]
    )
    record = only(remoteok.parse(fetch_of(body), "all"))
    assert_canonical(record, body)
    assert (record["company"], record["remote"], record["salary_min"], record["salary_max"]) == (
        "DataWorks",
        True,
        120000.0,
        None,
    )
    assert json.loads(body)[0]["legal"].startswith("API Terms")


def test_themuse_reads_results_and_company() -> None:
    body = P.muse_page(
        [P.Job("11223344", "Data Scientist", company="MuseCorp", location="Chicago, IL")], 0, 1
    )
    record = only(themuse.parse(fetch_of(body), "Data Science"))
    assert_canonical(record, body)
    assert (record["source_id"], record["company"], record["location"]) == (
        "11223344",
        "MuseCorp",
        "Chicago, IL",
    )
    assert record["url"] == "https://www.themuse.com/jobs/musecorp/11223344"


def test_jsonld_reads_graph_lists_and_survives_one_malformed_block() -> None:
    one = P.jsonld_posting(
        P.Job("J-1", "ML Engineer", company="ExampleCo, Inc.", salary=(150000, 200000)), PAGE
    )
    two = P.jsonld_posting(P.Job("J-2", "Data Scientist", location="Austin, TX"), PAGE)
    three = P.jsonld_posting(P.Job("J-3", "Research Scientist"), PAGE, identifier=False)
    page = P.jsonld_page(
        [
            json.dumps(
                {"@context": "https://schema.org", "@graph": [{"@type": "Organization", "name": "X"}, one]}
            ),
            '{"@type": "JobPosting", "title": "Broken", ',  # cut off mid-object
            json.dumps([two, three]),
        ]
    )
    records = jsonld.parse(fetch_of(page, PAGE, "text/html; charset=utf-8"), PAGE)
    assert [r["title"] for r in records] == ["ML Engineer", "Data Scientist", "Research Scientist"]
    first = records[0]
    assert_canonical(first, page)
    assert first["source_id"] == "careers.example.com:J-1"
    assert first["location"] == "San Francisco, CA, US" and first["company"] == "ExampleCo, Inc."
    assert (first["salary_min"], first["salary_max"], first["salary_interval"]) == (
        150000.0,
        200000.0,
        "year",
    )
    assert first["posted_at"] == datetime(2026, 2, 20)
    assert records[2]["source_id"] == f"{PAGE}#J-3", "without an identifier the posting URL identifies it"


def test_jsonld_page_with_only_malformed_blocks_is_a_parse_error() -> None:
    page = P.jsonld_page(['{"@type": "JobPosting", "title": "Broken", '])
    # the page template's own WebSite block parses, so add a page with nothing but the broken block
    broken = b'<html><script type="application/ld+json">{"@type": "JobPosting",</script></html>'
    with pytest.raises(ParseError, match="every JSON-LD block is malformed"):
        jsonld.parse(fetch_of(broken, PAGE, "text/html"), PAGE)
    assert jsonld.parse(fetch_of(page, PAGE, "text/html"), PAGE) == []


def test_jsonld_remote_posting() -> None:
    posting = P.jsonld_posting(P.Job("R-1", "ML Engineer"), PAGE)
    del posting["jobLocation"]
    posting["jobLocationType"] = "TELECOMMUTE"
    posting["applicantLocationRequirements"] = {"@type": "Country", "name": "USA"}
    page = P.jsonld_page([json.dumps(posting)])
    record = only(jsonld.parse(fetch_of(page, PAGE, "text/html"), PAGE))
    assert (record["remote"], record["location"]) == (True, "Remote (USA)")


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        (
            "Acme Robotics | Senior ML Engineer | Boston, MA | ONSITE | $170k-$210k",
            {
                "company": "Acme Robotics",
                "title": "Senior ML Engineer",
                "location": "Boston, MA",
                "remote": False,
                "salary_min": 170000.0,
                "salary_max": 210000.0,
                "salary_currency": "USD",
                "salary_interval": "year",
            },
        ),
        (
            "Foo Health | REMOTE (US) | Data Scientist | Full-time | €80,000 - €95,000",
            {
                "company": "Foo Health",
                "title": "Data Scientist",
                "location": "REMOTE (US)",
                "remote": True,
                "salary_min": 80000.0,
                "salary_max": 95000.0,
                "salary_currency": "EUR",
            },
        ),
        (
            "Bar | Contract ML engineer | NYC or Remote | $90/hr",
            {"salary_interval": "hour", "salary_min": 90.0},
        ),
    ],
)
def test_hn_header_line(line: str, expected: dict) -> None:
    fields = hn.header_fields(line)
    assert fields is not None
    assert {k: fields.get(k) for k in expected} == expected


def test_hn_comment_becomes_a_posting_and_other_items_do_not() -> None:
    job = P.Job("9101", "Machine Learning Engineer", company="Acme Robotics", location="Boston, MA")
    body = P.hn_comment(9101, 9001, P.hn_job_text(job, pay="$170k-$210k"))
    record = only(hn.parse(fetch_of(body), "whoishiring"))
    assert_canonical(record, body)
    assert (record["company"], record["title"], record["location"]) == (
        "Acme Robotics",
        "Machine Learning Engineer",
        "Boston, MA",
    )
    assert record["url"] == "https://news.ycombinator.com/item?id=9101"
    assert "We're a 40-person team." in record["description_text"]
    assert "https://example.com/jobs" in record["description_text"]
    assert (
        hn.parse(fetch_of(P.hn_story(9001, "Ask HN: Who is hiring? (March 2026)", [9101])), "whoishiring")
        == []
    )
    assert hn.parse(fetch_of(P.hn_user([9001])), "whoishiring") == []
    assert hn.parse(fetch_of(P.hn_comment(9102, 9001, "Is anyone hiring in Lisbon?<p>Thanks")), "x") == []
    assert (
        hn.parse(fetch_of(json.dumps({"id": 9103, "deleted": True, "type": "comment"}).encode()), "x") == []
    )
    assert hn.parse(fetch_of(b"null"), "x") == []


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b'{"jobs": [{"id": 1, "title": "ML Eng', "truncated JSON"),
        (b"<!DOCTYPE html><html><body><h1>502 Bad Gateway</h1></body></html>", "expected JSON, got HTML"),
        (b'{"jobs": [}', "malformed JSON"),
        (b'{"error": "board not found"}', "no 'jobs' list"),
        (b"", "empty body"),
    ],
)
def test_broken_payloads_raise_parse_error_with_a_reason(body: bytes, reason: str) -> None:
    with pytest.raises(ParseError, match=reason):
        greenhouse.parse(fetch_of(body, content_type="text/html"), "exampleco")


def test_records_frame_has_the_canonical_schema_even_when_empty() -> None:
    assert records_frame([]).columns == list(CANONICAL_COLUMNS)
    body = P.greenhouse([P.Job("4001", "ML Engineer")])
    frame = records_frame(greenhouse.parse(fetch_of(body), "exampleco"))
    assert frame.height == 1 and str(frame.schema["posted_at"]) == "Datetime(time_unit='us', time_zone=None)"


def test_html_to_text_keeps_lines_and_drops_tags() -> None:
    text = html_to_text("<p>Hello&nbsp;<b>world</b></p><ul><li>one</li><li>two</li></ul><script>x()</script>")
    assert text == "Hello world\n- one\n- two"
