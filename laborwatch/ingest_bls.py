"""The BLS ingest step: calendar → which programs are due → API pulls and files → gate → loads.

Order and atomicity. The release calendar is loaded first, in its own transaction, because it decides
which programs are pulled. Every raw answer and file is archived (and every API query counted in the
budget) as it arrives, committed at once: what BLS sent and what the day's quota spent stay recorded
even if a later step fails. Everything else (catalog, observations, footnotes, projections, pull
records) is loaded in one transaction, each observation batch only after it passed the
`bls_observations` expectation suite.

A program's pull is recorded only when every one of its series got a settled outcome and its batch
passed, so a refused, truncated-without-budget or quarantined pull is tried again on the next run.
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
    record_pulls,
)
from warehouse.db import Warehouse

log = logging.getLogger(__name__)

SOURCE = "bls"
EP = "EP"
OEWS = "OEWS"
ANONYMOUS_DAILY_LIMIT = 25  # BLS's per-IP pool without a key
BLS_TIME_ZONE = ZoneInfo("America/New_York")  # the daily quota resets at Washington midnight


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
    quarantined: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


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


def _file_programs(settings: Settings) -> set[str]:
    return ({EP} if settings.bls.projections_url else set()) | ({OEWS} if settings.bls.oews_urls else set())


def _programs(settings: Settings, catalog: pl.DataFrame) -> set[str]:
    return set(catalog["program"].to_list()) | _file_programs(settings)


def releases_due(settings: Settings, wh: Warehouse, as_of: datetime) -> list[str]:
    """Programs with a release since their last pull (or never pulled, or with no calendar entry).

    The programs are those of the stored series catalog, of `[bls] series` and of the configured files;
    before the first ingest (no catalog yet) the card-independent ones (JOLTS, CES) and OEWS.
    """
    stored = set(wh.query("SELECT DISTINCT program FROM staging.bls_series")["program"].to_list())
    programs = (
        stored
        | _programs(settings, catalog_for_cards([], settings.bls.series))
        | (set() if stored else {OEWS})
    )
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
    wh: Warehouse, http: BlsHttp, url: str, board: str, report: BlsReport
) -> tuple[bytes, str] | None:
    """GET a file conditionally and archive it; on 304 the archived copy is parsed again (loads are
    idempotent, and a previous run may have archived the file but failed before loading it)."""
    etag, last_modified, last_sha = last_validators(wh, url)
    resp = http.get(url, etag=etag, last_modified=last_modified)
    sha = archive_fetch(wh, _fetch(resp, board))
    if resp.status == 304 and last_sha:
        return read_payload(wh.data_dir, last_sha), last_sha
    if resp.body is None or resp.error or sha is None:
        report.errors.append(f"{board} {url}: {resp.error or f'HTTP {resp.status}'}")
        return None
    return resp.body, sha


def _parse_failure(wh: Warehouse, board: str, url: str, sha: str, exc: Exception, report: BlsReport) -> None:
    reason = f"{board} {url}: {exc}"
    qid = quarantine_payload(
        wh, source=SOURCE, board=board, reason=reason, payload_sha=sha, created_at=_utc_now()
    )
    report.quarantined.append(qid)
    report.errors.append(f"{reason} (quarantined as {qid})")


def _calendar(
    settings: Settings, wh: Warehouse, http: BlsHttp, retrieved_at: datetime, report: BlsReport
) -> None:
    url = settings.bls.calendar_url
    got = _download(wh, http, url, "calendar", report) if url else None
    if got is None:
        return
    try:
        releases = parse_calendar(got[0])
    except CalendarError as exc:
        _parse_failure(wh, "calendar", url, got[1], exc, report)
        return
    report.releases_changed = load_releases(wh, releases, retrieved_at)


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


def _oews_files(
    settings: Settings, wh: Warehouse, http: BlsHttp, report: BlsReport
) -> tuple[list[pl.DataFrame], list[str], bool]:
    frames, shas, complete = [], [], True
    for url in settings.bls.oews_urls:
        got = _download(wh, http, url, "oews_file", report)
        if got is None:
            complete = False
            continue
        try:
            year, rows = parse_oews_zip(got[0], url)
        except OewsFileError as exc:
            _parse_failure(wh, "oews_file", url, got[1], exc, report)
            complete = False
            continue
        log.info("OEWS file %s: May %d, %d observations", url, year, rows.height)
        frames.append(rows)
        shas.append(got[1])
    return frames, shas, complete


def _projections(
    settings: Settings, wh: Warehouse, http: BlsHttp, report: BlsReport
) -> tuple[pl.DataFrame | None, str | None]:
    url = settings.bls.projections_url
    got = _download(wh, http, url, "projections", report) if url else None
    if got is None:
        return None, None
    try:
        return parse_projections_workbook(got[0]), got[1]
    except ProjectionsError as exc:
        _parse_failure(wh, "projections", url, got[1], exc, report)
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
    http = _http(settings)
    catalog = catalog_for_cards(cards, settings.bls.series)

    _calendar(settings, wh, http, retrieved_at, report)
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
    oews_frames, oews_shas, oews_complete = (
        _oews_files(settings, wh, http, report) if OEWS in due else ([], [], True)
    )
    projections, projections_sha = _projections(settings, wh, http, report) if EP in due else (None, None)

    observations = pl.concat(
        [pull.observations if pull else pl.DataFrame(schema=OBSERVATION_SCHEMA), *oews_frames]
    )
    report.oews_file_rows = sum(f.height for f in oews_frames)
    footnotes = pl.concat(
        [
            pull.footnotes if pull else pl.DataFrame(schema=FOOTNOTE_SCHEMA),
            *(flag_footnotes(f) for f in oews_frames),
        ]
    )
    unsettled = pull.unsettled() if pull else set()
    program_of = dict(zip(catalog["series_id"].to_list(), catalog["program"].to_list(), strict=True))

    with wh.transaction():
        load_catalog(wh, catalog, retrieved_at)
        batch = prepare_observations(observations, retrieved_at).with_columns(
            pl.col("series_id").replace_strict(program_of, default=OEWS).alias("_program")
        )
        pulled: dict[str, tuple[int, int]] = {}
        for program in sorted(due - {EP}):
            part = batch.filter(pl.col("_program") == program).drop("_program")
            series = wanted.filter(pl.col("program") == program)["series_id"].to_list()
            settled = not unsettled.intersection(series) and (program != OEWS or oews_complete)
            if part.is_empty():
                if settled:
                    pulled[program] = (len(series), 0)
                continue
            refs = [*(pull.payload_shas if pull else []), *(oews_shas if program == OEWS else [])]
            result = gate_and_load(
                wh,
                "bls_observations",
                part,
                lambda df: load_bls_batch(wh, df, retrieved_at),
                batch_id=f"{program}:{retrieved_at:%Y%m%dT%H%M%S%f}",
                source=SOURCE,
                board=program,
                payload_refs=refs,
                as_of=as_of,
            )
            report.observations_new += result.loaded
            if not result.passed:
                report.quarantined.append(result.quarantine_id)
                report.errors.append(f"{program}: batch quarantined ({', '.join(result.failed)})")
                continue
            if settled:
                pulled[program] = (len(series), result.loaded)
        load_footnotes(wh, footnotes, retrieved_at)
        if projections is not None:
            stamped = projections.with_columns(pl.lit(retrieved_at).alias("retrieved_at"))
            result = gate_and_load(
                wh,
                "projections",
                stamped,
                lambda df: load_projections(wh, df.drop("retrieved_at"), retrieved_at),
                batch_id=f"{EP}:{retrieved_at:%Y%m%dT%H%M%S%f}",
                source=SOURCE,
                board=EP,
                payload_refs=[projections_sha] if projections_sha else [],
                as_of=as_of,
            )
            report.projections_changed = result.loaded
            if result.passed:
                pulled[EP] = (0, result.loaded)
            else:
                report.quarantined.append(result.quarantine_id)
                report.errors.append(f"{EP}: projections quarantined ({', '.join(result.failed)})")
        record_pulls(wh, pulled, as_of, retrieved_at)

    report.programs_pulled = sorted(pulled)
    report.queries_sent = pull.queries_sent if pull else 0
    report.budget_used_today = budget.used_today()
    report.budget_daily_limit = budget.daily_limit
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
