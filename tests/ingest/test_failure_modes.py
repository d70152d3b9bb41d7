"""Every way a board can misbehave ends in its documented status, with nothing lost or loaded twice.

Each case: week 1 both boards are healthy and load. Week 2 the Greenhouse board misbehaves in one
way while the Lever board (same host) stays healthy. Then week 2 runs again. Checked every time: the
Lever board still loads; a Greenhouse failure closes nothing and keeps week-1 postings as they
were; a payload that arrived is archived (and, if unparseable, held once in quarantine); the rerun
changes nothing.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

import pytest

from laborwatch.ingest_postings import ingest_postings
from tests.ingest import payloads as P
from tests.ingest.conftest import AS_OF
from tests.ingest.market import GREENHOUSE_PATH, LEVER_PATH
from tests.ingest.test_ingest_postings import dump
from tests.local_http import LocalServer, Response

WEEK2 = AS_OF + timedelta(days=7)
GH_JOBS = [P.Job("4001", "Senior ML Engineer"), P.Job("4002", "Data Scientist", location="New York, NY")]
LEVER_JOBS = [P.Job("lv-1", "ML Engineer", company="LeverCo", location="Boston, MA")]
GOOD = P.greenhouse(GH_JOBS)
# Week 2's good payload drops 4002, so a board that recovers must close it.
GOOD_WEEK2 = P.greenhouse(GH_JOBS[:1])


@dataclass
class Case:
    routes: Callable[[LocalServer, LocalServer], None]  # (server, other host) -> set week-2 routes
    status: str  # the Greenhouse board's source_health status in week 2
    error: str | None = None  # a fragment of source_health.error
    min_seconds: float = 0.0  # the week-2 run must have waited at least this long
    parse_quarantine: bool = False


def _gh(response: Response | list[Response]) -> Callable[[LocalServer, LocalServer], None]:
    return lambda server, other: server.route(GREENHOUSE_PATH, response)


def _redirect(server: LocalServer, other: LocalServer) -> None:
    other.route(GREENHOUSE_PATH, Response(200, GOOD_WEEK2))
    server.route(GREENHOUSE_PATH, Response(302, b"", {"Location": other.url + GREENHOUSE_PATH}))


def _robots(server: LocalServer, other: LocalServer) -> None:
    server.route(
        "/robots.txt",
        Response(200, b"User-agent: *\nDisallow: /v1/boards/\n", {"Content-Type": "text/plain"}),
    )
    server.route(GREENHOUSE_PATH, Response(200, GOOD_WEEK2))


HTML_ERROR = (
    b"<!DOCTYPE html><html><head><title>Error</title></head><body><h1>Something went wrong</h1></body></html>"
)
CASES = {
    "429_then_retry_after": Case(
        _gh([Response(429, b"Too Many Requests", {"Retry-After": "1"}), Response(200, GOOD_WEEK2)]),
        "ok",
        min_seconds=0.95,
    ),
    "500_then_success": Case(_gh([Response(500, b"Internal Server Error"), Response(200, GOOD_WEEK2)]), "ok"),
    "timeout_then_success": Case(
        _gh([Response(200, GOOD_WEEK2, delay=1.5), Response(200, GOOD_WEEK2)]), "ok"
    ),
    "timeout": Case(_gh(Response(200, GOOD_WEEK2, delay=1.5)), "fetch_error", "Timeout"),
    "persistent_503": Case(
        _gh(Response(503, HTML_ERROR, {"Content-Type": "text/html"})), "fetch_error", "HTTP 503"
    ),
    "truncated_json": Case(
        _gh(Response(200, GOOD_WEEK2[: len(GOOD_WEEK2) // 2])),
        "parse_error",
        "truncated JSON",
        parse_quarantine=True,
    ),
    "connection_cut_mid_body": Case(
        _gh(Response(200, GOOD_WEEK2[:100], {"Content-Length": str(len(GOOD_WEEK2)), "Connection": "close"})),
        "fetch_error",
        "cut short",
    ),
    "html_error_page": Case(
        _gh(Response(200, HTML_ERROR, {"Content-Type": "text/html"})),
        "parse_error",
        "expected JSON, got HTML",
        parse_quarantine=True,
    ),
    "oversized": Case(_gh(Response(200, GOOD_WEEK2 + b" " * 250_000)), "fetch_error", "ResponseTooLarge"),
    "redirect_to_another_host": Case(_redirect, "fetch_error", "leaves the configured hosts"),
    "robots_disallow": Case(_robots, "fetch_error", "RobotsDisallowed"),
    "gate_rejects_batch": Case(
        _gh(
            Response(
                200,
                P.greenhouse([P.Job("4001", "Senior ML Engineer"), P.Job("4001", "Duplicate id")]).replace(
                    b'"absolute_url": "https://boards.greenhouse.io/exampleco/jobs/4001"',
                    b'"absolute_url": "not a url"',
                    1,
                ),
            )
        ),
        "quarantined",
        "url_well_formed",
    ),
}


@pytest.mark.parametrize("name", list(CASES))
def test_failure_mode(name: str, http_server: LocalServer, configure, open_warehouse, cards) -> None:
    case = CASES[name]
    http_server.route(GREENHOUSE_PATH, Response(200, GOOD))
    http_server.route(LEVER_PATH, Response(200, P.lever(LEVER_JOBS)))
    settings = configure({"greenhouse": {"boards": ["exampleco"]}, "lever": {"boards": ["leverco"]}})
    wh = open_warehouse(settings)
    ingest_postings(settings, wh, AS_OF, cards)
    assert wh.scalar("SELECT count(*) FROM postings") == 3

    with LocalServer() as other:
        case.routes(http_server, other)
        started = time.monotonic()
        report = ingest_postings(settings, wh, WEEK2, cards)
        waited = time.monotonic() - started
        status = {b.source: b for b in report.boards}
        gh = status["greenhouse"]
        assert gh.status == case.status, gh
        assert status["lever"].status == "ok", "the healthy board still loads"
        assert waited >= case.min_seconds
        row = wh.query(
            "SELECT status, error FROM source_health WHERE source = 'greenhouse' AND run = ?",
            [WEEK2.date().isoformat()],
        ).row(0, named=True)
        assert row["status"] == case.status
        if case.error:
            assert case.error in row["error"], row["error"]
        if name == "redirect_to_another_host":
            assert other.requests == []
        if name == "robots_disallow":
            assert not any(r.path == GREENHOUSE_PATH for r in http_server.requests[-3:])

        rows = {r["posting_key"]: r for r in wh.query("SELECT * FROM postings").to_dicts()}
        assert rows["lever:lv-1"]["last_seen"] == WEEK2, "nothing good is lost"
        if case.status == "ok":
            assert rows["greenhouse:4001"]["last_seen"] == WEEK2
            assert rows["greenhouse:4002"]["closed_at"] == WEEK2, "a recovered board closes what it dropped"
        else:
            for key in ("greenhouse:4001", "greenhouse:4002"):
                assert (rows[key]["last_seen"], rows[key]["closed_at"]) == (AS_OF, None), (
                    "a failure closes nothing"
                )

        held = wh.query("SELECT * FROM raw.quarantine WHERE source = 'greenhouse'")
        if case.parse_quarantine:
            (entry,) = held.to_dicts()
            assert entry["stage"] == "parse" and case.error in entry["reason"]
            (sha,) = __import__("json").loads(entry["payload_refs"])
            assert wh.scalar("SELECT count(*) FROM raw.payloads WHERE sha256 = ?", [sha]) == 1, (
                "payload archived"
            )
        elif case.status == "quarantined":
            assert held["stage"].to_list() == ["expectations"]
        else:
            assert held.is_empty()

        before = dump(wh)
        again = ingest_postings(settings, wh, WEEK2, cards)
        assert {b.source: b.status for b in again.boards}["greenhouse"] == case.status
        assert dump(wh) == before, "the rerun loads nothing twice"
