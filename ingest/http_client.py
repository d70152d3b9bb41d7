"""The one polite HTTP client every postings source uses.

Job boards tolerate scrapers that behave, and block the ones that do not (JobSpy's most common
complaint is being blocked). So every request goes through the same rules: a per-host pace
(requests per second), robots.txt, a descriptive User-Agent with a contact, timeouts, a few retries
with exponential backoff and jitter on 429/5xx/connection errors (Retry-After honoured, capped),
conditional requests (a 304 costs no parsing), a response size cap enforced while streaming, and
redirects followed only to the hosts the config names.

`get` raises a `FetchError` subclass naming what went wrong; `fetch` turns that into a failed
`Fetch` (status, error) so a source can return what it got and let the loader decide.
"""

from __future__ import annotations

import email.utils
import random
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol
from urllib.parse import urljoin, urlsplit

import requests

from ingest.robots import RobotsAnswer, RobotsCache
from warehouse.archive import Fetch

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
MAX_REDIRECTS = 5
CHUNK_BYTES = 64 * 1024
ACCEPT = "application/json, application/ld+json;q=0.9, text/html;q=0.8, */*;q=0.5"


class HttpConfig(Protocol):
    """What the client needs from laborwatch.settings.HttpSettings (stages do not import laborwatch)."""

    full_user_agent: str
    user_agent: str
    timeout_seconds: float
    max_retries: int
    backoff_seconds: float
    max_backoff_seconds: float
    max_response_bytes: int
    respect_robots: bool
    default_rate_limit_per_second: float


class FetchError(Exception):
    """A request that produced no usable body. `status` is the last HTTP status seen, if any."""

    def __init__(self, url: str, message: str, status: int | None = None):
        super().__init__(message)
        self.url = url
        self.status = status

    def describe(self) -> str:
        return f"{type(self).__name__}: {self}"


class RobotsDisallowed(FetchError):
    """robots.txt forbids the path (or could not be read, which RFC 9309 treats as forbidding)."""


class RedirectRefused(FetchError):
    """A redirect pointed outside the configured hosts, or redirected too many times."""


class ResponseTooLarge(FetchError):
    """The body exceeded max_response_bytes; reading stopped there."""


class HttpStatusError(FetchError):
    """A final error status: a 4xx, or a 429/5xx that persisted through every retry."""


class TransportError(FetchError):
    """Timeouts, refused or reset connections, bodies cut short, through every retry."""


@dataclass(frozen=True)
class Validators:
    """What a conditional request sends, and which archived payload a 304 stands for."""

    etag: str | None = None
    last_modified: str | None = None
    sha256: str | None = None


def host_key(url: str) -> str:
    """host[:port] in lower case, default ports dropped: the unit of rate limits and redirect rules."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    port = parts.port
    if port is None or (parts.scheme, port) in (("http", 80), ("https", 443)):
        return host
    return f"{host}:{port}"


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def _retry_after(value: str | None) -> float | None:
    """Retry-After as seconds: delta-seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


class _Pacer:
    """Spaces requests to each host at least `interval` seconds apart, across threads.

    The gap is measured from the previous request when the next one is made, so a longer interval
    learnt in between (robots.txt's Crawl-delay) applies at once.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._last: dict[str, float] = {}

    def wait(self, host: str, interval: float) -> None:
        with self._lock:
            now = time.monotonic()
            last = self._last.get(host)
            slot = now if last is None else max(now, last + interval)
            self._last[host] = slot
        if slot > now:
            time.sleep(slot - now)


class HttpClient:
    """Polite GETs. `hosts` maps each configured host (see `host_key`) to its requests per second.

    `validators` (url -> Validators) makes requests conditional; `previous_body(sha)` returns an
    archived payload so a source that must read a 304'd page to go on (HN's thread list, The Muse's
    page count) can do so without downloading it again.
    """

    def __init__(
        self,
        http: HttpConfig,
        hosts: Mapping[str, float] | None = None,
        *,
        validators: Mapping[str, Validators] | None = None,
        previous_body: Callable[[str], bytes | None] | None = None,
        rng: random.Random | None = None,
    ):
        self.http = http
        self.hosts = {host.lower(): float(rate) for host, rate in (hosts or {}).items()}
        self.validators: dict[str, Validators] = dict(validators or {})
        self._previous_body = previous_body
        self._rng = rng or random.Random()
        self._pacer = _Pacer()
        self._session = requests.Session()
        self._session.headers.clear()
        self._session.headers.update(
            {"User-Agent": http.full_user_agent, "Accept": ACCEPT, "Accept-Encoding": "gzip, deflate"}
        )
        agent = http.user_agent.split("/", 1)[0].strip() or "laborwatch"
        self.robots = RobotsCache(agent, self._load_robots)
        self.requests_sent = 0

    def close(self) -> None:
        self._session.close()

    def __enter__(self) -> HttpClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------ public
    def fetch(self, url: str, *, source: str | None = None, board: str | None = None) -> Fetch:
        """GET `url`; a failure comes back as a Fetch with `error` set instead of raising."""
        try:
            return self.get(url, source=source, board=board)
        except FetchError as exc:
            return Fetch(
                url=url,
                fetched_at=_now(),
                status=exc.status,
                source=source,
                board=board,
                error=exc.describe(),
            )

    def get(self, url: str, *, source: str | None = None, board: str | None = None) -> Fetch:
        """GET `url` politely; raise a FetchError subclass when no usable body (or 304) results."""
        allowed_hosts = set(self.hosts) | {host_key(url)}
        self._check_robots(url)
        known = self.validators.get(url)
        conditional: dict[str, str] = {}
        if known is not None and known.sha256:
            if known.etag:
                conditional["If-None-Match"] = known.etag
            if known.last_modified:
                conditional["If-Modified-Since"] = known.last_modified
        current = url
        redirects = 0
        attempt = 0
        while True:
            try:
                response = self._send(current, conditional)
            except requests.RequestException as exc:
                attempt = self._retry_or_raise(
                    attempt, None, TransportError(url, f"{type(exc).__name__}: {exc}", None)
                )
                continue
            try:
                status = response.status_code
                if status in REDIRECT_STATUSES and response.headers.get("Location"):
                    target = urljoin(current, response.headers["Location"])
                    redirects += 1
                    if host_key(target) not in allowed_hosts:
                        raise RedirectRefused(
                            url, f"redirect to {target} leaves the configured hosts", status
                        )
                    if redirects > MAX_REDIRECTS:
                        raise RedirectRefused(url, f"more than {MAX_REDIRECTS} redirects", status)
                    self._check_robots(target)
                    current = target
                    continue
                if status == 304:
                    return Fetch(
                        url=url,
                        fetched_at=_now(),
                        status=304,
                        content_type=response.headers.get("Content-Type"),
                        etag=response.headers.get("ETag") or (known.etag if known else None),
                        last_modified=response.headers.get("Last-Modified")
                        or (known.last_modified if known else None),
                        source=source,
                        board=board,
                    )
                if status in RETRY_STATUSES:
                    error = HttpStatusError(url, f"HTTP {status} after {attempt + 1} attempt(s)", status)
                    attempt = self._retry_or_raise(
                        attempt, _retry_after(response.headers.get("Retry-After")), error
                    )
                    continue
                if status >= 400 or status < 200:
                    raise HttpStatusError(url, f"HTTP {status} {response.reason or ''}".strip(), status)
                try:
                    body = self._read(url, response)
                except requests.RequestException as exc:
                    attempt = self._retry_or_raise(
                        attempt,
                        None,
                        TransportError(url, f"body cut short: {type(exc).__name__}: {exc}", status),
                    )
                    continue
                return Fetch(
                    url=url,
                    fetched_at=_now(),
                    status=status,
                    body=body,
                    content_type=response.headers.get("Content-Type"),
                    etag=response.headers.get("ETag"),
                    last_modified=response.headers.get("Last-Modified"),
                    source=source,
                    board=board,
                )
            finally:
                response.close()

    def body_of(self, fetch: Fetch) -> bytes | None:
        """The body a fetch stands for: its own, or for a 304 the archived payload it confirmed."""
        if fetch.body is not None:
            return fetch.body
        known = self.validators.get(fetch.url)
        if fetch.status == 304 and known and known.sha256 and self._previous_body is not None:
            return self._previous_body(known.sha256)
        return None

    # ----------------------------------------------------------------- helpers
    def _interval(self, url: str) -> float:
        """Seconds between requests to the host: its configured pace, or robots' Crawl-delay if longer."""
        rate = self.hosts.get(host_key(url), self.http.default_rate_limit_per_second)
        interval = 1.0 / rate if rate > 0 else 0.0
        return max(interval, self.robots.crawl_delay(url) or 0.0)

    def _send(self, url: str, headers: Mapping[str, str]) -> requests.Response:
        self._pacer.wait(host_key(url), self._interval(url))
        self.requests_sent += 1
        timeout = self.http.timeout_seconds
        return self._session.get(
            url, headers=dict(headers), timeout=(timeout, timeout), stream=True, allow_redirects=False
        )

    def _read(self, url: str, response: requests.Response) -> bytes:
        limit = self.http.max_response_bytes
        declared = response.headers.get("Content-Length")
        if declared and declared.isdigit() and int(declared) > limit:
            raise ResponseTooLarge(
                url, f"Content-Length {declared} exceeds the {limit}-byte limit", response.status_code
            )
        chunks: list[bytes] = []
        size = 0
        for chunk in response.iter_content(CHUNK_BYTES):
            size += len(chunk)
            if size > limit:
                raise ResponseTooLarge(
                    url, f"body exceeds the {limit}-byte limit; stopped reading", response.status_code
                )
            chunks.append(chunk)
        return b"".join(chunks)

    def _retry_or_raise(self, attempt: int, retry_after: float | None, error: FetchError) -> int:
        """Sleep before the next attempt (Retry-After if given, else backoff with jitter), or raise."""
        if attempt >= self.http.max_retries:
            raise error
        if retry_after is not None:
            delay = min(retry_after, self.http.max_backoff_seconds)
        else:
            base = min(self.http.max_backoff_seconds, self.http.backoff_seconds * (2**attempt))
            delay = base / 2 + self._rng.uniform(0, base / 2)
        time.sleep(delay)
        return attempt + 1

    def _check_robots(self, url: str) -> None:
        if not self.http.respect_robots:
            return
        allowed, why = self.robots.allowed(url)
        if not allowed:
            raise RobotsDisallowed(url, f"{why} disallows {url}")

    def _load_robots(self, robots_url: str) -> RobotsAnswer:
        """robots.txt through the same pace, retries and size cap, but redirects stay on its host."""
        attempt = 0
        while True:
            try:
                response = self._send(robots_url, {})
            except requests.RequestException as exc:
                try:
                    attempt = self._retry_or_raise(attempt, None, TransportError(robots_url, str(exc)))
                except FetchError as error:
                    return RobotsAnswer(None, error=error.describe())
                continue
            try:
                status = response.status_code
                if status in RETRY_STATUSES:
                    try:
                        attempt = self._retry_or_raise(
                            attempt,
                            _retry_after(response.headers.get("Retry-After")),
                            HttpStatusError(robots_url, f"HTTP {status}", status),
                        )
                    except FetchError:
                        return RobotsAnswer(status)
                    continue
                if status in REDIRECT_STATUSES:
                    target = urljoin(robots_url, response.headers.get("Location", ""))
                    if host_key(target) != host_key(robots_url):
                        return RobotsAnswer(404, error=f"robots.txt redirects off-host to {target}")
                    robots_url = target
                    continue
                if not 200 <= status < 300:
                    return RobotsAnswer(status)
                try:
                    body = self._read(robots_url, response)
                except (FetchError, requests.RequestException) as exc:
                    return RobotsAnswer(None, error=str(exc))
                return RobotsAnswer(status, body.decode("utf-8", errors="replace"))
            finally:
                response.close()


def hosts_for(sources: Iterable[tuple[Iterable[str], float]]) -> dict[str, float]:
    """host -> requests/second from (urls, rate) pairs; a host shared by two sources gets the slower."""
    hosts: dict[str, float] = {}
    for urls, rate in sources:
        for url in urls:
            if not url:
                continue
            key = host_key(url)
            hosts[key] = min(rate, hosts.get(key, rate))
    return hosts
