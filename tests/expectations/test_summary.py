"""The HTML validations summary: built from real gate runs, escaped, self-contained."""

from __future__ import annotations

import html.parser

import polars as pl

from expectations.gate import gate_batch
from expectations.summary import render_validation_summary
from laborwatch.quarantine_cmd import validation_summary_html
from tests.expectations.batches import postings, set_cell


class _Collect(html.parser.HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.attrs: list[tuple[str, str | None]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.attrs.extend(attrs)


def test_summary_of_real_runs(warehouse):
    gate_batch(warehouse, "raw_postings", postings(3), batch_id="greenhouse/acme/1")
    bad = set_cell(postings(3), "salary_min", 0, 1e9)
    gate_batch(warehouse, "raw_postings", bad, batch_id="<script>alert('x')</script>")
    gate_batch(
        warehouse, "raw_postings", bad.with_columns(pl.lit("lever").alias("source")), batch_id="lever/b"
    )
    page = validation_summary_html(warehouse)

    assert page.startswith("<!DOCTYPE html>") and page.rstrip().endswith("</html>")
    assert "<script>" not in page and "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in page
    assert "salary_min_le_max" in page and "greenhouse/acme/1" in page
    assert '<span class="fail">FAIL</span>' in page and '<span class="pass">pass</span>' in page
    # By suite: 3 runs, 1 passed, 2 failed, 9 rows; the failing rule counted twice.
    assert '<td>raw_postings</td><td class="num">3</td><td class="num">1</td><td class="num">2</td>' in page
    assert '<td>salary_min_le_max</td><td class="num">2</td>' in page

    parsed = _Collect()
    parsed.feed(page)
    assert "script" not in parsed.tags and "link" not in parsed.tags and "img" not in parsed.tags
    assert not [v for k, v in parsed.attrs if k in ("src", "href")]  # nothing fetched from elsewhere


def test_summary_of_no_runs_and_of_a_bare_frame():
    empty = render_validation_summary(pl.DataFrame())
    assert "0 run(s)" in empty and "No validation runs recorded." in empty
    bare = pl.DataFrame({"suite": ["projections"], "batch": ["2024-34"], "success": [True]})
    assert "<td>projections</td>" in render_validation_summary(bare)
