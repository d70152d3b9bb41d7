"""Start and stop laborwatch's scaled Airflow deployment on this machine's PostgreSQL and Redis.

    python deploy/scaleout.py start [--workers N] [--env FILE]   # scheduler, api-server, dag-processor, N workers
    python deploy/scaleout.py status
    python deploy/scaleout.py stop [--timeout SECONDS]

Why a script and not `airflow standalone`: standalone runs the LocalExecutor on SQLite, one machine,
one writer. Here the executor is Celery (Redis broker, PostgreSQL metadata and results), each worker is
a separate `airflow celery worker` with its own Celery hostname (`worker<i>@<host>`) and log-server
port, and the warehouse is expected on DuckLake so that those workers can write at once.

Configuration comes from deploy/airflow-celery.env (values overridable from the environment) and
AIRFLOW_HOME is project-local: $LABORWATCH_SCALEOUT_HOME or <repo>/airflow_home/scaleout. Every
process started is recorded in $AIRFLOW_HOME/run/<name>.pid with its start time, so `stop` ends exactly
those processes (their whole process group) and never an unrelated one that reused a pid.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DEFAULT_ENV_FILE = REPO / "deploy" / "airflow-celery.env"
BIN = Path(sys.executable).parent
STOP_ORDER = ("scheduler", "dag-processor", "worker", "api-server")  # stop scheduling first, API last
_VAR = re.compile(r"\$\{(\w+)(?::-((?:[^{}]|\{[^{}]*\})*))?\}")


class DeployError(RuntimeError):
    """The deployment cannot start or stop; the message says what is wrong and where to look."""


# ---------------------------------------------------------------------------------------- config
def read_env_file(path: Path, environ: dict[str, str]) -> dict[str, str]:
    """KEY=VALUE lines with ${NAME} / ${NAME:-default} expansion; NAME from `environ` or earlier lines."""
    values: dict[str, str] = {}

    def expand(text: str) -> str:
        def one(match: re.Match[str]) -> str:
            name, default = match.group(1), match.group(2)
            found = environ.get(name) or values.get(name)
            return found if found else expand(default or "")

        return _VAR.sub(one, text)

    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if "=" not in line:
            raise DeployError(f"{path}:{number}: expected KEY=VALUE, got {line!r}")
        key, value = line.split("=", 1)
        values[key.strip()] = expand(value.strip())
    return values


def airflow_home(environ: dict[str, str] | None = None) -> Path:
    environ = os.environ if environ is None else environ
    return Path(environ.get("LABORWATCH_SCALEOUT_HOME") or REPO / "airflow_home" / "scaleout").resolve()


def _secrets(home: Path) -> dict[str, str]:
    """JWT secret, Fernet key and API secret: generated once per deployment, never in the repo."""
    path = home / "secrets.env"
    if not path.exists():
        from cryptography.fernet import Fernet

        home.mkdir(parents=True, exist_ok=True)
        body = (
            f"AIRFLOW__API_AUTH__JWT_SECRET={secrets.token_urlsafe(48)}\n"
            f"AIRFLOW__API__SECRET_KEY={secrets.token_urlsafe(32)}\n"
            f"AIRFLOW__CORE__FERNET_KEY={Fernet.generate_key().decode()}\n"
        )
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(body)
    return read_env_file(path, {})


def deployment_env(env_file: Path = DEFAULT_ENV_FILE, base: dict[str, str] | None = None) -> dict[str, str]:
    """The environment every component runs with: the caller's, then the env file, then the secrets."""
    env = dict(os.environ if base is None else base)
    env.setdefault("LABORWATCH_REPO", str(REPO))
    home = airflow_home(env)
    env.update(read_env_file(env_file, env))
    env.update(_secrets(home))
    env["AIRFLOW_HOME"] = str(home)
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    return env


# -------------------------------------------------------------------------------------- services
def _pg_connect(env: dict[str, str], dbname: str = "postgres"):
    import psycopg2

    try:
        con = psycopg2.connect(
            host=env["LABORWATCH_PGHOST"],
            port=int(env["LABORWATCH_PGPORT"]),
            user=env["LABORWATCH_PGUSER"],
            dbname=dbname,
            connect_timeout=5,
        )
    except psycopg2.OperationalError as exc:
        raise DeployError(
            f"PostgreSQL is not reachable at {env['LABORWATCH_PGHOST']}:{env['LABORWATCH_PGPORT']} "
            f"as {env['LABORWATCH_PGUSER']}: {str(exc).strip()}"
        ) from exc
    con.autocommit = True
    return con


def ensure_database(env: dict[str, str], name: str) -> bool:
    """Create PostgreSQL database `name` if it does not exist; True if it was created."""
    con = _pg_connect(env)
    try:
        with con.cursor() as cur:
            cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
            if cur.fetchone():
                return False
            cur.execute(f'CREATE DATABASE "{name}"')
            return True
    finally:
        con.close()


def check_redis(url: str) -> None:
    match = re.match(r"redis://(?:[^@/]*@)?([^:/]+)(?::(\d+))?", url)
    if not match:
        raise DeployError(f"broker URL {url!r} is not a redis:// URL")
    host, port = match.group(1), int(match.group(2) or 6379)
    try:
        with socket.create_connection((host, port), timeout=5) as sock:
            sock.sendall(b"PING\r\n")
            reply = sock.recv(64)
    except OSError as exc:
        raise DeployError(f"Redis is not reachable at {host}:{port}: {exc}") from exc
    if not reply.startswith((b"+PONG", b"-NOAUTH")):
        raise DeployError(f"{host}:{port} did not answer PING like Redis: {reply[:40]!r}")


def _catalog_database(catalog: str) -> str | None:
    match = re.match(r"postgres:.*\bdbname=(\S+)", catalog)
    return match.group(1) if match else None


def prepare_warehouse(env: dict[str, str]) -> str:
    """Create the DuckLake catalog database if needed and migrate the warehouse once, before any worker
    opens it (workers could do it themselves, but a failure is clearer here than in a task log)."""
    sys.path.insert(0, str(REPO))
    from laborwatch.pipeline import open_warehouse
    from laborwatch.settings import load_settings

    settings = load_settings(env["LABORWATCH_CONFIG"])
    if settings.backend == "ducklake":
        name = _catalog_database(settings.ducklake_catalog)
        if name:
            ensure_database(env, name)
    with open_warehouse(settings) as wh:
        where = wh.catalog if wh.backend == "ducklake" else str(wh.path)
    return f"{settings.backend} warehouse ready: {where}"


# ------------------------------------------------------------------------------------- processes
@dataclass
class Component:
    name: str
    argv: list[str]
    extra_env: dict[str, str]


def components(env: dict[str, str], workers: int) -> list[Component]:
    airflow = str(BIN / "airflow")
    found = [
        Component("api-server", [airflow, "api-server"], {}),
        Component("scheduler", [airflow, "scheduler"], {}),
        Component("dag-processor", [airflow, "dag-processor"], {}),
    ]
    base_port = int(env["LABORWATCH_WORKER_LOG_PORT"])
    for i in range(1, workers + 1):
        argv = [airflow, "celery", "worker", "--queues", env["LABORWATCH_CELERY_QUEUE"]]
        argv += ["--concurrency", env["LABORWATCH_WORKER_CONCURRENCY"]]
        argv += ["--celery-hostname", f"{worker_name(env, i)}@%h"]
        # Each worker serves its task logs on its own port: two on one machine cannot share 8793.
        found.append(
            Component(
                f"worker{i}", argv, {"AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT": str(base_port + i - 1)}
            )
        )
    return found


def worker_name(env: dict[str, str], i: int) -> str:
    return f"{env['LABORWATCH_WORKER_PREFIX']}{i}"


def _run_dir(home: Path) -> Path:
    return home / "run"


def _start_time(pid: int) -> str | None:
    """The kernel's start time of `pid` (field 22 of /proc/<pid>/stat), to tell a reused pid apart."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return stat.rsplit(")", 1)[1].split()[19]


def recorded(home: Path) -> dict[str, int]:
    """Name → pid of the components this deployment started that are still the same processes."""
    alive = {}
    for pid_file in sorted(_run_dir(home).glob("*.pid")):
        pid_text, _, started = pid_file.read_text().strip().partition(" ")
        pid = int(pid_text)
        if _start_time(pid) == started:
            alive[pid_file.stem] = pid
    return alive


def spawn(component: Component, env: dict[str, str], home: Path) -> int:
    logs = home / "logs" / "services"
    logs.mkdir(parents=True, exist_ok=True)
    _run_dir(home).mkdir(parents=True, exist_ok=True)
    with open(logs / f"{component.name}.log", "ab") as log:
        proc = subprocess.Popen(
            component.argv,
            env={**env, **component.extra_env},
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            cwd=home,
            start_new_session=True,  # its own process group: stop ends it with all its children
        )
    (_run_dir(home) / f"{component.name}.pid").write_text(f"{proc.pid} {_start_time(proc.pid)}\n")
    return proc.pid


def _airflow(env: dict[str, str], *args: str, timeout: float = 300) -> str:
    result = subprocess.run(
        [str(BIN / "airflow"), *args], env=env, capture_output=True, text=True, timeout=timeout
    )
    if result.returncode:
        raise DeployError(
            f"airflow {' '.join(args)} failed:\n{result.stdout[-2000:]}\n{result.stderr[-4000:]}"
        )
    return result.stdout


def health(env: dict[str, str]) -> dict | None:
    url = f"{env['AIRFLOW__API__BASE_URL']}/api/v2/monitor/health"
    try:
        with urllib.request.urlopen(url, timeout=3) as response:
            return json.load(response)
    except (OSError, ValueError):
        return None


def celery_ping(env: dict[str, str], timeout: float = 3.0) -> list[str]:
    """Names of the Celery workers that answer a broadcast ping (they are consuming)."""
    code = (
        "import json; from airflow.providers.celery.executors.celery_executor_utils import app; "
        f"print(json.dumps(sorted((app.control.inspect(timeout={timeout}).ping() or {{}}).keys())))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120
    )
    if result.returncode:
        return []
    return json.loads(result.stdout.strip().splitlines()[-1])


def _wait(what: str, ready, timeout: float, home: Path) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if ready():
            return
        time.sleep(1.0)
    raise DeployError(
        f"timed out after {timeout:.0f}s waiting for {what}; logs: {home / 'logs' / 'services'}"
    )


def start(env: dict[str, str], workers: int, timeout: float = 180) -> dict[str, int]:
    home = Path(env["AIRFLOW_HOME"])
    running = recorded(home)
    if running:
        raise DeployError(f"already running under {home}: {sorted(running)}; run `stop` first")
    check_redis(env["AIRFLOW__CELERY__BROKER_URL"])
    ensure_database(env, env["LABORWATCH_AIRFLOW_DB"])
    print(prepare_warehouse(env), flush=True)
    _airflow(env, "db", "migrate")
    print(f"airflow metadata database migrated: {env['LABORWATCH_AIRFLOW_DB']}", flush=True)
    pool_slots = env["LABORWATCH_WRITER_POOL_SLOTS"] if _backend(env) == "ducklake" else "1"
    _airflow(env, "pools", "set", env["LABORWATCH_WRITER_POOL"], pool_slots, "laborwatch warehouse writers")
    pids = {}
    try:
        for component in components(env, workers):
            pids[component.name] = spawn(component, env, home)
        _wait("the API server, scheduler and dag processor", lambda: _healthy(env), timeout, home)
        expected = {f"{worker_name(env, i)}@{socket.gethostname()}" for i in range(1, workers + 1)}
        _wait(f"{workers} Celery workers", lambda: expected <= set(celery_ping(env)), timeout, home)
    except BaseException:
        stop(home)
        raise
    return pids


def _backend(env: dict[str, str]) -> str:
    sys.path.insert(0, str(REPO))
    from laborwatch.settings import load_settings

    return load_settings(env["LABORWATCH_CONFIG"]).backend


def _healthy(env: dict[str, str]) -> bool:
    report = health(env) or {}
    return all(
        (report.get(part) or {}).get("status") == "healthy"
        for part in ("metadatabase", "scheduler", "dag_processor")
    )


def _order(name: str) -> int:
    return next((i for i, prefix in enumerate(STOP_ORDER) if name.startswith(prefix)), len(STOP_ORDER))


def stop(home: Path, timeout: float = 60) -> list[str]:
    """SIGTERM each recorded component's process group (Celery finishes running tasks first), then
    SIGKILL whatever is left after `timeout`; return the names stopped."""
    running = recorded(home)
    for name in sorted(running, key=_order):
        try:
            os.killpg(running[name], signal.SIGTERM)
        except ProcessLookupError:
            pass
        if name == "scheduler":
            time.sleep(1.0)  # let it stop handing out work before the workers go
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and any(_group_alive(pid) for pid in running.values()):
        time.sleep(0.5)
    for pid in running.values():
        if _group_alive(pid):
            try:
                os.killpg(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
    for pid_file in _run_dir(home).glob("*.pid"):
        pid_file.unlink()
    return sorted(running)


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def status(env: dict[str, str]) -> dict:
    home = Path(env["AIRFLOW_HOME"])
    report = health(env) or {}
    return {
        "airflow_home": str(home),
        "processes": recorded(home),
        "health": {k: (v or {}).get("status") for k, v in report.items()},
        "celery_workers": celery_ping(env) if recorded(home) else [],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="scaleout", description=__doc__.split("\n\n")[0])
    parser.add_argument("--env", type=Path, default=DEFAULT_ENV_FILE, help="deployment env file")
    sub = parser.add_subparsers(dest="command", required=True)
    start_p = sub.add_parser("start", help="start scheduler, api-server, dag-processor and N workers")
    start_p.add_argument("--workers", type=int, default=int(os.environ.get("LABORWATCH_WORKERS", "2")))
    start_p.add_argument("--timeout", type=float, default=180, help="seconds to wait for readiness")
    stop_p = sub.add_parser("stop", help="stop every component this deployment started")
    stop_p.add_argument("--timeout", type=float, default=60, help="seconds before SIGKILL")
    sub.add_parser("status", help="processes, API health and Celery workers")
    sub.add_parser("env", help="print the deployment environment (secrets masked)")
    args = parser.parse_args(argv)
    try:
        if args.command == "stop":
            stopped = stop(airflow_home(), args.timeout)
            print("stopped: " + (", ".join(stopped) if stopped else "nothing was running"))
            return 0
        env = deployment_env(args.env)
        if args.command == "start":
            if args.workers < 1:
                raise DeployError("--workers must be at least 1")
            pids = start(env, args.workers, args.timeout)
            print(f"started under {env['AIRFLOW_HOME']}: " + ", ".join(f"{n}={p}" for n, p in pids.items()))
            print(f"API server: {env['AIRFLOW__API__BASE_URL']}  logs: {env['AIRFLOW_HOME']}/logs/services")
        elif args.command == "status":
            print(json.dumps(status(env), indent=1))
        else:
            for key in sorted(k for k in env if k.startswith(("AIRFLOW", "LABORWATCH"))):
                secret = any(word in key for word in ("SECRET", "FERNET", "PASSWORD"))
                print(f"{key}={'***' if secret else env[key]}")
    except DeployError as exc:
        print(f"scaleout: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
