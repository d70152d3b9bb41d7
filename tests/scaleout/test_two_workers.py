"""The scaled deployment end to end: CeleryExecutor (Redis broker, PostgreSQL metadata) with two
workers, the warehouse on DuckLake, the real DAGs on the demo market.

It starts the deployment with deploy/scaleout.py (what `make scaleout` runs), then

1. runs a probe DAG of eight mapped tasks that write one DuckLake warehouse at the same time, and
   checks that both workers ran some of them and that every key is there exactly once;
2. triggers postings_ingest week by week on the demo market (outlook follows on its Asset), and checks
   that both workers ran tasks, that watch_signals, role_scores and alerts in the lake equal an
   embedded DuckDB run of the same steps on the same data, and that nothing was written twice.

Every process the deployment started is stopped (SIGKILL as a last resort) and its databases dropped,
also when a check fails.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import polars as pl
import pytest

from laborwatch import pipeline
from laborwatch.demo_market import build_market
from laborwatch.demo_server import DemoServer
from laborwatch.settings import Settings, load_settings
from tests.scaleout.airflow_deployment import ROOT, Deployment
from tests.scaleout.services import fresh_database, libpq, require_redis
from warehouse.db import Warehouse

pytestmark = pytest.mark.scaleout

SCENARIO = "strengthen"
MARKET_WEEKS = 8
WEEKS = (0, 1, 2)  # the weeks replayed, one postings_ingest run (and its outlook run) each
BOARDS_PER_SOURCE = 1
WORKERS = 2
COMPARED = {
    "watch_signals": "SELECT * FROM watch_signals ORDER BY role_id, week, signal",
    "role_scores": "SELECT * FROM role_scores ORDER BY role_id, as_of",
    "alerts": "SELECT * FROM alerts ORDER BY alert_id",
}
PROBE_WRITERS = 8


def _ducklake_config(server: DemoServer, data_dir: Path, catalog: str) -> str:
    text = server.config_toml(
        data_dir / "unused.duckdb", data_dir, data_dir / "alerts.jsonl", BOARDS_PER_SOURCE
    )
    lake = f'[warehouse]\nbackend = "ducklake"\nducklake_catalog = "{catalog}"\n'
    return text.replace("[warehouse]\n", lake, 1)


def _run_embedded(settings: Settings, market, weeks: tuple[int, ...]) -> None:
    """What the DAGs do per week, in order, in this process: fetch every board, load, outlook, alerts,
    snapshot (postings_ingest, then the outlook run its Asset triggers)."""
    boards = [(s.name, b) for s in settings.sources.values() if s.enabled for b in s.boards]
    for week in weeks:
        market.set_week(week)
        as_of = market.as_of(week)
        manifests = [pipeline.fetch_board(settings, source, board, as_of) for source, board in boards]
        pipeline.load_postings(settings, manifests, as_of)
        pipeline.compute_outlook(settings, as_of)
        pipeline.fire_alerts(settings, as_of)
        pipeline.publish(settings)


@pytest.fixture(scope="module")
def stack(tmp_path_factory) -> Iterator[dict]:
    """The demo market server, an embedded reference run, and the running two-worker deployment."""
    require_redis()
    tmp = tmp_path_factory.mktemp("scaleout")
    market = build_market(SCENARIO, MARKET_WEEKS)
    with (
        fresh_database("laborwatch_test_airflow") as airflow_db,
        fresh_database("laborwatch_test_lake") as lake_db,
        fresh_database("laborwatch_test_probe") as probe_db,
        DemoServer(market) as server,
    ):
        embedded_dir = tmp / "embedded"
        embedded_dir.mkdir()
        embedded_config = embedded_dir / "laborwatch.toml"
        embedded_config.write_text(
            server.config_toml(
                embedded_dir / "warehouse.duckdb",
                embedded_dir,
                embedded_dir / "alerts.jsonl",
                BOARDS_PER_SOURCE,
            )
        )

        lake_dir = tmp / "lake"
        lake_dir.mkdir()
        lake_config = lake_dir / "laborwatch.toml"
        lake_config.write_text(_ducklake_config(server, lake_dir, f"postgres:{libpq(lake_db)}"))
        probe_config = tmp / "probe.toml"
        probe_config.write_text(
            f'[warehouse]\nbackend = "ducklake"\nducklake_catalog = "postgres:{libpq(probe_db)}"\n'
            f'data_dir = "{tmp / "probe"}"\n'
        )
        dags = tmp / "dags"
        shutil.copytree(ROOT / "dags", dags, ignore=shutil.ignore_patterns("__pycache__"))
        shutil.copy(Path(__file__).with_name("probe_dags") / "lw_probe.py", dags)
        deployment = Deployment(
            tmp / "airflow_home",
            dags,
            lake_config,
            airflow_db,
            WORKERS,
            {
                "LABORWATCH_PROBE_CONFIG": str(probe_config),
                # Only the test starts runs: no cron run may add data the embedded run lacks.
                "LABORWATCH_POSTINGS_SCHEDULE": "none",
                "LABORWATCH_BLS_SCHEDULE": "none",
            },
        )
        groups: list[int] = []
        try:
            deployment.start()
            groups = deployment.pid_groups()
            deployment.wait_for_dags(["lw_probe", "postings_ingest", "outlook"])
            yield {
                "deployment": deployment,
                "market": market,
                "embedded": load_settings(embedded_config),
                "lake": load_settings(lake_config),
                "probe": load_settings(probe_config),
                "timings": {},
            }
        finally:
            deployment.stop()
            assert deployment.alive_groups(groups) == [], "processes of the deployment survived stop"


def _by_worker(deployment: Deployment, tis: list[dict]) -> dict[str, int]:
    received = deployment.celery_tasks_by_worker()
    counts = {worker: 0 for worker in received}
    for ti in tis:
        owners = [worker for worker, ids in received.items() if ti["celery_id"] in ids]
        assert len(owners) == 1, f"{ti['task_id']}[{ti['map_index']}] was received by {owners or 'no worker'}"
        counts[owners[0]] += 1
    return counts


def _duplicates(wh: Warehouse) -> dict[str, int]:
    found = {}
    for table, key in wh.keys.items():
        extra = wh.scalar(f"SELECT count(*) - count(DISTINCT ({', '.join(key)})) FROM {table}")
        if extra:
            found[table] = extra
    return found


def _delivered(settings: Settings) -> pl.Series:
    """alert_id of every record the file channel wrote."""
    path = Path(settings.alerts_file)
    lines = [line for line in path.read_text().splitlines() if line.strip()] if path.exists() else []
    return pl.Series("alert_id", lines, dtype=pl.String).str.json_path_match("$.alert_id")


def _open(settings: Settings) -> Warehouse:
    return Warehouse.open(
        settings.warehouse_path,
        settings.data_dir,
        backend=settings.backend,
        ducklake_catalog=settings.ducklake_catalog,
        ducklake_data_path=settings.ducklake_data_path,
    )


def test_concurrent_writers_on_two_workers_keep_every_key_once(stack: dict) -> None:
    deployment: Deployment = stack["deployment"]
    started = time.monotonic()
    run_id = deployment.trigger("lw_probe")
    deployment.wait_run("lw_probe", run_id, timeout=600)
    stack["timings"]["probe_dag"] = time.monotonic() - started

    tis = deployment.task_instances(["lw_probe"])
    assert len(tis) == PROBE_WRITERS and {ti["state"] for ti in tis} == {"success"}
    assert {ti["queue"] for ti in tis} == {deployment.tag}
    per_worker = _by_worker(deployment, tis)
    assert all(per_worker.values()), f"a worker ran no probe task: {per_worker}"

    with _open(stack["probe"]) as wh:
        assert _duplicates(wh) == {}
        weeks = wh.query("SELECT week, value FROM marts.watch_signals WHERE role_id = 'probe' ORDER BY week")
    assert weeks.height == PROBE_WRITERS + 1  # one row per writer, plus the one they all raced for
    assert weeks["value"].to_list() == [float(i) for i in range(PROBE_WRITERS)] + [-1.0]


def test_postings_and_outlook_on_two_workers_equal_an_embedded_run(stack: dict) -> None:
    deployment: Deployment = stack["deployment"]
    market = stack["market"]
    started = time.monotonic()
    _run_embedded(stack["embedded"], market, WEEKS)
    stack["timings"]["embedded_run"] = time.monotonic() - started
    started = time.monotonic()
    for n, week in enumerate(WEEKS, 1):
        market.set_week(week)
        as_of = market.as_of(week).isoformat()
        run_id = deployment.trigger("postings_ingest", {"as_of": as_of})
        deployment.wait_run("postings_ingest", run_id, timeout=900)
        # outlook is scheduled on the postings Asset: exactly one run per ingest, as of the same date.
        outlook = deployment.wait_for(
            f"outlook run {n}",
            lambda n=n: (
                len(runs := deployment.runs("outlook")) >= n
                and all(r["state"] in ("success", "failed") for r in runs)
                and runs
            ),
            timeout=900,
        )
        assert len(outlook) == n and outlook[-1]["state"] == "success", deployment.diagnostics()
    stack["timings"]["dag_runs"] = time.monotonic() - started

    tis = deployment.task_instances(["postings_ingest", "outlook"])
    assert {ti["state"] for ti in tis} <= {"success", "skipped"}, deployment.diagnostics()
    per_worker = _by_worker(deployment, [ti for ti in tis if ti["state"] == "success"])
    assert all(per_worker.values()), f"a worker ran no pipeline task: {per_worker}"
    stack["timings"]["tasks_per_worker"] = per_worker
    retried = [f"{ti['task_id']}[{ti['map_index']}]" for ti in tis if ti["try_number"] > 1]

    with _open(stack["embedded"]) as embedded, _open(stack["lake"]) as lake:
        assert lake.backend == "ducklake" and embedded.backend == "duckdb"
        for view, query in COMPARED.items():
            ours, theirs = lake.query(query), embedded.query(query)
            assert theirs.height > 0 or view == "alerts", f"the embedded run produced no {view}"
            assert ours.equals(theirs), f"{view} differs:\n{ours}\n{theirs}"
        assert embedded.scalar("SELECT count(*) FROM alerts") > 0, "no alerts to compare: pick other weeks"
        assert _duplicates(lake) == {}
        for table in ("staging.postings", "raw.postings", "marts.alert_deliveries", "marts.source_health"):
            count = f"SELECT count(*) FROM {table}"
            assert lake.scalar(count) == embedded.scalar(count), table
        stack["timings"]["rows"] = {view: lake.scalar(f"SELECT count(*) FROM {view}") for view in COMPARED}

    ours, theirs = _delivered(stack["lake"]), _delivered(stack["embedded"])
    assert ours.is_duplicated().sum() == 0, "an alert was delivered twice to the file channel"
    assert sorted(ours) == sorted(theirs)
    print(f"\nscale-out timings: {stack['timings']} (start {deployment.timings.get('start', 0):.0f}s)")
    print(f"retried task instances: {retried or 'none'}; at {datetime.now():%H:%M:%S}")
