"""What every source module shares: the view of its settings, and small payload checks."""

from __future__ import annotations

from typing import Any, Protocol


class SourceConfig(Protocol):
    """What a source reads from laborwatch.settings.SourceSettings (stages do not import laborwatch)."""

    name: str
    base_url: str | None
    boards: list[str]
    rate_limit_per_second: float
    options: dict[str, Any]


def base_url(source: SourceConfig) -> str:
    if not source.base_url:
        raise ValueError(f"[sources.{source.name}] has no base_url")
    return source.base_url.rstrip("/")


def describe(data: Any) -> str:
    """A short description of an unexpected payload shape, for a ParseError's reason."""
    if isinstance(data, dict):
        return "an object with keys " + (", ".join(sorted(map(str, data))[:8]) or "(none)")
    if isinstance(data, list):
        return f"a list of {len(data)}"
    return type(data).__name__
