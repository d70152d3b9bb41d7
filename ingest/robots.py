"""robots.txt, fetched once per host per client and consulted before every request.

What an unreadable robots.txt means follows RFC 9309 §2.3.1: a 4xx answer ("unavailable") allows
everything; a 5xx answer or no answer at all ("unreachable") disallows everything until the next
run, because we cannot tell what the site wants. `Crawl-delay` is honoured as a floor on the gap
between requests to that host.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit
from urllib.robotparser import RobotFileParser


@dataclass(frozen=True)
class RobotsAnswer:
    """How robots.txt was obtained: `status` is the HTTP status, None when no answer came."""

    status: int | None
    text: str = ""
    error: str | None = None


@dataclass
class RobotsPolicy:
    parser: RobotFileParser | None  # None: the policy is a blanket allow or deny
    allow_all: bool
    reason: str
    crawl_delay: float | None = None

    def allows(self, agent: str, url: str) -> bool:
        if self.parser is None:
            return self.allow_all
        return self.parser.can_fetch(agent, url)


def policy_from(answer: RobotsAnswer, agent: str) -> RobotsPolicy:
    if answer.status is not None and 200 <= answer.status < 300:
        parser = RobotFileParser()
        parser.parse(answer.text.splitlines())
        delay = parser.crawl_delay(agent)
        return RobotsPolicy(parser, True, "robots.txt", float(delay) if delay is not None else None)
    if answer.status is not None and 400 <= answer.status < 500:
        return RobotsPolicy(None, True, f"robots.txt unavailable (HTTP {answer.status}): everything allowed")
    detail = f"HTTP {answer.status}" if answer.status is not None else (answer.error or "no answer")
    return RobotsPolicy(None, False, f"robots.txt unreachable ({detail}): everything disallowed")


class RobotsCache:
    """Per-origin robots policies; `load(origin)` fetches robots.txt (the client supplies how)."""

    def __init__(self, agent: str, load: Callable[[str], RobotsAnswer]):
        self.agent = agent
        self._load = load
        self._policies: dict[str, RobotsPolicy] = {}
        self._lock = threading.Lock()

    @staticmethod
    def origin(url: str) -> str:
        parts = urlsplit(url)
        return f"{parts.scheme}://{parts.netloc}"

    def policy(self, url: str) -> RobotsPolicy:
        origin = self.origin(url)
        with self._lock:
            cached = self._policies.get(origin)
        if cached is not None:
            return cached
        policy = policy_from(self._load(origin + "/robots.txt"), self.agent)
        with self._lock:
            return self._policies.setdefault(origin, policy)

    def crawl_delay(self, url: str) -> float | None:
        """The Crawl-delay of an origin whose robots.txt is already known (never fetches)."""
        with self._lock:
            policy = self._policies.get(self.origin(url))
        return policy.crawl_delay if policy else None

    def allowed(self, url: str) -> tuple[bool, str]:
        """(allowed, why): why names the rule source, for the error a disallowed fetch carries."""
        policy = self.policy(url)
        return policy.allows(self.agent, url), policy.reason
