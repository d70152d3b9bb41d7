"""Reading role cards from roles/*.toml."""

from __future__ import annotations

import tomllib
from pathlib import Path

from transforms.role_card import RoleCard, RoleCardError, parse_role_card

DEFAULT_ROLES_DIR = Path(__file__).resolve().parent.parent / "roles"


def load_role_cards(roles_dir: Path | str = DEFAULT_ROLES_DIR) -> list[RoleCard]:
    """Every card in `roles_dir`, sorted by match priority; a broken card stops the run loudly."""
    cards: list[RoleCard] = []
    for path in sorted(Path(roles_dir).glob("*.toml")):
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise RoleCardError(f"{path}: not valid TOML: {exc}") from exc
        card = parse_role_card(data, origin=str(path))
        if card.id != path.stem:
            raise RoleCardError(f"{path}: 'id' {card.id!r} must equal the file name {path.stem!r}")
        cards.append(card)
    if not cards:
        raise RoleCardError(f"{roles_dir}: no role cards (*.toml) found")
    return sorted(cards, key=lambda c: (c.priority, c.id))
