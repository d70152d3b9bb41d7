"""Role and SOC code from the title, using the role cards (first match in priority order wins)."""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl

from transforms.role_card import RoleCard

# Titles no card claims still get a SOC code where the occupation is clear.
FALLBACK_SOC: tuple[tuple[str, str], ...] = (
    ("15-1221", r"\bresearch scientist\b|\bcomputer scientist\b|\bresearch engineer\b"),
    ("15-2051", r"\bdata scien|\bstatistician\b|\bdecision scien"),
    (
        "15-1252",
        r"\bsoftware\b|\bdeveloper\b|\bprogrammer\b|\bback[- ]?end\b|\bfront[- ]?end\b|\bfull[- ]?stack\b"
        r"|\bplatform engineer\b|\bsite reliability\b|\bsre\b|\bdevops\b|\bmobile engineer\b|\bios\b|\bandroid\b",
    ),
)


def _any(patterns: Sequence[str]) -> str:
    return "(?i)" + "|".join(f"(?:{p})" for p in patterns)


def role_exprs(title: pl.Expr, cards: Sequence[RoleCard]) -> tuple[pl.Expr, pl.Expr]:
    """(role_id, soc_code) expressions: cards in priority order, then SOC-only fallbacks."""
    ordered = sorted(cards, key=lambda c: (c.priority, c.id))
    role: pl.Expr = pl.lit(None, dtype=pl.String)
    soc: pl.Expr = pl.lit(None, dtype=pl.String)
    for code, pattern in reversed(FALLBACK_SOC):
        soc = pl.when(title.str.contains(f"(?i){pattern}")).then(pl.lit(code)).otherwise(soc)
    for card in reversed(ordered):
        hit = title.str.contains(_any(card.title_patterns))
        if card.exclude_patterns:
            hit = hit & ~title.str.contains(_any(card.exclude_patterns))
        hit = hit.fill_null(False)
        role = pl.when(hit).then(pl.lit(card.id)).otherwise(role)
        soc = pl.when(hit).then(pl.lit(card.soc_codes[0] if card.soc_codes else None)).otherwise(soc)
    return role, soc
