from __future__ import annotations

from collections.abc import Callable
from typing import Any

import polars as pl
import pytest

from laborwatch.role_cards import load_role_cards
from transforms.classify import classify_postings
from transforms.role_card import RoleCard


@pytest.fixture(scope="session")
def cards() -> list[RoleCard]:
    return load_role_cards()


@pytest.fixture
def classify_one(cards: list[RoleCard]) -> Callable[..., dict[str, Any]]:
    """Classify a single posting given as keyword arguments (text by default, html= for HTML)."""

    def run(
        title: str = "Machine Learning Engineer",
        text: str | None = None,
        html: str | None = None,
        **extra: Any,
    ):
        frame = pl.DataFrame(
            {
                "title": [title],
                "description_text": [text],
                "description_html": [html],
                **{k: [v] for k, v in extra.items()},
            },
            schema_overrides={"description_text": pl.String, "description_html": pl.String},
        )
        return classify_postings(frame, cards).to_dicts()[0]

    return run
