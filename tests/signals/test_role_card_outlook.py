"""The outlook sections of the role cards: shipped values, defaults, and clear errors."""

from __future__ import annotations

import copy
import tomllib
from pathlib import Path

import pytest

from transforms.role_card import TRIGGER_DEFAULTS, RoleCardError, parse_role_card

ROLES = Path(__file__).resolve().parents[2] / "roles"


def _card_data(name: str = "ai_ml_engineer") -> dict:
    return tomllib.loads((ROLES / f"{name}.toml").read_text(encoding="utf-8"))


def test_shipped_cards_spell_out_every_rule_and_keep_their_baselines():
    for name, total in (("ai_ml_engineer", 52), ("data_scientist", 55)):
        data = _card_data(name)
        card = parse_role_card(data, name)
        assert card.baseline_total == total
        assert set(data["states"]) >= {"comparison_weeks", "enter_weeks", "exit_weeks", "min_n", "z"}
        for trigger, defaults in TRIGGER_DEFAULTS.items():
            assert set(data["triggers"][trigger]) == set(defaults), (name, trigger)
        assert card.adjustments and all(a.why for a in card.adjustments)


def test_a_card_without_outlook_sections_gets_the_documented_defaults():
    data = _card_data()
    for key in ("states", "triggers", "adjustments"):
        data.pop(key)
    card = parse_role_card(data)
    assert card.rules.enter_weeks == 3 and card.rules.z == 3.0 and card.rules.baseline_start is None
    assert card.trigger("weakening")["entry_share_fall"] == 0.08
    assert card.adjustments == ()


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda d: d["triggers"].update(collapse={}), "unknown trigger 'triggers.collapse'"),
        (
            lambda d: d["triggers"]["weakening"].update(entry_share_drop=0.1),
            "unknown key 'triggers.weakening",
        ),
        (lambda d: d["triggers"]["weakening"].update(senior_hold=-5), "must be a positive number"),
        (lambda d: d["adjustments"][0].update(signal="vibes"), "'signal' 'vibes' is not a watch signal"),
        (lambda d: d["adjustments"][0].update(component="luck"), "'component' 'luck' is not one of"),
        (lambda d: d["adjustments"][0].update(max_points=99), "'max_points' must be in"),
        (lambda d: d["adjustments"][0].update(reference="last year"), "'reference' must be a number"),
        (lambda d: d["adjustments"][0].pop("points_per_unit"), "missing required key 'points_per_unit'"),
        (lambda d: d["states"].update(baseline_start="soon"), "is not an ISO date"),
    ],
)
def test_broken_outlook_sections_are_named(edit, message):
    data = copy.deepcopy(_card_data())
    edit(data)
    with pytest.raises(RoleCardError, match=message.replace("(", r"\(").replace("[", r"\[")):
        parse_role_card(data, "roles/ai_ml_engineer.toml")


def test_baseline_start_accepts_a_toml_date():
    data = _card_data()
    data["states"]["baseline_start"] = tomllib.loads("d = 2026-02-02")["d"]
    assert str(parse_role_card(data).rules.baseline_start) == "2026-02-02"
