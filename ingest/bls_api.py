"""BLS Public Data API v2: planned queries, typed outcomes, observations with their gaps.

The API answers HTTP 200 when it refuses, silently drops the latest years when a range is over its
limit, serves only the first 50 series of a larger request, returns series in any order and spells
gaps as "-" with footnotes (see shared/reference/bls-and-onet.md). So nothing here trusts an answer's
shape: queries are planned within the limits, every answer's `status` and every `message` is read
and turned into one `Outcome` per series and query, results are matched by `seriesID`, and a gap is
a row with a NULL value, its text and its footnote codes, never a zero.

No DuckDB here (DESIGN §2): the caller hands in a `QueryBudget` (the warehouse keeps the count) and
an `on_answer` hook that archives each raw answer before it is parsed.
"""

from __future__ import annotations

import json
import re
import time
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, Protocol

import polars as pl
import requests

from ingest.bls_periods import is_period

API_PATH = "/publicAPI/v2/timeseries/data/"
REDACTED = "<redacted>"
_SERIES_ID = re.compile(r"^[A-Z0-9_#-]+$")
# A plain decimal: "inf", "NaN" and the like would otherwise cast to floats no BLS release contains.
NUMBER_REGEX = r"^-?(\d+\.?\d*|\.\d+)$"

OBSERVATION_SCHEMA: dict[str, Any] = {
    "series_id": pl.String,
    "year": pl.Int32,
    "period": pl.String,
    "value": pl.Float64,
    "value_text": pl.String,
    "footnote_codes": pl.String,
    "source": pl.String,
}
FOOTNOTE_SCHEMA: dict[str, Any] = {"series_id": pl.String, "code": pl.String, "text": pl.String}


@dataclass(frozen=True)
class Limits:
    series_per_query: int
    years_per_query: int


KEYED_LIMITS = Limits(series_per_query=50, years_per_query=20)
ANONYMOUS_LIMITS = Limits(series_per_query=25, years_per_query=10)


class Outcome(StrEnum):
    """What one query said about one series. Only `settled` outcomes need no retry."""

    OK = "ok"  # data served (some years may still be listed in years_without_data)
    SERIES_MISSING = "series_missing"  # "Series does not exist" / "Invalid Series"
    NO_DATA = "no_data"  # the series exists but has nothing in the window
    YEARS_TRUNCATED = "years_truncated"  # "Year range has been reduced…": the rest is asked again
    THRESHOLD_REFUSED = "threshold_refused"  # REQUEST_NOT_PROCESSED: the daily threshold
    INVALID_PARAMETERS = "invalid_parameters"  # REQUEST_FAILED_INVALID_PARAMETERS
    NOT_SERVED = "not_served"  # asked for, absent from Results (e.g. beyond a 50-series cap)
    UNAVAILABLE = "unavailable"  # transport error, HTTP error, HTML instead of JSON, over capacity
    MALFORMED = "malformed"  # JSON that does not have the documented shape
    BUDGET_EXHAUSTED = "budget_exhausted"  # not sent: this run's share of the daily budget is spent

    @property
    def settled(self) -> bool:
        return self in _SETTLED


_SETTLED = frozenset({Outcome.OK, Outcome.SERIES_MISSING, Outcome.NO_DATA, Outcome.YEARS_TRUNCATED})


@dataclass(frozen=True)
class SeriesOutcome:
    series_id: str
    outcome: Outcome
    start_year: int
    end_year: int  # the years the answer covers (for a truncated answer: what was actually served)
    rows: int = 0
    years_without_data: tuple[int, ...] = ()
    messages: tuple[str, ...] = ()


@dataclass(frozen=True)
class BlsQuery:
    series_ids: tuple[str, ...]
    start_year: int
    end_year: int

    def body(self, api_key: str | None) -> dict[str, Any]:
        """The JSON body. Years are strings, as documented; the key goes here, never in a URL."""
        body: dict[str, Any] = {
            "seriesid": list(self.series_ids),
            "startyear": str(self.start_year),
            "endyear": str(self.end_year),
        }
        if api_key:
            body["registrationkey"] = api_key
            # Annual averages (M13) need a key; without them annual-only series can look empty.
            body["annualaverage"] = True
        return body


class BlsPayloadError(ValueError):
    """An answer that is JSON but not in the documented shape; the message says what is wrong."""


def normalize_series_ids(series_ids: Iterable[str]) -> list[str]:
    """Upper-cased (the API accepts upper case only), de-duplicated in order, checked for stray characters."""
    out: list[str] = []
    for raw in series_ids:
        sid = str(raw).strip().upper()
        if not _SERIES_ID.match(sid):
            raise ValueError(f"not a BLS series id: {raw!r} (letters, digits, _ - # only)")
        if sid not in out:
            out.append(sid)
    return out


def year_windows(start_year: int, end_year: int, years_per_query: int) -> list[tuple[int, int]]:
    """Windows of at most `years_per_query` years, newest first, so a spent budget loses the oldest years."""
    if start_year > end_year:
        raise ValueError(f"start year {start_year} is after end year {end_year}")
    windows = []
    end = end_year
    while end >= start_year:
        start = max(start_year, end - years_per_query + 1)
        windows.append((start, end))
        end = start - 1
    return windows


def plan_queries(series_ids: Sequence[str], start_year: int, end_year: int, limits: Limits) -> list[BlsQuery]:
    """Split series × years into queries within `limits` (series chunks within each year window)."""
    ids = normalize_series_ids(series_ids)
    step = limits.series_per_query
    return [
        BlsQuery(tuple(ids[i : i + step]), start, end)
        for start, end in year_windows(start_year, end_year, limits.years_per_query)
        for i in range(0, len(ids), step)
    ]


# ------------------------------------------------------------------------------------------ HTTP


@dataclass(frozen=True)
class RawResponse:
    """One HTTP attempt as it came back (body None on a transport failure or a 304)."""

    method: str
    url: str
    fetched_at: datetime  # naive UTC
    status: int | None
    body: bytes | None = None
    content_type: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    error: str | None = None
    retry_after: float | None = None


RETRYABLE_HTTP = frozenset({408, 425, 429, 500, 502, 503, 504})


class BlsHttp:
    """`requests` with a timeout, a size cap, the contact User-Agent and bounded, backed-off retries.

    bls.gov sits behind Akamai, which answers 403 to scripted user agents without a contact
    address: the User-Agent is always the configured one with its contact.
    """

    def __init__(
        self,
        user_agent: str,
        *,
        timeout: float = 20.0,
        max_retries: int = 4,
        backoff: float = 1.0,
        max_backoff: float = 60.0,
        max_bytes: int = 20_000_000,
        session: requests.Session | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.user_agent = user_agent
        self.timeout = timeout
        self.max_retries = max_retries
        self.backoff = backoff
        self.max_backoff = max_backoff
        self.max_bytes = max_bytes
        self.session = session or requests.Session()
        self.sleep = sleep

    def request(
        self, method: str, url: str, *, json_body: Any = None, headers: dict[str, str] | None = None
    ) -> RawResponse:
        """One attempt; transport errors and oversized bodies come back as a RawResponse with `error`."""
        fetched_at = datetime.now(UTC).replace(tzinfo=None)
        all_headers = {"User-Agent": self.user_agent, "Accept": "*/*", **(headers or {})}
        try:
            with self.session.request(
                method, url, json=json_body, headers=all_headers, timeout=self.timeout, stream=True
            ) as resp:
                body = bytearray()
                for chunk in resp.iter_content(65536):
                    body.extend(chunk)
                    if len(body) > self.max_bytes:
                        too_big = f"response larger than {self.max_bytes} bytes"
                        return RawResponse(method, url, fetched_at, resp.status_code, None, error=too_big)
                return RawResponse(
                    method,
                    url,
                    fetched_at,
                    resp.status_code,
                    None if resp.status_code == 304 else bytes(body),
                    content_type=resp.headers.get("Content-Type"),
                    etag=resp.headers.get("ETag"),
                    last_modified=resp.headers.get("Last-Modified"),
                    error=None if resp.status_code < 400 else f"HTTP {resp.status_code}",
                    retry_after=_retry_after(resp.headers.get("Retry-After")),
                )
        except requests.RequestException as exc:
            return RawResponse(method, url, fetched_at, None, error=f"{type(exc).__name__}: {exc}")

    def wait(self, attempt: int, retry_after: float | None = None) -> None:
        """Exponential backoff (or the server's Retry-After), capped at max_backoff."""
        delay = retry_after if retry_after is not None else self.backoff * (2**attempt)
        self.sleep(min(delay, self.max_backoff))

    def get(self, url: str, *, etag: str | None = None, last_modified: str | None = None) -> RawResponse:
        """GET with conditional validators; retried on transport errors, 408/429/5xx."""
        headers = {}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        for attempt in range(self.max_retries + 1):
            response = self.request("GET", url, headers=headers)
            retryable = response.status is None or response.status in RETRYABLE_HTTP
            if not retryable or attempt == self.max_retries:
                return response
            self.wait(attempt, response.retry_after)
        raise AssertionError("unreachable")


def _retry_after(value: str | None) -> float | None:
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None


# ----------------------------------------------------------------------------------- answers

_MISSING = re.compile(r"(?:Series does not exist|Invalid Series) for Series (\S+?)\.?$")
_NO_DATA = re.compile(r"No Data Available for Series (\S+) Year: (\d{4})")
_TRUNCATED = re.compile(r"Year range has been reduced to the system-allowed limit of (\d+) years")
_CATALOG = re.compile(r"Unable to get Catalog Data for series (\S+?)\.?$")
_THRESHOLD = re.compile(r"daily threshold", re.IGNORECASE)


@dataclass
class ParsedAnswer:
    status: str  # BLS `status`, or HTTP_<code> / TRANSPORT_ERROR / NOT_JSON when there is none
    messages: tuple[str, ...]
    outcomes: list[SeriesOutcome]
    observations: pl.DataFrame
    footnotes: pl.DataFrame
    truncated_to: int | None = None  # the year limit a "Year range has been reduced" message announced
    retryable: bool = False


def _empty_observations() -> pl.DataFrame:
    return pl.DataFrame(schema=OBSERVATION_SCHEMA)


def _whole_query(
    query: BlsQuery, outcome: Outcome, status: str, messages: Sequence[str], **kw: Any
) -> ParsedAnswer:
    outcomes = [
        SeriesOutcome(sid, outcome, query.start_year, query.end_year, messages=tuple(messages))
        for sid in query.series_ids
    ]
    return ParsedAnswer(
        status, tuple(messages), outcomes, _empty_observations(), pl.DataFrame(schema=FOOTNOTE_SCHEMA), **kw
    )


def parse_answer(response: RawResponse, query: BlsQuery) -> ParsedAnswer:
    """Turn one answer into per-series outcomes and observation rows; raise BlsPayloadError if malformed."""
    if response.body is None or (response.status is not None and response.status >= 400):
        retryable = response.status is None or response.status in RETRYABLE_HTTP
        status = "TRANSPORT_ERROR" if response.status is None else f"HTTP_{response.status}"
        return _whole_query(
            query, Outcome.UNAVAILABLE, status, [response.error or status], retryable=retryable
        )
    try:
        doc = json.loads(response.body)
    except ValueError:
        snippet = response.body[:80].decode("utf-8", "replace")
        return _whole_query(query, Outcome.UNAVAILABLE, "NOT_JSON", [f"answer is not JSON: {snippet!r}"])
    if not isinstance(doc, dict) or not isinstance(doc.get("status"), str):
        raise BlsPayloadError("answer has no string `status`")
    status = doc["status"]
    messages = doc.get("message") or []
    if not isinstance(messages, list) or not all(isinstance(m, str) for m in messages):
        raise BlsPayloadError("`message` is not a list of strings")
    if status == "REQUEST_NOT_PROCESSED":
        kind = (
            Outcome.THRESHOLD_REFUSED if any(_THRESHOLD.search(m) for m in messages) else Outcome.UNAVAILABLE
        )
        return _whole_query(query, kind, status, messages)
    if status == "REQUEST_FAILED_INVALID_PARAMETERS":
        return _whole_query(query, Outcome.INVALID_PARAMETERS, status, messages)
    if status == "REQUEST_FAILED_OVER_CAPACITY":
        return _whole_query(query, Outcome.UNAVAILABLE, status, messages, retryable=True)
    if status != "REQUEST_SUCCEEDED":
        return _whole_query(query, Outcome.UNAVAILABLE, status, [f"unknown status {status}", *messages])
    return _parse_success(doc, query, status, messages)


def _results_series(doc: dict[str, Any]) -> list[dict[str, Any]]:
    """`Results.series`; the documentation's sample wraps Results in a list, real answers do not."""
    results = doc.get("Results") or {}
    parts = results if isinstance(results, list) else [results]
    series: list[dict[str, Any]] = []
    for part in parts:
        if not isinstance(part, dict) or not isinstance(part.get("series", []), list):
            raise BlsPayloadError("`Results.series` is not a list")
        series.extend(part.get("series", []))
    return series


def _parse_success(doc: dict[str, Any], query: BlsQuery, status: str, messages: list[str]) -> ParsedAnswer:
    missing: set[str] = set()
    no_data: dict[str, set[int]] = {}
    per_series: dict[str, list[str]] = {}
    general: list[str] = []
    truncated_to = None
    for message in messages:
        if m := _MISSING.search(message):
            missing.add(m.group(1).upper())
            per_series.setdefault(m.group(1).upper(), []).append(message)
        elif m := _NO_DATA.search(message):
            no_data.setdefault(m.group(1).upper(), set()).add(int(m.group(2)))
            per_series.setdefault(m.group(1).upper(), []).append(message)
        elif m := _CATALOG.search(message):
            per_series.setdefault(m.group(1).upper(), []).append(message)
        else:
            if m := _TRUNCATED.search(message):
                truncated_to = int(m.group(1))
            general.append(message)  # query-wide (or unrecognised): every series carries it
    served_end = query.end_year
    if truncated_to is not None:
        served_end = min(query.end_year, query.start_year + truncated_to - 1)

    rows: dict[str, list[tuple[Any, ...]]] = {}
    footnotes: list[tuple[str, str, str]] = []
    for entry in _results_series(doc):
        if not isinstance(entry, dict) or not isinstance(entry.get("seriesID"), str):
            raise BlsPayloadError("a Results.series entry has no `seriesID`")
        sid = entry["seriesID"].strip().upper()
        data = entry.get("data", [])
        if not isinstance(data, list):
            raise BlsPayloadError(f"{sid}: `data` is not a list")
        rows.setdefault(sid, []).extend(_data_rows(sid, data, footnotes))

    outcomes = []
    frames = []
    for sid in query.series_ids:
        notes = (*per_series.get(sid, ()), *general)
        gaps = tuple(sorted(no_data.get(sid, ())))
        series_rows = rows.get(sid)
        if sid in missing:
            outcome = Outcome.SERIES_MISSING
        elif series_rows is None:
            outcome = Outcome.NOT_SERVED
        elif not series_rows:
            outcome = Outcome.NO_DATA
        elif truncated_to is not None and served_end < query.end_year:
            outcome = Outcome.YEARS_TRUNCATED
        else:
            outcome = Outcome.OK
        count = len(series_rows or ())
        outcomes.append(SeriesOutcome(sid, outcome, query.start_year, served_end, count, gaps, notes))
        if series_rows:
            frames.append(series_rows)
    notes = list(messages)
    unasked = sorted(set(rows) - set(query.series_ids))
    if unasked:
        notes.append(f"answer holds series not asked for (ignored): {', '.join(unasked)}")
    records = [r for frame in frames for r in frame]
    return ParsedAnswer(
        status,
        tuple(notes),
        outcomes,
        _observation_frame(records),
        pl.DataFrame(footnotes, schema=FOOTNOTE_SCHEMA, orient="row").unique(maintain_order=True),
        truncated_to=truncated_to,
    )


def _data_rows(sid: str, data: list[Any], footnotes: list[tuple[str, str, str]]) -> list[tuple[Any, ...]]:
    out = []
    for item in data:
        if not isinstance(item, dict) or not {"year", "period", "value"} <= item.keys():
            raise BlsPayloadError(f"{sid}: a data point lacks year, period or value")
        year = str(item["year"]).strip()
        if not re.fullmatch(r"\d{4}", year):
            raise BlsPayloadError(f"{sid}: year {item['year']!r} is not four digits")
        period = str(item["period"]).strip().upper()
        if not is_period(period):
            raise BlsPayloadError(f"{sid}: period {item['period']!r} is not a BLS period code")
        codes = []
        for note in item.get("footnotes") or []:
            # An empty footnote list arrives as [{}]; codes are kept, texts go to the footnote table.
            if isinstance(note, dict) and note.get("code"):
                code = str(note["code"]).strip()
                codes.append(code)
                footnotes.append((sid, code, str(note.get("text") or "").strip()))
        joined = ",".join(sorted(set(codes))) or None
        out.append((sid, int(year), period, str(item["value"]).strip(), joined))
    return out


def _observation_frame(records: list[tuple[Any, ...]]) -> pl.DataFrame:
    """Rows → typed frame: numbers where the text is a number, NULL (text kept) for "-" and the like."""
    if not records:
        return _empty_observations()
    raw = pl.DataFrame(
        records,
        schema={
            k: OBSERVATION_SCHEMA[k] for k in ("series_id", "year", "period", "value_text", "footnote_codes")
        },
        orient="row",
    )
    digits = pl.col("value_text").str.replace_all(",", "")
    return raw.with_columns(
        pl.when(digits.str.contains(NUMBER_REGEX)).then(digits.cast(pl.Float64, strict=False)).alias("value"),
        pl.lit("api").alias("source"),
    ).select(list(OBSERVATION_SCHEMA))


# ------------------------------------------------------------------------------------- pulls


class QueryBudget(Protocol):
    """The day's query allowance; the warehouse implementation persists the count (raw.bls_query_budget)."""

    def take(self) -> bool:
        """Reserve one query; False when this run's share or the day's limit is spent."""
        ...

    def exhaust(self) -> None:
        """BLS said the daily threshold is reached: spend what is left of the day."""
        ...


@dataclass
class BlsPull:
    """Everything a pull produced: rows, footnote texts, one outcome per series and query sent."""

    observations: pl.DataFrame
    footnotes: pl.DataFrame
    outcomes: list[SeriesOutcome]
    queries_sent: int = 0
    payload_shas: list[str] = field(default_factory=list)
    malformed: list[tuple[str | None, str]] = field(default_factory=list)  # (payload sha, what is wrong)

    def unsettled(self) -> set[str]:
        """Series with at least one outcome that a later run should retry."""
        return {o.series_id for o in self.outcomes if not o.outcome.settled}

    def final(self) -> dict[str, Outcome]:
        """One outcome per series: the first unsettled one, else missing, else ok, else no data."""
        final: dict[str, Outcome] = {}
        order = [Outcome.SERIES_MISSING, Outcome.OK, Outcome.YEARS_TRUNCATED, Outcome.NO_DATA]
        for sid in dict.fromkeys(o.series_id for o in self.outcomes):
            kinds = [o.outcome for o in self.outcomes if o.series_id == sid]
            bad = [k for k in kinds if not k.settled]
            final[sid] = bad[0] if bad else next(k for k in order if k in kinds)
        return final


AnswerHook = Callable[[RawResponse], "str | None"]


class BlsClient:
    """Plans, sends and reads API v2 queries within the limits, the budget and the retry bound."""

    def __init__(self, base_url: str, api_key: str | None, http: BlsHttp) -> None:
        self.url = base_url.rstrip("/") + API_PATH
        self.api_key = api_key or None
        self.http = http

    @property
    def limits(self) -> Limits:
        return KEYED_LIMITS if self.api_key else ANONYMOUS_LIMITS

    def redact(self, body: bytes | None) -> bytes | None:
        """BLS echoes the key in its threshold message: it must not reach the archive or a log."""
        if body is None or not self.api_key:
            return body
        return body.replace(self.api_key.encode(), REDACTED.encode())

    def send(self, query: BlsQuery) -> RawResponse:
        """One POST of `query`, its answer redacted."""
        response = self.http.request("POST", self.url, json_body=query.body(self.api_key))
        return RawResponse(
            response.method,
            response.url,
            response.fetched_at,
            response.status,
            self.redact(response.body),
            content_type=response.content_type,
            error=response.error,
            retry_after=response.retry_after,
        )

    def pull(
        self,
        series_ids: Sequence[str],
        start_year: int,
        end_year: int,
        budget: QueryBudget,
        on_answer: AnswerHook | None = None,
    ) -> BlsPull:
        """Every series over every year, as far as the budget goes; each answer archived before parsing."""
        pending = deque(plan_queries(series_ids, start_year, end_year, self.limits))
        pull = BlsPull(_empty_observations(), pl.DataFrame(schema=FOOTNOTE_SCHEMA), [])
        frames, notes = [], []
        refused = False
        while pending:
            query = pending.popleft()
            if refused:
                pull.outcomes += _unsent(query, "not sent: BLS reported the daily threshold reached")
                continue
            parsed = self._run(query, budget, on_answer, pull)
            if parsed is None:
                pull.outcomes += _unsent(
                    query, "not sent: this run's share of the daily query budget is spent"
                )
                continue
            pull.outcomes += parsed.outcomes
            frames.append(parsed.observations)
            notes.append(parsed.footnotes)
            if any(o.outcome is Outcome.THRESHOLD_REFUSED for o in parsed.outcomes):
                budget.exhaust()
                refused = True
            elif parsed.truncated_to and query.start_year + parsed.truncated_to - 1 < query.end_year:
                # BLS kept the start year and dropped the latest ones: ask for those with its limit.
                rest = Limits(self.limits.series_per_query, parsed.truncated_to)
                first_dropped = query.start_year + parsed.truncated_to
                follow_up = plan_queries(query.series_ids, first_dropped, query.end_year, rest)
                pending.extendleft(reversed(follow_up))
        if frames:
            pull.observations = pl.concat(frames).unique(["series_id", "year", "period"], keep="last")
            pull.observations = pull.observations.sort(["series_id", "year", "period"])
            pull.footnotes = pl.concat(notes).unique(maintain_order=True)
        return pull

    def _run(
        self, query: BlsQuery, budget: QueryBudget, on_answer: AnswerHook | None, pull: BlsPull
    ) -> ParsedAnswer | None:
        """Send `query`, retrying retryable failures (each attempt costs a query); None if no budget."""
        for attempt in range(self.http.max_retries + 1):
            if not budget.take():
                return None
            response = self.send(query)
            pull.queries_sent += 1
            sha = on_answer(response) if on_answer else None
            if sha:
                pull.payload_shas.append(sha)
            try:
                parsed = parse_answer(response, query)
            except BlsPayloadError as exc:
                pull.malformed.append((sha, str(exc)))
                return _whole_query(query, Outcome.MALFORMED, "MALFORMED", [f"{exc} (payload {sha})"])
            if not parsed.retryable or attempt == self.http.max_retries:
                return parsed
            self.http.wait(attempt, response.retry_after)
        raise AssertionError("unreachable")


def _unsent(query: BlsQuery, why: str) -> list[SeriesOutcome]:
    return [
        SeriesOutcome(sid, Outcome.BUDGET_EXHAUSTED, query.start_year, query.end_year, messages=(why,))
        for sid in query.series_ids
    ]
