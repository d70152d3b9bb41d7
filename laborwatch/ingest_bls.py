"""The BLS ingest step: calendar → which programs are due → API pulls and files → gate → loads.

Order and atomicity. The release calendar is loaded first, in its own transaction, because it decides
which programs are pulled. Every raw answer and file is archived (and every API query counted in the
budget) as it arrives, committed at once: what BLS sent and what the day's quota spent stay recorded
even if a later step fails. Everything else (catalog, observations, footnotes, projections, pull
records, source health) is loaded in one transaction, each observation batch (one per program) only
after it passed the `bls_observations` expectation suite, the projections after `projections`.

A program's pull is recorded only when every one of its series got a settled outcome and its batch
passed, so a refused, unfinished or quarantined pull is tried again on the next run. Each program
pulled (and the calendar) gets a marts.source_health row, so a failing feed raises an alert.
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import polars as pl

from expectations.gate import gate_and_load
from ingest.bls_api import (
    FOOTNOTE_SCHEMA,
    OBSERVATION_SCHEMA,
    BlsClient,
    BlsHttp,
    BlsPull,
    Outcome,
    RawResponse,
    SeriesOutcome,
)
from ingest.bls_calendar import CalendarError, parse_calendar
from ingest.bls_catalog import catalog_for_cards
from ingest.oews_files import OewsFileError, flag_footnotes, parse_oews_zip
from ingest.projections import ProjectionsError, parse_projections_workbook
from laborwatch.settings import Settings
from transforms.role_card import RoleCard
from warehouse.archive import Fetch, archive_fetch, last_validators, read_payload
from warehouse.bls_load import (
    WarehouseQueryBudget,
    due_programs,
    load_catalog,
    load_footnotes,
    load_observations,
    load_projections,
    load_releases,
    prepare_observations,
    quarantine_payload,
    record_health,
    record_pulls,
    release_schedule,
)
from warehouse.db import Warehouse

log = logging.getLogger(__name__)

SOURCE = "bls"
EP = "EP"
OEWS = "OEWS"
CALENDAR = "CALENDAR"
ANONYMOUS_DAILY_LIMIT = 25  # BLS's per-IP pool without a key
BLS_TIME_ZONE = ZoneInfo("America/New_York")  # the daily quota resets at Washington midnight
# Outcomes that say the source failed (a spent budget of our own is not the source's fault).
_FETCH_FAILURES = {
    Outcome.THRESHOLD_REFUSED,
    Outcome.INVALID_PARAMETERS,
    Outcome.NOT_SERVED,
    Outcome.UNAVAILABLE,
}


@dataclass
class BlsReport:
    """What one ingest did (JSON-serialisable: the CLI prints it, Airflow passes it through XCom)."""

    as_of: str
    retrieved_at: str
    keyed: bool
    programs_due: list[str] = field(default_factory=list)
    programs_pulled: list[str] = field(default_factory=list)
    series: int = 0
    queries_sent: int = 0
    budget_used_today: int = 0
    budget_daily_limit: int = 0
    outcomes: dict[str, int] = field(default_factory=dict)  # final outcome → number of series
    series_outcomes: list[dict] = field(default_factory=list)  # every outcome of every query
    observations_new: int = 0
    oews_file_rows: int = 0
    projections_changed: int = 0
    releases_changed: int = 0
    schedule: dict[str, dict] = field(default_factory=dict)  # program → last_release, next_release
    quarantined: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


class _Health:
    """Per board (program, or CALENDAR): the worst problem seen this run, for marts.source_health."""

    def __init__(self, report: BlsReport) -> None:
        self.report = report
        self.problems: dict[str, tuple[str, str]] = {}

    def fail(self, board: str, status: str, message: str) -> None:
        self.report.errors.append(message)
        if board not in self.problems or status == "parse_error":
            self.problems[board] = (status, message)

    def row(self, board: str, rows: int) -> tuple[str, int, str | None]:
        status, message = self.problems.get(board, ("ok", None))
        return status, rows, message


def _utc_now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def _naive_utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(tzinfo=None) if moment.tzinfo else moment


def bls_day(moment: datetime) -> date:
    """The BLS calendar day of a naive-UTC moment (the quota day)."""
    return moment.replace(tzinfo=UTC).astimezone(BLS_TIME_ZONE).date()


def daily_limit(settings: Settings) -> int:
    limit = settings.bls.daily_query_limit
    return limit if settings.bls.api_key else min(limit, ANONYMOUS_DAILY_LIMIT)


def _http(settings: Settings) -> BlsHttp:
    h = settings.http
    return BlsHttp(
        h.full_user_agent,
        timeout=h.timeout_seconds,
        max_retries=h.max_retries,
        backoff=h.backoff_seconds,
        max_backoff=h.max_backoff_seconds,
        max_bytes=h.max_response_bytes,
    )


def _programs(settings: Settings, catalog: pl.DataFrame) -> set[str]:
    files = ({EP} if settings.bls.projections_url else set()) | ({OEWS} if settings.bls.oews_urls else set())
    return set(catalog["program"].to_list()) | files


def releases_due(settings: Settings, wh: Warehouse, as_of: datetime) -> list[str]:
    """Programs with a release since their last pull (or never pulled, or with no calendar entry).

    The programs are those of the stored series catalog, of `[bls] series` and of the configured
    files; before the first ingest (no catalog stored yet) also OEWS, which every SOC proxy implies.
    """
    stored = set(wh.query("SELECT DISTINCT program FROM staging.bls_series")["program"].to_list())
    programs = stored | _programs(settings, catalog_for_cards([], settings.bls.series)) | ({OEWS} - stored)
    grace = timedelta(minutes=settings.bls.release_grace_minutes)
    return due_programs(wh, programs, _naive_utc(as_of), grace)


def load_bls_batch(wh: Warehouse, df: pl.DataFrame, retrieved_at: datetime) -> int:
    """Load a validated observations batch (after the gate, or on quarantine release): new vintages only."""
    return load_observations(wh, df, retrieved_at)


# -------------------------------------------------------------------------------- fetching


def _fetch(resp: RawResponse, board: str) -> Fetch:
    return Fetch(
        url=resp.url,
        fetched_at=resp.fetched_at,
        status=resp.status,
        body=resp.body,
        content_type=resp.content_type,
        etag=resp.etag,
        last_modified=resp.last_modified,
        source=SOURCE,
        board=board,
        error=resp.error,
    )


def _download(
    wh: Warehouse, http: BlsHttp, url: str, board: str, health: _Health
) -> tuple[bytes, str] | None:
    """GET a file conditionally and archive it. On 304 the archived copy is parsed again: loads are
    idempotent, and a previous run may have archived the file but failed before loading it."""
    etag, last_modified, last_sha = last_validators(wh, url)
    resp = http.get(url, etag=etag, last_modified=last_modified)
    sha = archive_fetch(wh, _fetch(resp, board))
    if resp.status == 304 and last_sha:
        return read_payload(wh.data_dir, last_sha), last_sha
    if resp.body is None or resp.error or sha is None:
        health.fail(board, "fetch_error", f"{board} {url}: {resp.error or f'HTTP {resp.status}'}")
        return None
    return resp.body, sha


def _parse_failure(
    wh: Warehouse, board: str, what: str, sha: str | None, problem: object, health: _Health
) -> None:
    reason = f"{board} {what}: {problem}"
    qid = quarantine_payload(
        wh, source=SOURCE, board=board, reason=reason, payload_sha=sha, created_at=_utc_now()
    )
    health.report.quarantined.append(qid)
    health.fail(board, "parse_error", f"{reason} (quarantined as {qid})")


def _calendar(
    settings: Settings, wh: Warehouse, http: BlsHttp, retrieved_at: datetime, health: _Health
) -> int:
    url = settings.bls.calendar_url
    got = _download(wh, http, url, CALENDAR, health) if url else None
    if got is None:
        return 0
    try:
        releases = parse_calendar(got[0])
    except CalendarError as exc:
        _parse_failure(wh, CALENDAR, url, got[1], exc, health)
        return 0
    health.report.releases_changed = load_releases(wh, releases, retrieved_at)
    return releases.height


def _pull_api(
    settings: Settings,
    wh: Warehouse,
    http: BlsHttp,
    series: list[str],
    as_of: datetime,
    budget: WarehouseQueryBudget,
) -> BlsPull:
    end_year = as_of.year
    start_year = settings.bls.start_year or end_year - settings.bls.lookback_years + 1
    client = BlsClient(settings.bls.base_url, settings.bls.api_key, http)

    def archive(resp: RawResponse) -> str | None:
        return archive_fetch(wh, _fetch(resp, "api"))

    return client.pull(series, min(start_year, end_year), end_year, budget, on_answer=archive)


def _api_health(pull: BlsPull, program_of: dict[str, str], health: _Health, wh: Warehouse) -> None:
    """Malformed answers are quarantined; refusals and failures are marked on their program."""
    for sha, problem in pull.malformed:
        _parse_failure(wh, "api", "answer", sha, problem, health)
    failed: dict[tuple[str, Outcome], list[SeriesOutcome]] = {}
    for outcome in pull.outcomes:
        if outcome.outcome in _FETCH_FAILURES or outcome.outcome is Outcome.MALFORMED:
            failed.setdefault((program_of[outcome.series_id], outcome.outcome), []).append(outcome)
    for (program, kind), outcomes in sorted(failed.items()):
        status = "parse_error" if kind is Outcome.MALFORMED else "fetch_error"
        first = outcomes[0].messages[0] if outcomes[0].messages else ""
        health.fail(program, status, f"{program}: {len(outcomes)} series {kind}: {first}")


def _oews_files(
    settings: Settings, wh: Warehouse, http: BlsHttp, health: _Health
) -> tuple[list[pl.DataFrame], list[str]]:
    frames, shas = [], []
    for url in settings.bls.oews_urls:
        got = _download(wh, http, url, OEWS, health)
        if got is None:
            continue
        try:
            year, rows = parse_oews_zip(got[0], url)
        except OewsFileError as exc:
            _parse_failure(wh, OEWS, url, got[1], exc, health)
            continue
        log.info("OEWS file %s: May %d, %d observations", url, year, rows.height)
        frames.append(rows)
        shas.append(got[1])
    return frames, shas


def _projections(
    settings: Settings, wh: Warehouse, http: BlsHttp, health: _Health
) -> tuple[pl.DataFrame | None, str | None]:
    url = settings.bls.projections_url
    got = _download(wh, http, url, EP, health) if url else None
    if got is None:
        return None, None
    try:
        return parse_projections_workbook(got[0]), got[1]
    except ProjectionsError as exc:
        _parse_failure(wh, EP, url, got[1], exc, health)
        return None, None


# ---------------------------------------------------------------------------------- the step


def ingest_bls(
    settings: Settings, wh: Warehouse, cards: list[RoleCard], as_of: datetime, force: bool = False
) -> BlsReport:
    """Pull the programs that are due (every program with `force`) and load what came back.

    `as_of` is the run's logical date: it picks the year window and decides which releases have come
    out. `retrieved_at` (the vintage stamp) is the wall clock, because that is when BLS said it.
    """
    as_of = _naive_utc(as_of)
    retrieved_at = _utc_now()
    report = BlsReport(as_of.isoformat(), retrieved_at.isoformat(), keyed=bool(settings.bls.api_key))
    health = _Health(report)
    http = _http(settings)
    catalog = catalog_for_cards(cards, settings.bls.series)
    program_of = dict(zip(catalog["series_id"].to_list(), catalog["program"].to_list(), strict=True))

    releases = _calendar(settings, wh, http, retrieved_at, health)
    programs = _programs(settings, catalog)
    grace = timedelta(minutes=settings.bls.release_grace_minutes)
    report.programs_due = sorted(programs) if force else due_programs(wh, programs, as_of, grace)
    due = set(report.programs_due)

    wanted = catalog.filter(pl.col("program").is_in(list(due)))
    report.series = wanted.height
    budget = WarehouseQueryBudget(
        wh, bls_day(retrieved_at), daily_limit(settings), settings.bls.run_query_share
    )
    pull = (
        _pull_api(settings, wh, http, wanted["series_id"].to_list(), as_of, budget) if wanted.height else None
    )
    if pull:
        _api_health(pull, program_of, health, wh)
    oews_frames, oews_shas = _oews_files(settings, wh, http, health) if OEWS in due else ([], [])
    projections, projections_sha = _projections(settings, wh, http, health) if EP in due else (None, None)

    observations = pl.concat(
        [pull.observations if pull else pl.DataFrame(schema=OBSERVATION_SCHEMA), *oews_frames]
    )
    footnotes = pl.concat(
        [
            pull.footnotes if pull else pl.DataFrame(schema=FOOTNOTE_SCHEMA),
            *(flag_footnotes(f) for f in oews_frames),
        ]
    )
    report.oews_file_rows = sum(f.height for f in oews_frames)
    unsettled = pull.unsettled() if pull else set()
    boards: dict[str, tuple[str, int, str | None]] = {}
    pulled: dict[str, tuple[int, int]] = {}

    with wh.transaction():
        load_catalog(wh, catalog, retrieved_at)
        batch = prepare_observations(observations, retrieved_at).with_columns(
            pl.col("series_id").replace_strict(program_of, default=OEWS).alias("_program")
        )
        for program in sorted(due - {EP}):
            part = batch.filter(pl.col("_program") == program).drop("_program")
            series = wanted.filter(pl.col("program") == program)["series_id"].to_list()
            loaded, passed = 0, True
            if not part.is_empty():
                result = gate_and_load(
                    wh,
                    "bls_observations",
                    part,
                    lambda df: load_bls_batch(wh, df, retrieved_at),
                    batch_id=f"{program}:{retrieved_at:%Y%m%dT%H%M%S%f}",
                    source=SOURCE,
                    board=program,
                    payload_refs=[
                        *(pull.payload_shas if pull else []),
                        *(oews_shas if program == OEWS else []),
                    ],
                    as_of=as_of,
                )
                loaded, passed = result.loaded, result.passed
                if not passed:  # the gate marked the board `quarantined` itself
                    report.quarantined.append(result.quarantine_id)
                    report.errors.append(f"{program}: batch quarantined ({', '.join(result.failed)})")
            report.observations_new += loaded
            if passed:
                boards[program] = health.row(program, part.height)
            if passed and not unsettled.intersection(series) and program not in health.problems:
                pulled[program] = (len(series), loaded)
        load_footnotes(wh, footnotes, retrieved_at)
        if EP in due:
            passed = projections is None
            if projections is not None:
                result = gate_and_load(
                    wh,
                    "projections",
                    projections.with_columns(pl.lit(retrieved_at).alias("retrieved_at")),
                    lambda df: load_projections(wh, df.drop("retrieved_at"), retrieved_at),
                    batch_id=f"{EP}:{retrieved_at:%Y%m%dT%H%M%S%f}",
                    source=SOURCE,
                    board=EP,
                    payload_refs=[projections_sha] if projections_sha else [],
                    as_of=as_of,
                )
                report.projections_changed, passed = result.loaded, result.passed
                if passed and EP not in health.problems:
                    pulled[EP] = (0, result.loaded)
                elif not passed:
                    report.quarantined.append(result.quarantine_id)
                    report.errors.append(f"{EP}: projections quarantined ({', '.join(result.failed)})")
            if passed:
                boards[EP] = health.row(EP, projections.height if projections is not None else 0)
        if settings.bls.calendar_url:
            boards[CALENDAR] = health.row(CALENDAR, releases)
        record_pulls(wh, pulled, as_of, retrieved_at)
        record_health(wh, SOURCE, as_of.date().isoformat(), boards)

    report.programs_pulled = sorted(pulled)
    report.queries_sent = pull.queries_sent if pull else 0
    report.budget_used_today = budget.used_today()
    report.budget_daily_limit = budget.daily_limit
    report.schedule = release_schedule(wh, as_of)
    if pull:
        finals = pull.final()
        report.outcomes = {
            str(k): sum(1 for v in finals.values() if v == k) for k in sorted(set(finals.values()))
        }
        report.series_outcomes = [_outcome_dict(o) for o in pull.outcomes]
    log.info(
        "BLS ingest: due %s, pulled %s, %d queries, %d new observation vintages, outcomes %s",
        report.programs_due,
        report.programs_pulled,
        report.queries_sent,
        report.observations_new,
        report.outcomes,
    )
    return report


def _outcome_dict(outcome: SeriesOutcome) -> dict:
    data = asdict(outcome)
    data["outcome"] = str(data["outcome"])
    data["years_without_data"] = list(data["years_without_data"])
    data["messages"] = list(data["messages"])
    return data
