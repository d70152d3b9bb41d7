"""Runs laborwatch DAGs with dag.test() in a process of its own, for tests/dags.

Airflow reads its configuration (AIRFLOW_HOME, metadata DB) when first imported, so the DAG tests run
here, in a child process with a private AIRFLOW_HOME, instead of inside pytest. Usage:

    python tests/dags/dag_runner.py STEPS.json OUT.json

STEPS is a list of {"kind": "setup" | "dagbag" | "dag" | "digest", ...}; OUT gets one result per step.
"""

from __future__ import annotations

import json
import os
import sys
import time
from datetime import datetime
from pathlib import Path

DIGEST_TABLES = (
    "staging.postings",
    "raw.bls_observations",
    "marts.watch_signals",
    "marts.role_states",
    "marts.role_scores",
    "marts.alerts",
    "marts.alert_deliveries",
)
HEAVY = ("polars", "duckdb", "great_expectations", "pyarrow", "laborwatch.pipeline")


def setup() -> dict:
    """A fresh metadata DB and the single-slot writer pool every warehouse task runs in."""
    from airflow.models.pool import Pool
    from airflow.utils import db

    db.initdb()
    Pool.create_or_update_pool("duckdb_writer", 1, "DuckDB single writer", include_deferred=False)
    return {"pools": sorted(p.pool for p in Pool.get_pools())}


def _bag():
    from airflow.dag_processing.dagbag import BundleDagBag

    folder = Path(os.environ["AIRFLOW__CORE__DAGS_FOLDER"])
    return BundleDagBag(dag_folder=folder, bundle_path=folder, bundle_name="dags-folder")


def dagbag() -> dict:
    """What the DAG processor sees; run before any task so the heavy-import check means something."""
    started = time.perf_counter()
    bag = _bag()
    return {
        "import_errors": {str(k): str(v) for k, v in bag.import_errors.items()},
        "dag_ids": sorted(bag.dag_ids),
        "seconds": time.perf_counter() - started,
        "heavy_modules": [m for m in HEAVY if m in sys.modules],
        "dags": {
            dag_id: {
                "doc_md": bool(dag.doc_md),
                "schedule": str(dag.timetable),
                "tasks": {
                    t.task_id: {
                        "pool": t.pool,
                        "retries": t.retries,
                        "timeout": t.execution_timeout.total_seconds() if t.execution_timeout else None,
                        "outlets": [a.name for a in t.outlets],
                    }
                    for t in dag.tasks
                },
            }
            for dag_id, dag in bag.dags.items()
        },
    }


def run_dag(dag_id: str, logical_date: str, conf: dict | None) -> dict:
    from airflow.utils.session import create_session

    dag = _bag().get_dag(dag_id)
    for task in dag.tasks:  # a failure should fail the test now, not after the retry delays
        task.retries = 0
    started = time.perf_counter()
    run = dag.test(logical_date=datetime.fromisoformat(logical_date), run_conf=conf)
    with create_session() as session:
        tis = run.get_task_instances(session=session)
        states = {
            ti.task_id + (f"[{ti.map_index}]" if ti.map_index >= 0 else ""): str(ti.state) for ti in tis
        }
    return {"state": str(run.state), "tasks": states, "seconds": time.perf_counter() - started}


def digest(warehouse: str) -> dict:
    from warehouse.snapshot import open_read_only

    con = open_read_only(Path(warehouse))
    try:
        out = {}
        for table in DIGEST_TABLES:
            rows, md5 = con.execute(
                f"SELECT count(*), md5(coalesce(string_agg(t::VARCHAR, '|' ORDER BY t::VARCHAR), '')) FROM {table} t"
            ).fetchone()
            out[table] = {"rows": rows, "md5": md5}
        return out
    finally:
        con.close()


def main(steps_path: str, out_path: str) -> None:
    results = []
    for step in json.loads(Path(steps_path).read_text()):
        kind = step["kind"]
        try:
            if kind == "setup":
                result = setup()
            elif kind == "dagbag":
                result = dagbag()
            elif kind == "dag":
                result = run_dag(step["dag_id"], step["logical_date"], step.get("conf"))
            else:
                result = digest(step["warehouse"])
        except Exception as exc:  # noqa: BLE001 - reported to the test, which fails on it
            result = {"error": f"{type(exc).__name__}: {exc}"}
        results.append({"step": step, "result": result})
        Path(out_path).write_text(json.dumps(results, indent=1, default=str))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
