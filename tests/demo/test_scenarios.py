"""End to end: each demo scenario, through the real pipeline, ends with the outcome it is built for.

These are the demo's acceptance criteria: `strengthen` ends with an outlook_change alert to
strengthening for ai_ml_engineer, `junior-cut` with weakening, `mixed` with mixed_review, and
`steady` fires no outlook_change or trigger alert in any week.
"""

from __future__ import annotations

import json

import pytest

from laborwatch.demo import EXPECTED, run_demo

WEEKS = 16
pytestmark = pytest.mark.demo_e2e


@pytest.mark.parametrize("scenario", list(EXPECTED))
def test_scenario_outcome(scenario, tmp_path):
    result = run_demo(
        scenario, WEEKS, tmp_path / "demo" / "warehouse.duckdb", out=None, probe=scenario == "strengthen"
    )
    assert result.ok, (
        result.verdict,
        [(a["fired_at"], a["kind"], a["role_id"], a["new_value"]) for a in result.alerts],
    )
    kinds = {a["kind"] for a in result.alerts}
    if scenario == "steady":
        assert not kinds & {"outlook_change", "trigger"}
        assert all(r.end_state == "stable" for r in result.roles)
    else:
        role, state = EXPECTED[scenario]
        outcome = next(r for r in result.roles if r.role_id == role)
        assert outcome.end_state == state
        assert result.latency.seconds is not None and result.latency.seconds > 0
        # the data scientist role sees no shift in any scenario: the signals are role-specific
        assert next(r for r in result.roles if r.role_id == "data_scientist").end_state == "stable"
    # every alert was delivered to the demo's alerts file, once
    delivered = [json.loads(line) for line in result.alerts_file.read_text().splitlines()] if kinds else []
    assert len({d["alert_id"] for d in delivered}) == len(result.alerts)
    assert all(a["delivery_status"] == "delivered" for a in result.alerts)
    if scenario == "strengthen":
        assert result.latency.probe_found
        assert result.report is not None and result.report.exists()
