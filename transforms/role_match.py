"""Role and SOC code from the title: role cards first (priority order), then SOC-only fallbacks.

A card claims a posting when one of its `title_patterns` matches the title and none of its
`exclude_patterns` does; the first card in (priority, id) order wins and gives its first SOC code.
Titles naming a non-engineering function (product manager, designer, recruiter, sales, AI
trainer/annotator, writer, ...) are never claimed by a card, whatever AI words they carry: "AI
Trainer" and "Product Manager, ML" are not AI/ML engineers. A title no card claims keeps a SOC
code where the occupation is clear (research scientists 15-1221, data scientists 15-2051,
software engineering in the broad sense 15-1252) and a null role.
"""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl

from transforms.rewrite import rust_regex, words
from transforms.role_card import RoleCard

NON_ENGINEERING_TITLES = (
    r"product manager",
    r"product owner",
    r"product marketing",
    r"program manager",
    r"project manager",
    r"designer",
    r"ux",
    r"recruit",
    r"sourcer",
    r"talent",
    r"sales",
    r"account executive",
    r"account manager",
    r"business development",
    r"marketing",
    r"writer",
    r"copywriter",
    r"editor",
    r"trainer",
    r"tutor",
    r"annotat",
    r"labell?er",
    r"rater",
    r"counsel",
    r"attorney",
    r"lawyer",
    r"paralegal",
    r"customer success",
    r"customer support",
    r"support specialist",
    r"community manager",
    r"evangelist",
    r"developer advocate",
    r"partnerships?",
    r"policy",
    r"people partner",
    r"hr",
)
NON_ENGINEERING_PATTERN = rust_regex("(?i)" + words(NON_ENGINEERING_TITLES))

FALLBACK_SOC: tuple[tuple[str, tuple[str, ...]], ...] = (
    (
        "15-1221",
        (
            r"research scientist",
            r"computer scientist",
            r"research engineer",
            r"researcher",
            r"research staff",
            r"postdoc",
            r"post-?doctoral",
            r"scientist, research",
        ),
    ),
    ("15-2051", (r"data scien", r"statistician", r"decision scien", r"machine learning scien")),
    (
        "15-1252",
        (
            r"software",
            r"developer",
            r"programmer",
            r"back[- ]?end",
            r"front[- ]?end",
            r"full[- ]?stack",
            r"platform engineer",
            r"infrastructure engineer",
            r"site reliability",
            r"sre",
            r"devops",
            r"dev ops",
            r"mobile (?:engineer|developer)",
            r"ios",
            r"android",
            r"data engineer",
            r"qa engineer",
            r"test engineer",
            r"sdet",
            r"web (?:engineer|developer)",
            r"game (?:engineer|programmer)",
            r"embedded (?:software )?engineer",
            r"firmware engineer",
            r"cloud engineer",
            r"security engineer",
            r"systems engineer",
            r"application engineer",
            r"engineering manager",
        ),
    ),
)


def any_pattern(patterns: Sequence[str]) -> str:
    """Card patterns as one case-insensitive regex (ASCII word semantics, as everywhere)."""
    return rust_regex("(?i)" + "|".join(f"(?:{p})" for p in patterns))


FALLBACK_PATTERNS: tuple[tuple[str, str], ...] = tuple(
    (code, rust_regex("(?i)" + words(patterns))) for code, patterns in FALLBACK_SOC
)


def role_exprs(title: pl.Expr, cards: Sequence[RoleCard]) -> tuple[pl.Expr, pl.Expr]:
    """(role_id, soc_code) expressions for a title column."""
    claimable = ~title.str.contains(NON_ENGINEERING_PATTERN).fill_null(True)
    role: pl.Expr = pl.lit(None, dtype=pl.String)
    soc: pl.Expr = pl.lit(None, dtype=pl.String)
    for code, pattern in reversed(FALLBACK_PATTERNS):
        hit = claimable & title.str.contains(pattern).fill_null(False)
        soc = pl.when(hit).then(pl.lit(code)).otherwise(soc)
    for card in sorted(cards, key=lambda c: (c.priority, c.id), reverse=True):
        hit = title.str.contains(any_pattern(card.title_patterns))
        if card.exclude_patterns:
            hit = hit & ~title.str.contains(any_pattern(card.exclude_patterns))
        hit = claimable & hit.fill_null(False)
        role = pl.when(hit).then(pl.lit(card.id)).otherwise(role)
        soc = pl.when(hit).then(pl.lit(card.soc_codes[0] if card.soc_codes else None)).otherwise(soc)
    return role, soc
