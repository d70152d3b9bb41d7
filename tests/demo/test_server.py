"""The demo server answers in each source's real format (shared/reference), over real HTTP."""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterator

import pytest
import requests

from laborwatch.demo_market import Market, build_market
from laborwatch.demo_server import DemoServer


@pytest.fixture(scope="module")
def market() -> Market:
    market = build_market("steady", 8)
    market.set_week(4)
    return market


@pytest.fixture(scope="module")
def server(market: Market) -> Iterator[DemoServer]:
    with DemoServer(market) as server:
        yield server


def get(server: DemoServer, path: str, **kwargs) -> requests.Response:
    return requests.get(server.url + path, timeout=10, **kwargs)


def test_greenhouse_board_with_escaped_content(server, market):
    body = get(server, "/v1/boards/helixlabs/jobs?content=true").json()
    listed = market.employer_postings(next(e for e in market.employers if e.board == "helixlabs"))
    assert body["meta"]["total"] == len(body["jobs"]) == len(listed)
    job = body["jobs"][0]
    assert {"id", "internal_job_id", "title", "updated_at", "location", "absolute_url", "content"} <= set(job)
    assert "<" not in job["content"] and "&lt;" in job["content"]  # HTML-escaped, as Greenhouse sends it
    assert re.search(r"<(h2|h3|p|ul|div)>", html.unescape(job["content"]))
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d-0[45]:00", job["updated_at"])
    bare = get(server, "/v1/boards/helixlabs/jobs").json()["jobs"][0]
    assert "content" not in bare
    assert get(server, "/v1/boards/nosuchboard/jobs").status_code == 404


def test_lever_postings_split_into_lists_and_paged(server):
    postings = get(server, "/v0/postings/parallax?mode=json").json()
    assert isinstance(postings, list) and postings
    p = postings[0]
    assert {"id", "text", "categories", "createdAt", "lists", "hostedUrl", "descriptionPlain"} <= set(p)
    assert all({"text", "content"} <= set(section) for section in p["lists"])
    assert any("<li>" in section["content"] for section in p["lists"])
    assert any("salaryRange" in x for x in postings)
    assert [x["id"] for x in get(server, "/v0/postings/parallax?mode=json&skip=1&limit=2").json()] == [
        x["id"] for x in postings[1:3]
    ]


def test_ashby_board_with_compensation(server):
    body = get(server, "/posting-api/job-board/quanta?includeCompensation=true").json()
    assert body["apiVersion"] == "1"
    jobs = body["jobs"]
    assert all(
        {"id", "title", "descriptionHtml", "publishedAt", "isRemote", "jobUrl"} <= set(j) for j in jobs
    )
    paid = [j for j in jobs if j["compensation"]["summaryComponents"]]
    assert paid and paid[0]["compensation"]["summaryComponents"][0]["compensationType"] == "Salary"
    plain = get(server, "/posting-api/job-board/quanta").json()["jobs"]
    assert all("compensation" not in j for j in plain)


def _ld_blocks(page: str) -> list:
    return [
        json.loads(b) for b in re.findall(r'<script type="application/ld\+json">(.*?)</script>', page, re.S)
    ]


def test_career_pages_carry_jobposting_json_ld(server):
    pages = [get(server, p.removeprefix(server.url)).text for p in server.jsonld_pages()]
    styles = set()
    for page in pages:
        blocks = _ld_blocks(page)
        postings = [n for b in blocks for n in b.get("@graph", [b]) if n.get("@type") == "JobPosting"]
        assert postings
        assert all(
            {"title", "description", "datePosted", "hiringOrganization", "jobLocation"} <= set(n)
            for n in postings
        )
        styles.add("graph" if any("@graph" in b for b in blocks) else "scripts")
    assert styles == {"graph", "scripts"}


def test_hn_user_thread_and_kids(server):
    user = get(server, "/v0/user/whoishiring.json").json()
    titles = [get(server, f"/v0/item/{i}.json").json()["title"] for i in user["submitted"][:3]]
    assert titles[0].startswith("Ask HN: Freelancer?") and "Who is hiring?" in titles[2]
    thread = get(server, f"/v0/item/{user['submitted'][2]}.json").json()
    kids = [get(server, f"/v0/item/{k}.json").json() for k in thread["kids"]]
    jobs = [k for k in kids if not k.get("deleted")]
    assert jobs and all(k["parent"] == thread["id"] for k in kids)
    assert all(" | " in html.unescape(k["text"].split("<p>")[0]) for k in jobs)
    assert any(k.get("deleted") for k in kids)
    assert get(server, "/v0/item/1.json").json() is None


def test_remoteok_legal_notice_first(server):
    body = get(server, "/api").json()
    assert "legal" in body[0] and "position" not in body[0]
    assert all({"id", "position", "company", "description", "epoch", "url"} <= set(j) for j in body[1:])


def test_the_muse_pages_and_cap(server):
    first = get(server, "/api/public/jobs", params={"page": 0, "category": "Data Science"}).json()
    assert first["page"] == 0 and first["items_per_page"] == 20 and len(first["results"]) <= 20
    ids = {j["id"] for j in first["results"]}
    for page in range(1, first["page_count"]):
        more = get(server, "/api/public/jobs", params={"page": page, "category": "Data Science"}).json()
        ids |= {j["id"] for j in more["results"]}
    assert len(ids) == first["total"]
    job = first["results"][0]
    assert {"name", "contents", "levels", "company", "publication_date", "refs"} <= set(job)
    assert get(server, "/api/public/jobs?page=100").status_code == 400


def bls(server: DemoServer, **body) -> dict:
    return requests.post(server.url + "/publicAPI/v2/timeseries/data/", json=body, timeout=10).json()


def test_bls_api_v2_shape(server):
    answer = bls(
        server,
        seriesid=[
            "JTS510000000000000JOL",
            "CES6054150001",
            "OEUN000000000000015205113",
            "OEUN000000000000015122115",
            "NOPE",
        ],
        startyear="2024",
        endyear="2026",
    )
    assert answer["status"] == "REQUEST_SUCCEEDED" and isinstance(answer["message"], list)
    series = {s["seriesID"]: s["data"] for s in answer["Results"]["series"]}
    ces = series["CES6054150001"]
    assert ces[0]["period"] > ces[1]["period"] or ces[0]["year"] > ces[1]["year"]  # newest first
    assert ces[0]["latest"] == "true" and "latest" not in ces[1]
    assert ces[0]["footnotes"][0]["code"] == "P" and ces[-1]["footnotes"] == [{}]
    assert all(isinstance(p["value"], str) for p in ces)
    assert [p["period"] for p in series["OEUN000000000000015205113"]] == ["A01"]
    top_coded = series["OEUN000000000000015122115"][0]
    assert top_coded["value"] == "-" and top_coded["footnotes"][0]["code"] == "5"
    assert series["NOPE"] == [] and "Series does not exist for Series NOPE" in answer["message"]
    assert any(m.startswith("No Data Available for Series") for m in answer["message"])


def test_bls_year_range_reduced_and_bad_years_refused(server):
    answer = bls(server, seriesid=["CES6054150001"], startyear="2000", endyear="2026")
    assert "Year range has been reduced to the system-allowed limit of 10 years." in answer["message"]
    refused = bls(server, seriesid=["CES6054150001"], startyear="2026", endyear="2020")
    assert refused["status"] == "REQUEST_FAILED_INVALID_PARAMETERS" and refused["Results"] == {}


def test_bls_data_appears_only_after_its_release(market):
    world = market.bls
    before = world.observations("JTS510000000000000JOL", market.as_of(0))
    later = world.observations("JTS510000000000000JOL", market.as_of(7))
    assert len(later) > len(before)
    ces_early = {(o.year, o.period): o.value for o in world.observations("CES6054150001", market.as_of(0))}
    ces_late = {(o.year, o.period): o.value for o in world.observations("CES6054150001", market.as_of(7))}
    revised = [k for k in ces_early if ces_early[k] != ces_late[k]]
    assert revised  # a later release revises earlier months: a new vintage


def test_release_calendar_ics(server):
    r = get(server, "/schedule/news_release/bls.ics")
    assert r.headers["Content-Type"].startswith("text/calendar")
    text = r.text
    assert "TZID:US-Eastern" in text and "\r\n" in text
    assert re.search(r"DTSTART;TZID=US-Eastern:\d{8}T\d{6}", text)
    assert re.search(r"\r\n DESCRIPTION|\r\n \S", text)  # folded continuation lines
    assert "SUMMARY:Employment Situation" in text and "SUMMARY:Job Openings and Labor Turnover Survey" in text


def test_projections_workbook_layout(server):
    from io import BytesIO

    from openpyxl import load_workbook

    book = load_workbook(BytesIO(get(server, "/emp/ind-occ-matrix/occupation.xlsx").content), read_only=True)
    rows = list(book["Table 1.2"].iter_rows(values_only=True))
    assert rows[1][1] == "2024 National Employment Matrix code" and "–" in rows[1][7]
    assert ("Data scientists", "15-2051", "Line item") == rows[6][:3]


def test_conditional_get_and_robots(server):
    first = get(server, "/v0/postings/parallax?mode=json")
    again = get(server, "/v0/postings/parallax?mode=json", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304 and again.content == b""
    assert "User-agent: *" in get(server, "/robots.txt").text


def test_boards_follow_the_clock(market):
    with DemoServer(market) as server:
        market.set_week(1)
        early = {j["id"] for j in get(server, "/v1/boards/helixlabs/jobs").json()["jobs"]}
        market.set_week(7)
        late = {j["id"] for j in get(server, "/v1/boards/helixlabs/jobs").json()["jobs"]}
    market.set_week(4)
    assert early - late and late - early  # postings closed and new ones opened


def test_config_points_every_source_at_the_server(server, tmp_path):
    from laborwatch.settings import load_settings

    config = tmp_path / "demo.toml"
    config.write_text(server.config_toml(tmp_path / "wh.duckdb", tmp_path / "data"))
    settings = load_settings(config)
    assert all(s.enabled for s in settings.sources.values())
    assert all(s.base_url == server.url for n, s in settings.sources.items() if n != "jsonld")
    assert all(p.startswith(server.url) for p in settings.sources["jsonld"].boards)
    assert settings.bls.base_url == server.url
