"""A small job market served from the local HTTP server in all seven sources' formats."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from urllib.parse import parse_qs, urlsplit

from tests.ingest import payloads as P
from tests.local_http import LocalServer, Request, Response

JSONLD_PATH = "/careers/ml-engineer"
GREENHOUSE_PATH = "/v1/boards/exampleco/jobs"
LEVER_PATH = "/v0/postings/leverco"
MUSE_PATH = "/api/public/jobs"


def default_jobs() -> dict[str, list[P.Job]]:
    return {
        "greenhouse": [
            P.Job("4001", "Senior Machine Learning Engineer", salary=(180000, 220000)),
            P.Job("4002", "Data Scientist", location="New York, NY", topic="causal inference"),
        ],
        "lever": [
            P.Job(
                "8f1c2a9e-0001",
                "Machine Learning Engineer",
                company="LeverCo",
                location="Boston, MA",
                salary=(150000, 190000),
            ),
        ],
        "ashby": [
            P.Job(
                "b3e7d2c1-0001",
                "Applied Scientist",
                company="AshCo",
                location="Remote - US",
                remote=True,
                salary=(160000, 210000),
            ),
        ],
        # The same job as Greenhouse 4001, as the employer's own career page shows it.
        "jsonld": [
            P.Job(
                "4001", "Senior Machine Learning Engineer", company="ExampleCo, Inc.", salary=(180000, 220000)
            ),
            P.Job("J-77", "Research Engineer", company="ExampleCo, Inc.", location="Austin, TX", topic="RL"),
        ],
        "hn": [P.Job("9101", "Machine Learning Engineer", company="Acme Robotics", location="Boston, MA")],
        "remoteok": [
            P.Job(
                "98765",
                "ML Engineer",
                company="DataWorks",
                location="Worldwide",
                remote=True,
                salary=(120000, 160000),
            ),
        ],
        "themuse": [
            P.Job("11223344", "Data Scientist", company="MuseCorp", location="Chicago, IL"),
            P.Job("11223355", "Senior Data Scientist", company="MuseCorp", location="Flexible / Remote"),
        ],
    }


@dataclass
class Market:
    """Routes every source on `server`; change `jobs` and call `serve()` again for the next week."""

    server: LocalServer
    jobs: dict[str, list[P.Job]] = field(default_factory=default_jobs)
    etags: bool = False

    @property
    def page_url(self) -> str:
        return self.server.url + JSONLD_PATH

    def sources(self) -> dict[str, dict]:
        return {
            "greenhouse": {"boards": ["exampleco"]},
            "lever": {"boards": ["leverco"]},
            "ashby": {"boards": ["ashco"]},
            "jsonld": {"pages": [self.page_url]},
            "hn": {"boards": ["whoishiring"]},
            "remoteok": {"boards": ["all"]},
            "themuse": {"boards": ["Data Science"]},
        }

    def _static(self, body: bytes, content_type: str = "application/json") -> Response | object:
        if not self.etags:
            return Response(body=body, headers={"Content-Type": content_type})
        etag = f'"{hash(body) & 0xFFFFFFFF:x}"'

        def answer(request: Request) -> Response:
            if request.headers.get("If-None-Match") == etag:
                return Response(304, b"", {"ETag": etag})
            return Response(body=body, headers={"Content-Type": content_type, "ETag": etag})

        return answer

    def serve(self) -> None:
        s, jobs = self.server, self.jobs
        s.route(GREENHOUSE_PATH, self._static(P.greenhouse(jobs["greenhouse"])))
        s.route(LEVER_PATH, self._static(P.lever(jobs["lever"])))
        s.route(
            "/posting-api/job-board/ashco",
            self._static(P.ashby(jobs["ashby"], unlisted=[P.Job("x-9", "Hidden")])),
        )
        blocks = [json.dumps(P.jsonld_posting(job, self.page_url)) for job in jobs["jsonld"]]
        s.route(JSONLD_PATH, self._static(P.jsonld_page(blocks), "text/html; charset=utf-8"))
        s.route("/api", self._static(P.remoteok(jobs["remoteok"])))
        # HN: the user's newest submission is "Who wants to be hired?", the one before the hiring thread.
        s.route("/v0/user/whoishiring.json", self._static(P.hn_user([9003, 9001])))
        s.route(
            "/v0/item/9003.json",
            self._static(P.hn_story(9003, "Ask HN: Who wants to be hired? (March 2026)", [])),
        )
        kids = [int(j.id) for j in jobs["hn"]] + [9190, 9191]
        s.route(
            "/v0/item/9001.json", self._static(P.hn_story(9001, "Ask HN: Who is hiring? (March 2026)", kids))
        )
        for job in jobs["hn"]:
            text = P.hn_job_text(job, pay="$170k-$210k")
            s.route(f"/v0/item/{job.id}.json", self._static(P.hn_comment(int(job.id), 9001, text)))
        s.route("/v0/item/9190.json", self._static(P.hn_comment(9190, 9001, "Anyone hiring in Lisbon?")))
        s.route(
            "/v0/item/9191.json",
            self._static(json.dumps({"id": 9191, "deleted": True, "type": "comment"}).encode()),
        )
        muse = jobs["themuse"]
        pages = [muse[i : i + 1] for i in range(len(muse))] or [[]]

        def muse_answer(request: Request) -> Response:
            query = parse_qs(urlsplit(request.path).query)
            page = int(query["page"][0])
            if query.get("category") != ["Data Science"] or page >= 100:
                return Response(400, b'{"error": "bad request"}')
            chunk = pages[page] if page < len(pages) else []
            return Response(body=P.muse_page(chunk, page, len(pages), total=len(muse)))

        s.route(MUSE_PATH, muse_answer)
