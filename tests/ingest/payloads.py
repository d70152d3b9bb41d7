"""Payloads in each source's real format (field names, nesting, escaping as the live APIs send them).

Each builder takes a few `Job`s and returns the bytes a board would serve, so a test can say
"this board lists these jobs" and the parsers meet the same shapes as in production.
"""

from __future__ import annotations

import html
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime

DESCRIPTION = (
    "<h2>About us</h2><p>{company} builds forecasting tools for hospitals.</p>"
    "<h2>What you will do</h2><ul><li>Deploy models to production and own their rollout</li>"
    "<li>Design offline and online evaluation for every model we ship</li>"
    "<li>Monitor drift and data quality, and lead the response when a model fails</li></ul>"
    "<h2>What you bring</h2><ul><li>3+ years of Python and SQL</li>"
    "<li>Experience with {topic}</li></ul><p>Benefits: health, dental &amp; 401(k).</p>"
)


@dataclass
class Job:
    id: str
    title: str
    company: str = "ExampleCo"
    location: str = "San Francisco, CA"
    topic: str = "PyTorch and feature stores"
    posted: datetime = datetime(2026, 2, 20, 15, 0, tzinfo=UTC)
    salary: tuple[float, float] | None = None
    remote: bool = False
    extra: dict = field(default_factory=dict)

    @property
    def html(self) -> str:
        return DESCRIPTION.format(company=html.escape(self.company), topic=html.escape(self.topic))


def _iso(when: datetime) -> str:
    return when.isoformat()


def greenhouse(jobs: list[Job], board: str = "exampleco") -> bytes:
    out = []
    for job in jobs:
        item = {
            "absolute_url": f"https://boards.greenhouse.io/{board}/jobs/{job.id}",
            "data_compliance": [
                {
                    "type": "gdpr",
                    "requires_consent": False,
                    "requires_processing_consent": False,
                    "requires_retention_consent": False,
                    "retention_period": None,
                }
            ],
            "internal_job_id": int(job.id) - 1000,
            "location": {"name": job.location},
            "metadata": None,
            "id": int(job.id),
            "updated_at": _iso(job.posted.astimezone().replace(microsecond=0)),
            "requisition_id": f"REQ-{job.id}",
            "title": job.title,
            "company_name": job.company,
            "first_published": _iso(job.posted),
            "content": html.escape(job.html),  # Greenhouse entity-escapes the description
            "departments": [{"id": 4001, "name": "Engineering", "child_ids": [], "parent_id": None}],
            "offices": [
                {
                    "id": 5001,
                    "name": job.location,
                    "location": job.location,
                    "child_ids": [],
                    "parent_id": None,
                }
            ],
        }
        if job.salary:
            item["pay_input_ranges"] = [
                {
                    "min_cents": int(job.salary[0] * 100),
                    "max_cents": int(job.salary[1] * 100),
                    "currency_type": "USD",
                    "title": "US Zone 1",
                    "blurb": "Base salary range for this role.",
                }
            ]
        out.append(item)
    return json.dumps({"jobs": out, "meta": {"total": len(out)}}).encode()


def lever(jobs: list[Job], site: str = "leverco") -> bytes:
    out = []
    for job in jobs:
        item = {
            "additional": "<div>We offer relocation support.</div>",
            "additionalPlain": "We offer relocation support.",
            "categories": {
                "commitment": "Full-time",
                "department": "Engineering",
                "location": job.location,
                "team": "ML Platform",
                "allLocations": [job.location],
            },
            "createdAt": int(job.posted.timestamp() * 1000),
            "descriptionPlain": f"{job.company} builds forecasting tools for hospitals.",
            "description": f"<div>{html.escape(job.company)} builds forecasting tools for hospitals.</div>",
            "id": job.id,
            "lists": [
                {
                    "text": "What you will do",
                    "content": "<li>Deploy models to production and own their rollout</li>"
                    "<li>Design offline and online evaluation for every model we ship</li>",
                },
                {"text": "What you bring", "content": f"<li>Experience with {html.escape(job.topic)}</li>"},
            ],
            "text": job.title,
            "country": "US",
            "workplaceType": "remote" if job.remote else "hybrid",
            "opening": "",
            "openingPlain": "",
            "descriptionBody": "",
            "descriptionBodyPlain": "",
            "hostedUrl": f"https://jobs.lever.co/{site}/{job.id}",
            "applyUrl": f"https://jobs.lever.co/{site}/{job.id}/apply",
        }
        if job.salary:
            item["salaryRange"] = {
                "currency": "USD",
                "interval": "per-year-salary",
                "min": job.salary[0],
                "max": job.salary[1],
            }
            item["salaryDescription"] = "<div>Base pay range.</div>"
        out.append(item)
    return json.dumps(out).encode()


def ashby(jobs: list[Job], board: str = "ashco", unlisted: list[Job] | None = None) -> bytes:
    out = []
    for job, listed in [(j, True) for j in jobs] + [(j, False) for j in unlisted or []]:
        item = {
            "id": job.id,
            "title": job.title,
            "department": "Engineering",
            "team": "Applied AI",
            "employmentType": "FullTime",
            "location": job.location,
            "secondaryLocations": [],
            "publishedAt": job.posted.isoformat(timespec="milliseconds"),
            "isListed": listed,
            "isRemote": job.remote,
            "workplaceType": "Remote" if job.remote else "OnSite",
            "address": {
                "postalAddress": {
                    "addressCountry": "United States",
                    "addressRegion": "",
                    "addressLocality": "",
                }
            },
            "jobUrl": f"https://jobs.ashbyhq.com/{board}/{job.id}",
            "applyUrl": f"https://jobs.ashbyhq.com/{board}/{job.id}/application",
            "descriptionHtml": job.html,
            "descriptionPlain": "plain text version",
            "shouldDisplayCompensationOnJobPostings": bool(job.salary),
        }
        if job.salary:
            low, high = job.salary
            item["compensation"] = {
                "compensationTierSummary": f"${low / 1000:.0f}K – ${high / 1000:.0f}K • Offers Equity",
                "scrapeableCompensationSalarySummary": f"${low / 1000:.0f}K - ${high / 1000:.0f}K",
                "compensationTiers": [],
                "summaryComponents": [
                    {
                        "compensationType": "Salary",
                        "interval": "1 YEAR",
                        "currencyCode": "USD",
                        "minValue": low,
                        "maxValue": high,
                    },
                    {
                        "compensationType": "EquityPercentage",
                        "interval": "NONE",
                        "minValue": 0.01,
                        "maxValue": 0.05,
                    },
                ],
            }
        out.append(item)
    return json.dumps({"apiVersion": "1", "jobs": out}).encode()


def jsonld_posting(job: Job, page_url: str, identifier: bool = True) -> dict:
    city, _, region = job.location.partition(", ")
    posting = {
        "@context": "https://schema.org/",
        "@type": "JobPosting",
        "title": job.title,
        "description": job.html,
        "datePosted": job.posted.date().isoformat(),
        "validThrough": "2026-06-30T00:00",
        "employmentType": "FULL_TIME",
        "hiringOrganization": {"@type": "Organization", "name": job.company, "sameAs": "https://example.com"},
        "jobLocation": {
            "@type": "Place",
            "address": {
                "@type": "PostalAddress",
                "addressLocality": city,
                "addressRegion": region,
                "addressCountry": "US",
            },
        },
        "url": f"{page_url}#{job.id}",
    }
    if identifier:
        posting["identifier"] = {"@type": "PropertyValue", "name": job.company, "value": job.id}
    if job.salary:
        posting["baseSalary"] = {
            "@type": "MonetaryAmount",
            "currency": "USD",
            "value": {
                "@type": "QuantitativeValue",
                "minValue": job.salary[0],
                "maxValue": job.salary[1],
                "unitText": "YEAR",
            },
        }
    return posting


def jsonld_page(blocks: list[str]) -> bytes:
    """A career page; each block is the text of one <script type="application/ld+json">."""
    scripts = "\n".join(f'<script type="application/ld+json">\n{b}\n</script>' for b in blocks)
    return (
        "<!doctype html><html><head><title>Careers</title>"
        '<script type="application/ld+json">{"@context":"https://schema.org","@type":"WebSite","name":"Careers"}</script>'
        f"{scripts}</head><body><h1>Open roles</h1><p>Join us.</p></body></html>"
    ).encode()


def hn_user(submitted: list[int]) -> bytes:
    return json.dumps(
        {
            "about": "Monthly hiring threads.",
            "created": 1301599233,
            "id": "whoishiring",
            "karma": 1,
            "submitted": submitted,
        }
    ).encode()


def hn_story(item_id: int, title: str, kids: list[int]) -> bytes:
    return json.dumps(
        {
            "by": "whoishiring",
            "descendants": len(kids),
            "id": item_id,
            "kids": kids,
            "score": 612,
            "text": "Please state the location and include REMOTE, INTERNS and/or VISA when appropriate.",
            "time": 1772380800,
            "title": title,
            "type": "story",
        }
    ).encode()


def hn_comment(item_id: int, parent: int, text: str, **extra: object) -> bytes:
    return json.dumps(
        {
            "by": "hiringmanager",
            "id": item_id,
            "parent": parent,
            "text": text,
            "time": 1772384400,
            "type": "comment",
            **extra,
        }
    ).encode()


def hn_job_text(job: Job, workplace: str = "ONSITE", pay: str = "") -> str:
    header = (
        f"{html.escape(job.company)} | {html.escape(job.title)} | {html.escape(job.location)} | {workplace}"
    )
    if pay:
        header += f" | {pay}"
    body = (
        "<p>We&#x27;re a 40-person team. You will deploy models to production, build the evaluation harness"
        ' and monitor them.<p>Apply: <a href="https:&#x2F;&#x2F;example.com&#x2F;jobs" rel="nofollow">'
        "https:&#x2F;&#x2F;example.com&#x2F;jobs</a>"
    )
    return header + body


def remoteok(jobs: list[Job]) -> bytes:
    out: list[dict] = [
        {
            "last_updated": 1772380800,
            "legal": "API Terms of Service: Please link back to the URL on Remote OK and mention Remote OK as a "
            "source, so we get traffic back from your site. If you do not we'll have to suspend API access.",
        }
    ]
    for job in jobs:
        out.append(
            {
                "slug": f"remote-{job.title.lower().replace(' ', '-')}-{job.id}",
                "id": job.id,
                "epoch": int(job.posted.timestamp()),
                "date": job.posted.isoformat(),
                "company": job.company,
                "company_logo": "",
                "position": job.title,
                "tags": ["machine learning", "python", "ai"],
                "description": job.html,
                "location": job.location,
                "salary_min": int(job.salary[0]) if job.salary else 0,
                "salary_max": int(job.salary[1]) if job.salary else 0,
                "apply_url": f"https://remoteOK.com/remote-jobs/{job.id}",
                "logo": "",
                "original": True,
                "verified": True,
                "url": f"https://remoteOK.com/remote-jobs/remote-{job.id}",
            }
        )
    return json.dumps(out).encode()


def muse_page(jobs: list[Job], page: int, page_count: int, total: int | None = None) -> bytes:
    results = [
        {
            "contents": job.html,
            "name": job.title,
            "type": "external",
            "publication_date": job.posted.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
            "short_name": f"{job.title.lower().replace(' ', '-')}-{job.id}",
            "model_type": "jobs",
            "id": int(job.id),
            "locations": [{"name": job.location}],
            "categories": [{"name": "Data Science"}],
            "levels": [{"name": "Mid Level", "short_name": "mid"}],
            "tags": [],
            "refs": {"landing_page": f"https://www.themuse.com/jobs/{job.company.lower()}/{job.id}"},
            "company": {"id": 555, "short_name": job.company.lower(), "name": job.company},
        }
        for job in jobs
    ]
    return json.dumps(
        {
            "page": page,
            "page_count": page_count,
            "items_per_page": 20,
            "took": 14,
            "timed_out": False,
            "total": total if total is not None else len(jobs),
            "results": results,
            "aggregations": {},
        }
    ).encode()
