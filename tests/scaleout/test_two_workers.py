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

import pytest

from laborwatch.demo_market import build_market
from laborwatch.demo_server import DemoServer
from laborwatch.settings import load_settings
from tests.scaleout.airflow_deployment import ROOT, Deployment
from tests.scaleout.pipeline_runs import (
    assert_same_marts,
    delivered,
    ducklake_config,
    duplicates,
    embedded_config,
    open_warehouse,
    run_weeks,
)
from tests.scaleout.services import fresh_database, libpq, require_redis

pytestmark = pytest.mark.scaleout

SCENARIO = "strengthen"
MARKET_WEEKS = 8
WEEKS = (0, 1)  # the weeks replayed, one postings_ingest run (and its outlook run) each
BOARDS_PER_SOURCE = 1
WORKERS = 2
PROBE_WRITERS = 8


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
        embedded_toml = embedded_dir / "laborwatch.toml"
        embedded_toml.write_text(embedded_config(server, embedded_dir, BOARDS_PER_SOURCE))

        lake_dir = tmp / "lake"
        lake_dir.mkdir()
        lake_config = lake_dir / "laborwatch.toml"
        lake_config.write_text(
            ducklake_config(server, lake_dir, f"postgres:{libpq(lake_db)}", BOARDS_PER_SOURCE)
        )
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
                "embedded": load_settings(embedded_toml),
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

    with open_warehouse(stack["probe"]) as wh:
        assert duplicates(wh) == {}
        weeks = wh.query("SELECT week, value FROM marts.watch_signals WHERE role_id = 'probe' ORDER BY week")
    assert weeks.height == PROBE_WRITERS + 1  # one row per writer, plus the one they all raced for
    assert weeks["value"].to_list() == [float(i) for i in range(PROBE_WRITERS)] + [-1.0]


def test_postings_and_outlook_on_two_workers_equal_an_embedded_run(stack: dict) -> None:
    deployment: Deployment = stack["deployment"]
    market = stack["market"]
    started = time.monotonic()
    run_weeks(stack["embedded"], market, WEEKS)
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

    with open_warehouse(stack["embedded"]) as embedded, open_warehouse(stack["lake"]) as lake:
        rows = assert_same_marts(lake, embedded)
    assert rows["watch_signals"] and rows["role_scores"], rows
    assert rows["alerts"], "no alerts to compare: choose weeks in which some fire"
    stack["timings"]["rows"] = rows
    ours, theirs = delivered(stack["lake"]), delivered(stack["embedded"])
    assert ours.is_duplicated().sum() == 0, "an alert was delivered twice to the file channel"
    assert sorted(ours) == sorted(theirs)
    print(f"\nscale-out timings: {stack['timings']} (start {deployment.timings.get('start', 0):.0f}s)")
    print(f"retried task instances: {retried or 'none'}; at {datetime.now():%H:%M:%S}")
