from __future__ import annotations

from pathlib import Path

import pytest

from laborwatch.role_cards import load_role_cards
from transforms.role_card import RoleCard

ROLES = Path(__file__).resolve().parents[2] / "roles"


@pytest.fixture(scope="session")
def cards() -> list[RoleCard]:
    return load_role_cards(ROLES)


@pytest.fixture(scope="session")
def ai(cards: list[RoleCard]) -> RoleCard:
    return next(c for c in cards if c.id == "ai_ml_engineer")
