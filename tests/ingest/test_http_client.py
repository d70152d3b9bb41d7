"""The polite client against a real HTTP server on 127.0.0.1."""

from __future__ import annotations

import time
from dataclasses import replace

import pytest

from ingest.http_client import (
    HttpClient,
    HttpStatusError,
    RedirectRefused,
    ResponseTooLarge,
    RobotsDisallowed,
    TransportError,
    Validators,
    host_key,
)
from laborwatch.settings import HttpSettings
from tests.local_http import LocalServer, Request, Response

FAST = HttpSettings(
    timeout_seconds=0.5,
    max_retries=2,
    backoff_seconds=0.01,
    max_backoff_seconds=2.0,
    max_response_bytes=10_000,
    default_rate_limit_per_second=1000.0,
)


def client_for(
    server: LocalServer, http: HttpSettings = FAST, rate: float = 1000.0, **kw: object
) -> HttpClient:
    return HttpClient(http, {host_key(server.url): rate}, **kw)


def paths(server: LocalServer) -> list[str]:
    return [r.path for r in server.requests]


def test_sends_descriptive_user_agent_and_returns_body(http_server: LocalServer) -> None:
    http_server.route("/api", Response(body=b'{"ok": true}', headers={"ETag": '"v1"'}))
    with client_for(http_server) as client:
        fetch = client.get(f"{http_server.url}/api", source="remoteok", board="all")
    assert (fetch.status, fetch.body, fetch.etag, fetch.source) == (200, b'{"ok": true}', '"v1"', "remoteok")
    request = http_server.requests[-1]
    assert request.headers["User-Agent"] == FAST.full_user_agent
    assert "contact: laborwatch@example.org" in request.headers["User-Agent"]
    assert paths(http_server) == ["/robots.txt", "/api"]


def test_429_with_retry_after_waits_then_succeeds(http_server: LocalServer) -> None:
    http_server.route("/api", [Response(429, b"slow down", {"Retry-After": "1"}), Response(200, b"[]")])
    with client_for(http_server) as client:
        started = time.monotonic()
        fetch = client.get(f"{http_server.url}/api")
        waited = time.monotonic() - started
    assert fetch.status == 200 and fetch.body == b"[]"
    assert waited >= 0.95, "Retry-After: 1 must be honoured"
    assert paths(http_server).count("/api") == 2


def test_retry_after_is_capped_by_max_backoff(http_server: LocalServer) -> None:
    http_server.route("/api", [Response(429, b"", {"Retry-After": "3600"}), Response(200, b"[]")])
    with client_for(http_server, replace(FAST, max_backoff_seconds=0.2)) as client:
        started = time.monotonic()
        assert client.get(f"{http_server.url}/api").status == 200
    assert time.monotonic() - started < 2


def test_500_then_success_and_persistent_500_fails_after_bounded_retries(http_server: LocalServer) -> None:
    http_server.route("/flaky", [Response(500, b"oops"), Response(200, b"{}")])
    http_server.route(
        "/down", Response(503, b"<html>Service Unavailable</html>", {"Content-Type": "text/html"})
    )
    with client_for(http_server) as client:
        assert client.get(f"{http_server.url}/flaky").body == b"{}"
        with pytest.raises(HttpStatusError) as raised:
            client.get(f"{http_server.url}/down")
        failed = client.fetch(f"{http_server.url}/down", source="greenhouse", board="x")
    assert raised.value.status == 503
    assert paths(http_server).count("/flaky") == 2
    assert paths(http_server).count("/down") == 2 * (1 + FAST.max_retries)
    assert failed.status == 503 and failed.body is None and "HttpStatusError" in failed.error


def test_404_is_not_retried(http_server: LocalServer) -> None:
    with client_for(http_server) as client:
        failed = client.fetch(f"{http_server.url}/v1/boards/nope/jobs")
    assert failed.status == 404 and "HTTP 404" in failed.error
    assert paths(http_server).count("/v1/boards/nope/jobs") == 1


def test_timeout_is_retried_then_reported(http_server: LocalServer) -> None:
    http_server.route("/slow-once", [Response(200, b"late", delay=1.5), Response(200, b"on time")])
    http_server.route("/slow", Response(200, b"late", delay=1.5))
    with client_for(http_server) as client:
        assert client.get(f"{http_server.url}/slow-once").body == b"on time"
        with pytest.raises(TransportError, match="Timeout"):
            client.get(f"{http_server.url}/slow")
    assert paths(http_server).count("/slow") == 1 + FAST.max_retries


def test_body_cut_short_by_the_connection_is_a_transport_error(http_server: LocalServer) -> None:
    cut = Response(200, b'{"jobs": [', {"Content-Length": "5000", "Connection": "close"})
    http_server.route("/cut", cut)
    with client_for(http_server) as client, pytest.raises(TransportError, match="cut short"):
        client.get(f"{http_server.url}/cut")


def test_oversized_response_is_refused_by_content_length(http_server: LocalServer) -> None:
    http_server.route("/big", Response(200, b"x" * 20_000))
    with client_for(http_server) as client, pytest.raises(ResponseTooLarge, match="Content-Length 20000"):
        client.get(f"{http_server.url}/big")
    assert paths(http_server).count("/big") == 1, "a too-large body is not retried"


def test_oversized_chunked_response_is_cut_off_while_streaming(http_server: LocalServer) -> None:
    chunk = b"y" * 4000
    body = b"".join(b"%x\r\n%s\r\n" % (len(chunk), chunk) for _ in range(5)) + b"0\r\n\r\n"
    # No Content-Length: the size is only known by reading, so the cap must act mid-stream.
    http_server.route(
        "/stream",
        Response(200, body, {"Transfer-Encoding": "chunked", "Content-Length": "", "Connection": "close"}),
    )
    with client_for(http_server) as client, pytest.raises(ResponseTooLarge, match="stopped reading"):
        client.get(f"{http_server.url}/stream")


def test_redirect_within_the_host_is_followed(http_server: LocalServer) -> None:
    http_server.route("/old", Response(301, b"", {"Location": "/new"}))
    http_server.route("/new", Response(200, b"moved here"))
    with client_for(http_server) as client:
        fetch = client.get(f"{http_server.url}/old")
    assert fetch.body == b"moved here" and fetch.url == f"{http_server.url}/old"


def test_redirect_to_another_host_is_refused(http_server: LocalServer) -> None:
    with LocalServer() as elsewhere:
        elsewhere.route("/jobs", Response(200, b"[]"))
        http_server.route("/jobs", Response(302, b"", {"Location": f"{elsewhere.url}/jobs"}))
        with (
            client_for(http_server) as client,
            pytest.raises(RedirectRefused, match="leaves the configured hosts"),
        ):
            client.get(f"{http_server.url}/jobs")
        assert elsewhere.requests == [], "nothing may be requested from the other host"


def test_robots_disallow_stops_the_request(http_server: LocalServer) -> None:
    http_server.route(
        "/robots.txt", Response(200, b"User-agent: *\nDisallow: /private/\n", {"Content-Type": "text/plain"})
    )
    http_server.route("/private/jobs", Response(200, b"[]"))
    http_server.route("/public/jobs", Response(200, b"[]"))
    with client_for(http_server) as client:
        with pytest.raises(RobotsDisallowed, match="disallows"):
            client.get(f"{http_server.url}/private/jobs")
        assert client.get(f"{http_server.url}/public/jobs").status == 200
    assert "/private/jobs" not in paths(http_server)
    assert paths(http_server).count("/robots.txt") == 1, "robots.txt is cached per host"


def test_robots_for_our_agent_only(http_server: LocalServer) -> None:
    robots = b"User-agent: laborwatch\nDisallow: /\n\nUser-agent: *\nAllow: /\n"
    http_server.route("/robots.txt", Response(200, robots, {"Content-Type": "text/plain"}))
    with client_for(http_server) as client, pytest.raises(RobotsDisallowed):
        client.get(f"{http_server.url}/api")


def test_unreachable_robots_disallows_everything(http_server: LocalServer) -> None:
    http_server.route("/robots.txt", Response(503, b"down"))
    http_server.route("/api", Response(200, b"[]"))
    with client_for(http_server) as client, pytest.raises(RobotsDisallowed, match="unreachable"):
        client.get(f"{http_server.url}/api")
    assert "/api" not in paths(http_server)


def test_conditional_request_gets_304_without_body(http_server: LocalServer) -> None:
    def answer(request: Request) -> Response:
        if request.headers.get("If-None-Match") == '"v7"':
            return Response(304, b"", {"ETag": '"v7"'})
        return Response(200, b"[1, 2]", {"ETag": '"v7"', "Last-Modified": "Mon, 02 Mar 2026 10:00:00 GMT"})

    http_server.route("/api", answer)
    archive = {"abc": b"[1, 2]"}
    with client_for(http_server, previous_body=archive.get) as client:
        first = client.get(f"{http_server.url}/api")
        client.validators[first.url] = Validators(first.etag, first.last_modified, "abc")
        second = client.get(f"{http_server.url}/api")
        assert client.body_of(second) == b"[1, 2]", "a 304 stands for the archived payload"
    assert (second.status, second.body, second.etag) == (304, None, '"v7"')
    sent = http_server.requests[-1].headers
    assert sent["If-None-Match"] == '"v7"' and sent["If-Modified-Since"] == "Mon, 02 Mar 2026 10:00:00 GMT"


def test_requests_to_a_host_are_paced(http_server: LocalServer) -> None:
    http_server.route("/api", Response(200, b"[]"))
    with client_for(http_server, rate=10.0) as client:
        started = time.monotonic()
        for _ in range(4):
            client.get(f"{http_server.url}/api")
        elapsed = time.monotonic() - started
    # robots.txt + 4 requests at 10/s: at least 4 gaps of 0.1 s
    assert elapsed >= 0.38


def test_robots_crawl_delay_slows_the_pace(http_server: LocalServer) -> None:
    http_server.route(
        "/robots.txt", Response(200, b"User-agent: *\nCrawl-delay: 1\n", {"Content-Type": "text/plain"})
    )
    http_server.route("/api", Response(200, b"[]"))
    with client_for(http_server, rate=1000.0) as client:
        started = time.monotonic()
        for _ in range(3):
            client.get(f"{http_server.url}/api")
    # robots.txt, then three requests each a full second after the one before
    assert time.monotonic() - started >= 2.9
