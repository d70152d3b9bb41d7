"""Ashby job boards: `GET /posting-api/job-board/{board}?includeCompensation=true`.

Unlisted jobs (`isListed: false`) are not public postings and are skipped. Pay comes from the
`compensation.summaryComponents` entry whose type is Salary.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from ingest.http_client import HttpClient
from ingest.records import ParseError, load_json, make_record, parse_datetime, salary_interval, to_number
from ingest.sources.common import SourceConfig, base_url, describe
from warehouse.archive import Fetch

NAME = "ashby"


def board_url(base: str, board: str) -> str:
    return f"{base}/posting-api/job-board/{quote(board, safe='')}?includeCompensation=true"


def fetch(client: HttpClient, source: SourceConfig, board: str) -> list[Fetch]:
    return [client.fetch(board_url(base_url(source), board), source=NAME, board=board)]


def _pay(compensation: Any) -> dict[str, Any]:
    if not isinstance(compensation, dict):
        return {}
    components = compensation.get("summaryComponents") or []
    for part in components:
        if isinstance(part, dict) and str(part.get("compensationType", "")).lower() == "salary":
            return {
                "salary_min": to_number(part.get("minValue")),
                "salary_max": to_number(part.get("maxValue")),
                "salary_currency": part.get("currencyCode"),
                "salary_interval": salary_interval(part.get("interval")),
            }
    return {}


def _remote(job: dict[str, Any]) -> bool | None:
    if isinstance(job.get("isRemote"), bool):
        return job["isRemote"]
    workplace = str(job.get("workplaceType") or "").lower()
    return {"remote": True, "onsite": False, "hybrid": False}.get(workplace)


def parse(fetch: Fetch, board: str) -> list[dict[str, Any]]:
    data = load_json(fetch)
    if not isinstance(data, dict) or not isinstance(data.get("jobs"), list):
        raise ParseError(f"{fetch.url}: Ashby payload has no 'jobs' list (got {describe(data)})")
    records = []
    for job in data["jobs"]:
        if not isinstance(job, dict) or not job.get("id"):
            raise ParseError(f"{fetch.url}: an Ashby job without an id: {str(job)[:120]}")
        if job.get("isListed") is False:
            continue
        records.append(
            make_record(
                fetch,
                NAME,
                board,
                source_id=job["id"],
                company=board,
                title=job.get("title"),
                location=job.get("location"),
                remote=_remote(job),
                url=job.get("jobUrl") or job.get("applyUrl"),
                description_html=job.get("descriptionHtml"),
                description_text=None if job.get("descriptionHtml") else job.get("descriptionPlain"),
                posted_at=parse_datetime(job.get("publishedAt")),
                **_pay(job.get("compensation")),
            )
        )
    return records
