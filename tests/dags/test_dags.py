"""The Airflow DAGs: they parse thin, and each runs to success with dag.test() on the demo market.

Airflow runs in a child process (tests/dags/dag_runner.py) with a private AIRFLOW_HOME and a fresh
SQLite metadata DB that has the single-slot `duckdb_writer` pool, against the demo server on
127.0.0.1 and a temporary warehouse. One child runs the whole sequence (import check, the two ingest
DAGs, outlook twice for the same logical date) so Airflow starts once.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from laborwatch.demo_market import build_market
from laborwatch.demo_server import DemoServer

ROOT = Path(__file__).resolve().parents[2]
RUNNER = Path(__file__).with_name("dag_runner.py")
WEEK = 2
WRITERS = {
    "load_postings",
    "check_releases",
    "ingest_bls",
    "compute_outlook",
    "fire_alerts",
    "publish_snapshot",
}


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> dict:
    tmp = tmp_path_factory.mktemp("dags")
    market = build_market("steady", 8)
    market.set_week(WEEK)
    warehouse = tmp / "lw" / "warehouse.duckdb"
    logical = market.as_of(WEEK).isoformat()
    with DemoServer(market) as server:
        config = tmp / "laborwatch.toml"
        config.write_text(
            server.config_toml(warehouse, tmp / "lw", tmp / "lw" / "alerts.jsonl", boards_per_source=2)
        )
        steps = [
            {"kind": "dagbag"},
            {"kind": "setup"},
            {"kind": "dag", "dag_id": "postings_ingest", "logical_date": logical},
            {"kind": "dag", "dag_id": "bls_releases", "logical_date": logical},
            {"kind": "digest", "warehouse": str(warehouse)},
            {"kind": "dag", "dag_id": "outlook", "logical_date": logical},
            {"kind": "digest", "warehouse": str(warehouse)},
            {"kind": "dag", "dag_id": "outlook", "logical_date": logical},
            {"kind": "digest", "warehouse": str(warehouse)},
        ]
        (tmp / "steps.json").write_text(json.dumps(steps))
        env = {
            **os.environ,
            "AIRFLOW_HOME": str(tmp / "airflow_home"),
            "AIRFLOW__CORE__DAGS_FOLDER": str(ROOT / "dags"),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{tmp / 'airflow.db'}",
            "LABORWATCH_CONFIG": str(config),
        }
        done = subprocess.run(
            [sys.executable, str(RUNNER), str(tmp / "steps.json"), str(tmp / "out.json")],
            env=env,
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=900,
        )
    out = tmp / "out.json"
    assert out.exists(), done.stderr[-4000:]
    results = json.loads(out.read_text())
    assert len(results) == len(steps), done.stderr[-4000:]
    return {
        "results": [r["result"] for r in results],
        "stderr": done.stderr,
        "snapshot": tmp / "lw" / "snapshot",
    }


def _ok(result: dict, stderr: str) -> dict:
    assert "error" not in result, result["error"] + "\n" + stderr[-3000:]
    return result


def test_every_dag_imports_without_errors_and_without_heavy_imports(runs):
    bag = _ok(runs["results"][0], runs["stderr"])
    assert bag["import_errors"] == {}
    assert bag["dag_ids"] == ["bls_releases", "outlook", "postings_ingest"]
    assert bag["heavy_modules"] == []  # polars, duckdb, GX are imported inside tasks only


def test_dags_document_themselves_and_bound_every_task(runs):
    dags = runs["results"][0]["dags"]
    for dag_id, dag in dags.items():
        assert dag["doc_md"], dag_id
        for task_id, task in dag["tasks"].items():
            assert task["timeout"] and task["retries"] >= 1, (dag_id, task_id)
            assert (task["pool"] == "duckdb_writer") == (task_id in WRITERS), (dag_id, task_id, task["pool"])
    assert (
        "laborwatch_postings" in dags["outlook"]["schedule"]
        and "laborwatch_bls" in dags["outlook"]["schedule"]
    )
    assert dags["postings_ingest"]["tasks"]["load_postings"]["outlets"] == ["laborwatch_postings"]
    assert dags["bls_releases"]["tasks"]["ingest_bls"]["outlets"] == ["laborwatch_bls"]


def test_postings_ingest_maps_one_task_per_board_and_loads(runs):
    _ok(runs["results"][1], runs["stderr"])
    run = _ok(runs["results"][2], runs["stderr"])
    assert run["state"] == "success", run
    fetches = [t for t in run["tasks"] if t.startswith("fetch_board[")]
    assert len(fetches) == 2 + 2 + 2 + 2 + 1 + 1 + 2  # two boards per source where there are two
    assert all(state == "success" for state in run["tasks"].values()), run["tasks"]
    assert runs["results"][4]["staging.postings"]["rows"] > 20


def test_bls_releases_pulls_on_first_run(runs):
    run = _ok(runs["results"][3], runs["stderr"])
    assert run["state"] == "success" and run["tasks"]["ingest_bls"] == "success", run
    assert runs["results"][4]["raw.bls_observations"]["rows"] > 0


def test_outlook_runs_and_publishes_the_snapshot(runs):
    run = _ok(runs["results"][5], runs["stderr"])
    assert run["state"] == "success", run
    assert set(run["tasks"]) == {"compute_outlook", "fire_alerts", "publish_snapshot"}
    after = runs["results"][6]
    assert after["marts.role_scores"]["rows"] > 0 and after["marts.watch_signals"]["rows"] > 0
    assert (runs["snapshot"] / "analyst.duckdb").exists()


def test_outlook_twice_for_the_same_logical_date_changes_nothing(runs):
    second = _ok(runs["results"][7], runs["stderr"])
    assert second["state"] == "success", second
    assert runs["results"][8] == runs["results"][6]
