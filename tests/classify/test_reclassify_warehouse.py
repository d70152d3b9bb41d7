"""Re-classifying stored postings: new labels stored, the change in each label share reported."""

from __future__ import annotations

from datetime import datetime

import polars as pl

from laborwatch.classify_cmd import reclassify_warehouse
from laborwatch.role_cards import load_role_cards
from transforms.classify import CLASSIFIER_VERSION
from warehouse.db import Warehouse

DUTIES = (
    "<h3>What you will do</h3><ul><li>Deploy models to production and build evaluation harnesses.</li></ul>"
)


def _stage(wh: Warehouse) -> None:
    rows = [
        {
            "posting_key": f"greenhouse:{i}",
            "source": "greenhouse",
            "source_id": str(i),
            "board": "acme",
            "company": "Acme",
            "title": "Junior Machine Learning Engineer",
            "description_html": DUTIES,
            "role_id": "ai_ml_engineer",
            "seniority": "entry",
            "tags": [],  # what an older rule set said
            "production_ownership": False,
            "routine_only": False,
            "classifier_version": "0.9.0",
            "first_seen": datetime(2026, 1, 5),
            "last_seen": datetime(2026, 1, 5),
        }
        for i in range(3)
    ]
    wh.upsert("staging.postings", pl.DataFrame(rows), ["posting_key"])


def test_reclassify_stores_new_labels_and_reports_the_change(warehouse: Warehouse) -> None:
    _stage(warehouse)
    cards = load_role_cards()
    dry = reclassify_warehouse(warehouse, cards, apply=False)
    assert warehouse.scalar("SELECT count(*) FROM staging.postings WHERE classifier_version = '0.9.0'") == 3
    report = reclassify_warehouse(warehouse, cards)
    assert dry.equals(report)
    stored = warehouse.query("SELECT tags, production_ownership, classifier_version FROM staging.postings")
    assert stored["classifier_version"].unique().to_list() == [CLASSIFIER_VERSION]
    assert all({"deployment", "evaluation"} <= set(tags) for tags in stored["tags"].to_list())
    moved = report.filter((pl.col("scope") == "ai_ml_engineer") & (pl.col("label") == "production_ownership"))
    assert moved.select("share_before", "share_after").row(0) == (0.0, 1.0)
    again = reclassify_warehouse(warehouse, cards)
    assert again.filter(pl.col("delta").abs() > 0).is_empty()
