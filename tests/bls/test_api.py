"""The API v2 client against a local server answering in the real shapes (tests/bls/fake_bls.py)."""

from __future__ import annotations

import json
from datetime import date

import polars as pl
import pytest

from ingest.bls_api import (
    ANONYMOUS_LIMITS,
    KEYED_LIMITS,
    BlsClient,
    BlsHttp,
    Outcome,
    plan_queries,
    year_windows,
)
from ingest.bls_periods import period_kind
from tests.bls.fake_bls import API_PATH, FakeBls, Point, answer
from tests.local_http import LocalServer, Response
from warehouse.bls_load import WarehouseQueryBudget
from warehouse.db import Warehouse

KEY = "0123456789abcdef0123456789abcdef"
DAY = date(2026, 3, 2)
CES = "CES6054150001"
JOLTS = "JTS510000000000000JOL"
OEWS_EMP = "OEUN000000000000015205101"
OEWS_P90 = "OEUN000000000000011101115"
SOC2010 = "OEUN000000000000015113201"


def client(server: LocalServer, key: str | None = KEY, retries: int = 2) -> BlsClient:
    http = BlsHttp(
        "laborwatch-test/1 contact: ops@example.org", timeout=5, max_retries=retries, backoff=0.001
    )
    return BlsClient(server.url, key, http)


def budget(wh: Warehouse, limit: int = 500, share: float = 1.0) -> WarehouseQueryBudget:
    return WarehouseQueryBudget(wh, DAY, limit, share)


def rows_of(df: pl.DataFrame, sid: str) -> list[tuple]:
    part = df.filter(pl.col("series_id") == sid).sort(["year", "period"])
    return part.select("year", "period", "value", "value_text", "footnote_codes").rows()


def monthly(start: int, end: int, base: float) -> list[Point]:
    return [
        Point(y, f"M{m:02d}", f"{base + y - start + m / 10:.1f}")
        for y in range(start, end + 1)
        for m in range(1, 13)
    ]


def test_several_series_are_matched_by_id_with_numbers(
    http_server: LocalServer, warehouse: Warehouse
) -> None:
    fake = FakeBls(
        {
            CES: [
                Point(2024, "M11", "2601.5"),
                Point(2024, "M12", "2610.2", [{"code": "P", "text": "preliminary"}]),
            ],
            JOLTS: [Point(2024, "M12", "1,234")],
            OEWS_EMP: [Point(2024, "A01", "233440")],
        }
    )
    http_server.route(API_PATH, fake)
    pull = client(http_server).pull([OEWS_EMP, CES, JOLTS], 2024, 2024, budget(warehouse))

    assert pull.final() == {OEWS_EMP: Outcome.OK, CES: Outcome.OK, JOLTS: Outcome.OK}
    assert rows_of(pull.observations, CES) == [
        (2024, "M11", 2601.5, "2601.5", None),
        (2024, "M12", 2610.2, "2610.2", "P"),
    ]
    assert rows_of(pull.observations, JOLTS) == [(2024, "M12", 1234.0, "1,234", None)]
    assert rows_of(pull.observations, OEWS_EMP) == [(2024, "A01", 233440.0, "233440", None)]
    assert pull.queries_sent == 1
    request = http_server.requests[0]
    assert request.method == "POST" and request.path == API_PATH
    assert "contact: ops@example.org" in request.headers["User-Agent"]
    body = json.loads(request.body)
    assert body == {
        "seriesid": [OEWS_EMP, CES, JOLTS],
        "startyear": "2024",
        "endyear": "2024",
        "registrationkey": KEY,
        "annualaverage": True,
    }
    assert KEY not in request.path


def test_missing_series_is_typed_and_the_others_load(http_server: LocalServer, warehouse: Warehouse) -> None:
    http_server.route(API_PATH, FakeBls({OEWS_EMP: [Point(2024, "A01", "233440")]}))
    pull = client(http_server).pull([SOC2010, OEWS_EMP], 2024, 2024, budget(warehouse))

    by_id = {o.series_id: o for o in pull.outcomes}
    assert by_id[SOC2010].outcome is Outcome.SERIES_MISSING
    assert by_id[SOC2010].messages == (f"Series does not exist for Series {SOC2010}",)
    assert by_id[SOC2010].rows == 0
    assert by_id[OEWS_EMP].outcome is Outcome.OK
    assert pull.observations["series_id"].unique().to_list() == [OEWS_EMP]
    assert pull.unsettled() == set()  # a missing series is an answer, not something to retry


def test_years_without_data_are_listed_not_guessed(http_server: LocalServer, warehouse: Warehouse) -> None:
    # The OE database keeps only the current May year: older years come back as messages.
    http_server.route(API_PATH, FakeBls({OEWS_EMP: [Point(2024, "A01", "233440")]}))
    pull = client(http_server).pull([OEWS_EMP], 2022, 2024, budget(warehouse))
    (outcome,) = pull.outcomes
    assert outcome.outcome is Outcome.OK
    assert outcome.years_without_data == (2022, 2023)
    assert pull.observations.height == 1


def test_series_with_no_data_at_all(http_server: LocalServer, warehouse: Warehouse) -> None:
    http_server.route(API_PATH, FakeBls({OEWS_EMP: [Point(2018, "A01", "31700")]}))
    pull = client(http_server).pull([OEWS_EMP], 2023, 2024, budget(warehouse))
    (outcome,) = pull.outcomes
    assert outcome.outcome is Outcome.NO_DATA
    assert outcome.years_without_data == (2023, 2024)
    assert pull.observations.is_empty()


def test_truncated_years_are_read_from_the_message_and_asked_again(
    http_server: LocalServer, warehouse: Warehouse
) -> None:
    # A key BLS does not honour gets the anonymous 10-year limit although we planned 20 years.
    fake = FakeBls({CES: monthly(2005, 2024, 2000.0)}, limits=(50, 10))
    http_server.route(API_PATH, fake)
    pull = client(http_server).pull([CES], 2005, 2024, budget(warehouse))

    first, second = pull.outcomes
    assert first.outcome is Outcome.YEARS_TRUNCATED
    assert (first.start_year, first.end_year, first.rows) == (2005, 2014, 120)
    assert "Year range has been reduced to the system-allowed limit of 10 years." in first.messages
    assert second.outcome is Outcome.OK
    assert (second.start_year, second.end_year, second.rows) == (2015, 2024, 120)
    assert [(b["startyear"], b["endyear"]) for b in fake.bodies] == [("2005", "2024"), ("2015", "2024")]
    assert pull.observations.height == 240
    assert sorted(pull.observations["year"].unique().to_list()) == list(range(2005, 2025))
    assert pull.final() == {CES: Outcome.OK}


def test_daily_threshold_refusal_stops_the_day(http_server: LocalServer, warehouse: Warehouse) -> None:
    http_server.route(API_PATH, FakeBls({CES: monthly(2000, 2024, 1.0)}, threshold_after=0))
    day_budget = budget(warehouse, limit=500)
    pull = client(http_server).pull([CES, JOLTS], 1995, 2024, day_budget)  # two year windows

    first = [o for o in pull.outcomes if o.start_year == 2005]
    assert {o.outcome for o in first} == {Outcome.THRESHOLD_REFUSED}
    assert "daily threshold" in first[0].messages[0]
    assert KEY not in first[0].messages[0]  # BLS echoes the key in this message
    rest = [o for o in pull.outcomes if o.start_year == 1995]
    assert {o.outcome for o in rest} == {Outcome.BUDGET_EXHAUSTED}
    assert len(http_server.requests) == 1  # nothing more was sent that day
    assert pull.observations.is_empty()
    assert day_budget.used_today() == 500
    assert not budget(warehouse).take()  # a later run the same day sends nothing either
    assert pull.unsettled() == {CES, JOLTS}


def test_invalid_parameters_are_typed_and_not_retried(http_server: LocalServer, warehouse: Warehouse) -> None:
    http_server.route(
        API_PATH, Response(200, answer("REQUEST_FAILED_INVALID_PARAMETERS", ["End year is invalid."]))
    )
    pull = client(http_server).pull([CES], 2024, 2024, budget(warehouse))
    (outcome,) = pull.outcomes
    assert outcome.outcome is Outcome.INVALID_PARAMETERS
    assert outcome.messages == ("End year is invalid.",)
    assert len(http_server.requests) == 1
    assert pull.observations.is_empty()


def test_dash_values_with_footnotes_are_typed_gaps_never_zero(
    http_server: LocalServer, warehouse: Warehouse
) -> None:
    top = {
        "code": "5",
        "text": "This wage is equal to or greater than $115.00 per hour or $239,200 per year.",
    }
    lapse = {"code": "X", "text": "Data unavailable due to the 2025 lapse in appropriations."}
    http_server.route(
        API_PATH,
        FakeBls(
            {
                OEWS_P90: [Point(2024, "A01", "-", [top])],
                CES: [
                    Point(2025, "M10", "-", [lapse]),
                    Point(2025, "M11", "2590.1", [{"code": "P", "text": "p"}]),
                ],
                JOLTS: [
                    Point(
                        2025, "M09", "7,227", [{"code": "R", "text": "revised"}, {"code": "P", "text": "p"}]
                    )
                ],
            }
        ),
    )
    pull = client(http_server).pull([OEWS_P90, CES, JOLTS], 2024, 2025, budget(warehouse))

    assert rows_of(pull.observations, OEWS_P90) == [(2024, "A01", None, "-", "5")]
    assert rows_of(pull.observations, CES) == [
        (2025, "M10", None, "-", "X"),
        (2025, "M11", 2590.1, "2590.1", "P"),
    ]
    assert rows_of(pull.observations, JOLTS) == [(2025, "M09", 7227.0, "7,227", "P,R")]
    assert pull.observations.filter(pl.col("value") == 0).is_empty()
    texts = dict(pull.footnotes.filter(pl.col("series_id") == OEWS_P90).select("code", "text").rows())
    assert texts == {"5": top["text"]}


def test_every_period_code_survives(http_server: LocalServer, warehouse: Warehouse) -> None:
    quarterly = "CIU1010000000000A"  # ECI-like quarterly series with an annual Q05
    semi = "CUUS0000SA0"
    periods = {
        CES: [Point(2024, f"M{m:02d}", str(100 + m)) for m in range(1, 14)],
        quarterly: [Point(2024, f"Q0{q}", str(q)) for q in range(1, 6)],
        semi: [Point(2024, f"S0{s}", str(s)) for s in range(1, 4)],
        OEWS_EMP: [Point(2024, "A01", "233440")],
    }
    http_server.route(API_PATH, FakeBls(periods))
    pull = client(http_server).pull(list(periods), 2024, 2024, budget(warehouse))

    got = {sid: [r[1] for r in rows_of(pull.observations, sid)] for sid in periods}
    assert got[CES] == [f"M{m:02d}" for m in range(1, 14)]
    assert got[quarterly] == ["Q01", "Q02", "Q03", "Q04", "Q05"]
    assert got[semi] == ["S01", "S02", "S03"]
    assert got[OEWS_EMP] == ["A01"]
    kinds = {p: period_kind(p) for p in ("M01", "M13", "Q04", "Q05", "S02", "S03", "A01")}
    assert kinds == {
        "M01": "month",
        "M13": "annual_average",
        "Q04": "quarter",
        "Q05": "annual_average",
        "S02": "half",
        "S03": "annual_average",
        "A01": "annual",
    }


def test_without_a_key_no_annual_average_is_asked(http_server: LocalServer, warehouse: Warehouse) -> None:
    fake = FakeBls({CES: [Point(2024, "M12", "1"), Point(2024, "M13", "2")]})
    http_server.route(API_PATH, fake)
    pull = client(http_server, key=None).pull([CES], 2024, 2024, budget(warehouse))
    assert fake.bodies[0] == {"seriesid": [CES], "startyear": "2024", "endyear": "2024"}
    assert rows_of(pull.observations, CES) == [(2024, "M12", 1.0, "1", None)]


@pytest.mark.parametrize(
    ("key", "queries", "max_series", "max_years"), [(KEY, 6, 50, 20), (None, 15, 25, 10)]
)
def test_120_series_over_30_years_are_split_and_reassembled(
    http_server: LocalServer,
    warehouse: Warehouse,
    key: str | None,
    queries: int,
    max_series: int,
    max_years: int,
) -> None:
    ids = [f"CEU{i:08d}01" for i in range(120)]
    fake = FakeBls(
        {sid: [Point(y, "M06", f"{i}.{y}") for y in range(1995, 2025)] for i, sid in enumerate(ids)}
    )
    http_server.route(API_PATH, fake)
    pull = client(http_server, key=key).pull(ids, 1995, 2024, budget(warehouse))

    assert pull.queries_sent == queries == len(fake.bodies)
    for body in fake.bodies:
        assert len(body["seriesid"]) <= max_series
        assert int(body["endyear"]) - int(body["startyear"]) + 1 <= max_years
    assert {o.outcome for o in pull.outcomes} == {Outcome.OK}  # nothing truncated, nothing unserved
    assert pull.observations.height == 120 * 30
    sample = pull.observations.filter(pl.col("series_id") == ids[77]).sort("year")
    assert sample["value"].to_list() == [float(f"77.{y}") for y in range(1995, 2025)]


def test_plans_stay_within_the_limits() -> None:
    assert year_windows(1995, 2024, 20) == [(2005, 2024), (1995, 2004)]
    assert year_windows(2024, 2024, 20) == [(2024, 2024)]
    plan = plan_queries([f"CEU{i:08d}01" for i in range(120)], 1995, 2024, KEYED_LIMITS)
    assert [len(q.series_ids) for q in plan] == [50, 50, 20, 50, 50, 20]
    assert len(plan_queries(["ces0000000001", "CES0000000001"], 2020, 2024, ANONYMOUS_LIMITS)) == 1
    with pytest.raises(ValueError, match="not a BLS series id"):
        plan_queries(["CES 0000000001"], 2020, 2024, KEYED_LIMITS)


def test_series_beyond_the_cap_are_not_served(http_server: LocalServer, warehouse: Warehouse) -> None:
    http_server.route(
        API_PATH, FakeBls({CES: [Point(2024, "M01", "1")], JOLTS: [Point(2024, "M01", "2")]}, limits=(1, 20))
    )
    pull = client(http_server).pull([CES, JOLTS], 2024, 2024, budget(warehouse))
    assert pull.final() == {CES: Outcome.OK, JOLTS: Outcome.NOT_SERVED}
    assert pull.unsettled() == {JOLTS}


def test_run_share_caps_the_queries_of_a_run(http_server: LocalServer, warehouse: Warehouse) -> None:
    ids = [f"CEU{i:08d}01" for i in range(120)]
    http_server.route(API_PATH, FakeBls({sid: [Point(2024, "M01", "1")] for sid in ids}))
    run_budget = budget(warehouse, limit=500, share=0.01)  # 5 queries of 500
    pull = client(http_server).pull(ids, 1995, 2024, run_budget)
    assert pull.queries_sent == 5 == len(http_server.requests)
    assert {o.outcome for o in pull.outcomes if o.start_year == 1995} >= {Outcome.BUDGET_EXHAUSTED}
    assert run_budget.used_today() == 5
    assert budget(warehouse, limit=500, share=0.01).remaining() == 5  # a new run gets its own share


def test_overload_is_retried_within_the_bound(http_server: LocalServer, warehouse: Warehouse) -> None:
    ok = answer(
        "REQUEST_SUCCEEDED",
        [],
        [{"seriesID": CES, "data": [{"year": "2024", "period": "M01", "value": "5", "footnotes": [{}]}]}],
    )
    http_server.route(
        API_PATH,
        [
            Response(503, b"busy"),
            Response(200, answer("REQUEST_FAILED_OVER_CAPACITY", ["try later"])),
            Response(200, ok),
        ],
    )
    day_budget = budget(warehouse)
    pull = client(http_server, retries=2).pull([CES], 2024, 2024, day_budget)
    assert pull.final() == {CES: Outcome.OK}
    assert pull.queries_sent == 3 == day_budget.used_today()  # every attempt is counted


def test_retries_are_bounded(http_server: LocalServer, warehouse: Warehouse) -> None:
    http_server.route(API_PATH, Response(503, b"busy"))
    pull = client(http_server, retries=2).pull([CES], 2024, 2024, budget(warehouse))
    assert len(http_server.requests) == 3
    (outcome,) = pull.outcomes
    assert outcome.outcome is Outcome.UNAVAILABLE and outcome.messages == ("HTTP 503",)


def test_html_from_a_firewall_is_unavailable_not_data(http_server: LocalServer, warehouse: Warehouse) -> None:
    http_server.route(
        API_PATH, Response(200, b"<!doctype html><title>Access Denied</title>", {"Content-Type": "text/html"})
    )
    pull = client(http_server).pull([CES], 2024, 2024, budget(warehouse))
    (outcome,) = pull.outcomes
    assert outcome.outcome is Outcome.UNAVAILABLE
    assert "not JSON" in outcome.messages[0]
    assert len(http_server.requests) == 1


def test_json_in_the_wrong_shape_is_malformed(http_server: LocalServer, warehouse: Warehouse) -> None:
    bad = {
        "status": "REQUEST_SUCCEEDED",
        "message": [],
        "Results": {"series": [{"seriesID": CES, "data": [{"year": "24"}]}]},
    }
    http_server.route(API_PATH, Response(200, json.dumps(bad)))
    pull = client(http_server).pull([CES], 2024, 2024, budget(warehouse), on_answer=lambda r: "sha-1")
    (outcome,) = pull.outcomes
    assert outcome.outcome is Outcome.MALFORMED
    assert "lacks year, period or value" in outcome.messages[0] and "sha-1" in outcome.messages[0]


def test_results_wrapped_in_a_list_as_in_the_docs(http_server: LocalServer, warehouse: Warehouse) -> None:
    doc = {
        "status": "REQUEST_SUCCEEDED",
        "responseTime": 30,
        "message": [],
        "Results": [
            {
                "series": [
                    {
                        "seriesID": CES,
                        "data": [{"year": "2024", "period": "M02", "value": "7", "footnotes": [{}]}],
                    }
                ]
            }
        ],
    }
    http_server.route(API_PATH, Response(200, json.dumps(doc)))
    pull = client(http_server).pull([CES], 2024, 2024, budget(warehouse))
    assert rows_of(pull.observations, CES) == [(2024, "M02", 7.0, "7", None)]


def test_the_key_is_redacted_from_archived_answers(http_server: LocalServer, warehouse: Warehouse) -> None:
    http_server.route(API_PATH, FakeBls({}, threshold_after=0))
    seen: list[bytes] = []
    client(http_server).pull(
        [CES], 2024, 2024, budget(warehouse), on_answer=lambda r: seen.append(r.body) or None
    )
    assert seen and KEY.encode() not in seen[0] and b"<redacted>" in seen[0]


def test_an_unknown_period_code_makes_the_answer_malformed(
    http_server: LocalServer, warehouse: Warehouse
) -> None:
    http_server.route(API_PATH, FakeBls({CES: [Point(2024, "M14", "1")]}))
    pull = client(http_server).pull([CES], 2024, 2024, budget(warehouse))
    (outcome,) = pull.outcomes
    assert outcome.outcome is Outcome.MALFORMED and "'M14' is not a BLS period code" in outcome.messages[0]
    assert pull.observations.is_empty()
