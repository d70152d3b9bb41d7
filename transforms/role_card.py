"""Role cards as validated values.

A role card is data (roles/*.toml): SOC proxies, title patterns, published score components,
trigger thresholds and alert rules. Validation lives here, with no file access, so every stage
can rely on a card being whole; reading the files is laborwatch.role_cards' job.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

COMPONENTS = ("automation_resistance", "structural_moat", "demand")
_SOC = re.compile(r"^\d{2}-\d{4}$")

# Allowed keys per table; None means "any keys" (a free-form table validated elsewhere).
_SCHEMA: dict[str, Any] = {
    "id": str,
    "title": str,
    "soc_codes": list,
    "published_total": (int, float),
    "match": {"priority": int, "title_patterns": list, "exclude_patterns": list},
    "components": {name: {"baseline": (int, float), "max": (int, float)} for name in COMPONENTS},
    "alerts": {"score_change": (int, float)},
    "states": {
        "enter_weeks": int,
        "exit_weeks": int,
        "min_n": int,
        "comparison_weeks": int,
        "z": (int, float),
    },
    "triggers": None,
    "adjustments": None,
}


class RoleCardError(ValueError):
    """A role card that cannot be used; the message names the card and the key."""


@dataclass(frozen=True)
class Component:
    baseline: float
    max: float


@dataclass(frozen=True)
class RoleCard:
    id: str
    title: str
    soc_codes: tuple[str, ...]
    published_total: float
    priority: int
    title_patterns: tuple[str, ...]
    exclude_patterns: tuple[str, ...]
    components: dict[str, Component]
    score_change_threshold: float
    states: dict[str, float] = field(default_factory=dict)
    triggers: dict[str, dict[str, Any]] = field(default_factory=dict)
    adjustments: tuple[dict[str, Any], ...] = ()
    origin: str = "<memory>"

    @property
    def baseline_total(self) -> float:
        return sum(c.baseline for c in self.components.values())


def _check_keys(data: dict[str, Any], schema: dict[str, Any], origin: str, prefix: str = "") -> None:
    for key, value in data.items():
        path = f"{prefix}{key}"
        if key not in schema:
            raise RoleCardError(f"{origin}: unknown key '{path}' (allowed: {', '.join(sorted(schema))})")
        expected = schema[key]
        if expected is None:
            continue
        if isinstance(expected, dict):
            if not isinstance(value, dict):
                raise RoleCardError(f"{origin}: '{path}' must be a table")
            _check_keys(value, expected, origin, f"{path}.")
        elif not isinstance(value, expected) or isinstance(value, bool):
            raise RoleCardError(f"{origin}: '{path}' has the wrong type ({type(value).__name__})")


def _require(data: dict[str, Any], key: str, origin: str) -> Any:
    if key not in data:
        raise RoleCardError(f"{origin}: missing required key '{key}'")
    return data[key]


def _compile_all(patterns: list[str], key: str, origin: str) -> tuple[str, ...]:
    for pattern in patterns:
        try:
            re.compile(pattern)
        except re.error as exc:
            raise RoleCardError(f"{origin}: '{key}' pattern {pattern!r} is not a regular expression: {exc}")
    return tuple(patterns)


def parse_role_card(data: dict[str, Any], origin: str = "<memory>") -> RoleCard:
    """Validate one card's parsed TOML; raise RoleCardError naming `origin` and the offending key."""
    _check_keys(data, _SCHEMA, origin)
    role_id = _require(data, "id", origin)
    if not re.fullmatch(r"[a-z][a-z0-9_]*", role_id):
        raise RoleCardError(f"{origin}: 'id' must be lower_snake_case, got {role_id!r}")
    soc_codes = _require(data, "soc_codes", origin)
    for code in soc_codes:
        if not isinstance(code, str) or not _SOC.match(code):
            raise RoleCardError(f"{origin}: 'soc_codes' entry {code!r} is not a SOC code like 15-2051")
    match = _require(data, "match", origin)
    components_raw = _require(data, "components", origin)
    components: dict[str, Component] = {}
    for name in COMPONENTS:
        raw = components_raw.get(name)
        if raw is None:
            raise RoleCardError(f"{origin}: missing required key 'components.{name}'")
        baseline = float(_require(raw, "baseline", origin))
        maximum = float(_require(raw, "max", origin))
        if not 0 <= baseline <= maximum:
            raise RoleCardError(
                f"{origin}: 'components.{name}.baseline' {baseline:g} is outside 0..max ({maximum:g})"
            )
        components[name] = Component(baseline, maximum)
    if sum(c.max for c in components.values()) > 100:
        raise RoleCardError(f"{origin}: 'components.*.max' add up to more than 100")
    published = float(_require(data, "published_total", origin))
    total = sum(c.baseline for c in components.values())
    if abs(total - published) > 1e-9:
        raise RoleCardError(
            f"{origin}: 'components' baselines add up to {total:g}, not the published_total {published:g}"
        )
    threshold = float(data.get("alerts", {}).get("score_change", 2.0))
    if not 0 < threshold <= 100:
        raise RoleCardError(f"{origin}: 'alerts.score_change' {threshold:g} is outside (0, 100]")
    states = dict(data.get("states", {}))
    for key, value in states.items():
        if value <= 0:
            raise RoleCardError(f"{origin}: 'states.{key}' must be positive, got {value}")
    return RoleCard(
        id=role_id,
        title=_require(data, "title", origin),
        soc_codes=tuple(soc_codes),
        published_total=published,
        priority=int(match.get("priority", 100)),
        title_patterns=_compile_all(
            _require(match, "title_patterns", origin), "match.title_patterns", origin
        ),
        exclude_patterns=_compile_all(match.get("exclude_patterns", []), "match.exclude_patterns", origin),
        components=components,
        score_change_threshold=threshold,
        states=states,
        triggers=dict(data.get("triggers", {})),
        adjustments=tuple(data.get("adjustments", [])),
        origin=origin,
    )
