"""The loopback services the scale-out tests need, and what to do when one is missing.

Off CI a missing PostgreSQL or Redis is a skip that says what is missing; under CI=true it is a
failure, because CI runs on machines that have both and a silent skip would hide a broken deployment.
"""

from __future__ import annotations

import os
import secrets
import socket
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

PG_HOST = os.environ.get("LABORWATCH_TEST_PGHOST", "127.0.0.1")
PG_PORT = int(os.environ.get("LABORWATCH_TEST_PGPORT", "5432"))
PG_USER = os.environ.get("LABORWATCH_TEST_PGUSER", "postgres")
REDIS_HOST = os.environ.get("LABORWATCH_TEST_REDIS_HOST", "127.0.0.1")
REDIS_PORT = int(os.environ.get("LABORWATCH_TEST_REDIS_PORT", "6379"))


def missing(reason: str) -> None:
    """Skip, or fail under CI=true."""
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(f"CI=true and a scale-out service is missing: {reason}", pytrace=False)
    pytest.skip(reason)


def _connect_postgres(dbname: str = "postgres"):
    try:
        import psycopg2
    except ImportError:
        missing("psycopg2 is not installed (pip install -e '.[airflow]')")
    try:
        con = psycopg2.connect(host=PG_HOST, port=PG_PORT, user=PG_USER, dbname=dbname, connect_timeout=3)
    except psycopg2.OperationalError as exc:
        missing(f"no PostgreSQL at {PG_HOST}:{PG_PORT} as {PG_USER}: {str(exc).strip()}")
    con.autocommit = True
    return con


def require_redis() -> str:
    """The broker URL of a Redis that answers PING on loopback."""
    try:
        with socket.create_connection((REDIS_HOST, REDIS_PORT), timeout=3) as sock:
            sock.sendall(b"PING\r\n")
            reply = sock.recv(64)
    except OSError as exc:
        missing(f"no Redis at {REDIS_HOST}:{REDIS_PORT}: {exc}")
    if not reply.startswith(b"+PONG"):
        missing(f"{REDIS_HOST}:{REDIS_PORT} is not a Redis that answers PING (got {reply[:20]!r})")
    return f"redis://{REDIS_HOST}:{REDIS_PORT}/0"


@contextmanager
def fresh_database(prefix: str = "laborwatch_test") -> Iterator[str]:
    """A new, empty PostgreSQL database for one test run; dropped afterwards whatever happened."""
    admin = _connect_postgres()
    name = f"{prefix}_{secrets.token_hex(4)}"
    with admin.cursor() as cur:
        cur.execute(f'CREATE DATABASE "{name}"')
    try:
        yield name
    finally:
        with admin.cursor() as cur:
            cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


def libpq(dbname: str) -> str:
    """The libpq keyword string DuckLake's postgres catalog takes."""
    return f"dbname={dbname} host={PG_HOST} port={PG_PORT} user={PG_USER}"


def sqlalchemy_url(dbname: str) -> str:
    return f"postgresql+psycopg2://{PG_USER}@{PG_HOST}:{PG_PORT}/{dbname}"
