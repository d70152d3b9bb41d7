"""Role cards as validated values.

A role card is data (roles/*.toml): SOC proxies, title patterns, published score components,
trigger thresholds and alert rules. Validation lives here, with no file access, so every stage
can rely on a card being whole; reading the files is laborwatch.role_cards' job.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
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
        "baseline_start": (str, date),
    },
    "triggers": None,
    "adjustments": None,
}

# The outlook rules a card may leave out, with the values documented in docs/signals.md. The shipped
# cards spell every one out; these keep a new card short.
STATE_DEFAULTS: dict[str, Any] = {
    "comparison_weeks": 4,  # trailing window of new postings, and the baseline's length
    "enter_weeks": 3,  # consecutive weeks a trigger must hold before it counts
    "exit_weeks": 3,  # consecutive weeks without it before it stops counting
    "min_n": 30,  # postings behind a share, in the current and the baseline window
    "z": 3.0,  # one-sided, p = 0.00135 a look: the bar for "distinguishable from the baseline"
}

# Trigger thresholds (DESIGN §1); a share change is in share points (0.08 = 8 points).
TRIGGER_DEFAULTS: dict[str, dict[str, Any]] = {
    "weakening": {
        "description": "Entry share of new postings falls while senior volume holds.",
        "entry_share_fall": 0.08,
        "senior_hold": 90.0,
    },
    "strengthening": {
        "description": "Production-ownership share rises and employer breadth rises or concentration falls.",
        "production_rise": 0.10,
        "entry_production_rise": 0.15,
        "top5_fall": 0.08,
        "employers_rise": 0.20,
    },
    "mixed_review": {
        "description": "Research work holds while routine model-adaptation work compresses.",
        "routine_compress": 75.0,
        "routine_share_fall": 0.10,
        "research_share_rise": 0.10,
        "research_hold": 90.0,
        "research_min": 10,
    },
}

_ADJUSTMENT_KEYS: dict[str, Any] = {
    "component": str,
    "signal": str,
    "reference": (int, float, str),
    "points_per_unit": (int, float),
    "max_points": (int, float),
    "deadband": (int, float),
    "min_n": int,
    "why": str,
}


class RoleCardError(ValueError):
    """A role card that cannot be used; the message names the card and the key."""


@dataclass(frozen=True)
class Component:
    baseline: float
    max: float


@dataclass(frozen=True)
class Adjustment:
    """One bounded score adjustment: component += clamp(points_per_unit * credited shift, ±max_points).

    `reference` is a number or "baseline" (the signal's value in the role's comparison window).
    The credited shift is the part of (value - reference) beyond the statistical margin (the
    interval bound nearest the reference) or, for signals without an interval, beyond `deadband`.
    """

    component: str
    signal: str
    reference: float | str
    points_per_unit: float
    max_points: float
    deadband: float = 0.0
    min_n: int | None = None
    why: str = ""


@dataclass(frozen=True)
class StateRules:
    """The [states] table with defaults filled in."""

    comparison_weeks: int
    enter_weeks: int
    exit_weeks: int
    min_n: int
    z: float
    baseline_start: date | None


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
    adjustments: tuple[Adjustment, ...] = ()
    origin: str = "<memory>"

    @property
    def baseline_total(self) -> float:
        return sum(c.baseline for c in self.components.values())

    @property
    def rules(self) -> StateRules:
        merged = {**STATE_DEFAULTS, **self.states}
        start = merged.get("baseline_start")
        if isinstance(start, str):
            start = date.fromisoformat(start)
        return StateRules(
            comparison_weeks=int(merged["comparison_weeks"]),
            enter_weeks=int(merged["enter_weeks"]),
            exit_weeks=int(merged["exit_weeks"]),
            min_n=int(merged["min_n"]),
            z=float(merged["z"]),
            baseline_start=start,
        )

    def trigger(self, name: str) -> dict[str, Any]:
        """The thresholds of trigger `name`: the card's values over the defaults."""
        return {**TRIGGER_DEFAULTS[name], **self.triggers.get(name, {})}


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
            raise RoleCardError(
                f"{origin}: '{key}' pattern {pattern!r} is not a regular expression: {exc}"
            ) from exc
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
        if key == "baseline_start":
            states[key] = _iso_date(value, origin)
        elif value <= 0:
            raise RoleCardError(f"{origin}: 'states.{key}' must be positive, got {value}")
    triggers = _parse_triggers(data.get("triggers", {}), origin)
    adjustments = tuple(
        _parse_adjustment(raw, components, f"{origin}: 'adjustments[{i}]'")
        for i, raw in enumerate(data.get("adjustments", []))
    )
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
        triggers=triggers,
        adjustments=adjustments,
        origin=origin,
    )


def _iso_date(value: Any, origin: str) -> date:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise RoleCardError(f"{origin}: 'states.baseline_start' {value!r} is not an ISO date") from exc


def _parse_triggers(raw: Any, origin: str) -> dict[str, dict[str, Any]]:
    """Known trigger names only, each key known and of the default's type, thresholds positive."""
    if not isinstance(raw, dict):
        raise RoleCardError(f"{origin}: 'triggers' must be a table")
    triggers: dict[str, dict[str, Any]] = {}
    for name, table in raw.items():
        if name not in TRIGGER_DEFAULTS:
            raise RoleCardError(
                f"{origin}: unknown trigger 'triggers.{name}' (allowed: {', '.join(TRIGGER_DEFAULTS)})"
            )
        if not isinstance(table, dict):
            raise RoleCardError(f"{origin}: 'triggers.{name}' must be a table")
        defaults = TRIGGER_DEFAULTS[name]
        for key, value in table.items():
            path = f"triggers.{name}.{key}"
            if key not in defaults:
                raise RoleCardError(
                    f"{origin}: unknown key '{path}' (allowed: {', '.join(sorted(defaults))})"
                )
            if key == "description":
                if not isinstance(value, str):
                    raise RoleCardError(f"{origin}: '{path}' must be text")
            elif isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
                raise RoleCardError(f"{origin}: '{path}' must be a positive number, got {value!r}")
        triggers[name] = dict(table)
    return triggers


def _parse_adjustment(raw: Any, components: dict[str, Component], where: str) -> Adjustment:
    from transforms.signals import SIGNALS  # the signal catalogue lives with the signals

    if not isinstance(raw, dict):
        raise RoleCardError(f"{where} must be a table")
    for key, value in raw.items():
        expected = _ADJUSTMENT_KEYS.get(key)
        if expected is None:
            raise RoleCardError(
                f"{where}: unknown key '{key}' (allowed: {', '.join(sorted(_ADJUSTMENT_KEYS))})"
            )
        if isinstance(value, bool) or not isinstance(value, expected):
            raise RoleCardError(f"{where}: '{key}' has the wrong type ({type(value).__name__})")
    for key in ("component", "signal", "points_per_unit", "max_points"):
        if key not in raw:
            raise RoleCardError(f"{where}: missing required key '{key}'")
    if raw["component"] not in components:
        raise RoleCardError(
            f"{where}: 'component' {raw['component']!r} is not one of {', '.join(COMPONENTS)}"
        )
    if raw["signal"] not in SIGNALS:
        raise RoleCardError(f"{where}: 'signal' {raw['signal']!r} is not a watch signal")
    reference = raw.get("reference", "baseline")
    if isinstance(reference, str) and reference != "baseline":
        raise RoleCardError(f"{where}: 'reference' must be a number or \"baseline\", got {reference!r}")
    if raw["points_per_unit"] == 0:
        raise RoleCardError(f"{where}: 'points_per_unit' must not be 0")
    if not 0 < raw["max_points"] <= components[raw["component"]].max:
        raise RoleCardError(f"{where}: 'max_points' must be in (0, the component's max]")
    if raw.get("deadband", 0) < 0 or raw.get("min_n", 1) < 1:
        raise RoleCardError(f"{where}: 'deadband' must be >= 0 and 'min_n' >= 1")
    return Adjustment(
        component=raw["component"],
        signal=raw["signal"],
        reference=reference if isinstance(reference, str) else float(reference),
        points_per_unit=float(raw["points_per_unit"]),
        max_points=float(raw["max_points"]),
        deadband=float(raw.get("deadband", 0.0)),
        min_n=raw.get("min_n"),
        why=raw.get("why", ""),
    )
