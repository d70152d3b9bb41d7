"""Drive the real scaled deployment (deploy/scaleout.py) from a test: start it, talk to its REST API,
read its metadata database, and stop every process it started, whatever happened.

The test uses the same script as `make scaleout`, on private names so it cannot meet a developer's
deployment on the same machine: its own AIRFLOW_HOME, PostgreSQL databases, Redis database, Celery
queue, worker names, API port and log-server ports.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.scaleout.services import PG_HOST, PG_PORT, PG_USER, REDIS_HOST, REDIS_PORT

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "deploy" / "scaleout.py"
TERMINAL = {"success", "failed"}


def free_port(span: int = 1) -> int:
    """A port p with p .. p+span-1 all free on loopback right now."""
    for _ in range(200):
        base = secrets.randbelow(20000) + 30000
        try:
            for port in range(base, base + span):
                with socket.socket() as sock:
                    sock.bind(("127.0.0.1", port))
            return base
        except OSError:
            continue
    raise RuntimeError("no free port range found")


class Deployment:
    """One private scaled deployment: `start()`, use, `stop()` (idempotent; also kills stragglers)."""

    def __init__(
        self, home: Path, dags: Path, config: Path, airflow_db: str, workers: int, extra: dict[str, str]
    ):
        self.home = home
        self.workers = workers
        self.tag = f"lwt{secrets.token_hex(3)}"
        self.airflow_db = airflow_db
        self.redis_db = 11
        self.env = {
            **os.environ,
            "LABORWATCH_SCALEOUT_HOME": str(home),
            "LABORWATCH_PGHOST": PG_HOST,
            "LABORWATCH_PGPORT": str(PG_PORT),
            "LABORWATCH_PGUSER": PG_USER,
            "LABORWATCH_AIRFLOW_DB": airflow_db,
            "LABORWATCH_REDIS_URL": f"redis://{REDIS_HOST}:{REDIS_PORT}/{self.redis_db}",
            "LABORWATCH_API_PORT": str(free_port()),
            "LABORWATCH_WORKER_LOG_PORT": str(free_port(workers)),
            "LABORWATCH_CELERY_QUEUE": self.tag,
            "LABORWATCH_WORKER_PREFIX": f"{self.tag}w",
            "LABORWATCH_DAGS_FOLDER": str(dags),
            "LABORWATCH_CONFIG": str(config),
            "LABORWATCH_DAG_REFRESH_SECONDS": "5",
            **extra,
        }
        self.base_url = f"http://127.0.0.1:{self.env['LABORWATCH_API_PORT']}"
        self._token: str | None = None
        self.timings: dict[str, float] = {}

    # ------------------------------------------------------------------------------ lifecycle
    def _script(self, *args: str, timeout: float) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, str(SCRIPT), *args],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )

    def start(self) -> None:
        started = time.monotonic()
        done = self._script("start", "--workers", str(self.workers), "--timeout", "240", timeout=600)
        self.timings["start"] = time.monotonic() - started
        if done.returncode:
            raise AssertionError(f"scaleout start failed:\n{done.stdout}\n{done.stderr}\n{self.log_tails()}")

    def pid_groups(self) -> list[int]:
        return [int(p.read_text().split()[0]) for p in (self.home / "run").glob("*.pid")]

    def stop(self) -> None:
        """The script's own stop, then SIGKILL for any process group of ours still alive."""
        groups = self.pid_groups()
        try:
            self._script("stop", "--timeout", "30", timeout=120)
        finally:
            for pgid in groups:
                try:
                    os.killpg(pgid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            self._forget_queue()

    def _forget_queue(self) -> None:
        """Delete the Redis keys Celery made for this deployment's private queue (nothing else)."""
        import redis

        client = redis.Redis(host=REDIS_HOST, port=REDIS_PORT, db=self.redis_db)
        try:
            client.delete(self.tag, f"_kombu.binding.{self.tag}", f"_kombu.binding_permanent.{self.tag}")
        finally:
            client.close()

    def alive_groups(self, groups: list[int]) -> list[int]:
        alive = []
        for pgid in groups:
            try:
                os.killpg(pgid, 0)
                alive.append(pgid)
            except ProcessLookupError:
                pass
        return alive

    def log_tails(self, lines: int = 25) -> str:
        out = []
        for log in sorted((self.home / "logs" / "services").glob("*.log")):
            tail = log.read_text(errors="replace").splitlines()[-lines:]
            out.append(f"--- {log.name}\n" + "\n".join(tail))
        return "\n".join(out)

    # ------------------------------------------------------------------------------ REST API
    def _password(self) -> str:
        path = self.home / "simple_auth_manager_passwords.json.generated"
        return json.loads(path.read_text())["admin"]

    def api(self, method: str, path: str, body: Any = None) -> Any:
        if self._token is None:
            self._token = self._request(
                "POST", "/auth/token", {"username": "admin", "password": self._password()}
            )["access_token"]
        return self._request(method, f"/api/v2{path}", body, self._token)

    def _request(self, method: str, path: str, body: Any = None, token: str | None = None) -> Any:
        request = urllib.request.Request(
            self.base_url + path,
            data=json.dumps(body).encode() if body is not None else None,
            method=method,
            headers={
                "Content-Type": "application/json",
                **({"Authorization": f"Bearer {token}"} if token else {}),
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return json.load(response)
        except urllib.error.HTTPError as exc:
            raise AssertionError(f"{method} {path}: HTTP {exc.code}: {exc.read()[:2000]!r}") from exc

    def wait_for(self, what: str, ready: Callable[[], Any], timeout: float, every: float = 2.0) -> Any:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            value = ready()
            if value:
                return value
            time.sleep(every)
        raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}\n{self.diagnostics()}")

    def wait_for_dags(self, dag_ids: list[str], timeout: float = 180) -> None:
        def parsed() -> bool:
            found = {d["dag_id"] for d in self.api("GET", "/dags?limit=100")["dags"]}
            return set(dag_ids) <= found

        self.wait_for(f"the dag processor to parse {dag_ids}", parsed, timeout)
        for dag_id in dag_ids:
            self.api("PATCH", f"/dags/{dag_id}", {"is_paused": False})

    def trigger(self, dag_id: str, conf: dict | None = None) -> str:
        run_id = f"test__{dag_id}__{secrets.token_hex(4)}"
        self.api(
            "POST",
            f"/dags/{dag_id}/dagRuns",
            {"dag_run_id": run_id, "logical_date": None, "conf": conf or {}},
        )
        return run_id

    def runs(self, dag_id: str) -> list[dict]:
        return self.api("GET", f"/dags/{dag_id}/dagRuns?limit=100&order_by=run_after")["dag_runs"]

    def wait_run(self, dag_id: str, run_id: str, timeout: float) -> dict:
        run = self.wait_for(
            f"{dag_id} run {run_id}",
            lambda: (r := self.api("GET", f"/dags/{dag_id}/dagRuns/{run_id}"))["state"] in TERMINAL and r,
            timeout,
        )
        assert run["state"] == "success", f"{dag_id} {run_id} ended {run['state']}\n{self.diagnostics()}"
        return run

    # ------------------------------------------------------------------------------ metadata
    def sql(self, query: str, params: tuple = ()) -> list[tuple]:
        import psycopg2

        con = psycopg2.connect(host=PG_HOST, port=PG_PORT, user=PG_USER, dbname=self.airflow_db)
        try:
            with con.cursor() as cur:
                cur.execute(query, params)
                return cur.fetchall()
        finally:
            con.close()

    def task_instances(self, dag_ids: list[str]) -> list[dict]:
        rows = self.sql(
            "SELECT dag_id, run_id, task_id, map_index, state, try_number, queue, pool, external_executor_id "
            "FROM task_instance WHERE dag_id = ANY(%s) ORDER BY dag_id, run_id, task_id, map_index",
            (dag_ids,),
        )
        keys = (
            "dag_id",
            "run_id",
            "task_id",
            "map_index",
            "state",
            "try_number",
            "queue",
            "pool",
            "celery_id",
        )
        return [dict(zip(keys, row, strict=True)) for row in rows]

    def celery_tasks_by_worker(self) -> dict[str, set[str]]:
        """Celery task id → the worker that received it, read from each worker's own log."""
        received = re.compile(r"Task execute_workload\[([0-9a-f-]+)\] received")
        found: dict[str, set[str]] = {}
        for i in range(1, self.workers + 1):
            name = f"{self.env['LABORWATCH_WORKER_PREFIX']}{i}"
            log = self.home / "logs" / "services" / f"worker{i}.log"
            text = log.read_text(errors="replace") if log.exists() else ""
            found[name] = set(received.findall(text))
        return found

    def diagnostics(self) -> str:
        try:
            rows = self.sql(
                "SELECT dag_id, run_id, task_id, map_index, state, try_number FROM task_instance "
                "ORDER BY start_date NULLS LAST"
            )
            states = "\n".join(" ".join(str(v) for v in row) for row in rows[-40:])
        except Exception as exc:  # noqa: BLE001 - diagnostics must never mask the real failure
            states = f"(metadata DB unreadable: {exc})"
        return f"task instances:\n{states}\n{self.log_tails()}"

    def task_log(self, dag_id: str, run_id: str, task_id: str, map_index: int = -1) -> str:
        base = self.home / "logs" / f"dag_id={dag_id}" / f"run_id={run_id}" / f"task_id={task_id}"
        if map_index >= 0:
            base = base / f"map_index={map_index}"
        return "\n".join(p.read_text(errors="replace") for p in sorted(base.glob("attempt=*.log")))
