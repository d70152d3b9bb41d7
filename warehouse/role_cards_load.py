"""Keep staging.role_cards equal to the cards on disk, so analysts see what the scores rest on."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path

import polars as pl

from transforms.role_card import RoleCard
from warehouse.db import Warehouse


def role_cards_frame(cards: Sequence[RoleCard]) -> pl.DataFrame:
    """One row per card: its SOC proxies and published baseline components."""
    return pl.DataFrame(
        [
            {
                "role_id": card.id,
                "title": card.title,
                "soc_codes": list(card.soc_codes),
                "automation_resistance": card.components["automation_resistance"].baseline,
                "structural_moat": card.components["structural_moat"].baseline,
                "demand": card.components["demand"].baseline,
                "total": card.baseline_total,
                "card_path": "/".join(Path(card.origin).parts[-2:]),
                "card_sha256": hashlib.sha256(repr(card).encode()).hexdigest(),
            }
            for card in cards
        ],
        schema_overrides={"soc_codes": pl.List(pl.String)},
    )


def load_role_cards_table(wh: Warehouse, cards: Sequence[RoleCard]) -> None:
    frame = role_cards_frame(cards)
    current = wh.query("SELECT role_id, card_sha256 FROM staging.role_cards ORDER BY role_id")
    if current.equals(frame.select("role_id", "card_sha256").sort("role_id")):
        return
    wh.replace_where("staging.role_cards", frame, "true", [])
