"""The Muse: `GET /api/public/jobs?page=N&category={board}` (plus optional `level`/`location`).

Pages are 0-based, 20 results each; `page_count` says how many there are. The API refuses pages
from 100 on (HTTP 400, about 2,000 results per query), so paging stops at `max_pages` (option,
default 99). A query with more pages than that is a partial view of the board: `is_complete` says
so and the loader then closes nothing for having been missing. Narrow such a query (level,
location) instead. Board "all" means no category filter.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

from ingest.http_client import HttpClient
from ingest.records import ParseError, load_json, make_record, parse_datetime
from ingest.sources.common import SourceConfig, base_url, describe
from warehouse.archive import Fetch

NAME = "themuse"
DEFAULT_MAX_PAGES = 99


def page_url(base: str, board: str, page: int, options: dict[str, Any]) -> str:
    params: list[tuple[str, Any]] = [("page", page)]
    if board != "all":
        params.append(("category", board))
    for key in ("level", "location", "company"):
        value = options.get(key)
        for item in value if isinstance(value, list) else [value] if value else []:
            params.append((key, item))
    return f"{base}/api/public/jobs?{urlencode(params)}"


def _page_count(body: bytes | None) -> int | None:
    try:
        return int(json.loads(body)["page_count"]) if body else None
    except (ValueError, KeyError, TypeError):
        return None


def fetch(client: HttpClient, source: SourceConfig, board: str) -> list[Fetch]:
    base = base_url(source)
    max_pages = int(source.options.get("max_pages", DEFAULT_MAX_PAGES))
    fetches: list[Fetch] = []
    page = 0
    while page < max_pages:
        result = client.fetch(page_url(base, board, page, source.options), source=NAME, board=board)
        fetches.append(result)
        page_count = _page_count(client.body_of(result))
        if page_count is None:  # a failed page, or one parse() will quarantine: stop here
            break
        page += 1
        if page >= page_count:
            break
    return fetches


def is_complete(fetches: list[Fetch], client: HttpClient) -> bool:
    """True unless the page cap cut the query short."""
    if not fetches:
        return False
    page_count = _page_count(client.body_of(fetches[-1]))
    return page_count is None or len(fetches) >= page_count


def _join(items: Any, key: str = "name") -> str | None:
    names = [str(i.get(key)) for i in items or [] if isinstance(i, dict) and i.get(key)]
    return "; ".join(names) or None


def parse(fetch: Fetch, board: str) -> list[dict[str, Any]]:
    data = load_json(fetch)
    if not isinstance(data, dict) or not isinstance(data.get("results"), list):
        raise ParseError(f"{fetch.url}: The Muse payload has no 'results' list (got {describe(data)})")
    records = []
    for job in data["results"]:
        if not isinstance(job, dict) or job.get("id") is None:
            raise ParseError(f"{fetch.url}: a Muse job without an id: {str(job)[:120]}")
        location = _join(job.get("locations"))
        company = job.get("company") if isinstance(job.get("company"), dict) else {}
        records.append(
            make_record(
                fetch,
                NAME,
                board,
                source_id=job["id"],
                company=company.get("name"),
                title=job.get("name"),
                location=location,
                remote=True
                if location and ("remote" in location.lower() or "flexible" in location.lower())
                else None,
                url=(job.get("refs") or {}).get("landing_page"),
                description_html=job.get("contents"),
                posted_at=parse_datetime(job.get("publication_date")),
            )
        )
    return records
