"""The description search index on DuckLake: refreshed through the lake, searched in its snapshot."""

from __future__ import annotations

from pathlib import Path

import pytest

from laborwatch.sql_cmd import run_query
from tests.foundation.test_search_index import TERMS, _insert, _same_as_ilike, _seed
from warehouse.db import Warehouse
from warehouse.search_index import refresh
from warehouse.snapshot import publish_snapshot

pytestmark = pytest.mark.scaleout


def test_search_on_the_lake_gives_the_rows_of_ilike_and_follows_changes(
    lake: Warehouse, tmp_path: Path
) -> None:
    _seed(lake)
    assert refresh(lake).postings == 9
    for term in TERMS:
        _same_as_ilike(lake, term)
    lake.con.execute(
        "UPDATE staging.postings SET description_text = 'Docker only' WHERE posting_key = 'hn:1'"
    )
    _insert(lake, "hn:new", "Kubernetes on call", lake.scalar("SELECT max(first_seen) FROM staging.postings"))
    target = tmp_path / "analyst.duckdb"
    publish_snapshot(lake, target)
    sql = "SELECT posting_key FROM search_postings('kubernetes') ORDER BY 1"
    assert run_query(target, sql)["posting_key"].to_list() == ["hn:0", "hn:2", "hn:4", "hn:5", "hn:new"]
    assert refresh(lake).postings == 0
