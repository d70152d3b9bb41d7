"""Postings ingest end to end: local HTTP server -> real client -> archive -> gate -> DuckDB."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from laborwatch.ingest_postings import (
    fetch_board,
    ingest_postings,
    load_landed,
    load_postings_batch,
    read_manifest,
    release_parse_quarantine,
)
from laborwatch.settings import Settings
from tests.ingest import payloads as P
from tests.ingest.conftest import AS_OF
from tests.ingest.market import GREENHOUSE_PATH, Market
from tests.local_http import LocalServer, Response
from warehouse.archive import payload_path
from warehouse.db import Warehouse

AUDIT = {"raw.fetches", "marts.validation_runs"}  # every request and every validation is an event


def dump(wh: Warehouse, skip: set[str] = AUDIT) -> dict[str, list[str]]:
    tables = wh.con.execute(
        "SELECT table_schema || '.' || table_name FROM information_schema.tables "
        "WHERE table_type = 'BASE TABLE' AND table_schema IN ('raw', 'staging', 'marts') ORDER BY 1"
    ).fetchall()
    return {
        t: sorted(map(repr, wh.con.execute(f"SELECT * FROM {t}").fetchall()))
        for (t,) in tables
        if t not in skip
    }


def postings(wh: Warehouse) -> dict[str, dict]:
    rows = wh.query("SELECT * FROM postings ORDER BY posting_key").to_dicts()
    return {r["posting_key"]: r for r in rows}


def health(wh: Warehouse, run: datetime = AS_OF) -> dict[tuple[str, str], str]:
    rows = wh.query("SELECT source, board, status FROM source_health WHERE run = ?", [run.date().isoformat()])
    return {(r["source"], r["board"]): r["status"] for r in rows.to_dicts()}


@pytest.fixture
def market(http_server: LocalServer) -> Market:
    m = Market(http_server)
    m.serve()
    return m


@pytest.fixture
def run(
    market: Market,
    configure: Callable[..., Settings],
    open_warehouse: Callable[[Settings], Warehouse],
    cards: list,
) -> Callable[..., tuple[Settings, Warehouse, object]]:
    state: dict = {}

    def go(
        as_of: datetime = AS_OF, sources: dict | None = None, only: tuple[str, ...] = ()
    ) -> tuple[Settings, Warehouse, object]:
        if only:
            sources = {name: table for name, table in market.sources().items() if name in only}
        if "settings" not in state or sources is not None:
            state["settings"] = configure(sources or market.sources())
            state.setdefault("wh", open_warehouse(state["settings"]))
        report = ingest_postings(state["settings"], state["wh"], as_of, cards)
        return state["settings"], state["wh"], report

    return go


def test_seven_sources_land_in_the_postings_view(run, market: Market) -> None:
    settings, wh, report = run()
    assert {b.status for b in report.boards} == {"ok"}, report.summary()
    rows = postings(wh)
    assert sorted(rows) == sorted(
        [
            "ashby:b3e7d2c1-0001",
            "greenhouse:4001",
            "greenhouse:4002",
            f"jsonld:127.0.0.1:{market.server.httpd.server_address[1]}:J-77",
            "hn:9101",
            "lever:8f1c2a9e-0001",
            "remoteok:98765",
            "themuse:11223344",
            "themuse:11223355",
        ]
    )
    for row in rows.values():
        assert row["description_text"] and "<" not in row["description_text"], row["posting_key"]
        assert row["url"].startswith("http"), row["posting_key"]
        assert row["first_seen"] == row["last_seen"] == AS_OF and row["closed_at"] is None
        assert row["classifier_version"] and row["seniority"] in {"intern", "entry", "mid", "senior", "lead"}
        assert payload_path(settings.data_dir, row["payload_sha256"]).exists(), "every payload archived"

    def fields(key: str, *names: str) -> tuple:
        return tuple(rows[key][n] for n in names)

    common = ("title", "company", "location", "salary_min", "salary_max", "salary_currency")
    assert fields("greenhouse:4001", *common, "url") == (
        "Senior Machine Learning Engineer",
        "ExampleCo",
        "San Francisco, CA",
        180000.0,
        220000.0,
        "USD",
        "https://boards.greenhouse.io/exampleco/jobs/4001",
    )
    assert fields("lever:8f1c2a9e-0001", *common, "salary_interval") == (
        "Machine Learning Engineer",
        "leverco",
        "Boston, MA",
        150000.0,
        190000.0,
        "USD",
        "year",
    )
    assert fields("ashby:b3e7d2c1-0001", *common, "remote") == (
        "Applied Scientist",
        "ashco",
        "Remote - US",
        160000.0,
        210000.0,
        "USD",
        True,
    )
    jsonld_key = next(k for k in rows if k.startswith("jsonld:"))
    assert fields(jsonld_key, "title", "company", "location", "company_key") == (
        "Research Engineer",
        "ExampleCo, Inc.",
        "Austin, TX, US",
        "exampleco",
    )
    assert fields("hn:9101", *common, "url") == (
        "Machine Learning Engineer",
        "Acme Robotics",
        "Boston, MA",
        170000.0,
        210000.0,
        "USD",
        "https://news.ycombinator.com/item?id=9101",
    )
    assert fields("remoteok:98765", *common, "remote") == (
        "ML Engineer",
        "DataWorks",
        "Worldwide",
        120000.0,
        160000.0,
        "USD",
        True,
    )
    assert fields("themuse:11223355", "title", "company", "location", "remote") == (
        "Senior Data Scientist",
        "MuseCorp",
        "Flexible / Remote",
        True,
    )
    assert rows["greenhouse:4001"]["seniority"] == "senior"
    assert "deployment" in rows["greenhouse:4001"]["tags"]
    assert "Benefits: health, dental & 401(k)." in rows["greenhouse:4001"]["description_text"]
    # raw: every fetch indexed (HN: user, probed story, thread, 3 comments), every parsed record kept
    assert wh.scalar("SELECT count(*) FROM raw.fetches WHERE source = 'hn'") == 6
    assert wh.scalar("SELECT count(*) FROM raw.postings") == 10  # 9 postings + the JSON-LD copy of 4001
    assert wh.scalar("SELECT count(*) FROM raw.payloads") == wh.scalar(
        "SELECT count(DISTINCT sha256) FROM raw.fetches"
    )
    assert set(health(wh).values()) == {"ok"} and len(health(wh)) == 7


def test_the_same_job_on_greenhouse_and_a_jsonld_page_is_one_posting(run, market: Market) -> None:
    both = ("greenhouse", "jsonld")
    _, wh, _ = run(only=both)
    copies = wh.query("SELECT posting_key FROM postings WHERE title = 'Senior Machine Learning Engineer'")
    assert copies["posting_key"].to_list() == ["greenhouse:4001"]
    aliases = wh.query("SELECT source, board, posting_key FROM staging.posting_aliases").rows()
    assert aliases == [("jsonld", market.page_url, "greenhouse:4001")]
    assert wh.scalar("SELECT count(DISTINCT company_key) FROM postings WHERE company_key = 'exampleco'") == 1

    # Greenhouse drops it but the career page still lists it: still open. Then the page drops it too.
    week2, week3 = AS_OF + timedelta(days=7), AS_OF + timedelta(days=14)
    market.jobs["greenhouse"] = market.jobs["greenhouse"][1:]
    market.serve()
    run(week2, only=both)
    row = postings(wh)["greenhouse:4001"]
    assert (row["last_seen"], row["closed_at"]) == (week2, None)
    market.jobs["jsonld"] = market.jobs["jsonld"][1:]
    market.serve()
    run(week3, only=both)
    assert postings(wh)["greenhouse:4001"]["closed_at"] == week3


def test_running_the_same_ingest_twice_changes_nothing(run, market: Market) -> None:
    _, wh, _ = run()
    before = dump(wh)
    fetches = wh.scalar("SELECT count(*) FROM raw.fetches")
    _, _, report = run()
    assert dump(wh) == before
    assert report.new == 0 and report.closed == 0
    assert wh.scalar("SELECT count(*) FROM raw.fetches") == 2 * fetches, (
        "the second run's requests are logged"
    )


def test_unchanged_boards_answer_304_and_stay_seen(run, market: Market) -> None:
    market.etags = True
    market.serve()
    _, wh, _ = run()
    raw_before = wh.scalar("SELECT count(*) FROM raw.postings")
    later = AS_OF + timedelta(days=7)
    _, _, report = run(later)
    assert {b.status for b in report.boards} == {"ok"}
    assert wh.scalar("SELECT count(*) FROM raw.fetches WHERE status = 304") >= 7
    assert wh.scalar("SELECT count(*) FROM raw.postings") == raw_before, "a 304 is not parsed again"
    assert {r["last_seen"] for r in postings(wh).values()} == {later}
    assert all(r["closed_at"] is None for r in postings(wh).values())


def test_a_dropped_posting_closes_and_a_returning_one_reopens(run, market: Market) -> None:
    week2, week3 = AS_OF + timedelta(days=7), AS_OF + timedelta(days=14)
    run(only=("greenhouse",))
    dropped = market.jobs["greenhouse"].pop(1)
    market.serve()
    _, wh, report = run(week2, only=("greenhouse",))
    gh = next(b for b in report.boards if b.source == "greenhouse")
    assert (gh.status, gh.closed) == ("ok", 1)
    row = postings(wh)["greenhouse:4002"]
    assert (row["first_seen"], row["last_seen"], row["closed_at"]) == (AS_OF, AS_OF, week2)
    market.jobs["greenhouse"].append(dropped)
    market.serve()
    run(week3, only=("greenhouse",))
    row = postings(wh)["greenhouse:4002"]
    assert (row["first_seen"], row["last_seen"], row["closed_at"]) == (AS_OF, week3, None)
    assert wh.scalar("SELECT count(*) FROM postings WHERE source_id = '4002'") == 1


def test_a_board_that_drops_to_zero_is_flagged_and_closes_nothing(run, market: Market) -> None:
    run(only=("greenhouse",))
    market.jobs["greenhouse"] = []
    market.serve()
    week2 = AS_OF + timedelta(days=7)
    _, wh, _ = run(week2, only=("greenhouse",))
    row = wh.query(
        "SELECT status, rows, error FROM source_health WHERE source = 'greenhouse' AND run = ?",
        [week2.date().isoformat()],
    ).row(0)
    assert row[0] == "dropped_to_zero" and row[1] == 0 and "2 were open" in row[2]
    assert postings(wh)["greenhouse:4002"]["closed_at"] is None


def test_a_board_never_having_postings_is_empty(run, market: Market) -> None:
    market.jobs["remoteok"] = []
    market.serve()
    _, wh, _ = run(only=("remoteok",))
    assert health(wh)[("remoteok", "all")] == "empty"


def test_muse_page_cap_is_a_partial_view_that_closes_nothing(run, market: Market) -> None:
    sources = {"themuse": {"boards": ["Data Science"], "max_pages": 5}}
    _, wh, _ = run(sources=sources)
    assert wh.scalar("SELECT count(*) FROM postings WHERE source = 'themuse'") == 2
    sources["themuse"]["max_pages"] = 1  # the second job sits beyond the cap now
    _, wh, report = run(AS_OF + timedelta(days=1), sources=sources)
    assert report.boards[0].status == "ok" and report.boards[0].closed == 0
    assert all(r["closed_at"] is None for r in postings(wh).values())


def test_a_crash_mid_load_leaves_the_warehouse_as_it_was(
    market: Market, configure, open_warehouse, cards, tmp_path: Path
) -> None:
    settings = configure(market.sources())
    wh = open_warehouse(settings)
    good = fetch_board(settings, "greenhouse", "exampleco", AS_OF)
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"version": 1, "source": "workday", "board": "x", "fetches": []}))
    before = dump(wh, skip=set())
    with pytest.raises(KeyError, match="unknown postings source 'workday'"):
        load_landed(settings, wh, [good, bad], AS_OF, cards)
    assert dump(wh, skip=set()) == before
    load_landed(settings, wh, [good], AS_OF, cards)
    assert wh.scalar("SELECT count(*) FROM postings") == 2


def test_fetch_board_writes_a_manifest_and_touches_no_database(market: Market, configure) -> None:
    settings = configure(market.sources())
    path = fetch_board(settings, "hn", "whoishiring", AS_OF)
    assert not settings.warehouse_path.exists()
    manifest = read_manifest(path)
    assert (manifest["source"], manifest["board"], manifest["as_of"], manifest["complete"]) == (
        "hn",
        "whoishiring",
        AS_OF.isoformat(),
        True,
    )
    urls = [f["url"].removeprefix(market.server.url) for f in manifest["fetches"]]
    assert urls == [
        "/v0/user/whoishiring.json",
        "/v0/item/9003.json",
        "/v0/item/9001.json",
        "/v0/item/9101.json",
        "/v0/item/9190.json",
        "/v0/item/9191.json",
    ]
    for entry in manifest["fetches"]:
        assert entry["status"] == 200 and entry["error"] is None
        assert payload_path(settings.data_dir, entry["sha256"]).exists()
        assert entry["headers"]["Content-Type"] == "application/json"


def test_load_postings_batch_is_idempotent(market: Market, configure, open_warehouse, cards) -> None:
    from ingest.records import records_frame
    from ingest.sources import greenhouse
    from warehouse.archive import Fetch

    settings = configure(market.sources())
    wh = open_warehouse(settings)
    body = P.greenhouse(market.jobs["greenhouse"])
    df = records_frame(
        greenhouse.parse(Fetch(url="http://x/y", fetched_at=AS_OF, status=200, body=body), "exampleco")
    )
    assert load_postings_batch(settings, wh, df, AS_OF, cards, "greenhouse", "exampleco") == 2
    before = dump(wh)
    assert load_postings_batch(settings, wh, df, AS_OF, cards, "greenhouse", "exampleco") == 2
    assert dump(wh) == before


def test_release_of_a_payload_that_still_does_not_parse_is_refused(run, market: Market) -> None:
    market.server.route(GREENHOUSE_PATH, Response(200, b'{"jobs": [{"id": 1, "tit'))
    settings, wh, _ = run(only=("greenhouse",))
    (qid,) = wh.query("SELECT quarantine_id FROM quarantine WHERE stage = 'parse'")["quarantine_id"]
    with pytest.raises(ValueError, match="still does not parse"):
        release_parse_quarantine(settings, wh, qid, AS_OF, [])
    with pytest.raises(ValueError, match="no parse-stage quarantine"):
        release_parse_quarantine(settings, wh, "q-nope", AS_OF, [])


def test_progress_is_shown_on_stderr(run, market: Market, capsys: pytest.CaptureFixture[str]) -> None:
    settings, wh, _ = run(only=("remoteok",))
    ingest_postings(settings, wh, AS_OF, [], progress=True)
    err = capsys.readouterr().err
    assert "[1/1] remoteok all: 1 request(s) (200)" in err
    assert "remoteok   all" in err and "total: rows=1" in err


def test_a_payload_held_at_parse_is_released_once(run, market: Market, cards) -> None:
    from warehouse import postings_load

    settings, wh, _ = run(only=("remoteok",))
    (sha,) = wh.query("SELECT DISTINCT payload_sha256 FROM raw.postings")["payload_sha256"]
    wh.con.execute("DELETE FROM staging.postings")
    wh.con.execute("DELETE FROM staging.posting_sightings")
    wh.con.execute("DELETE FROM raw.postings")
    # As an older parser would have left it: the payload archived, held at the parse stage.
    postings_load.quarantine_payload(
        wh,
        quarantine_id="p-test",
        created_at=AS_OF,
        source="remoteok",
        board="all",
        reason="old parser bug",
        sha256=sha,
        path=str(payload_path(settings.data_dir, sha)),
        snippet="[",
    )
    assert release_parse_quarantine(settings, wh, "p-test", AS_OF, cards) == 1
    assert list(postings(wh)) == ["remoteok:98765"]
    assert wh.scalar("SELECT released_at IS NOT NULL FROM raw.quarantine WHERE quarantine_id = 'p-test'")
    before = dump(wh)
    assert release_parse_quarantine(settings, wh, "p-test", AS_OF, cards) == 0
    assert dump(wh) == before


def test_a_run_loads_all_its_boards_at_once_with_each_boards_own_lifecycle(
    market: Market, configure, open_warehouse, cards
) -> None:
    """One set-based load of every board: a board landed twice in the run is one listing (one
    health row); the board whose fetch fails closes nothing while another one's complete fetch
    closes what it dropped; the same run loaded again changes nothing."""
    settings = configure(market.sources())
    wh = open_warehouse(settings)
    first = [
        fetch_board(settings, s, b, AS_OF) for s, b in (("greenhouse", "exampleco"), ("lever", "leverco"))
    ]
    load_landed(settings, wh, first, AS_OF, cards)
    week2 = AS_OF + timedelta(days=7)
    market.jobs["greenhouse"] = market.jobs["greenhouse"][:1]
    market.jobs["lever"] = []
    market.serve()
    market.server.route(GREENHOUSE_PATH, Response(200, b"{}", {"Content-Type": "application/json"}))
    broken = fetch_board(settings, "greenhouse", "exampleco", week2)
    market.serve()
    lever = [fetch_board(settings, "lever", "leverco", week2) for _ in range(2)]
    report = load_landed(settings, wh, [broken, *lever], week2, cards)
    assert [(b.source, b.status) for b in report.boards] == [
        ("greenhouse", "parse_error"),
        ("lever", "dropped_to_zero"),
    ]
    assert health(wh, week2) == {
        ("greenhouse", "exampleco"): "parse_error",
        ("lever", "leverco"): "dropped_to_zero",
    }
    assert all(r["closed_at"] is None for r in postings(wh).values())
    fixed = fetch_board(settings, "greenhouse", "exampleco", week2)
    report = load_landed(settings, wh, [fixed, *lever], week2, cards)
    assert {b.source: (b.status, b.closed) for b in report.boards} == {
        "greenhouse": ("ok", 1),
        "lever": ("dropped_to_zero", 0),
    }
    closed = {k for k, r in postings(wh).items() if r["closed_at"] is not None}
    assert closed == {"greenhouse:4002"}
    before = dump(wh)
    load_landed(settings, wh, [fixed, *lever], week2, cards)
    assert dump(wh) == before
