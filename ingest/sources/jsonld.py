"""Career pages carrying schema.org JobPosting as JSON-LD; the board is the page URL.

A page may hold several `<script type="application/ld+json">` blocks, a `@graph`, lists, or an
ItemList of postings; every JobPosting found anywhere is a record. A block with malformed JSON is
skipped (and logged) without losing the others; only a page whose every block is malformed is a
parse error. A page with no JSON-LD at all yields no postings, which source health reports.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import urljoin, urlsplit

from bs4 import BeautifulSoup

from ingest.http_client import HttpClient
from ingest.records import (
    ParseError,
    body_text,
    clean,
    make_record,
    parse_datetime,
    salary_interval,
    to_number,
    unescape_html,
)
from ingest.sources.common import SourceConfig
from warehouse.archive import Fetch

NAME = "jsonld"
log = logging.getLogger(__name__)
_COMMENT = re.compile(r"^\s*(?:<!--|//\s*<!\[CDATA\[|<!\[CDATA\[)|(?:-->|//\s*\]\]>|\]\]>)\s*$")


def fetch(client: HttpClient, source: SourceConfig, board: str) -> list[Fetch]:
    return [client.fetch(board, source=NAME, board=board)]


def _types(node: dict[str, Any]) -> set[str]:
    kind = node.get("@type")
    kinds = kind if isinstance(kind, list) else [kind]
    return {str(k).rsplit("/", 1)[-1] for k in kinds if k}


def _postings(node: Any) -> Iterator[dict[str, Any]]:
    if isinstance(node, list):
        for item in node:
            yield from _postings(item)
    elif isinstance(node, dict):
        if "JobPosting" in _types(node):
            yield node
            return
        for value in node.values():
            yield from _postings(value)


def _name(value: Any) -> str | None:
    if isinstance(value, list):
        value = value[0] if value else None
    if isinstance(value, dict):
        return clean(value.get("name") or value.get("legalName"))
    return clean(value)


def _place(place: Any) -> str | None:
    if isinstance(place, str):
        return clean(place)
    if not isinstance(place, dict):
        return None
    address = place.get("address", place)
    if isinstance(address, str):
        return clean(address)
    if not isinstance(address, dict):
        return _name(place)
    parts = [_name(address.get(k)) for k in ("addressLocality", "addressRegion", "addressCountry")]
    return ", ".join(p for p in parts if p) or _name(place)


def _location(posting: dict[str, Any]) -> str | None:
    places = posting.get("jobLocation")
    places = places if isinstance(places, list) else [places]
    names = list(dict.fromkeys(p for p in (_place(x) for x in places) if p))
    if names:
        return "; ".join(names)
    if _remote(posting):
        required = posting.get("applicantLocationRequirements")
        where = _name(required) if required else None
        return f"Remote ({where})" if where else "Remote"
    return None


def _remote(posting: dict[str, Any]) -> bool | None:
    kind = posting.get("jobLocationType")
    kinds = kind if isinstance(kind, list) else [kind]
    return True if any(str(k).upper() == "TELECOMMUTE" for k in kinds if k) else None


def _pay(salary: Any) -> dict[str, Any]:
    if isinstance(salary, list):
        salary = salary[0] if salary else None
    if not isinstance(salary, dict):
        return {}
    value = salary.get("value")
    if isinstance(value, dict):
        low = to_number(value.get("minValue", value.get("value")))
        high = to_number(value.get("maxValue", value.get("value")))
        unit = value.get("unitText") or salary.get("unitText")
    else:
        low = high = to_number(value)
        unit = salary.get("unitText")
    if low is None and high is None:
        return {}
    return {
        "salary_min": low,
        "salary_max": high,
        "salary_currency": salary.get("currency"),
        "salary_interval": salary_interval(unit),
    }


def _identifier(posting: dict[str, Any]) -> str | None:
    ident = posting.get("identifier")
    if isinstance(ident, list):
        ident = ident[0] if ident else None
    if isinstance(ident, dict):
        ident = ident.get("value") or ident.get("@id")
    return clean(ident)


def _source_id(posting: dict[str, Any], page: str, url: str | None, title: str | None) -> str:
    """Stable per job: the employer's identifier scoped by host, else the job URL, else page + title."""
    ident = _identifier(posting)
    if ident:
        return f"{urlsplit(page).netloc}:{ident}"
    if url and url != page:
        return url
    digest = hashlib.sha256((title or "").encode()).hexdigest()[:12]
    return f"{page}#{digest}"


def _blocks(text: str) -> tuple[list[Any], list[str]]:
    soup = BeautifulSoup(text, "html.parser")
    scripts = soup.find_all("script", attrs={"type": re.compile(r"^\s*application/ld\+json", re.I)})
    parsed, errors = [], []
    for index, script in enumerate(scripts):
        raw = "\n".join(line for line in script.get_text().splitlines() if not _COMMENT.fullmatch(line))
        if not raw.strip():
            continue
        try:
            parsed.append(json.loads(raw, strict=False))
        except json.JSONDecodeError as exc:
            errors.append(f"block {index}: {exc.msg} at line {exc.lineno} col {exc.colno}")
    return parsed, errors


def parse(fetch: Fetch, board: str) -> list[dict[str, Any]]:
    parsed, errors = _blocks(body_text(fetch))
    if errors and not parsed:
        raise ParseError(f"{fetch.url}: every JSON-LD block is malformed: {'; '.join(errors)}")
    if errors:
        log.warning("%s: skipped malformed JSON-LD (%s); the other blocks still load", fetch.url, errors)
    records = []
    for posting in _postings(parsed):
        title = clean(posting.get("title") or posting.get("name"))
        url = posting.get("url")
        url = urljoin(board, url) if isinstance(url, str) and url.strip() else None
        organization = _name(posting.get("hiringOrganization"))
        records.append(
            make_record(
                fetch,
                NAME,
                board,
                source_id=_source_id(posting, board, url, title),
                company=organization or urlsplit(board).hostname,
                title=title,
                location=_location(posting),
                remote=_remote(posting),
                url=url or board,
                description_html=unescape_html(posting.get("description")),
                posted_at=parse_datetime(posting.get("datePosted")),
                **_pay(posting.get("baseSalary")),
            )
        )
    return records
