"""The whole BLS step against a local server: API, EP workbook, OEWS zips and calendar in real layouts."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import polars as pl
import pytest

from laborwatch.ingest_bls import bls_day, ingest_bls, load_bls_batch, releases_due
from laborwatch.role_cards import load_role_cards
from laborwatch.settings import ENV_BLS_KEY, Settings
from tests.bls.builders import calendar_ics, ep_workbook, oews_zip
from tests.bls.fake_bls import API_PATH, FakeBls, Point
from tests.local_http import LocalServer, Request, Response
from warehouse.db import Warehouse

KEY = "fedcba9876543210fedcba9876543210"
CES = "CES6054150001"
JOLTS_INFO = "JTS510000000000000JOL"
JOLTS_PBS = "JTS540099000000000JOL"
OEWS = {dt: f"OEUN0000000000000152051{dt}" for dt in ("01", "04", "11", "13", "15")}
AS_OF = datetime(2026, 8, 1, 12, 0)
CALENDAR = "/schedule/news_release/bls.ics"
PROJECTIONS = "/emp/ind-occ-matrix/occupation.xlsx"
OEWS_FILES = ["/oes/special-requests/oesm24nat.zip", "/oes/special-requests/oesm23nat.zip"]


def api_data() -> dict[str, list[Point]]:
    monthly = [
        Point(y, f"M{m:02d}", f"{2500 + y - 2017 + m / 10:.1f}")
        for y in range(2017, 2026)
        for m in range(1, 13)
    ]
    monthly += [
        Point(2026, f"M{m:02d}", f"{2590 + m:.1f}", [{"code": "P", "text": "preliminary"}]) for m in (1, 2, 3)
    ]
    monthly += [Point(y, "M13", f"{2500 + y - 2017:.1f}") for y in range(2017, 2026)]
    jolts = [
        Point(y, f"M{m:02d}", f"{300 + m}")
        for y in range(2017, 2027)
        for m in range(1, 13)
        if (y, m) < (2026, 6)
    ]
    values = {"01": "233440", "04": "124590", "11": "63650", "13": "112590", "15": "194410"}
    data = {
        CES: monthly,
        JOLTS_INFO: jolts,
        JOLTS_PBS: [Point(p.year, p.period, str(int(p.value) * 4)) for p in jolts],
    }
    data |= {sid: [Point(2024, "A01", values[dt])] for dt, sid in OEWS.items()}
    return data


class Bls:
    """The BLS hosts on one local server: API, calendar, EP workbook, OEWS zips (with ETags)."""

    def __init__(self, server: LocalServer) -> None:
        self.server = server
        self.api = FakeBls(api_data())
        self.files = {
            CALENDAR: (calendar_ics(), "text/calendar"),
            PROJECTIONS: (ep_workbook(), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
            OEWS_FILES[0]: (oews_zip(2024), "application/zip"),
            OEWS_FILES[1]: (oews_zip(2023), "application/zip"),
        }
        server.route(API_PATH, self.api)
        for path in self.files:
            server.route(path, self._file(path))

    def _file(self, path: str):
        def serve(request: Request) -> Response:
            body, kind = self.files[path]
            etag = f'"{hash(body) & 0xFFFFFFFF:x}"'
            if request.headers.get("If-None-Match") == etag:
                return Response(304, b"", {"ETag": etag})
            return Response(
                200,
                body,
                {"Content-Type": kind, "ETag": etag, "Last-Modified": "Thu, 28 Aug 2025 14:00:00 GMT"},
            )

        return serve

    def requests_to(self, path: str) -> list[Request]:
        return [r for r in self.server.requests if r.path == path]


@pytest.fixture
def bls(http_server: LocalServer, settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[Bls]:
    monkeypatch.setenv(ENV_BLS_KEY, KEY)
    settings.bls.base_url = http_server.url
    settings.bls.calendar_url = http_server.url + CALENDAR
    settings.bls.projections_url = http_server.url + PROJECTIONS
    settings.bls.oews_urls = [http_server.url + p for p in OEWS_FILES]
    settings.http.backoff_seconds = 0.001
    settings.http.max_retries = 1
    yield Bls(http_server)


CARDS = load_role_cards()


def counts(wh: Warehouse) -> dict[str, int]:
    tables = ["raw.bls_observations", "staging.projections", "staging.bls_releases", "staging.bls_series",
              "staging.bls_footnotes", "raw.quarantine"]  # fmt: skip
    return {t: wh.scalar(f"SELECT count(*) FROM {t}") for t in tables}


def test_first_ingest_loads_every_part(bls: Bls, settings: Settings, warehouse: Warehouse) -> None:
    report = ingest_bls(settings, warehouse, CARDS, AS_OF, force=True)

    assert report.errors == [] and report.quarantined == []
    assert report.programs_pulled == ["CES", "EP", "JOLTS", "OEWS"]
    assert report.queries_sent == 1  # 8 series × 10 years fit one keyed query
    assert report.outcomes == {"ok": 8}
    body = bls.api.bodies[0]
    assert (body["startyear"], body["endyear"]) == ("2017", "2026") and len(body["seriesid"]) == 8
    n = counts(warehouse)
    api_rows = sum(len(v) for v in api_data().values())
    assert n["raw.bls_observations"] == report.observations_new == api_rows - 5 + 2 * 4 * 15
    # The API's 2024 OEWS points and the 2024 file's are one observation each: the API row is kept.
    assert (n["staging.projections"], n["staging.bls_releases"], n["staging.bls_series"]) == (3, 7, 8)
    latest = warehouse.query(
        "SELECT year, value, source FROM bls_observations WHERE series_id = ? ORDER BY year", [OEWS["01"]]
    ).rows()
    assert latest == [(2023, 233440.0, "oews_file"), (2024, 233440.0, "api")]
    ds = warehouse.query("SELECT * FROM projections WHERE soc_code = '15-2051'").row(0, named=True)
    assert (ds["edition"], ds["employment_base"], ds["openings_annual"]) == ("2024-34", 245_900.0, 23_400.0)
    assert warehouse.scalar("SELECT count(*) FROM raw.fetches WHERE source = 'bls'") == 5  # 1 API + 4 files
    assert settings.http.contact in bls.requests_to(API_PATH)[0].headers["User-Agent"]
    health = warehouse.query(
        "SELECT board, status, rows FROM source_health WHERE source = 'bls' ORDER BY board"
    )
    assert health["status"].unique().to_list() == ["ok"]
    assert health["board"].to_list() == ["CALENDAR", "CES", "EP", "JOLTS", "OEWS"]
    assert report.schedule["CES"] == {
        "last_release": "2026-01-09T13:30:00Z",
        "next_release": "2026-08-07T12:30:00Z",
    }
    assert (
        warehouse.scalar("SELECT queries FROM raw.bls_query_budget WHERE day = ?", [bls_day(datetime.now())])
        == 1
    )


def test_rerun_adds_nothing(bls: Bls, settings: Settings, warehouse: Warehouse) -> None:
    ingest_bls(settings, warehouse, CARDS, AS_OF, force=True)
    before = counts(warehouse)
    snapshot = warehouse.query("SELECT * FROM bls_observation_vintages ORDER BY ALL")
    again = ingest_bls(settings, warehouse, CARDS, AS_OF, force=True)

    assert again.observations_new == 0 and again.projections_changed == 0 and again.releases_changed == 0
    assert counts(warehouse) == before
    assert warehouse.query("SELECT * FROM bls_observation_vintages ORDER BY ALL").equals(snapshot)
    # The files were asked for conditionally the second time and came back 304.
    assert bls.requests_to(PROJECTIONS)[-1].headers.get("If-None-Match")


def test_a_revised_value_adds_exactly_one_vintage(bls: Bls, settings: Settings, warehouse: Warehouse) -> None:
    ingest_bls(settings, warehouse, CARDS, AS_OF, force=True)
    before = counts(warehouse)["raw.bls_observations"]
    march = next(p for p in bls.api.data[CES] if (p.year, p.period) == (2026, "M03"))
    march.value, march.footnotes = "2599.9", []  # revised, no longer preliminary
    report = ingest_bls(settings, warehouse, CARDS, AS_OF, force=True)

    assert report.observations_new == 1
    assert counts(warehouse)["raw.bls_observations"] == before + 1
    vintages = warehouse.query(
        "SELECT value, footnote_codes FROM bls_observation_vintages "
        "WHERE series_id = ? AND year = 2026 AND period = 'M03' ORDER BY retrieved_at",
        [CES],
    ).rows()
    assert vintages == [(2593.0, "P"), (2599.9, None)]
    latest = warehouse.query(
        "SELECT value, footnote_codes FROM bls_observations WHERE series_id = ? AND year = 2026 AND period = 'M03'",
        [CES],
    ).rows()
    assert latest == [(2599.9, None)]
    assert ingest_bls(settings, warehouse, CARDS, AS_OF, force=True).observations_new == 0


def test_releases_decide_what_is_pulled(bls: Bls, settings: Settings, warehouse: Warehouse) -> None:
    assert releases_due(settings, warehouse, AS_OF) == ["CES", "EP", "JOLTS", "OEWS"]  # never pulled
    ingest_bls(settings, warehouse, CARDS, AS_OF, force=True)
    assert releases_due(settings, warehouse, AS_OF) == []
    # Employment Situation at 08:30 EDT on 7 Aug 2026 = 12:30 UTC; it counts 30 minutes later.
    assert releases_due(settings, warehouse, datetime(2026, 8, 7, 12, 45)) == []
    assert releases_due(settings, warehouse, datetime(2026, 8, 7, 13, 0)) == ["CES"]
    late_august = datetime(2026, 8, 28, 9, 0)
    assert releases_due(settings, warehouse, late_august) == ["CES", "EP"]

    bls.api.bodies.clear()
    report = ingest_bls(settings, warehouse, CARDS, late_august)
    assert report.programs_due == ["CES", "EP"] and report.programs_pulled == ["CES", "EP"]
    assert bls.api.bodies[0]["seriesid"] == [CES]  # only the released program's series
    assert releases_due(settings, warehouse, late_august) == []


def test_the_key_never_reaches_logs_archive_or_warehouse(
    bls: Bls, settings: Settings, warehouse: Warehouse, caplog: pytest.LogCaptureFixture
) -> None:
    bls.api.threshold_after = 0  # the refusal message echoes the registration key
    caplog.set_level(logging.DEBUG)
    report = ingest_bls(settings, warehouse, CARDS, AS_OF, force=True)

    assert report.outcomes == {"threshold_refused": 8}
    assert json.loads(bls.requests_to(API_PATH)[0].body)["registrationkey"] == KEY  # it was sent, in the body
    assert KEY not in caplog.text
    assert KEY not in json.dumps(report.__dict__, default=str)
    for table in warehouse.query(
        "SELECT table_schema || '.' || table_name AS t FROM information_schema.tables"
    )["t"].to_list():
        assert KEY not in str(warehouse.query(f"SELECT * FROM {table}").rows()), table
    for path in Path(warehouse.data_dir).rglob("*"):
        if path.is_file():
            assert KEY.encode() not in path.read_bytes(), path
    archived = warehouse.scalar("SELECT count(*) FROM raw.fetches WHERE board = 'api'")
    assert archived == 1


def test_a_refused_or_unfinished_program_is_pulled_again(
    bls: Bls, settings: Settings, warehouse: Warehouse
) -> None:
    bls.api.threshold_after = 0
    first = ingest_bls(settings, warehouse, CARDS, AS_OF, force=True)
    assert first.programs_pulled == ["EP"]  # the files came in; no API program settled
    assert "OEWS" not in first.programs_pulled  # its files loaded, its API series did not
    assert releases_due(settings, warehouse, AS_OF) == ["CES", "JOLTS", "OEWS"]
    health = dict(warehouse.query("SELECT board, status FROM source_health WHERE source = 'bls'").rows())
    assert health["CES"] == health["JOLTS"] == health["OEWS"] == "fetch_error"  # an alert, not a silent zero


def test_run_share_of_the_daily_budget(bls: Bls, settings: Settings, warehouse: Warehouse) -> None:
    settings.bls.series = [f"CEU{i:08d}01" for i in range(140)]  # 148 series → 3 queries per window
    settings.bls.daily_query_limit = 4
    settings.bls.run_query_share = 0.5
    settings.bls.oews_urls, settings.bls.projections_url, settings.bls.calendar_url = [], None, None
    first = ingest_bls(settings, warehouse, CARDS, AS_OF, force=True)
    second = ingest_bls(settings, warehouse, CARDS, AS_OF, force=True)
    third = ingest_bls(settings, warehouse, CARDS, AS_OF, force=True)

    assert (first.queries_sent, second.queries_sent, third.queries_sent) == (2, 2, 0)
    assert third.budget_used_today == 4 == len(bls.api.bodies)
    assert "budget_exhausted" in third.outcomes


def test_a_bad_batch_is_quarantined_and_the_rest_loads(
    bls: Bls, settings: Settings, warehouse: Warehouse
) -> None:
    bls.api.data[JOLTS_INFO][0].value = "n/a"  # not a number and not a typed gap
    report = ingest_bls(settings, warehouse, CARDS, AS_OF, force=True)

    assert len(report.quarantined) == 1 and "JOLTS: batch quarantined" in report.errors[0]
    assert "JOLTS" not in report.programs_pulled and "CES" in report.programs_pulled
    assert warehouse.scalar("SELECT count(*) FROM raw.bls_observations WHERE series_id LIKE 'JT%'") == 0
    assert warehouse.scalar("SELECT count(*) FROM raw.bls_observations WHERE series_id = ?", [CES]) > 0
    held = warehouse.query("SELECT stage, board, batch_path FROM raw.quarantine").row(0, named=True)
    assert (held["stage"], held["board"]) == ("expectations", "JOLTS")
    # Releasing the batch after review loads it through the same loader, once.
    batch = pl.read_parquet(held["batch_path"])
    loaded = load_bls_batch(warehouse, batch, batch["retrieved_at"].max())
    assert loaded == batch.height
    assert load_bls_batch(warehouse, batch, batch["retrieved_at"].max()) == 0


def test_an_unparseable_file_is_quarantined(bls: Bls, settings: Settings, warehouse: Warehouse) -> None:
    page = b"<!doctype html><title>Access Denied</title>"
    bls.files[PROJECTIONS] = (page, "text/html")
    report = ingest_bls(settings, warehouse, CARDS, AS_OF, force=True)

    assert "EP" not in report.programs_pulled and "CES" in report.programs_pulled
    held = warehouse.query("SELECT stage, board, reason, payload_refs FROM raw.quarantine").row(0, named=True)
    assert (held["stage"], held["board"]) == ("parse", "EP")
    assert "not an .xlsx workbook" in held["reason"]
    health = dict(warehouse.query("SELECT board, status FROM source_health WHERE source = 'bls'").rows())
    assert health == {"CALENDAR": "ok", "CES": "ok", "EP": "parse_error", "JOLTS": "ok", "OEWS": "ok"}
    sha = json.loads(held["payload_refs"])[0]
    assert warehouse.scalar("SELECT bytes FROM raw.payloads WHERE sha256 = ?", [sha]) == len(
        page
    )  # kept, not lost


def test_measures_view_joins_observations_to_the_catalog(
    bls: Bls, settings: Settings, warehouse: Warehouse
) -> None:
    ingest_bls(settings, warehouse, CARDS, AS_OF, force=True)
    rows = warehouse.query(
        "SELECT measure, period_kind, period_start, value FROM bls_measures "
        "WHERE soc_code = '15-2051' AND year = 2024 ORDER BY measure"
    ).rows()
    assert [r[0] for r in rows] == ["employment", "mean_wage", "median_wage", "p10_wage", "p90_wage"]
    assert {r[1] for r in rows} == {"annual"} and rows[0][3] == 233440.0
    ces = warehouse.query(
        "SELECT period, period_kind, period_start FROM bls_measures WHERE series_id = ? AND year = 2025 "
        "AND period IN ('M02', 'M13') ORDER BY period",
        [CES],
    ).rows()
    assert [(p, k, d.isoformat()) for p, k, d in ces] == [
        ("M02", "month", "2025-02-01"),
        ("M13", "annual_average", "2025-01-01"),
    ]
    assert warehouse.columns("bls_observations")[:6] == [
        "series_id",
        "year",
        "period",
        "value",
        "footnote_codes",
        "retrieved_at",
    ]


def test_a_malformed_api_answer_is_quarantined(bls: Bls, settings: Settings, warehouse: Warehouse) -> None:
    bad = {"status": "REQUEST_SUCCEEDED", "message": [], "Results": {"series": "none"}}
    bls.server.route(API_PATH, Response(200, json.dumps(bad)))
    report = ingest_bls(settings, warehouse, CARDS, AS_OF, force=True)

    assert report.outcomes == {"malformed": 8}
    held = warehouse.query("SELECT stage, board, reason, payload_refs FROM raw.quarantine").row(0, named=True)
    assert (held["stage"], held["board"]) == ("parse", "api")
    assert "Results.series` is not a list" in held["reason"]
    sha = json.loads(held["payload_refs"])[0]
    assert warehouse.scalar("SELECT count(*) FROM raw.payloads WHERE sha256 = ?", [sha]) == 1
    health = dict(warehouse.query("SELECT board, status FROM source_health WHERE source = 'bls'").rows())
    assert health["CES"] == "parse_error" and health["EP"] == "ok"
