"""Greenhouse job boards: `GET /v1/boards/{token}/jobs?content=true&pay_transparency=true`.

`content` is the description, HTML entity-escaped ("&lt;p&gt;"), so it is unescaped once before it
is stored as HTML. Pay comes only from `pay_input_ranges` (boards that publish pay-transparency
ranges, in cents); anything in the free text is left to the classifier.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from ingest.http_client import HttpClient
from ingest.records import ParseError, load_json, make_record, parse_datetime, to_number, unescape_html
from ingest.sources.common import SourceConfig, base_url, describe
from warehouse.archive import Fetch

NAME = "greenhouse"


def board_url(base: str, board: str) -> str:
    return f"{base}/v1/boards/{quote(board, safe='')}/jobs?content=true&pay_transparency=true"


def fetch(client: HttpClient, source: SourceConfig, board: str) -> list[Fetch]:
    return [client.fetch(board_url(base_url(source), board), source=NAME, board=board)]


def _pay(ranges: Any) -> dict[str, Any]:
    """Pay-transparency zones: the widest span in the first zone's currency (cents to units)."""
    if not isinstance(ranges, list) or not ranges or not isinstance(ranges[0], dict):
        return {}
    currency = ranges[0].get("currency_type")
    zones = [r for r in ranges if isinstance(r, dict) and r.get("currency_type") == currency]
    lows = [v / 100 for v in (to_number(z.get("min_cents")) for z in zones) if v is not None]
    highs = [v / 100 for v in (to_number(z.get("max_cents")) for z in zones) if v is not None]
    if not lows and not highs:
        return {}
    low, high = (min(lows) if lows else None), (max(highs) if highs else None)
    # Greenhouse gives no period; pay below 1,000 a unit is an hourly rate, not a salary.
    interval = "hour" if max(x for x in (low, high) if x is not None) < 1000 else "year"
    return {"salary_min": low, "salary_max": high, "salary_currency": currency, "salary_interval": interval}


def parse(fetch: Fetch, board: str) -> list[dict[str, Any]]:
    data = load_json(fetch)
    if not isinstance(data, dict) or not isinstance(data.get("jobs"), list):
        raise ParseError(f"{fetch.url}: Greenhouse payload has no 'jobs' list (got {describe(data)})")
    records = []
    for job in data["jobs"]:
        if not isinstance(job, dict) or job.get("id") is None:
            raise ParseError(f"{fetch.url}: a Greenhouse job without an id: {str(job)[:120]}")
        location = (job.get("location") or {}).get("name") if isinstance(job.get("location"), dict) else None
        records.append(
            make_record(
                fetch,
                NAME,
                board,
                source_id=job["id"],
                company=job.get("company_name") or board,
                title=job.get("title"),
                location=location,
                remote=True if location and "remote" in location.lower() else None,
                url=job.get("absolute_url"),
                description_html=unescape_html(job.get("content")),
                posted_at=parse_datetime(job.get("first_published") or job.get("updated_at")),
                **_pay(job.get("pay_input_ranges")),
            )
        )
    return records
