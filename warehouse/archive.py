"""Content-addressed archive of raw payloads: the body on disk, the fetch in raw.fetches.

A payload is stored before anything parses it, so a parser bug never loses what arrived.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from warehouse.db import Warehouse


@dataclass(frozen=True)
class Fetch:
    """What one HTTP request returned (body None for 304s and failures)."""

    url: str
    fetched_at: datetime
    status: int | None
    body: bytes | None = None
    content_type: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    source: str | None = None
    board: str | None = None
    error: str | None = None


def payload_path(data_dir: Path, sha256: str) -> Path:
    return Path(data_dir) / "raw" / sha256[:2] / sha256


def write_payload(data_dir: Path, body: bytes) -> tuple[str, Path]:
    """Write `body` under its sha256 (atomically, once); no database involved, so a fetch task can use it."""
    sha = hashlib.sha256(body).hexdigest()
    path = payload_path(data_dir, sha)
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        with os.fdopen(fd, "wb") as handle:
            handle.write(body)
        os.replace(tmp, path)
    return sha, path


def read_payload(data_dir: Path, sha256: str) -> bytes:
    return payload_path(data_dir, sha256).read_bytes()


def archive_fetch(warehouse: Warehouse, fetch: Fetch) -> str | None:
    """Store the body (if any) and index the fetch; return the payload's sha256."""
    sha = None
    if fetch.body is not None:
        sha, path = write_payload(warehouse.data_dir, fetch.body)
    with warehouse.transaction() as con:
        if sha is not None:
            con.execute(
                "INSERT INTO raw.payloads SELECT ?, ?, ?, ?, ? "
                "WHERE NOT EXISTS (SELECT 1 FROM raw.payloads WHERE sha256 = ?)",
                [sha, len(fetch.body), fetch.content_type, str(path), fetch.fetched_at, sha],
            )
        con.execute(
            "INSERT INTO raw.fetches SELECT ?, ?, ?, ?, ?, ?, ?, ?, ?, ? "
            "WHERE NOT EXISTS (SELECT 1 FROM raw.fetches WHERE url = ? AND fetched_at = ?)",
            [
                fetch.url,
                fetch.fetched_at,
                fetch.source,
                fetch.board,
                fetch.status,
                fetch.etag,
                fetch.last_modified,
                len(fetch.body) if fetch.body is not None else None,
                sha,
                fetch.error,
                fetch.url,
                fetch.fetched_at,
            ],
        )
    return sha


def last_validators(warehouse: Warehouse, url: str) -> tuple[str | None, str | None, str | None]:
    """(etag, last_modified, sha256) of the latest successful fetch of `url`, for conditional requests."""
    row = warehouse.con.execute(
        "SELECT etag, last_modified, sha256 FROM raw.fetches WHERE url = ? AND status = 200 "
        "ORDER BY fetched_at DESC LIMIT 1",
        [url],
    ).fetchone()
    return (row[0], row[1], row[2]) if row else (None, None, None)
