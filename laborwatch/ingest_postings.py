"""Postings ingest, composed from the stages: fetch boards to a landing area, then load in one writer.

Fetching and loading are separate steps because DuckDB allows one writer while boards are best
fetched in parallel (one Airflow task per board): `fetch_board` touches no database, it archives
every body (content-addressed) and writes a JSON manifest of what it fetched; `load_landed` is the
single writer that turns manifests into warehouse rows, in one transaction.

`load_landed` first stages every board: indexes each fetch (raw.fetches, raw.payloads), parses each
payload (holding an unparseable one in raw.quarantine, stage 'parse', while the board's other
payloads go on) and passes the board's batch through the expectations gate. It then classifies all
passed batches in one call and loads every board at once — one dedup against the warehouse (source
by source in priority order, as if the boards loaded one after the other), one write per table —
moving each board's lifecycle by its own rules (a 304 keeps the board's postings seen; a complete,
successful fetch closes what it no longer lists; a failed one closes nothing) and writing one
marts.source_health row per board. See docs/ingest.md ("One load per run").
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import sys
import tempfile
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any, TextIO

import polars as pl

import ingest
from expectations.gate import Batch, gate_batch, gate_batches
from ingest.http_client import HttpClient, Validators, hosts_for
from ingest.records import ParseError, canonical, records_frame
from ingest.sources import SOURCE_PRIORITY, source_module
from laborwatch.settings import Settings
from transforms.classify import classify_postings
from transforms.companies import add_company_key
from transforms.dedup import DEFAULT_WINDOW_DAYS, assign_run, dedup_within_source, matchable
from transforms.role_card import RoleCard
from warehouse import postings_load as load
from warehouse.archive import Fetch, archive_fetch, payload_path, read_payload, write_payload
from warehouse.db import Warehouse

MANIFEST_VERSION = 1
DEFAULT_ALIASES = Path(ingest.__file__).resolve().parent / "company_aliases.csv"
SUITE = "raw_postings"


@dataclass
class BoardReport:
    """What one board's load did; `status` is what marts.source_health records."""

    source: str
    board: str
    status: str
    rows: int = 0
    new: int = 0
    closed: int = 0
    aliases: int = 0
    fetches: int = 0
    quarantined: list[str] = field(default_factory=list)
    error: str | None = None


@dataclass
class PostingsReport:
    as_of: datetime
    boards: list[BoardReport] = field(default_factory=list)

    @property
    def rows(self) -> int:
        return sum(b.rows for b in self.boards)

    @property
    def new(self) -> int:
        return sum(b.new for b in self.boards)

    @property
    def closed(self) -> int:
        return sum(b.closed for b in self.boards)

    @property
    def failed(self) -> list[BoardReport]:
        return [b for b in self.boards if b.status not in ("ok", "empty")]

    def summary(self) -> str:
        lines = [f"postings ingest as of {self.as_of:%Y-%m-%d %H:%M}: {len(self.boards)} board(s)"]
        for b in self.boards:
            line = (
                f"  {b.source:<10} {b.board[:48]:<48} {b.status:<15} rows={b.rows} new={b.new} "
                f"closed={b.closed} aliases={b.aliases}"
            )
            lines.append(line + (f"  ({b.error[:160]})" if b.error else ""))
        lines.append(
            f"  total: rows={self.rows} new={self.new} closed={self.closed} problems={len(self.failed)}"
        )
        return "\n".join(lines)


# ---------------------------------------------------------------------------------- helpers
def _utc(value: datetime | date) -> datetime:
    if not isinstance(value, datetime):
        value = datetime(value.year, value.month, value.day)
    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    return value


def _slug(board: str) -> str:
    """A file-name-safe board name (page URLs for jsonld), unique thanks to a short hash when altered."""
    slug = re.sub(r"[^A-Za-z0-9._-]+", "-", board).strip("-.")[:60]
    if slug == board:
        return slug
    return f"{slug}-{hashlib.sha256(board.encode()).hexdigest()[:8]}"


def _write_json(path: Path, data: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(data, handle, indent=1, sort_keys=True)
    os.replace(tmp, path)


@lru_cache(maxsize=8)
def company_aliases(path: Path = DEFAULT_ALIASES) -> pl.DataFrame:
    """The alias table (alias, company); see transforms.companies."""
    return pl.read_csv(path, schema={"alias": pl.String, "company": pl.String}, comment_prefix="#")


def _archived(settings: Settings, sha: str) -> bytes | None:
    path = payload_path(settings.data_dir, sha)
    return path.read_bytes() if path.exists() else None


def make_client(settings: Settings) -> HttpClient:
    """A polite client whose allowed hosts and paces are every enabled source's (jsonld: its pages)."""
    hosts = hosts_for(
        (
            ([s.base_url] if s.base_url else []) + (list(s.boards) if s.name == "jsonld" else []),
            s.rate_limit_per_second,
        )
        for s in settings.sources.values()
        if s.enabled
    )
    return HttpClient(settings.http, hosts, previous_body=lambda sha: _archived(settings, sha))


def _validators_file(settings: Settings, source: str, board: str) -> Path:
    return settings.landing_dir / "validators" / source / f"{_slug(board)}.json"


def _load_validators(settings: Settings, source: str, board: str) -> dict[str, Validators]:
    """Validators per URL from this board's small cache, kept only while their payload is archived."""
    path = _validators_file(settings, source, board)
    if not path.exists():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}  # a damaged cache only costs full downloads
    return {
        url: Validators(v.get("etag"), v.get("last_modified"), v.get("sha256"))
        for url, v in data.items()
        if isinstance(v, dict) and v.get("sha256") and payload_path(settings.data_dir, v["sha256"]).exists()
    }


def _fetch_entry(fetch: Fetch, sha: str | None, previous: str | None) -> dict[str, Any]:
    return {
        "url": fetch.url,
        "fetched_at": fetch.fetched_at.isoformat(),
        "status": fetch.status,
        "headers": {
            k: v
            for k, v in (
                ("Content-Type", fetch.content_type),
                ("ETag", fetch.etag),
                ("Last-Modified", fetch.last_modified),
            )
            if v
        },
        "content_type": fetch.content_type,
        "etag": fetch.etag,
        "last_modified": fetch.last_modified,
        "sha256": sha,
        "bytes": len(fetch.body) if fetch.body is not None else None,
        "previous_sha256": previous,
        "error": fetch.error,
    }


# ------------------------------------------------------------------------------------- fetch
def fetch_board(
    settings: Settings, source: str, board: str, as_of: datetime, *, client: HttpClient | None = None
) -> Path:
    """Fetch one board, archive every body, write its landing manifest; return the manifest path.

    No database is opened, so boards can be fetched in parallel. Conditional-request validators come
    from the board's cache under the landing dir. Pass `client` to share robots.txt and per-host
    pacing across boards (ingest_postings does).
    """
    as_of = _utc(as_of)
    module = source_module(source)
    config = settings.source(source)
    validators = _load_validators(settings, source, board)
    own = client is None
    client = client or make_client(settings)
    client.validators.update(validators)
    try:
        fetches = module.fetch(client, config, board)
        complete = module.is_complete(fetches, client) if hasattr(module, "is_complete") else True
    finally:
        if own:
            client.close()
    entries = []
    for fetch in fetches:
        sha = write_payload(settings.data_dir, fetch.body)[0] if fetch.body is not None else None
        known = validators.get(fetch.url)
        previous = known.sha256 if fetch.status == 304 and known else None
        entries.append(_fetch_entry(fetch, sha, previous))
        if sha is not None:
            if fetch.etag or fetch.last_modified:
                validators[fetch.url] = Validators(fetch.etag, fetch.last_modified, sha)
            else:
                validators.pop(fetch.url, None)
    _write_json(
        _validators_file(settings, source, board),
        {
            u: {"etag": v.etag, "last_modified": v.last_modified, "sha256": v.sha256}
            for u, v in validators.items()
        },
    )
    written = datetime.now(UTC).replace(tzinfo=None)
    manifest = {
        "version": MANIFEST_VERSION,
        "source": source,
        "board": board,
        "as_of": as_of.isoformat(),
        "written_at": written.isoformat(),
        "complete": complete,
        "fetches": entries,
    }
    path = (
        settings.landing_dir
        / source
        / _slug(board)
        / f"{as_of:%Y%m%dT%H%M%S}-{written:%Y%m%dT%H%M%S%f}-{uuid.uuid4().hex[:6]}.json"
    )
    _write_json(path, manifest)
    return path


def read_manifest(path: Path) -> dict[str, Any]:
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    if data.get("version") != MANIFEST_VERSION or not {"source", "board", "fetches"} <= set(data):
        raise ValueError(f"{path}: not a version-{MANIFEST_VERSION} postings landing manifest")
    return data


# -------------------------------------------------------------------------------------- load
def _classify(records: pl.DataFrame, cards: Sequence[RoleCard]) -> pl.DataFrame:
    """Company keys and classification for canonical records, in one classifier call, row order kept.

    The classifier's cost is mostly per call (about 0.8 s for a handful of rows), so a run classifies
    every board that passed the gate together.
    """
    if records.is_empty():
        return records
    tagged = records.with_row_index("_row")
    return classify_postings(add_company_key(tagged, company_aliases()), cards).sort("_row").drop("_row")


_NOTHING_ASSIGNED = pl.DataFrame(
    schema={
        "source": pl.String,
        "board": pl.String,
        "source_id": pl.String,
        "posting_key": pl.String,
        "is_alias": pl.Boolean,
    }
)


def _assign(wh: Warehouse, classified: pl.DataFrame, as_of: datetime) -> pl.DataFrame:
    """posting_key and is_alias for a run's classified records: one read of the ids seen before and
    of the postings they might duplicate (descriptions only of those that pair up), then
    transforms.dedup.assign_run."""
    if classified.is_empty():
        return _NOTHING_ASSIGNED
    window = DEFAULT_WINDOW_DAYS
    known = load.known_postings(wh, classified)
    candidates = load.dedup_candidates(wh, classified, as_of, window)
    keys = matchable(classified, candidates, as_of=as_of, window_days=window)
    candidates = candidates.join(load.descriptions(wh, keys), on="posting_key")
    return assign_run(classified, known, candidates, as_of=as_of, window_days=window)


_NO_IDS = pl.DataFrame(schema={"source": pl.String, "board": pl.String, "source_id": pl.String})
_NO_BOARDS = pl.DataFrame(schema={"source": pl.String, "board": pl.String})


def _load_classified(
    wh: Warehouse,
    records: pl.DataFrame,
    classified: pl.DataFrame,
    as_of: datetime,
    unchanged: pl.DataFrame = _NO_IDS,
    closing: pl.DataFrame = _NO_BOARDS,
) -> load.RunCounts:
    """Deduplicate a run's classified records against the warehouse and load them (load.load_run).

    `records` are the source's own values (raw.postings); `classified` the same rows with
    company_key, labels, and salary/remote filled from the text where the source left them null.
    """
    assigned = _assign(wh, classified, as_of)
    return load.load_run(wh, records, assigned, unchanged, closing, as_of)


def load_postings_batch(
    settings: Settings,
    wh: Warehouse,
    df: pl.DataFrame,
    as_of: datetime,
    cards: Sequence[RoleCard],
    source: str,
    board: str,
) -> int:
    """Load a canonical batch that already passed (or was released from) the gate; return its rows.

    Classifies, deduplicates (by id, then across sources) and loads raw.postings, staging.postings,
    aliases and sightings. It closes nothing: only load_landed knows whether a fetch was complete.
    Rows of other boards in `df` are ignored. (`settings` is part of the stable signature the CLI and
    the quarantine release call.)
    """
    as_of = _utc(as_of)
    records = dedup_within_source(
        canonical(df).filter((pl.col("source") == source) & (pl.col("board") == board))
    )
    with wh.transaction():
        _load_classified(wh, records, _classify(records, cards), as_of)
    return records.height


def _entry_fetch(entry: dict[str, Any], source: str, board: str, body: bytes | None) -> Fetch:
    return Fetch(
        url=entry["url"],
        fetched_at=datetime.fromisoformat(entry["fetched_at"]),
        status=entry.get("status"),
        body=body,
        content_type=entry.get("content_type"),
        etag=entry.get("etag"),
        last_modified=entry.get("last_modified"),
        source=source,
        board=board,
        error=entry.get("error"),
    )


def _quarantine_parse(
    settings: Settings, wh: Warehouse, fetch: Fetch, sha: str, source: str, board: str, reason: str
) -> str:
    qid = "p-" + hashlib.sha256(f"parse\x00{source}\x00{board}\x00{sha}".encode()).hexdigest()[:16]
    load.quarantine_payload(
        wh,
        quarantine_id=qid,
        created_at=datetime.now(UTC).replace(tzinfo=None),
        source=source,
        board=board,
        reason=reason,
        sha256=sha,
        path=str(payload_path(settings.data_dir, sha)),
        snippet=(fetch.body or b"")[:300].decode("utf-8", errors="replace"),
    )
    return qid


def _parse(module: Any, fetch: Fetch, board: str) -> list[dict[str, Any]]:
    """The source's parser; an unexpected exception is a parse failure too (with its type named),
    so one odd payload is quarantined instead of stopping every other board's load."""
    try:
        return module.parse(fetch, board)
    except ParseError:
        raise
    except Exception as exc:  # noqa: BLE001 - any parser failure is reported as the payload's reason
        raise ParseError(f"{fetch.url}: parser failed: {type(exc).__name__}: {exc}") from exc


def _health(
    rows: int, open_before: int, fetch_errors: list[str], parse_errors: list[str], gate_error: str | None
) -> tuple[str, str | None]:
    problems = [*fetch_errors, *parse_errors, *([gate_error] if gate_error else [])]
    error = "; ".join(problems)[:2000] if problems else None
    if fetch_errors:
        return "fetch_error", error
    if parse_errors:
        return "parse_error", error
    if gate_error:
        return "quarantined", error
    if rows == 0 and open_before > 0:
        return (
            "dropped_to_zero",
            f"0 postings; {open_before} were open before: nothing closed, check the board",
        )
    if rows == 0:
        return "empty", None
    return "ok", None


@dataclass
class _Staged:
    """A board between the gate and the load: what passed, what a 304 confirmed, what went wrong."""

    report: BoardReport
    batch: pl.DataFrame  # canonical records that passed the gate (empty if none or held)
    complete: bool = True  # the fetch was a complete view of the board (see _health for closing)
    held_rows: int = 0
    unchanged: list[str] = field(default_factory=list)
    fetch_errors: list[str] = field(default_factory=list)
    parse_errors: list[str] = field(default_factory=list)
    gate_errors: list[str] = field(default_factory=list)
    candidate: Batch | None = None  # the parsed batch waiting for the gate


def _stage_board(settings: Settings, wh: Warehouse, manifest: dict[str, Any], run: str) -> _Staged:
    """Index the board's fetches and parse its payloads (quarantining failures) for the gate."""
    source, board = manifest["source"], manifest["board"]
    module = source_module(source)
    staged = _Staged(
        BoardReport(source, board, "ok", fetches=len(manifest["fetches"])),
        records_frame([]),
        complete=manifest.get("complete", True),
    )
    frames: list[pl.DataFrame] = []
    refs: list[str] = []
    if not manifest["fetches"]:
        staged.fetch_errors.append("nothing was fetched")
    for entry in manifest["fetches"]:
        sha = entry.get("sha256")
        body = _archived(settings, sha) if sha else None
        if sha and body is None:
            staged.fetch_errors.append(f"{entry['url']}: payload {sha[:12]} is missing from the archive")
            continue
        fetch = _entry_fetch(entry, source, board, body)
        archive_fetch(wh, fetch)
        if fetch.error:
            staged.fetch_errors.append(f"{fetch.url}: {fetch.error}")
            continue
        if fetch.status == 304:
            previous = entry.get("previous_sha256")
            ids = load.payload_source_ids(wh, source, board, previous) if previous else []
            if ids:  # unchanged and loaded before: no parsing, the ids are known
                staged.unchanged.extend(ids)
                continue
            body = _archived(settings, previous) if previous else None
            if body is None:
                staged.fetch_errors.append(f"{fetch.url}: 304 for a payload that is not in the archive")
                continue
            sha = previous
            path = str(payload_path(settings.data_dir, sha))
            load.index_payload(wh, sha, len(body), fetch.content_type, path, fetch.fetched_at)
            fetch = replace(fetch, body=body)
        if sha is None:
            continue
        fetch = replace(fetch, fetched_at=load.payload_first_fetched(wh, sha) or fetch.fetched_at)
        try:
            records = _parse(module, fetch, board)
        except ParseError as exc:
            staged.report.quarantined.append(
                _quarantine_parse(settings, wh, fetch, sha, source, board, str(exc))
            )
            staged.parse_errors.append(str(exc))
            continue
        if records:
            frames.append(records_frame(records))
            refs.append(sha)
    batch = dedup_within_source(pl.concat(frames)) if frames else records_frame([])
    if not batch.is_empty():
        staged.candidate = Batch(batch, f"{source}:{board}:{run}", source, board, refs)
    return staged


def _gate_boards(wh: Warehouse, staged: Sequence[_Staged], as_of: datetime, run: str) -> None:
    """Pass each board's parsed batch through the gate; a held batch loads nothing from its board."""
    pending = [s for s in staged if s.candidate is not None]
    results = gate_batches(wh, SUITE, [s.candidate for s in pending], run=run, as_of=as_of)
    for board, gate in zip(pending, results, strict=True):
        if gate.passed:
            board.batch = board.candidate.df
        else:
            board.held_rows = board.candidate.df.height
            board.report.quarantined.append(str(gate.quarantine_id))
            board.gate_errors.append(
                f"{SUITE} gate quarantined the batch as {gate.quarantine_id}: {', '.join(gate.failed)}"
            )


def _merge_boards(staged: Sequence[_Staged]) -> list[_Staged]:
    """One entry per board: a board landed more than once in a run is one listing, all its
    manifests' together (so one health row, and nothing they listed is closed)."""
    merged: dict[tuple[str, str], _Staged] = {}
    for entry in staged:
        key = (entry.report.source, entry.report.board)
        if key not in merged:
            merged[key] = entry
            continue
        into = merged[key]
        into.batch = dedup_within_source(pl.concat([into.batch, entry.batch]))
        into.complete = into.complete and entry.complete
        into.held_rows += entry.held_rows
        into.report.fetches += entry.report.fetches
        into.report.quarantined += entry.report.quarantined
        for name in ("unchanged", "fetch_errors", "parse_errors", "gate_errors"):
            getattr(into, name).extend(getattr(entry, name))
    return list(merged.values())


def _load_boards(
    wh: Warehouse,
    staged: Sequence[_Staged],
    records: pl.DataFrame,
    classified: pl.DataFrame,
    as_of: datetime,
    run: str,
) -> list[BoardReport]:
    """Load every staged board of a run in one set-based pass; record each board's health.

    `records` are the boards' batches one after the other and `classified` the same rows
    classified. Each board keeps its own lifecycle rules: what it listed (or a 304 confirmed) is
    seen, and only a wholly successful, complete fetch closes what it no longer lists.
    """
    boards = pl.DataFrame(
        {"source": [s.report.source for s in staged], "board": [s.report.board for s in staged]},
        schema=_NO_BOARDS.schema,
    )
    open_before = load.open_sightings(wh, boards)
    unchanged = pl.DataFrame(
        [(s.report.source, s.report.board, i) for s in staged for i in s.unchanged],
        schema=_NO_IDS.schema,
        orient="row",
    )
    listed = (
        pl.concat([records.select(_NO_IDS.columns), unchanged])
        .group_by("source", "board")
        .agg(pl.col("source_id").n_unique())
    )
    counts = dict(zip(zip(listed["source"], listed["board"], strict=True), listed["source_id"], strict=True))
    closing = []
    for entry in staged:
        report = entry.report
        key = (report.source, report.board)
        report.rows = counts.get(key, 0) + entry.held_rows
        gate_error = "; ".join(entry.gate_errors) or None
        report.status, report.error = _health(
            report.rows, open_before.get(key, 0), entry.fetch_errors, entry.parse_errors, gate_error
        )
        if report.status == "ok" and entry.complete:
            closing.append(key)
    done = _load_classified(
        wh,
        records,
        classified,
        as_of,
        unchanged,
        pl.DataFrame(closing, schema=_NO_BOARDS.schema, orient="row"),
    ).of()
    for entry in staged:
        report = entry.report
        report.new, report.aliases, report.closed = done.get((report.source, report.board), (0, 0, 0))
    load.record_source_health(
        wh,
        pl.DataFrame(
            [(r.source, r.board, run, r.status, r.rows, r.error) for r in (s.report for s in staged)],
            schema=["source", "board", "run", "status", "rows", "error"],
            orient="row",
        ),
    )
    return [s.report for s in staged]


def _priority(manifest: dict[str, Any]) -> tuple[int, str, str]:
    source = manifest["source"]
    rank = SOURCE_PRIORITY.index(source) if source in SOURCE_PRIORITY else len(SOURCE_PRIORITY)
    return rank, manifest["board"], manifest.get("written_at", "")


def load_landed(
    settings: Settings, wh: Warehouse, manifests: Sequence[Path], as_of: datetime, cards: Sequence[RoleCard]
) -> PostingsReport:
    """Load landing manifests into the warehouse, all in one transaction (a crash changes nothing).

    Boards load in source priority order (employer ATS feeds first), so when one job arrives from
    two sources in the same run the ATS record is the posting and the other its alias.
    """
    as_of = _utc(as_of)
    run = as_of.date().isoformat()
    landed = sorted((read_manifest(p) for p in manifests), key=_priority)
    report = PostingsReport(as_of)
    with wh.transaction():
        staged = [_stage_board(settings, wh, manifest, run) for manifest in landed]
        _gate_boards(wh, staged, as_of, run)
        staged = _merge_boards(staged)
        records = pl.concat([s.batch for s in staged]) if staged else records_frame([])
        classified = _classify(records, cards)
        report.boards = _load_boards(wh, staged, records, classified, as_of, run)
    return report


def release_parse_quarantine(
    settings: Settings, wh: Warehouse, quarantine_id: str, as_of: datetime, cards: Sequence[RoleCard]
) -> int:
    """Re-parse a payload held at stage 'parse' (after a parser fix), gate and load it; return rows.

    Raises ValueError if the id is not a parse quarantine, or the payload still does not parse.
    """
    held = load.parse_quarantine(wh, quarantine_id)
    if held is None:
        raise ValueError(f"{quarantine_id}: no parse-stage quarantine with this id")
    if held["released_at"] is not None:
        return 0
    source, board = held["source"], held["board"]
    (sha,) = json.loads(held["payload_refs"])
    body = read_payload(settings.data_dir, sha)
    url = wh.scalar("SELECT url FROM raw.fetches WHERE sha256 = ? ORDER BY fetched_at LIMIT 1", [sha]) or sha
    fetched_at = wh.scalar("SELECT min(fetched_at) FROM raw.fetches WHERE sha256 = ?", [sha]) or _utc(as_of)
    fetch = Fetch(url=url, fetched_at=fetched_at, status=200, body=body, source=source, board=board)
    try:
        df = dedup_within_source(records_frame(_parse(source_module(source), fetch, board)))
    except ParseError as exc:
        raise ValueError(f"{quarantine_id}: still does not parse: {exc}") from exc
    as_of = _utc(as_of)
    with wh.transaction():
        rows = 0
        if not df.is_empty():
            gate = gate_batch(
                wh,
                SUITE,
                df,
                batch_id=f"{source}:{board}:release:{quarantine_id}",
                source=source,
                board=board,
                payload_refs=[sha],
                run=as_of.date().isoformat(),
                as_of=as_of,
            )
            if not gate.passed:
                raise ValueError(
                    f"{quarantine_id}: parses now, but the gate holds it as {gate.quarantine_id}"
                )
            _load_classified(wh, df, _classify(df, cards), as_of)
            rows = df.height
        load.mark_released(wh, quarantine_id, datetime.now(UTC).replace(tzinfo=None))
    return rows


# ------------------------------------------------------------------------------------ ingest
class _Progress:
    """One line per board on stderr; on a terminal the current line is rewritten in place."""

    def __init__(self, enabled: bool, stream: TextIO):
        self.enabled = enabled
        self.stream = stream
        self.tty = stream.isatty()

    def step(self, text: str, done: bool = False) -> None:
        if not self.enabled:
            return
        if self.tty:
            self.stream.write("\r\x1b[2K" + text + ("\n" if done else ""))
        elif done:
            self.stream.write(text + "\n")
        self.stream.flush()


def ingest_postings(
    settings: Settings, wh: Warehouse, as_of: datetime, cards: Sequence[RoleCard], progress: bool = False
) -> PostingsReport:
    """Every configured board of every enabled source: fetch_board, then one load_landed."""
    as_of = _utc(as_of)
    boards = [
        (name, board)
        for name in SOURCE_PRIORITY
        if name in settings.sources and settings.sources[name].enabled
        for board in settings.sources[name].boards
    ]
    show = _Progress(progress or sys.stderr.isatty(), sys.stderr)
    manifests = []
    with make_client(settings) as client:
        for index, (source, board) in enumerate(boards, 1):
            show.step(f"[{index}/{len(boards)}] {source} {board}: fetching")
            path = fetch_board(settings, source, board, as_of, client=client)
            fetched = read_manifest(path)["fetches"]
            statuses = ", ".join(sorted({str(f["status"] or "error") for f in fetched})) or "nothing"
            show.step(
                f"[{index}/{len(boards)}] {source} {board}: {len(fetched)} request(s) ({statuses})", True
            )
            manifests.append(path)
    show.step(f"loading {len(manifests)} board(s) into {wh.path or 'the warehouse'}")
    report = load_landed(settings, wh, manifests, as_of, cards)
    show.step(report.summary(), True)
    return report
