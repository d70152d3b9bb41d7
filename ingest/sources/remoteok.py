"""RemoteOK: `GET /api` (board "all") or `GET /api?tags={board}`; one JSON array.

Element 0 is RemoteOK's legal notice (terms: link back, credit Remote OK, send a descriptive
User-Agent), not a job: items without an `id` and `position` are skipped. Every job is remote;
`salary_min`/`salary_max` of 0 mean "not given".
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from ingest.http_client import HttpClient
from ingest.records import ParseError, load_json, make_record, parse_datetime, to_number
from ingest.sources.common import SourceConfig, base_url, describe
from warehouse.archive import Fetch

NAME = "remoteok"


def board_url(base: str, board: str) -> str:
    return f"{base}/api" if board == "all" else f"{base}/api?tags={quote(board, safe='')}"


def fetch(client: HttpClient, source: SourceConfig, board: str) -> list[Fetch]:
    return [client.fetch(board_url(base_url(source), board), source=NAME, board=board)]


def parse(fetch: Fetch, board: str) -> list[dict[str, Any]]:
    data = load_json(fetch)
    if not isinstance(data, list):
        raise ParseError(f"{fetch.url}: RemoteOK payload should be a list, got {describe(data)}")
    records = []
    for item in data:
        if (
            not isinstance(item, dict)
            or "legal" in item
            or item.get("id") is None
            or not item.get("position")
        ):
            continue
        low, high = to_number(item.get("salary_min")), to_number(item.get("salary_max"))
        records.append(
            make_record(
                fetch,
                NAME,
                board,
                source_id=item["id"],
                company=item.get("company"),
                title=item.get("position"),
                location=item.get("location") or "Remote",
                remote=True,
                url=item.get("url") or item.get("apply_url"),
                description_html=item.get("description"),
                posted_at=parse_datetime(item.get("date") or item.get("epoch")),
                salary_min=low,
                salary_max=high,
                salary_currency="USD" if low or high else None,
                salary_interval="year" if low or high else None,
            )
        )
    return records
