"""The simulated market: deterministic, varied, and shifting exactly what each scenario claims."""

from __future__ import annotations

from collections import Counter

import pytest

from laborwatch.demo_market import (
    PRODUCTION_TAGS,
    SCENARIOS,
    build_market,
    load_employers,
    release_schedule,
    shift_window,
)
from laborwatch.demo_server import posting_text

WEEKS = 16


@pytest.fixture(scope="module")
def markets():
    return {s: build_market(s, WEEKS) for s in SCENARIOS}


def _new(market, weeks, role="ai_ml_engineer"):
    return [p for p in market.postings if p.role == role and p.open_week in weeks]


def _share(items, predicate):
    return sum(1 for i in items if predicate(i)) / max(1, len(items))


def test_same_seed_same_market():
    a, b = build_market("mixed", 8), build_market("mixed", 8)
    assert [(p.uid, p.title, p.sections) for p in a.postings] == [
        (p.uid, p.title, p.sections) for p in b.postings
    ]
    assert build_market("mixed", 8, seed=7).postings[0].sections != a.postings[0].sections


def test_several_dozen_employers_on_every_source():
    employers = load_employers()
    assert len(employers) >= 36
    assert {e.source for e in employers} == {
        "greenhouse",
        "lever",
        "ashby",
        "jsonld",
        "hn",
        "remoteok",
        "themuse",
    }
    assert len({e.key for e in employers}) == len(employers)


def test_realistic_volume_and_lifecycle(markets):
    market = markets["steady"]
    for week in range(WEEKS):
        new_ai = len(_new(market, [week]))
        assert 35 <= new_ai <= 85, (week, new_ai)
    durations = [p.close_week - p.open_week for p in market.postings if p.employer.source != "hn"]
    assert min(durations) >= 2 and max(durations) <= 8
    market.set_week(5)
    assert all(len(market.employer_postings(e)) >= 2 for e in market.employers)  # no board looks broken


def test_text_is_varied_not_templated(markets):
    postings = [p for p in markets["steady"].postings if p.role == "ai_ml_engineer"]
    texts = [posting_text(p.sections) for p in postings]
    assert len(set(texts)) == len(texts)
    sentences = Counter(line for t in texts for line in t.splitlines() if line.startswith("- "))
    assert len(sentences) > 150
    assert len({p.title for p in postings}) > 60
    orders = {tuple(s.kind for s in p.sections) for p in postings}
    assert len(orders) > 10
    headings = {s.heading for p in postings for s in p.sections if s.kind == "duties"}
    assert len(headings) >= 5
    # hard cases the classifier must read correctly are present
    joined = "\n".join(texts)
    assert "does not include on-call" in joined or "won't be responsible for deploying" in joined
    assert "platform for model evaluation and monitoring" in joined
    assert any(s.kind == "nice" for p in postings for s in p.sections)


def test_strengthen_entry_postings_ask_for_production_work_and_employers_broaden(markets):
    start, end = shift_window(WEEKS)
    market = markets["strengthen"]
    entry = lambda weeks: [p for p in _new(market, weeks) if p.seniority in ("intern", "entry")]  # noqa: E731
    before = _share(entry(range(start)), lambda p: p.production_ownership)
    after = _share(entry(range(end, WEEKS)), lambda p: p.production_ownership)
    assert before < 0.4 and after > 0.6
    employers = lambda weeks: {p.employer.key for p in _new(market, weeks)}  # noqa: E731
    assert len(employers(range(end, WEEKS))) > len(employers(range(WEEKS - end, start))) + 8
    elite = lambda weeks: _share(_new(market, weeks), lambda p: p.employer.tier == "elite")  # noqa: E731
    assert elite(range(end, WEEKS)) < elite(range(start)) - 0.08


def test_junior_cut_cuts_entry_and_keeps_senior(markets):
    start, end = shift_window(WEEKS)
    market = markets["junior-cut"]
    per_week = lambda weeks, levels: sum(p.seniority in levels for p in _new(market, weeks)) / len(weeks)  # noqa: E731
    assert per_week(range(end, WEEKS), ("intern", "entry")) < 0.5 * per_week(
        range(start), ("intern", "entry")
    )
    senior_before = per_week(range(start), ("senior", "lead"))
    assert abs(per_week(range(end, WEEKS), ("senior", "lead")) - senior_before) < 0.25 * senior_before


def test_mixed_research_holds_while_product_work_shrinks(markets):
    start, end = shift_window(WEEKS)
    market = markets["mixed"]
    per_week = lambda weeks, family: sum(p.family == family for p in _new(market, weeks)) / len(weeks)  # noqa: E731
    research = per_week(range(start), "research")
    assert per_week(range(end, WEEKS), "research") >= 0.9 * research  # holds (the scenario adds a little)
    for family in ("routine", "production"):
        assert per_week(range(end, WEEKS), family) < 0.6 * per_week(range(start), family)


def test_steady_moves_nothing_but_noise(markets):
    market = markets["steady"]
    first, last = _new(market, range(0, 8)), _new(market, range(8, 16))
    for predicate in (
        lambda p: p.seniority in ("intern", "entry"),
        lambda p: p.production_ownership,
        lambda p: "research" in p.tags,
    ):
        assert abs(_share(first, predicate) - _share(last, predicate)) < 0.06
    assert abs(len(first) - len(last)) < 0.15 * len(first)


def test_ground_truth_tags_are_the_seven_labels(markets):
    labels = set(PRODUCTION_TAGS) | {"routine_adaptation", "research"}
    assert {t for p in markets["steady"].postings for t in p.tags} <= labels


def test_release_schedule_is_on_the_documented_times():
    releases = release_schedule()
    jobs = [r for r in releases if r.program == "empsit"]
    assert all(
        r.released_at.weekday() == 4 and (r.released_at.hour, r.released_at.minute) == (8, 30) for r in jobs
    )
    assert all(r.released_at.hour == 10 for r in releases if r.program in ("jolts", "ocwage", "ecopro"))
    assert len({r.uid for r in releases}) == len(releases)
