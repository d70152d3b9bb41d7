"""Canonical posting records (DESIGN §3.1) and the helpers every source parser shares.

A parser's job is narrow: bytes of one archived payload in, a list of canonical dicts out, or a
`ParseError` whose message says why (so the quarantine row explains itself). Everything that is the
same for every source lives here, so seven parsers agree on what "a date", "a salary interval" and
"description text without tags" mean.
"""

from __future__ import annotations

import hashlib
import html
import json
import re
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

import polars as pl

from warehouse.archive import Fetch

CANONICAL_SCHEMA: dict[str, pl.DataType] = {
    "source": pl.String(),
    "source_id": pl.String(),
    "board": pl.String(),
    "company": pl.String(),
    "title": pl.String(),
    "location": pl.String(),
    "remote": pl.Boolean(),
    "url": pl.String(),
    "description_html": pl.String(),
    "description_text": pl.String(),
    "posted_at": pl.Datetime("us"),
    "salary_min": pl.Float64(),
    "salary_max": pl.Float64(),
    "salary_currency": pl.String(),
    "salary_interval": pl.String(),
    "payload_sha256": pl.String(),
    "fetched_at": pl.Datetime("us"),
}
CANONICAL_COLUMNS = tuple(CANONICAL_SCHEMA)
SALARY_INTERVALS = ("year", "month", "week", "day", "hour")

_BLOCK_TAGS = "p|div|section|article|header|footer|ul|ol|table|tr|h[1-6]|blockquote|pre|dd|dt"
_HIDDEN = re.compile(r"(?is)<(script|style|noscript|template)\b.*?</\1\s*>|<!--.*?-->")
_BREAK = re.compile(rf"(?i)<\s*(?:br|hr|/?(?:{_BLOCK_TAGS})|/li)\b[^>]*>")
_ITEM = re.compile(r"(?i)<\s*li\b[^>]*>")
_TAG = re.compile(r"</?[A-Za-z][^>]*>|<[!?][^>]*>")  # real tags only: "a < b" in text survives
_SPACES = re.compile(r"[ \t\r\f\v\u00a0\u200b]+")


class ParseError(ValueError):
    """A payload that cannot be read as the source's format; the message is the quarantine reason."""


def utc_naive(value: datetime) -> datetime:
    """DuckDB TIMESTAMP columns hold naive UTC; convert aware datetimes, keep naive ones as they are."""
    if value.tzinfo is not None:
        return value.astimezone(UTC).replace(tzinfo=None)
    return value


def clean(value: Any) -> str | None:
    """A one-line string with whitespace collapsed, entities decoded; None for empty or missing."""
    if value is None:
        return None
    text = _SPACES.sub(" ", html.unescape(str(value))).strip()
    return text or None


def html_to_text(fragment: str | None) -> str | None:
    """Text of an HTML fragment: one line per block, "- " per list item, no tags, no entities.

    Line structure is kept because classification looks at where a phrase stands (a duty bullet
    versus the company blurb). Regular expressions rather than an HTML parser: this runs once per
    posting, and a parser costs milliseconds per description where this costs microseconds.
    """
    if not fragment or not fragment.strip():
        return None
    text = _HIDDEN.sub("", fragment)
    text = _ITEM.sub("\n- ", text)
    text = _BREAK.sub("\n", text)
    text = html.unescape(_TAG.sub("", text))
    lines = (_SPACES.sub(" ", line).strip() for line in text.splitlines())
    return "\n".join(line for line in lines if line and line != "-") or None


def unescape_html(value: str | None) -> str | None:
    """Greenhouse (and some JSON-LD) send HTML entity-escaped ("&lt;p&gt;"); decode once if so."""
    if value is None:
        return None
    if "<" not in value and "&lt;" in value:
        return html.unescape(value)
    return value


def parse_datetime(value: Any) -> datetime | None:
    """A source's date as naive UTC: ISO 8601 (with Z or offset, or a bare date) or epoch s/ms."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        seconds = value / 1000 if value > 10**11 else value
        return datetime.fromtimestamp(seconds, UTC).replace(tzinfo=None)
    text = str(value).strip()
    if text.isdigit():
        return parse_datetime(int(text))
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return utc_naive(parsed)


def to_number(value: Any) -> float | None:
    """A salary figure: numbers or numeric strings ("120,000"); zero and junk mean "not given"."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        number = float(value)
    else:
        text = re.sub(r"[,\s$€£]", "", str(value))
        try:
            number = float(text)
        except ValueError:
            return None
    return number if number > 0 else None


def salary_interval(value: Any) -> str | None:
    """Map a source's pay-period wording ("per-year-salary", "1 YEAR", "HOUR", "annual") to our five."""
    if not value:
        return None
    text = str(value).lower()
    for word, interval in (
        ("year", "year"),
        ("annual", "year"),
        ("month", "month"),
        ("week", "week"),
        ("day", "day"),
        ("daily", "day"),
        ("hour", "hour"),
    ):
        if word in text:
            return interval
    return None


def body_text(fetch: Fetch) -> str:
    """The payload as text (UTF-8, or the charset the server declared)."""
    if not fetch.body:
        raise ParseError(f"{fetch.url}: empty body")
    charset = "utf-8"
    match = re.search(r"charset=([\w-]+)", fetch.content_type or "", re.I)
    if match:
        charset = match.group(1)
    try:
        return fetch.body.decode(charset)
    except (UnicodeDecodeError, LookupError) as exc:
        raise ParseError(f"{fetch.url}: body is not valid {charset} text: {exc}") from exc


def load_json(fetch: Fetch) -> Any:
    """The payload as JSON, with a reason that tells an HTML error page from a cut-off body."""
    text = body_text(fetch)
    stripped = text.lstrip()
    if stripped[:1] == "<":
        snippet = " ".join(stripped[:120].split())
        raise ParseError(
            f"{fetch.url}: expected JSON, got HTML/XML (content-type {fetch.content_type or 'unknown'}): "
            f"{snippet!r}"
        )
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        # Cut off: the parser ran out of text (or out of a string that never closed).
        if exc.pos >= len(text.rstrip()) or exc.msg.startswith("Unterminated string"):
            raise ParseError(
                f"{fetch.url}: truncated JSON: body ends after {len(fetch.body or b'')} bytes ({exc.msg})"
            ) from exc
        raise ParseError(
            f"{fetch.url}: malformed JSON at line {exc.lineno} col {exc.colno}: {exc.msg}"
        ) from exc


@lru_cache(maxsize=16)
def _sha256(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


def payload_sha256(fetch: Fetch) -> str:
    """The payload's sha256, computed once per payload however many records it holds (bytes cache
    their own hash, so the cache lookup does not rehash the body)."""
    return _sha256(fetch.body or b"")


def make_record(fetch: Fetch, source: str, board: str, **fields: Any) -> dict[str, Any]:
    """One canonical record; absent fields are None, the text is derived from the HTML if not given."""
    unknown = set(fields) - set(CANONICAL_COLUMNS)
    if unknown:
        raise TypeError(f"not canonical record fields: {sorted(unknown)}")
    record: dict[str, Any] = dict.fromkeys(CANONICAL_COLUMNS)
    record.update(fields)
    record["source"] = source
    record["board"] = board
    record["source_id"] = str(fields["source_id"])
    if record["description_text"] is None:
        record["description_text"] = html_to_text(record["description_html"])
    for key in ("company", "title", "location", "url", "salary_currency"):
        record[key] = clean(record[key])
    if record["salary_currency"]:
        record["salary_currency"] = record["salary_currency"].upper()
    record["payload_sha256"] = payload_sha256(fetch)
    record["fetched_at"] = utc_naive(fetch.fetched_at)
    return record


def records_frame(records: list[dict[str, Any]]) -> pl.DataFrame:
    """Canonical records as a frame with the canonical schema (also for an empty list)."""
    if not records:
        return pl.DataFrame(schema=CANONICAL_SCHEMA)
    return pl.DataFrame(records, schema=CANONICAL_SCHEMA, strict=False)


def canonical(df: pl.DataFrame) -> pl.DataFrame:
    """`df` reduced to the canonical columns in canonical order and types (a quarantined batch, say)."""
    missing = [pl.lit(None, dtype=t).alias(c) for c, t in CANONICAL_SCHEMA.items() if c not in df.columns]
    out = df.with_columns(missing) if missing else df
    return out.select(pl.col(c).cast(t) for c, t in CANONICAL_SCHEMA.items())
