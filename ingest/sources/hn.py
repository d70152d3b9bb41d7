"""Hacker News "Ask HN: Who is hiring?" threads through the HN Firebase API.

Board "whoishiring" (any user name works) means the latest such thread that user submitted:
`/v0/user/{user}.json` gives `submitted` (newest first); the first item titled "Who is hiring?" is
the thread. A numeric board is a thread id. Each top-level comment (`kids`) is one posting,
fetched as `/v0/item/{id}.json`. Its first line follows the thread's informal convention
`Company | Role | Location | REMOTE | $pay | …`; comments without a `|` in the first line are not
postings (questions, meta talk) and are skipped, as are deleted and dead ones.
"""

from __future__ import annotations

import json
import re
from typing import Any

from ingest.http_client import HttpClient
from ingest.records import ParseError, clean, load_json, make_record, parse_datetime
from ingest.sources.common import SourceConfig, base_url, describe
from warehouse.archive import Fetch

NAME = "hn"
ITEM_URL = "https://news.ycombinator.com/item?id={id}"
DEFAULT_MAX_ITEMS = 2000
PROBE = 12  # the user also posts "Who wants to be hired?" and "Freelancer?" threads each month
_THREAD_TITLE = re.compile(r"who\s+is\s+hiring", re.I)
_ROLE = re.compile(
    r"\b(engineer|engineering|scientist|developer|dev|researcher|analyst|architect|designer|manager|"
    r"director|head|lead|intern|sre|devops|mlops|programmer|founding|staff|principal|cto|vp|"
    r"specialist|consultant|technician|scientists|engineers|developers)\b",
    re.I,
)
_WORKPLACE = re.compile(r"\b(remote|onsite|on-site|on site|hybrid|in[- ]office)\b", re.I)
_EMPLOYMENT = re.compile(
    r"^\s*(full[- ]?time|part[- ]?time|contract(or)?|freelance|internship|ft|pt)\b", re.I
)
_VISA = re.compile(r"\bvisa\b", re.I)
_URL = re.compile(r"^\s*(https?://|www\.)\S+\s*$", re.I)
_MONEY = re.compile(
    r"(?P<cur>[$€£])\s?(?P<lo>\d[\d,.]*)\s*(?P<lok>[kK])?"
    r"(?:\s*(?:-|–|to)\s*(?P=cur)?\s?(?P<hi>\d[\d,.]*)\s*(?P<hik>[kK])?)?"
    r"(?P<per>\s*(?:/|per\s+)\s*(?:hr|hour|h|yr|year|annum))?",
    re.I,
)
_CURRENCIES = {"$": "USD", "€": "EUR", "£": "GBP"}


def item_url(base: str, item: int | str) -> str:
    return f"{base}/v0/item/{item}.json"


def _json(body: bytes | None) -> Any:
    try:
        return json.loads(body) if body else None
    except ValueError:
        return None


def fetch(client: HttpClient, source: SourceConfig, board: str) -> list[Fetch]:
    base = base_url(source)
    max_items = int(source.options.get("max_items", DEFAULT_MAX_ITEMS))
    fetches: list[Fetch] = []
    thread: dict[str, Any] | None = None
    if board.isdigit():
        result = client.fetch(item_url(base, board), source=NAME, board=board)
        fetches.append(result)
        thread = _json(client.body_of(result))
    else:
        user_url = f"{base}/v0/user/{board}.json"
        result = client.fetch(user_url, source=NAME, board=board)
        fetches.append(result)
        user = _json(client.body_of(result))
        if result.error:
            return fetches
        for story_id in (user or {}).get("submitted", [])[:PROBE] if isinstance(user, dict) else []:
            probe = client.fetch(item_url(base, story_id), source=NAME, board=board)
            fetches.append(probe)
            item = _json(client.body_of(probe))
            if isinstance(item, dict) and _THREAD_TITLE.search(str(item.get("title") or "")):
                thread = item
                break
        if thread is None:
            if not any(f.error for f in fetches):
                fetches.append(
                    Fetch(
                        url=user_url,
                        fetched_at=result.fetched_at,
                        status=None,
                        source=NAME,
                        board=board,
                        error=f"no 'Who is hiring?' thread among {board}'s latest {PROBE} submissions",
                    )
                )
            return fetches
    for kid in (thread or {}).get("kids", [])[:max_items] if isinstance(thread, dict) else []:
        fetches.append(client.fetch(item_url(base, kid), source=NAME, board=board))
    return fetches


def _amount(number: str | None, kilo: str | None) -> float | None:
    if not number:
        return None
    try:
        value = float(number.replace(",", "").rstrip("."))
    except ValueError:
        return None
    return value * 1000 if kilo else value


def salary_from(text: str) -> dict[str, Any]:
    """Pay from a header part like "$150k-$190k", "€80,000 - €95,000", "$90/hr"."""
    match = _MONEY.search(text)
    if not match:
        return {}
    low = _amount(match["lo"], match["lok"])
    high = _amount(match["hi"], match["hik"] or (match["lok"] if match["hi"] else None))
    if low is None:
        return {}
    per = (match["per"] or "").lower()
    interval = "hour" if re.search(r"h", per) else "year"
    if interval == "year" and max(low, high or 0) < 1000:  # "$150-200" in a header means thousands
        low, high = low * 1000, high * 1000 if high else None
    return {
        "salary_min": low,
        "salary_max": high or low,
        "salary_currency": _CURRENCIES[match["cur"]],
        "salary_interval": interval,
    }


def header_fields(first_line: str) -> dict[str, Any] | None:
    """Company, title, location, remote and pay from `Company | Role | Location | …`; None if no pipes."""
    if "|" not in first_line:
        return None
    parts = [p.strip() for p in first_line.split("|") if p.strip()]
    if len(parts) < 2:
        return None
    company, rest = parts[0], parts[1:]
    fields: dict[str, Any] = {"company": company}
    title = next((p for p in rest if _ROLE.search(p) and not _MONEY.search(p)), None)
    title = title or next((p for p in rest if not _WORKPLACE.fullmatch(p) and not _URL.match(p)), rest[0])
    fields["title"] = title
    location = None
    for part in rest:
        if (
            part is title
            or _MONEY.search(part)
            or _URL.match(part)
            or _EMPLOYMENT.match(part)
            or _VISA.search(part)
        ):
            continue
        if _WORKPLACE.search(part) or "," in part or len(part.split()) <= 4:
            location = part
            break
    fields["location"] = location
    workplace = " ".join(p for p in rest if _WORKPLACE.search(p)).lower()
    if re.search(r"\bremote\b", workplace) and not re.search(r"\bno remote\b", workplace):
        fields["remote"] = True
    elif re.search(r"onsite|on-site|on site|in[- ]office", workplace):
        fields["remote"] = False
    for part in rest:
        pay = salary_from(part)
        if pay:
            fields.update(pay)
            break
    return fields


def first_line(comment_html: str) -> str:
    head = re.split(r"<p>|<br\s*/?>|\n", comment_html, maxsplit=1)[0]
    return clean(re.sub(r"<[^>]+>", "", head)) or ""


def parse(fetch: Fetch, board: str) -> list[dict[str, Any]]:
    item = load_json(fetch)
    if item is None:  # Firebase answers `null` for an item that does not exist (yet)
        return []
    if not isinstance(item, dict):
        raise ParseError(f"{fetch.url}: HN payload should be an object, got {describe(item)}")
    if "submitted" in item or item.get("type") != "comment":
        return []  # the user record, the thread story, a probed story: no posting in them
    if item.get("deleted") or item.get("dead") or not item.get("text"):
        return []
    if item.get("id") is None:
        raise ParseError(f"{fetch.url}: HN comment without an id")
    text = item["text"]
    fields = header_fields(first_line(text))
    if fields is None:
        return []
    return [
        make_record(
            fetch,
            NAME,
            board,
            source_id=item["id"],
            url=ITEM_URL.format(id=item["id"]),
            description_html=text,
            posted_at=parse_datetime(item.get("time")),
            **fields,
        )
    ]
