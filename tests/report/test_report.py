from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path

import polars as pl
import pytest

from laborwatch import pipeline
from laborwatch.report import write_report
from laborwatch.settings import Settings, load_settings
from tests.browser import Browser, chromium_path
from warehouse.db import Warehouse

XSS_TITLE = '<script>window.__pwned = 1</script><img src=x onerror="window.__pwned = 2">ML Engineer'
WEEKS = [date(2026, 1, 5) + timedelta(weeks=i) for i in range(10)]


def _fill(wh: Warehouse) -> None:
    states = ["stable"] * 6 + ["strengthening"] * 4
    wh.upsert(
        "marts.role_scores",
        pl.DataFrame(
            {
                "role_id": "ai_ml_engineer",
                "as_of": WEEKS,
                "automation_resistance": [14.0 + i * 0.2 for i in range(10)],
                "structural_moat": 17.0,
                "demand": 21.0,
                "total": [52.0 + i * 0.2 for i in range(10)],
                "outlook_state": states,
                "explanation": "automation_resistance +0.2 (entry_production_share 0.55 vs 0.40) <b>",
            }
        ),
        ["role_id", "as_of"],
    )
    rows = []
    for i, week in enumerate(WEEKS):
        for signal, value in [
            ("entry_production_share", 0.4 + 0.02 * i),
            ("entry_routine_only_share", 0.3),
            ("entry_share", 0.25),
            ("volume_index", 100 + i),
            ("senior_volume_index", 98.0),
            ("distinct_employers", 30 + i),
            ("employer_hhi", 0.05),
        ]:
            rows.append(
                {
                    "role_id": "ai_ml_engineer",
                    "week": week,
                    "signal": signal,
                    "value": float(value),
                    "n": 60,
                    "ci_low": float(value) * 0.8,
                    "ci_high": float(value) * 1.2,
                }
            )
    wh.upsert("marts.watch_signals", pl.DataFrame(rows), ["role_id", "week", "signal"])
    wh.upsert(
        "marts.alerts",
        pl.DataFrame(
            [
                {
                    "alert_id": "a1",
                    "role_id": "ai_ml_engineer",
                    "fired_at": datetime(2026, 2, 9),
                    "kind": "outlook_change",
                    "old_value": "stable",
                    "new_value": "strengthening",
                    "message": "ai_ml_engineer: stable → strengthening",
                    "delivery_status": "delivered",
                }
            ]
        ),
        ["alert_id"],
    )
    wh.upsert(
        "marts.source_health",
        pl.DataFrame(
            [
                {
                    "source": "greenhouse",
                    "board": "acme<script>",
                    "run": "2026-03-09",
                    "status": "ok",
                    "rows": 12,
                    "error": None,
                }
            ]
        ),
        ["source", "board", "run"],
    )
    wh.upsert(
        "staging.postings",
        pl.DataFrame(
            [
                {
                    "posting_key": "p1",
                    "source": "greenhouse",
                    "source_id": "1",
                    "board": "acme",
                    "company": "Acme <b>Labs</b>",
                    "title": XSS_TITLE,
                    "role_id": "ai_ml_engineer",
                    "seniority": "entry",
                    "tags": ["evaluation"],
                    "first_seen": datetime(2026, 3, 2),
                    "last_seen": datetime(2026, 3, 9),
                }
            ]
        ),
        ["posting_key"],
    )


@pytest.fixture
def report(tmp_path: Path) -> Path:
    settings: Settings = load_settings(warehouse=tmp_path / "w.duckdb")
    with pipeline.open_warehouse(settings) as wh:
        _fill(wh)
    pipeline.publish(settings)
    return write_report(settings, tmp_path / "report.html")


def test_report_is_self_contained_and_escapes_posting_text(report: Path) -> None:
    page = report.read_text()
    assert "<script" not in page.lower().replace("&lt;script", "")
    assert "http://" not in page and "https://" not in page
    assert "&lt;script&gt;window.__pwned = 1&lt;/script&gt;" in page
    assert page.count("<svg") >= 6


@pytest.mark.browser
@pytest.mark.skipif(chromium_path() is None, reason="Debian chromium not installed (make test installs it)")
def test_report_renders_in_headless_chromium(report: Path, tmp_path: Path) -> None:
    browser = Browser()
    try:
        browser.open(report)
        shot = browser.screenshot(tmp_path / "report.png")
        assert shot.stat().st_size > 20_000
        assert browser.console_errors() == []
        charts = browser.evaluate(
            "[...document.querySelectorAll('svg.chart')].map(s => s.querySelectorAll('polyline').length)"
        )
        assert len(charts) == 6 and all(count >= 1 for count in charts), charts
        assert browser.evaluate("window.__pwned === undefined") is True
        assert XSS_TITLE in browser.evaluate("document.body.innerText")
        assert browser.evaluate("document.querySelectorAll('script, img').length") == 0
    finally:
        browser.close()
