"""The data every benchmark case shares, built once and cached under benchmarks/.cache/.

- `postings(n)`: n generated postings (benchmarks.generate_postings, seed 0) as Parquet: canonical
  records (DESIGN §3.1) with a year of first_seen dates.
- `staged(n)`: the same postings as staging.postings rows: classified (in chunks, with the real
  classifier), company_key, posting_key and a lifecycle (first_seen, last_seen, closed_at), as a
  directory of Parquet parts.
- `warehouse(n)`: a DuckDB warehouse holding that history (raw.postings, staging.postings,
  staging.posting_sightings, role cards) and the marts a full outlook recompute writes from it.

Building them is not timed and runs in its own process (`python -m benchmarks.cases prepare`), so
no case's peak memory includes the generator's. Cache names carry a hash of the code each depends on
(see `cache_key`), so a change rebuilds instead of reusing stale data; old entries are removed.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from functools import cache
from pathlib import Path

import polars as pl

from benchmarks.harness import CACHE, progress

CHUNK = 100_000  # rows per classification chunk and Parquet part: bounds memory at any n
# Bump when this file changes what it builds (the files the data depends on are hashed anyway).
DATA_VERSION = "1"


def _digest(paths: list[Path], salt: str) -> str:
    digest = hashlib.sha256(salt.encode())
    for path in sorted(paths):
        digest.update(path.name.encode())
        digest.update(path.read_bytes() if path.exists() else b"")
    return digest.hexdigest()[:10]


@cache
def cache_key(level: str) -> str:
    """Hash of what the cached data at `level` depends on, so that a change to it rebuilds.

    postings: the generator. staged: that plus the classifier (transforms/ bar the signal modules)
    and the role cards. warehouse: that plus the signals, the schema and load code (warehouse/) and
    the pipeline steps that write it (laborwatch/outlook.py, laborwatch/ingest_postings.py).
    """
    here = Path(__file__).resolve().parent
    root = here.parent
    paths = [here / "generate_postings.py"]
    if level in ("staged", "warehouse"):
        downstream = {"signals.py", "states.py", "scores.py", "stats.py", "dedup.py"}
        paths += [p for p in (root / "transforms").glob("*.py") if p.name not in downstream]
        paths += list((root / "roles").glob("*.toml"))
    if level == "warehouse":
        paths += [root / "transforms" / name for name in downstream]
        paths += list((root / "warehouse").rglob("*.py")) + list((root / "warehouse").rglob("*.sql"))
        paths += [root / "laborwatch" / "outlook.py", root / "laborwatch" / "ingest_postings.py"]
    return _digest(paths, DATA_VERSION)


def generate(n: int, seed: int = 0) -> pl.DataFrame:
    """Generated postings as the parsers hand them on: HTML sources carry their text as well.

    Every parser derives description_text from the HTML (ingest.records.make_record), so a real
    record has both; the generator writes one of them, and the text is filled here with the
    project's vectorized HTML-to-text (transforms.text), which is quicker at 1,000,000 than the
    parsers' per-record one and gives text of the same size.
    """
    from benchmarks.generate_postings import generate_postings
    from transforms.text import html_to_text

    df = generate_postings(n, seed=seed)
    return df.with_columns(
        description_text=pl.coalesce("description_text", html_to_text(pl.col("description_html")))
    )


def cards() -> list:
    from laborwatch.role_cards import load_role_cards

    return load_role_cards()


# ------------------------------------------------------------------------------------ postings
def _entry(level: str, n: int, suffix: str, complete: str = "") -> Path:
    """The cache entry for `level` at n. With LABORWATCH_BENCH_REUSE=1, a complete entry built from
    older code is used as it is (for working on the benchmarks themselves without rebuilding many
    minutes of data after every change elsewhere); the figures then rest on that older data."""
    path = CACHE / f"{level}-n{n}-{cache_key(level)}{suffix}"
    if os.environ.get("LABORWATCH_BENCH_REUSE") == "1" and not path.exists():
        found = [
            p
            for p in sorted(CACHE.glob(f"{level}-n{n}-*{suffix}"), key=lambda p: p.stat().st_mtime)
            if p.name.endswith(suffix)
            and (p / complete if complete else p).exists()
            and not dirty_marker(p).exists()
        ]
        if found:
            progress(f"LABORWATCH_BENCH_REUSE: using {found[-1].name} (built from other code)")
            return found[-1]
    return path


def postings_path(n: int) -> Path:
    return _entry("postings", n, ".parquet")


def _evict(keep: Path) -> None:
    """Remove cache entries for the same data and n built from older code (they can be many GB)."""
    stem = keep.name.rsplit("-", 1)[0]
    for old in CACHE.glob(f"{stem}-*"):
        if old != keep and not old.name.startswith(keep.name):
            progress(f"removing stale cache entry {old.name}")
            shutil.rmtree(old) if old.is_dir() else old.unlink()


def postings(n: int) -> Path:
    """The generated postings at n, written once (row groups of CHUNK rows)."""
    path = postings_path(n)
    if not path.exists():
        _evict(path)
        progress(f"generating {n:,} postings")
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        generate(n, seed=0).write_parquet(tmp, row_group_size=CHUNK, compression="zstd")
        tmp.rename(path)
    return path


def chunks(path: Path | str, columns: list[str] | None = None, size: int = CHUNK) -> Iterator[pl.DataFrame]:
    """The rows of a Parquet file (or glob) `size` at a time, in order."""
    lf = pl.scan_parquet(path)
    total = lf.select(pl.len()).collect().item()
    for offset in range(0, total, size):
        part = lf.slice(offset, size)
        yield (part.select(columns) if columns else part).collect()


# -------------------------------------------------------------------------------------- staged
def history_end(n: int) -> datetime:
    """The logical date of the last run in the generated history: the day after its last first_seen."""
    path = postings(n)
    last = pl.scan_parquet(path).select(_first_seen(pl.read_parquet_schema(path)).max()).collect().item()
    return datetime.combine(last.date() + timedelta(days=1), datetime.min.time())


def _first_seen(columns: object) -> pl.Expr:
    """The generator's first_seen, else the posting's own date (or when it was fetched)."""
    return pl.col("first_seen") if "first_seen" in columns else pl.coalesce("posted_at", "fetched_at")


def with_lifecycle(df: pl.DataFrame, as_of: datetime) -> pl.DataFrame:
    """first_seen / last_seen / closed_at for a replayed history ending at `as_of`.

    Where the generator gives no closing date, a posting stays listed 2 to 12 weeks (fixed by a hash
    of its id, so every build agrees); one that would close after `as_of` is still open.
    """
    first = _first_seen(df.columns).cast(pl.Datetime("us"))
    if "closed_at" in df.columns:
        closed = pl.col("closed_at").cast(pl.Datetime("us"))
    else:
        weeks = (pl.concat_str("source", "source_id").hash(seed=7) % 11 + 2).cast(pl.Int64)
        closed = first + pl.duration(weeks=weeks)
    at = pl.lit(as_of, dtype=pl.Datetime("us"))
    df = df.with_columns(first_seen=first).with_columns(
        closed_at=pl.when(closed <= at).then(closed), last_seen=pl.min_horizontal(closed, at)
    )
    return df


def staged_dir(n: int) -> Path:
    return _entry("staged", n, "", complete="_done")


def staged(n: int) -> Path:
    """staging.postings rows for the generated history, as Parquet parts (classified in chunks)."""
    from ingest.records import canonical
    from laborwatch.ingest_postings import company_aliases
    from transforms.classify import classify_postings
    from transforms.companies import add_company_key

    out = staged_dir(n)
    if (out / "_done").exists():
        return out
    shutil.rmtree(out, ignore_errors=True)
    _evict(out)
    out.mkdir(parents=True)
    as_of = history_end(n)
    role_cards = cards()
    for i, chunk in enumerate(chunks(postings(n))):
        progress(f"staging part {i} ({i * CHUNK:,}-{i * CHUNK + chunk.height:,} of {n:,})")
        extra = [c for c in ("first_seen", "closed_at") if c in chunk.columns]
        records = canonical(chunk).with_columns(chunk.select(extra))
        classified = classify_postings(add_company_key(records, company_aliases()), role_cards)
        staged_rows = with_lifecycle(classified, as_of).with_columns(
            posting_key=pl.concat_str([pl.col("source"), pl.col("source_id")], separator=":")
        )
        staged_rows.write_parquet(out / f"part-{i:04d}.parquet", compression="zstd")
    (out / "_done").write_text(as_of.isoformat())
    return out


def staged_glob(n: int) -> str:
    return str(staged(n) / "*.parquet")


def staged_as_of(n: int) -> datetime:
    return datetime.fromisoformat((staged(n) / "_done").read_text())


# ----------------------------------------------------------------------------------- warehouse
def warehouse_path(n: int) -> Path:
    return _entry("warehouse", n, ".duckdb")


def bulk_load(wh: object, parquet: str) -> None:
    """DuckDB's own bulk load of staged Parquet into staging.postings (the floor of every load path)."""
    columns = ", ".join(wh.columns("staging.postings"))  # type: ignore[attr-defined]
    wh.con.execute(  # type: ignore[attr-defined]
        f"INSERT INTO staging.postings ({columns}) SELECT {columns} FROM read_parquet('{parquet}')"
    )


def warehouse(n: int) -> Path:
    """A warehouse holding the whole generated history and its marts (built once, then copied)."""
    from warehouse import search_index
    from warehouse.db import Warehouse
    from warehouse.role_cards_load import load_role_cards_table

    path = warehouse_path(n)
    if path.exists() and not dirty_marker(path).exists():
        return path
    _evict(path)
    path.unlink(missing_ok=True)
    dirty_marker(path).unlink(missing_ok=True)
    parquet = staged_glob(n)
    as_of = staged_as_of(n)
    tmp = path.with_suffix(".building")
    tmp.unlink(missing_ok=True)
    data_dir = CACHE / "data"
    with Warehouse.open(tmp, data_dir) as wh:
        quiet(wh)
        load_role_cards_table(wh, cards())
        progress("warehouse: raw.postings")
        raw_columns = ", ".join(wh.columns("raw.postings"))
        wh.con.execute(
            f"INSERT INTO raw.postings ({raw_columns}) SELECT {_raw_select(wh)} FROM read_parquet('{parquet}')"
        )
        progress("warehouse: staging.postings")
        bulk_load(wh, parquet)
        progress("warehouse: staging.posting_sightings")
        wh.con.execute(
            "INSERT INTO staging.posting_sightings SELECT source, board, source_id, posting_key, "
            "first_seen, last_seen, closed_at FROM staging.postings"
        )
        progress("warehouse: outlook (full recompute)")
        report = full_outlook(wh, as_of)
        info = {"as_of": as_of.isoformat(), "quarantined": list(getattr(report, "quarantined", []))}
        if info["quarantined"]:
            progress(
                f"warehouse: the outlook step held its output ({info['quarantined']}); writing the marts"
            )
            info["marts_written_by"] = "benchmarks.bench_data.write_marts (the outlook step held its batches)"
            write_marts(wh, as_of)
        progress("warehouse: search index (what publishing the analyst snapshot refreshes)")
        search_index.refresh(wh)
        wh.con.execute("CHECKPOINT")
    build_info_path(path).write_text(json.dumps(info, indent=1))
    tmp.rename(path)
    return path


def build_info_path(path: Path) -> Path:
    return path.with_name(path.name + ".json")


def write_marts(wh: object, as_of: datetime) -> None:
    """watch_signals, role_states and role_scores from the same pure transforms, written directly.

    Only for when the outlook step's expectations gate held its batches: the analyst queries then
    still have realistic marts to read (a few thousand rows; their content does not change timings).
    """
    from transforms.scores import role_scores
    from transforms.signals import weekly_signals
    from transforms.states import outlook_states

    role_cards = cards()
    columns = (
        "role_id, seniority, tags, production_ownership, routine_only, company_key, first_seen, closed_at"
    )
    posts = wh.query(f"SELECT {columns} FROM staging.postings")  # type: ignore[attr-defined]
    signals = weekly_signals(posts, role_cards, as_of)
    states = outlook_states(signals, role_cards)
    for table, rows in (
        ("marts.watch_signals", signals),
        ("marts.role_states", states),
        ("marts.role_scores", role_scores(signals, states, role_cards)),
    ):
        wh.replace_where(table, rows, "true", [])  # type: ignore[attr-defined]


MEMORY_LIMIT_ENV = "LABORWATCH_BENCH_DUCKDB_MEMORY_LIMIT"


def quiet(wh: object) -> object:
    """No DuckDB progress bar (on stderr it would fill the benchmark log with redraws), and, when
    LABORWATCH_BENCH_DUCKDB_MEMORY_LIMIT is set (e.g. "3GB"), that DuckDB memory_limit instead of
    DuckDB's default of 80 % of RAM: to see what bounding DuckDB's memory costs in time."""
    wh.con.execute("SET enable_progress_bar = false")  # type: ignore[attr-defined]
    limit = os.environ.get(MEMORY_LIMIT_ENV)
    if limit:
        wh.con.execute(f"SET memory_limit = '{limit}'")  # type: ignore[attr-defined]
    return wh


def dirty_marker(path: Path) -> Path:
    """Present while a case has written to the cached warehouse and not yet undone it."""
    return path.with_name(path.name + ".dirty")


def _raw_select(wh: object) -> str:
    """raw.postings columns from staged rows (payload_sha256 is required there)."""
    cols = []
    for column in wh.columns("raw.postings"):  # type: ignore[attr-defined]
        if column == "payload_sha256":
            cols.append("coalesce(payload_sha256, sha256(board)) AS payload_sha256")
        elif column == "fetched_at":
            cols.append("coalesce(fetched_at, first_seen) AS fetched_at")
        else:
            cols.append(column)
    return ", ".join(cols)


def full_outlook(wh: object, as_of: datetime) -> object:
    """The outlook step of the pipeline over the whole history (laborwatch.outlook, full=True)."""
    from laborwatch.outlook import compute_outlook
    from laborwatch.settings import load_settings

    settings = load_settings(None, warehouse=wh.path)  # type: ignore[attr-defined]
    settings.data_dir = wh.data_dir  # type: ignore[attr-defined]
    return compute_outlook(settings, wh, cards(), as_of, full=True)


@contextmanager
def writable_warehouse(n: int) -> Iterator[Path]:
    """The cached warehouse, for a case that writes to it and leaves it as it found it.

    At 1,000,000 postings the file is many GB, so copying it per run would cost more than the
    case; instead the case undoes its writes (or, like a full recompute, rewrites what was there).
    A dirty marker is kept meanwhile: if the case dies half way, the next run rebuilds the cache.
    """
    path = warehouse(n)
    marker = dirty_marker(path)
    marker.write_text("a benchmark case is writing to this warehouse")
    yield path
    marker.unlink()


def prepare(n: int) -> dict[str, str]:
    """Build everything the cases read at n; return the paths."""
    return {
        "postings": str(postings(n)),
        "staged": str(staged(n)),
        "warehouse": str(warehouse(n)),
    }
