"""The demo market on a real HTTP server (127.0.0.1), in the real formats of every source.

Each route answers the way the live host does, as documented in shared/reference: Greenhouse's
HTML-escaped `content`, Lever's `lists`/`additional` split and `salaryRange`, Ashby's compensation
tiers, schema.org JobPosting JSON-LD in career pages (`@graph` on some, one script per job on
others), the HN API's user → thread → kid items (with deleted kids), RemoteOK's legal notice as
element 0, The Muse's paging, the BLS API v2 POST (HTTP 200 with a status and messages, also for
refusals), the BLS release calendar (.ics) and the Employment Projections workbook. Every GET carries
an ETag and honours If-None-Match, so conditional requests behave as on the real hosts.

What is served is the market at `market.clock`: the demo moves the clock week by week.
"""

from __future__ import annotations

import hashlib
import html
import json
import re
import threading
import uuid
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from laborwatch.demo_market import (
    EASTERN,
    Employer,
    Market,
    Posting,
    Section,
    _stable_rng,
    hn_threads,
    projections_workbook,
)

JSON = "application/json; charset=utf-8"
HTML = "text/html; charset=utf-8"
MUSE_PAGE_SIZE = 20
MUSE_MAX_PAGE = 99  # page 100 answers HTTP 400, as the real API does
MUSE_BOARDS = ["Data Science", "Software Engineering", "Data and Analytics"]  # Muse boards are categories
BLS_MAX_SERIES = 50
REMOTEOK_LEGAL = (
    "API Terms of Service: Please link back (with follow, not nofollow) to the URL on Remote OK and "
    "mention Remote OK as a source, so we get traffic back from your site. If you do not we'll have to "
    "suspend API access.\nPlease don't use the Remote OK logo without written permission as it's a "
    "registered trademark, please DO use our name Remote OK though."
)
ROBOTS = "User-agent: *\nDisallow: /admin/\nAllow: /\n"


# ------------------------------------------------------------------------------ posting rendering
def _heading(text: str, tag: str) -> str:
    text = html.escape(text)
    if tag in ("h2", "h3"):
        return f"<{tag}>{text}</{tag}>"
    if tag == "strong":
        return f"<p><strong>{text}</strong></p>"
    if tag == "bold_break":
        return f"<div><b>{text}:</b></div>"
    return f"<p>{text.upper()}</p>"


def _sentence(text: str) -> str:
    return text if text.endswith((".", "!", "?", ":")) else text + "."


def _items_html(section: Section, bullets: str) -> str:
    items = [html.escape(i) for i in section.items]
    if not section.bulleted:
        return "".join(f"<p>{i}</p>" for i in items)
    if bullets == "ul":
        return "<ul>" + "".join(f"<li>{i}</li>" for i in items) + "</ul>"
    if bullets == "dots":
        return "<p>" + "<br>".join(f"• {i}" for i in items) + "</p>"
    if bullets == "dashes":
        return "".join(f"<p>- {i}</p>" for i in items)
    return "<p>" + " ".join(_sentence(i) for i in items) + "</p>"


def section_html(section: Section, employer: Employer) -> str:
    style = employer.style
    head = _heading(section.heading, style.heading_tag) if section.heading else ""
    return head + _items_html(section, style.bullets)


def posting_html(posting: Posting, spacers: bool = False) -> str:
    """The whole description as the employer's own HTML (some ATSs add empty spacer paragraphs)."""
    joiner = "<p>&nbsp;</p>" if spacers else ""
    return joiner.join(section_html(s, posting.employer) for s in posting.sections)


def section_text(section: Section) -> str:
    lines = [section.heading] if section.heading else []
    lines += [f"- {i}" if section.bulleted else i for i in section.items]
    return "\n".join(lines)


def posting_text(sections: tuple[Section, ...] | list[Section]) -> str:
    return "\n\n".join(section_text(s) for s in sections)


def _iso(moment: datetime, tz=EASTERN) -> str:
    return moment.astimezone(tz).isoformat(timespec="seconds")


def _uuid(*parts: object) -> str:
    return str(uuid.UUID(hashlib.md5("|".join(map(str, parts)).encode()).hexdigest()))


def _city_region(location: str) -> tuple[str, str | None]:
    if "," in location:
        city, region = (x.strip() for x in location.split(",", 1))
        return city, region
    return location, None


def _department(posting: Posting) -> str:
    if posting.role == "data_scientist" or posting.family == "data_eng":
        return "Data"
    if posting.family == "design":
        return "Design"
    if posting.family == "business":
        return "Go To Market"
    if posting.family == "research":
        return "Research"
    return "Engineering"


def _commitment(posting: Posting) -> str:
    return "Intern" if posting.seniority == "intern" else "Full-time"


# ---------------------------------------------------------------------------------- per source
def greenhouse_job(posting: Posting, content: bool) -> dict[str, Any]:
    e = posting.employer
    job_id = 4_000_000 + posting.uid * 37
    job: dict[str, Any] = {
        "absolute_url": f"https://boards.greenhouse.io/{e.board}/jobs/{job_id}",
        "data_compliance": [
            {
                "type": "gdpr",
                "requires_consent": False,
                "requires_processing_consent": False,
                "requires_retention_consent": False,
                "retention_period": None,
            }
        ],
        "internal_job_id": 3_000_000 + posting.uid * 11,
        "location": {"name": posting.location},
        "metadata": [
            {
                "id": 8_100_001,
                "name": "Employment Type",
                "value": _commitment(posting),
                "value_type": "single_select",
            }
        ]
        if posting.uid % 3
        else None,
        "id": job_id,
        "updated_at": _iso(posting.posted_at),
        "requisition_id": f"REQ-{posting.uid:05d}",
        "title": posting.title,
        "company_name": e.legal_name,
        "first_published": _iso(posting.posted_at),
        "language": "en",
    }
    if content:
        job["content"] = html.escape(posting_html(posting, spacers=posting.uid % 2 == 0))
        job["departments"] = [
            {
                "id": 4_500_000 + len(_department(posting)),
                "name": _department(posting),
                "child_ids": [],
                "parent_id": None,
            }
        ]
        city, _ = _city_region(posting.location)
        job["offices"] = [
            {
                "id": 5_600_000 + sum(map(ord, city)),
                "name": city,
                "location": posting.location,
                "child_ids": [],
                "parent_id": None,
            }
        ]
    return job


def lever_posting(posting: Posting) -> dict[str, Any]:
    e = posting.employer
    pid = _uuid("lever", posting.uid)
    opening: list[Section] = []
    lists: list[Section] = []
    closing: list[Section] = []
    for section in posting.sections:
        if section.bulleted:
            lists.append(section)
        elif lists:
            closing.append(section)
        else:
            opening.append(section)
    opening_html = "".join(f"<div>{section_html(s, e)}</div>" for s in opening)
    data: dict[str, Any] = {
        "additional": "".join(f"<div>{section_html(s, e)}</div>" for s in closing),
        "additionalPlain": posting_text(closing),
        "categories": {
            "commitment": _commitment(posting),
            "department": _department(posting),
            "location": posting.location,
            "team": posting.team,
            "allLocations": [posting.location],
        },
        "createdAt": int(posting.posted_at.timestamp() * 1000),
        "descriptionPlain": posting_text(opening),
        "description": opening_html,
        "descriptionBody": opening_html,
        "descriptionBodyPlain": posting_text(opening),
        "id": pid,
        "lists": [
            {"text": s.heading or "", "content": "".join(f"<li>{html.escape(i)}</li>" for i in s.items)}
            for s in lists
        ],
        "text": posting.title,
        "country": "US",
        "workplaceType": {"remote": "remote", "hybrid": "hybrid", "onsite": "onsite"}[e.workplace],
        "opening": "",
        "openingPlain": "",
        "hostedUrl": f"https://jobs.lever.co/{e.board}/{pid}",
        "applyUrl": f"https://jobs.lever.co/{e.board}/{pid}/apply",
    }
    if posting.structured_salary:
        data["salaryRange"] = {
            "currency": "USD",
            "interval": "per-hour-wage" if posting.salary_interval == "hour" else "per-year-salary",
            "min": posting.salary_min,
            "max": posting.salary_max,
        }
        data["salaryDescription"] = ""
        data["salaryDescriptionPlain"] = ""
    return data


def _money_k(value: int, interval: str) -> str:
    return f"${value}" if interval == "hour" else f"${value // 1000}K"


def ashby_job(posting: Posting, include_compensation: bool) -> dict[str, Any]:
    e = posting.employer
    jid = _uuid("ashby", posting.uid)
    city, region = _city_region(posting.location)
    job: dict[str, Any] = {
        "id": jid,
        "title": posting.title,
        "department": _department(posting),
        "team": posting.team,
        "employmentType": "Intern" if posting.seniority == "intern" else "FullTime",
        "location": posting.location,
        "secondaryLocations": [],
        "publishedAt": posting.posted_at.astimezone(UTC).isoformat(timespec="milliseconds"),
        "isListed": True,
        "isRemote": posting.remote,
        "workplaceType": {"remote": "Remote", "hybrid": "Hybrid", "onsite": "OnSite"}[e.workplace],
        "address": {
            "postalAddress": {
                "addressLocality": city,
                "addressRegion": region or "",
                "addressCountry": "United States",
            }
        },
        "jobUrl": f"https://jobs.ashbyhq.com/{e.board}/{jid}",
        "applyUrl": f"https://jobs.ashbyhq.com/{e.board}/{jid}/application",
        "descriptionHtml": posting_html(posting),
        "descriptionPlain": posting_text(posting.sections),
        "shouldDisplayCompensationOnJobPostings": posting.structured_salary,
    }
    if include_compensation:
        if posting.structured_salary:
            interval = "1 HOUR" if posting.salary_interval == "hour" else "1 YEAR"
            low = _money_k(posting.salary_min, posting.salary_interval)
            high = _money_k(posting.salary_max, posting.salary_interval)
            component = {
                "id": _uuid("ashby-comp", posting.uid),
                "summary": f"{low} – {high}",
                "compensationType": "Salary",
                "interval": interval,
                "currencyCode": "USD",
                "minValue": posting.salary_min,
                "maxValue": posting.salary_max,
            }
            equity = "" if e.tier == "broad" else " • Offers Equity"
            job["compensation"] = {
                "compensationTierSummary": f"{low} – {high}{equity}",
                "scrapeableCompensationSalarySummary": f"{low} - {high}",
                "compensationTiers": [
                    {
                        "id": _uuid("ashby-tier", posting.uid),
                        "tierSummary": f"{low} – {high}",
                        "title": "Zone A",
                        "additionalInformation": None,
                        "components": [component],
                    }
                ],
                "summaryComponents": [{k: v for k, v in component.items() if k not in ("id", "summary")}],
            }
        else:
            job["compensation"] = {
                "compensationTierSummary": None,
                "scrapeableCompensationSalarySummary": None,
                "compensationTiers": [],
                "summaryComponents": [],
            }
    return job


def jsonld_posting(posting: Posting, page_url: str, identifier: str) -> dict[str, Any]:
    e = posting.employer
    city, region = _city_region(posting.location)
    data: dict[str, Any] = {
        "@context": "https://schema.org/",
        "@type": "JobPosting",
        "title": posting.title,
        "description": posting_html(posting),
        "identifier": {"@type": "PropertyValue", "name": e.name, "value": identifier},
        "datePosted": posting.posted_at.astimezone(EASTERN).date().isoformat(),
        "validThrough": _iso(posting.posted_at + timedelta(days=60)),
        "employmentType": "INTERN" if posting.seniority == "intern" else "FULL_TIME",
        "hiringOrganization": {
            "@type": "Organization",
            "name": e.name,
            "sameAs": f"https://www.{e.key}.example",
        },
        "jobLocation": {
            "@type": "Place",
            "address": {
                "@type": "PostalAddress",
                "addressLocality": city,
                "addressRegion": region or "",
                "addressCountry": "US",
            },
        },
        "url": f"{page_url}#job-{identifier}",
        "directApply": False,
    }
    if posting.remote:
        data["jobLocationType"] = "TELECOMMUTE"
        data["applicantLocationRequirements"] = {"@type": "Country", "name": "USA"}
    if posting.structured_salary:
        data["baseSalary"] = {
            "@type": "MonetaryAmount",
            "currency": "USD",
            "value": {
                "@type": "QuantitativeValue",
                "minValue": posting.salary_min,
                "maxValue": posting.salary_max,
                "unitText": "HOUR" if posting.salary_interval == "hour" else "YEAR",
            },
        }
    return data


def career_page(employer: Employer, postings: list[Posting], page_url: str, mirror: bool) -> str:
    """A careers page: visible job list plus JSON-LD (one @graph, or one script per job)."""
    prefix = "GH" if mirror else "R"
    items = [jsonld_posting(p, page_url, f"{prefix}-{p.uid:05d}") for p in postings]
    organization = {
        "@context": "https://schema.org",
        "@type": "Organization",
        "name": employer.name,
        "url": f"https://www.{employer.key}.example",
    }
    use_graph = sum(map(ord, employer.key)) % 2 == 0
    if use_graph:
        graph = {
            "@context": "https://schema.org",
            "@graph": [{k: v for k, v in i.items() if k != "@context"} for i in items],
        }
        scripts = [graph]
    else:
        scripts = items
    blocks = [f'<script type="application/ld+json">{json.dumps(organization)}</script>']
    blocks += [f'<script type="application/ld+json">\n{json.dumps(s, indent=1)}\n</script>' for s in scripts]
    rows = "".join(
        f'<li class="job"><a href="#job-{prefix}-{p.uid:05d}">{html.escape(p.title)}</a>'
        f' <span class="loc">{html.escape(p.location)}</span></li>'
        for p in postings
    )
    return (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>Careers at {html.escape(employer.name)}</title>{''.join(blocks)}</head>"
        f'<body><header><nav><a href="/">Home</a> <a href="/about">About</a></nav></header>'
        f"<main><h1>Join {html.escape(employer.name)}</h1><p>{len(postings)} open roles</p>"
        f'<ul class="jobs">{rows}</ul></main><footer>&copy; {employer.name}</footer></body></html>'
    )


def _hn_escape(text: str) -> str:
    return html.escape(text, quote=True).replace("/", "&#x2F;")


def _hn_link(url: str) -> str:
    escaped = _hn_escape(url)
    return f'<a href="{escaped}" rel="nofollow">{escaped}</a>'


def hn_comment_text(posting: Posting) -> str:
    """The informal first line `Company | Role | Location | ...`, then short paragraphs."""
    e = posting.employer
    parts = [e.name, posting.title, posting.location]
    if posting.remote and "remote" not in posting.location.lower():
        parts.append("REMOTE")
    parts.append("Intern" if posting.seniority == "intern" else "Full-time")
    if posting.salary_min:
        if posting.salary_interval == "hour":
            parts.append(f"${posting.salary_min}-${posting.salary_max}/hr")
        else:
            parts.append(f"${posting.salary_min // 1000}k-${posting.salary_max // 1000}k")
    paragraphs = [_hn_escape(" | ".join(parts))]
    for section in posting.sections:
        if section.kind in ("benefits", "eeo", "comp"):
            continue
        if section.heading:
            paragraphs.append(_hn_escape(section.heading + ":"))
        for item in section.items:
            paragraphs.append(_hn_escape(("- " if section.bulleted else "") + item))
    paragraphs.append("Apply: " + _hn_link(f"https://{e.key}.example/careers"))
    return "<p>".join(paragraphs)


class HackerNews:
    """The HN API view of the market: whoishiring's submissions, threads and their comments."""

    SEEKER = (
        "Location: Berlin, Germany<p>Remote: Yes<p>Willing to relocate: No<p>Technologies: Python, Go, "
        "Postgres<p>Email: in profile"
    )

    def __init__(self, market: Market):
        self.market = market
        first = market.start - timedelta(days=70)  # the backlog's threads too
        self.threads = hn_threads(first, market.as_of(market.weeks + 8).date())

    def _story_ids(self, index: int) -> tuple[int, int, int]:
        base = 46_100_000 + index * 60_000
        return base, base + 1, base + 2  # who is hiring, who wants to be hired, freelancer

    def _seeker_base(self, story_id: int) -> int:
        return story_id + 20 + (story_id % 3) * 10  # 20..22 under one story, 30..32 / 40..42 under others

    def user(self) -> dict[str, Any]:
        now = self.market.clock
        submitted = []
        for index, posted in enumerate(self.threads):
            if posted <= now:
                submitted += list(self._story_ids(index))
        return {
            "about": "This account is run by the HN moderators to post the monthly hiring threads.",
            "created": 1301245218,
            "id": "whoishiring",
            "karma": 41722,
            "submitted": list(reversed(submitted)),
        }

    def _thread_postings(self, index: int) -> list[Posting]:
        start = self.threads[index]
        end = self.threads[index + 1] if index + 1 < len(self.threads) else None
        now = self.market.clock
        return [
            p
            for p in self.market.postings
            if p.employer.source == "hn"
            and start <= p.posted_at <= now
            and (end is None or p.posted_at < end)
        ]

    def _comment_id(self, index: int, posting: Posting) -> int:
        return self._story_ids(index)[0] + 100 + posting.uid * 3

    def item(self, item_id: int) -> dict[str, Any] | None:
        now = self.market.clock
        for index, posted in enumerate(self.threads):
            if posted > now:
                break
            hiring, seeking, freelance = self._story_ids(index)
            month = posted.astimezone(EASTERN).strftime("%B %Y")
            if item_id in (seeking, freelance):
                title = "Who wants to be hired?" if item_id == seeking else "Freelancer? Seeking freelancer?"
                kids = [self._seeker_base(item_id) + k for k in range(3)]
                return {
                    "by": "whoishiring",
                    "descendants": 3,
                    "id": item_id,
                    "kids": kids,
                    "score": 200,
                    "time": int(posted.timestamp()),
                    "title": f"Ask HN: {title} ({month})",
                    "type": "story",
                }
            for parent in (seeking, freelance):
                if 0 <= item_id - self._seeker_base(parent) < 3:
                    return {
                        "by": f"seeker{item_id % 97}",
                        "id": item_id,
                        "parent": parent,
                        "text": self.SEEKER,
                        "time": int(posted.timestamp()) + 600,
                        "type": "comment",
                    }
            postings = self._thread_postings(index)
            if item_id == hiring:
                kids = [self._comment_id(index, p) for p in postings]
                # a few deleted comments, as in every real thread
                kids += [hiring + 50 + k for k in range(1 + len(postings) // 25)]
                order = _stable_rng("hn-order", hiring, len(kids))
                order.shuffle(kids)
                return {
                    "by": "whoishiring",
                    "descendants": len(kids) + len(kids) // 3,
                    "id": hiring,
                    "kids": kids,
                    "score": 640,
                    "text": (
                        "Please state the location and include REMOTE for remote work, REMOTE (US) or similar "
                        "if the country is restricted, and ONSITE when remote work is <i>not</i> an option."
                        "<p>Please only post if you personally are part of the hiring company&#x27;s team."
                    ),
                    "time": int(posted.timestamp()),
                    "title": f"Ask HN: Who is hiring? ({month})",
                    "type": "story",
                }
            if hiring + 50 <= item_id < hiring + 100:
                return {
                    "deleted": True,
                    "id": item_id,
                    "parent": hiring,
                    "time": int(posted.timestamp()) + 900,
                    "type": "comment",
                }
            for p in postings:
                if self._comment_id(index, p) == item_id:
                    return {
                        "by": f"{p.employer.key.replace('-', '')[:10]}_hiring",
                        "id": item_id,
                        "parent": hiring,
                        "text": hn_comment_text(p),
                        "time": int(p.posted_at.timestamp()),
                        "type": "comment",
                    }
        return None


def remoteok_job(posting: Posting) -> dict[str, Any]:
    e = posting.employer
    rid = str(1_090_000 + posting.uid)
    slug = re.sub(r"[^a-z0-9]+", "-", f"remote {posting.title} {e.name}".lower()).strip("-") + f"-{rid}"
    tags = {
        "ai_ml_engineer": ["machine learning", "ai", "python"],
        "data_scientist": ["data science", "sql"],
    }.get(posting.role or "", ["engineer"])
    yearly = posting.salary_interval == "year" and posting.structured_salary
    return {
        "slug": slug,
        "id": rid,
        "epoch": int(posting.posted_at.timestamp()),
        "date": posting.posted_at.astimezone(UTC).isoformat(timespec="seconds"),
        "company": e.name,
        "company_logo": "",
        "position": posting.title,
        "tags": tags + (["senior"] if posting.seniority in ("senior", "lead") else []),
        "logo": "",
        "description": posting_html(posting),
        "location": posting.location,
        "salary_min": posting.salary_min if yearly else 0,
        "salary_max": posting.salary_max if yearly else 0,
        "apply_url": f"https://remoteOK.com/remote-jobs/{slug}",
        "url": f"https://remoteOK.com/remote-jobs/{slug}",
        "original": True,
        "verified": True,
    }


MUSE_LEVELS = {
    "intern": ("Internship", "internship"),
    "entry": ("Entry Level", "entry"),
    "mid": ("Mid Level", "mid"),
    "senior": ("Senior Level", "senior"),
}


def muse_categories(posting: Posting) -> list[str]:
    if posting.role == "ai_ml_engineer":
        return ["Software Engineering", "Data Science"] if posting.family != "research" else ["Data Science"]
    if posting.role == "data_scientist":
        return ["Data Science", "Data and Analytics"]
    return {
        "software": ["Software Engineering"],
        "design": ["Design and UX"],
        "business": ["Sales"],
        "data_eng": ["Data and Analytics"],
    }[posting.family]


def muse_job(posting: Posting) -> dict[str, Any]:
    e = posting.employer
    if posting.seniority == "lead":
        manager = any(w in posting.title for w in ("Manager", "Director", "Head"))
        level = ("Management", "management") if manager else ("Senior Level", "senior")
    else:
        level = MUSE_LEVELS[posting.seniority]
    short = re.sub(r"[^a-z0-9]+", "-", posting.title.lower()).strip("-")
    return {
        "contents": posting_html(posting),
        "name": posting.title,
        "type": "external",
        "publication_date": posting.posted_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        "short_name": short,
        "model_type": "jobs",
        "id": 14_000_000 + posting.uid * 7,
        "locations": [{"name": posting.location}],
        "categories": [{"name": c} for c in muse_categories(posting)],
        "levels": [{"name": level[0], "short_name": level[1]}],
        "tags": [],
        "refs": {"landing_page": f"https://www.themuse.com/jobs/{e.key.replace('-', '')}/{short}"},
        "company": {
            "id": 11_000 + sum(map(ord, e.key)),
            "short_name": e.key.replace("-", ""),
            "name": e.name,
        },
    }


# ------------------------------------------------------------------------------------------ BLS
def bls_response(market: Market, body: bytes, content_type: str) -> dict[str, Any]:
    """POST /publicAPI/v2/timeseries/data/ as the real API answers it (HTTP 200 every time)."""
    try:
        if "json" in content_type:
            request = json.loads(body or b"{}")
        else:
            form = parse_qs(body.decode())
            request = {k: v[0] for k, v in form.items()}
            request["seriesid"] = request.get("seriesid", "").split(",")
    except (ValueError, UnicodeDecodeError):
        return _bls_refusal("REQUEST_FAILED_INVALID_PARAMETERS", ["Request body is not valid JSON."])
    series = request.get("seriesid") or []
    if isinstance(series, str):
        series = [series]
    key = request.get("registrationkey")
    now = market.clock
    messages: list[str] = []
    this_year = now.year
    try:
        start = int(request.get("startyear") or this_year - 2)
        end = int(request.get("endyear") or this_year)
    except (TypeError, ValueError):
        return _bls_refusal(
            "REQUEST_FAILED_INVALID_PARAMETERS", ["startyear: Value must be a four-digit number."]
        )
    if end < start or not 1900 <= start <= 2100 or not 1900 <= end <= 2100:
        return _bls_refusal("REQUEST_FAILED_INVALID_PARAMETERS", ["End year is invalid."])
    limit = 20 if key else 10
    if end - start + 1 > limit:
        end = start + limit - 1  # the real API keeps the start year and drops the latest years
        messages.append(f"Year range has been reduced to the system-allowed limit of {limit} years.")
    results = []
    for series_id in series[: BLS_MAX_SERIES if key else 25]:
        observations = market.bls.observations(series_id, now) if series_id == series_id.upper() else None
        if observations is None:
            messages.append(f"Series does not exist for Series {series_id}")
            results.append({"seriesID": series_id, "data": []})
            continue
        window = [o for o in observations if start <= o.year <= end]
        years = {o.year for o in window}
        for year in range(start, end + 1):
            if year not in years:
                messages.append(f"No Data Available for Series {series_id} Year: {year}")
        data = []
        for index, o in enumerate(window):
            point: dict[str, Any] = {
                "year": str(o.year),
                "period": o.period,
                "periodName": _period_name(o.period),
            }
            if index == 0 and end >= this_year and o == observations[0]:
                point["latest"] = "true"
            point["value"] = _bls_value(series_id, o.value)
            point["footnotes"] = [{"code": c, "text": t} for c, t in o.footnotes] or [{}]
            data.append(point)
        entry: dict[str, Any] = {"seriesID": series_id, "data": data}
        if request.get("catalog") and not series_id.startswith("JT"):  # JOLTS answers without a catalog
            entry["catalog"] = {
                "series_title": series_id,
                "series_id": series_id,
                "seasonality": "Not Seasonally Adjusted" if series_id[2] == "U" else "Seasonally Adjusted",
                "survey_name": _survey(series_id),
                "survey_abbreviation": series_id[:2],
            }
        results.append(entry)
    return {
        "status": "REQUEST_SUCCEEDED",
        "responseTime": 41,
        "message": messages,
        "Results": {"series": results},
    }


def _bls_value(series_id: str, value: float | None) -> str:
    """Values are strings: "-" for a gap, whole numbers for jobs and wages, decimals where BLS uses them."""
    if value is None:
        return "-"
    if series_id.startswith("CE"):
        return f"{value:.1f}"
    if series_id.startswith("OE") and series_id[-2:] in ("03", "08"):
        return f"{value:.2f}"
    if series_id.startswith("JT") and series_id.endswith("R"):
        return f"{value:.1f}"
    return str(round(value))


def _bls_refusal(status: str, messages: list[str]) -> dict[str, Any]:
    return {"status": status, "responseTime": 0, "message": messages, "Results": {}}


def _survey(series_id: str) -> str:
    return {
        "OE": "Occupational Employment and Wage Statistics",
        "JT": "Job Openings and Labor Turnover Survey",
        "CE": "Employment, Hours, and Earnings from the Current Employment Statistics survey (National)",
    }.get(series_id[:2], "")


def _period_name(period: str) -> str:
    if period == "A01":
        return "Annual"
    if period.startswith("M"):
        return [
            "January",
            "February",
            "March",
            "April",
            "May",
            "June",
            "July",
            "August",
            "September",
            "October",
            "November",
            "December",
            "Annual",
        ][int(period[1:]) - 1]
    return period


# --------------------------------------------------------------------------------------- server
class DemoServer:
    """A ThreadingHTTPServer on 127.0.0.1 serving `market` at its clock."""

    def __init__(self, market: Market, port: int = 0):
        self.market = market
        self.hn = HackerNews(market)
        self.requests: Counter[str] = Counter()
        self._cache: dict[tuple[datetime, str], tuple[int, str, bytes]] = {}
        self._lock = threading.Lock()
        self._workbook: bytes | None = None
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                pass

            def _respond(self, status: int, content_type: str, body: bytes) -> None:
                etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
                if self.command == "GET" and status == 200 and self.headers.get("If-None-Match") == etag:
                    self.send_response(304)
                    self.send_header("ETag", etag)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                if self.command == "GET" and status == 200:
                    self.send_header("ETag", etag)
                    self.send_header("Last-Modified", format_datetime(server.market.clock, usegmt=True))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(body)

            def do_GET(self) -> None:  # noqa: N802
                try:
                    status, content_type, body = server.get(self.path)
                except Exception as exc:  # a bug in the demo must show, not hang the client
                    status, content_type, body = 500, JSON, json.dumps({"error": repr(exc)}).encode()
                self._respond(status, content_type, body)

            do_HEAD = do_GET  # noqa: N815

            def do_POST(self) -> None:  # noqa: N802
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                path = urlsplit(self.path).path
                server.requests["bls"] += 1
                if path.rstrip("/") != "/publicAPI/v2/timeseries/data":
                    self._respond(404, JSON, b'{"error": "not found"}')
                    return
                answer = bls_response(server.market, body, self.headers.get("Content-Type", ""))
                self._respond(200, JSON, json.dumps(answer).encode())

        self.httpd = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.httpd.daemon_threads = True
        self._thread = threading.Thread(target=self.httpd.serve_forever, name="demo-server", daemon=True)

    # ------------------------------------------------------------------ lifecycle
    @property
    def url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host}:{port}"

    def __enter__(self) -> DemoServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    # ------------------------------------------------------------------ boards
    def jsonld_pages(self) -> list[str]:
        pages = [f"{self.url}/careers/{e.board}" for e in self.market.employers_on("jsonld")]
        pages += [f"{self.url}/careers/{e.key}" for e in self.market.employers if e.mirror]
        return pages

    def boards(self, boards_per_source: int | None = None) -> dict[str, list[str]]:
        """Every board the market publishes, per source (jsonld boards are page URLs)."""
        cut = slice(None, boards_per_source)
        boards = {
            s: [e.board for e in self.market.employers_on(s)][cut] for s in ("greenhouse", "lever", "ashby")
        }
        boards["jsonld"] = self.jsonld_pages()[cut]
        boards["hn"] = ["whoishiring"]
        boards["remoteok"] = ["all"]
        boards["themuse"] = MUSE_BOARDS[cut]
        return boards

    def config_toml(
        self,
        warehouse: Path,
        data_dir: Path,
        alerts_file: Path | None = None,
        boards_per_source: int | None = None,
    ) -> str:
        """A laborwatch config whose every source points at this server (demo and DAG tests).

        `boards_per_source` keeps only the first few boards of each source (fast DAG tests).
        """
        lines = [
            "# Written by laborwatch demo: every source points at the local demo market server.",
            "[warehouse]",
            f"path = {json.dumps(str(warehouse))}",
            f"data_dir = {json.dumps(str(data_dir))}",
            "",
            "[http]",
            "default_rate_limit_per_second = 500.0",
            "timeout_seconds = 10.0",
            "max_retries = 2",
            "backoff_seconds = 0.05",
            "",
        ]
        for source, boards in self.boards(boards_per_source).items():
            lines.append(f"[sources.{source}]")
            if source == "jsonld":
                lines.append(f"pages = {json.dumps(boards)}")
            else:
                lines += [f'base_url = "{self.url}"', f"boards = {json.dumps(boards)}"]
            lines += ["rate_limit_per_second = 500.0", ""]
        lines += [
            "[bls]",
            f'base_url = "{self.url}"',
            f'calendar_url = "{self.url}/schedule/news_release/bls.ics"',
            f'projections_url = "{self.url}/emp/ind-occ-matrix/occupation.xlsx"',
            "",
        ]
        if alerts_file:
            lines += ["[alerts]", 'channels = ["file"]', f"file_path = {json.dumps(str(alerts_file))}", ""]
        return "\n".join(lines)

    # ------------------------------------------------------------------ routing
    def get(self, raw_path: str) -> tuple[int, str, bytes]:
        with self._lock:
            key = (self.market.clock, raw_path)
            if key not in self._cache:
                self._cache[key] = self._render(raw_path)
            return self._cache[key]

    ROUTES: tuple[tuple[str, str], ...] = (
        (r"^/robots\.txt$", "robots"),
        (r"^/v1/boards/(?P<token>[^/]+)/jobs/?$", "greenhouse"),
        (r"^/v1/boards/(?P<token>[^/]+)/jobs/(?P<id>\d+)$", "greenhouse_one"),
        (r"^/v0/postings/(?P<site>[^/]+)/?$", "lever"),
        (r"^/posting-api/job-board/(?P<board>[^/]+)/?$", "ashby"),
        (r"^/careers/(?P<slug>[^/]+)/?$", "careers"),
        (r"^/v0/user/(?P<user>[^/]+)\.json$", "hn_user"),
        (r"^/v0/item/(?P<id>\d+)\.json$", "hn_item"),
        (r"^/api/?$", "remoteok"),
        (r"^/api/public/jobs/?$", "muse"),
        (r"^/schedule/news_release/bls\.ics$", "ics"),
        (r"^/emp/ind-occ-matrix/occupation\.xlsx$", "projections"),
    )

    def _render(self, raw_path: str) -> tuple[int, str, bytes]:
        parts = urlsplit(raw_path)
        query = {k: v for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
        for pattern, name in self.ROUTES:
            if m := re.match(pattern, parts.path):
                self.requests[name] += 1
                handler: Callable[..., tuple[int, str, bytes]] = getattr(self, f"_get_{name}")
                return handler(query, **m.groupdict())
        return 404, HTML, b"<html><body><h1>404 Not Found</h1></body></html>"

    @staticmethod
    def _json(data: Any, status: int = 200) -> tuple[int, str, bytes]:
        return status, JSON, json.dumps(data, ensure_ascii=False).encode()

    def _employer(self, source: str, board: str) -> Employer | None:
        return next((e for e in self.market.employers_on(source) if e.board == board), None)

    def _get_robots(self, query: dict) -> tuple[int, str, bytes]:
        return 200, "text/plain; charset=utf-8", ROBOTS.encode()

    def _get_greenhouse(self, query: dict, token: str) -> tuple[int, str, bytes]:
        employer = self._employer("greenhouse", token)
        if employer is None:
            return self._json({"status": 404, "error": "Job board not found"}, 404)
        content = query.get("content", ["false"])[0].lower() == "true"
        jobs = [greenhouse_job(p, content) for p in self.market.employer_postings(employer)]
        return self._json({"jobs": jobs, "meta": {"total": len(jobs)}})

    def _get_greenhouse_one(self, query: dict, token: str, id: str) -> tuple[int, str, bytes]:  # noqa: A002
        employer = self._employer("greenhouse", token)
        for p in self.market.employer_postings(employer) if employer else []:
            if greenhouse_job(p, False)["id"] == int(id):
                return self._json(greenhouse_job(p, True))
        return self._json({"status": 404, "error": "Job not found"}, 404)

    def _get_lever(self, query: dict, site: str) -> tuple[int, str, bytes]:
        employer = self._employer("lever", site)
        if employer is None:
            return self._json({"ok": False, "error": "Document not found"}, 404)
        postings = [lever_posting(p) for p in self.market.employer_postings(employer)]
        skip = int(query.get("skip", ["0"])[0] or 0)
        limit = query.get("limit", [None])[0]
        postings = postings[skip : skip + int(limit)] if limit else postings[skip:]
        return self._json(postings)

    def _get_ashby(self, query: dict, board: str) -> tuple[int, str, bytes]:
        employer = self._employer("ashby", board)
        if employer is None:
            return self._json({"success": False, "errors": ["Job board not found"]}, 404)
        include = query.get("includeCompensation", ["false"])[0].lower() == "true"
        jobs = [ashby_job(p, include) for p in self.market.employer_postings(employer)]
        return self._json({"apiVersion": "1", "jobs": jobs})

    def _get_careers(self, query: dict, slug: str) -> tuple[int, str, bytes]:
        page_url = f"{self.url}/careers/{slug}"
        employer = self._employer("jsonld", slug)
        mirror = False
        if employer is None:
            employer = next((e for e in self.market.employers if e.mirror and e.key == slug), None)
            mirror = True
        if employer is None:
            return 404, HTML, b"<html><body><h1>Page not found</h1></body></html>"
        page = career_page(employer, self.market.employer_postings(employer), page_url, mirror)
        return 200, HTML, page.encode()

    def _get_hn_user(self, query: dict, user: str) -> tuple[int, str, bytes]:
        return self._json(self.hn.user() if user == "whoishiring" else None)

    def _get_hn_item(self, query: dict, id: str) -> tuple[int, str, bytes]:  # noqa: A002
        return self._json(self.hn.item(int(id)))  # the HN API answers `null` for unknown items

    def _get_remoteok(self, query: dict) -> tuple[int, str, bytes]:
        postings = sorted(
            (p for e in self.market.employers_on("remoteok") for p in self.market.employer_postings(e)),
            key=lambda p: p.posted_at,
            reverse=True,
        )
        tags = set(query.get("tags", []))
        jobs = [remoteok_job(p) for p in postings]
        jobs = [j for j in jobs if not tags or tags & set(j["tags"])]
        legal = {"last_updated": int(self.market.clock.timestamp()), "legal": REMOTEOK_LEGAL}
        return self._json([legal, *jobs])

    def _get_muse(self, query: dict) -> tuple[int, str, bytes]:
        try:
            page = int(query.get("page", ["0"])[0] or 0)
        except ValueError:
            return self._json({"code": 400, "error": "page must be an integer"}, 400)
        if page > MUSE_MAX_PAGE or page < 0:
            return self._json({"code": 400, "error": "Bad Request: page must be between 0 and 99"}, 400)
        postings = [p for e in self.market.employers_on("themuse") for p in self.market.employer_postings(e)]
        categories = set(query.get("category", []))
        levels = set(query.get("level", []))
        companies = set(query.get("company", []))
        locations = set(query.get("location", []))
        jobs = [muse_job(p) for p in sorted(postings, key=lambda p: p.posted_at, reverse=True)]
        jobs = [
            j
            for j in jobs
            if (not categories or categories & {c["name"] for c in j["categories"]})
            and (not levels or levels & {lv["name"] for lv in j["levels"]})
            and (not companies or j["company"]["name"] in companies)
            and (not locations or locations & {loc["name"] for loc in j["locations"]})
        ]
        page_count = max(1, -(-len(jobs) // MUSE_PAGE_SIZE))
        results = jobs[page * MUSE_PAGE_SIZE : (page + 1) * MUSE_PAGE_SIZE]
        return self._json(
            {
                "page": page,
                "page_count": page_count,
                "items_per_page": MUSE_PAGE_SIZE,
                "took": 7,
                "timed_out": False,
                "total": len(jobs),
                "results": results,
                "aggregations": {},
            }
        )

    def _get_ics(self, query: dict) -> tuple[int, str, bytes]:
        return 200, "text/calendar; charset=utf-8", self.market.bls.ics().encode()

    def _get_projections(self, query: dict) -> tuple[int, str, bytes]:
        if self._workbook is None:
            self._workbook = projections_workbook()
        return 200, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", self._workbook


def main(argv: list[str] | None = None) -> int:
    """Serve one scenario's market at a fixed week until interrupted (for Airflow runs by hand).

    Writes a config that points laborwatch at it, e.g. for `make airflow`:
    `python -m laborwatch.demo_server --week 4 --config data/airflow-demo/laborwatch.toml`, then
    `LABORWATCH_CONFIG=data/airflow-demo/laborwatch.toml make airflow`.
    """
    import argparse

    from laborwatch.demo_market import DEFAULT_WEEKS, SCENARIOS, build_market

    parser = argparse.ArgumentParser(prog="python -m laborwatch.demo_server", description=main.__doc__)
    parser.add_argument("--scenario", choices=SCENARIOS, default="strengthen")
    parser.add_argument("--weeks", type=int, default=DEFAULT_WEEKS)
    parser.add_argument("--week", type=int, default=0, help="the market week to serve")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--config", type=Path, default=Path("data/airflow-demo/laborwatch.toml"))
    args = parser.parse_args(argv)
    market = build_market(args.scenario, args.weeks)
    market.set_week(args.week)
    with DemoServer(market, port=args.port) as server:
        data_dir = args.config.resolve().parent
        data_dir.mkdir(parents=True, exist_ok=True)
        args.config.write_text(
            server.config_toml(data_dir / "warehouse.duckdb", data_dir, data_dir / "alerts.jsonl")
        )
        print(f"serving {args.scenario} week {args.week} at {server.url}; config {args.config}", flush=True)
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            pass
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
