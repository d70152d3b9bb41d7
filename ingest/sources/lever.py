"""Lever postings: `GET /v0/postings/{site}?mode=json` (a JSON list of postings).

Lever splits a description into `description`, `lists` (each a heading and `<li>` items: the duties
and requirements) and `additional`; they are joined back into one HTML document in that order so
the classifier sees the sections where the employer put them. `salaryRange` is structured pay.
"""

from __future__ import annotations

import html
from typing import Any
from urllib.parse import quote

from ingest.http_client import HttpClient
from ingest.records import ParseError, load_json, make_record, parse_datetime, salary_interval, to_number
from ingest.sources.common import SourceConfig, base_url, describe
from warehouse.archive import Fetch

NAME = "lever"
WORKPLACE_REMOTE = {"remote": True, "onsite": False, "on-site": False, "hybrid": False}


def board_url(base: str, board: str) -> str:
    return f"{base}/v0/postings/{quote(board, safe='')}?mode=json"


def fetch(client: HttpClient, source: SourceConfig, board: str) -> list[Fetch]:
    return [client.fetch(board_url(base_url(source), board), source=NAME, board=board)]


def _description(posting: dict[str, Any]) -> str | None:
    parts = [posting.get("description") or ""]
    for section in posting.get("lists") or []:
        if isinstance(section, dict):
            heading = html.escape(str(section.get("text") or ""))
            parts.append(f"<h3>{heading}</h3><ul>{section.get('content') or ''}</ul>")
    parts.append(posting.get("additional") or "")
    joined = "".join(parts).strip()
    return joined or None


def _pay(salary: Any) -> dict[str, Any]:
    if not isinstance(salary, dict):
        return {}
    return {
        "salary_min": to_number(salary.get("min")),
        "salary_max": to_number(salary.get("max")),
        "salary_currency": salary.get("currency"),
        "salary_interval": salary_interval(salary.get("interval")),
    }


def parse(fetch: Fetch, board: str) -> list[dict[str, Any]]:
    data = load_json(fetch)
    if isinstance(data, dict) and data.get("ok") is False:
        raise ParseError(f"{fetch.url}: Lever answered an error object: {str(data.get('error'))[:200]}")
    if not isinstance(data, list):
        raise ParseError(f"{fetch.url}: Lever payload should be a list of postings, got {describe(data)}")
    records = []
    for posting in data:
        if not isinstance(posting, dict) or not posting.get("id"):
            raise ParseError(f"{fetch.url}: a Lever posting without an id: {str(posting)[:120]}")
        categories = posting.get("categories") or {}
        workplace = str(posting.get("workplaceType") or "").lower()
        records.append(
            make_record(
                fetch,
                NAME,
                board,
                source_id=posting["id"],
                company=board,
                title=posting.get("text"),
                location=categories.get("location"),
                remote=WORKPLACE_REMOTE.get(workplace),
                url=posting.get("hostedUrl") or posting.get("applyUrl"),
                description_html=_description(posting),
                posted_at=parse_datetime(posting.get("createdAt")),
                **_pay(posting.get("salaryRange")),
            )
        )
    return records
