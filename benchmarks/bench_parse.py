"""Parse from raw payloads, per source format: bytes of archived payloads in, canonical records out.

Payloads are rendered by the demo server's own renderers (laborwatch/demo_server.py), so each is in
the format the live host sends and the parsers are tested against: Greenhouse boards with
HTML-escaped `content`, Lever and Ashby board lists, career pages with JSON-LD, one HN item per
comment, RemoteOK's list with its legal notice first, The Muse's pages of 20. The postings are the
demo market's, repeated under fresh ids until there are enough.

What is timed is `ingest.sources.<name>.parse(fetch, board)` over every payload, the step that runs
once per newly archived payload before the gate.
"""

from __future__ import annotations

import cProfile
import json
import pstats
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from benchmarks.harness import Figure, timed
from ingest.sources import SOURCES
from warehouse.archive import Fetch

FETCHED_AT = datetime(2026, 3, 1, 12, 0)
BOARD_SIZE = {"greenhouse": 100, "lever": 100, "ashby": 100, "jsonld": 20, "hn": 1, "remoteok": 100}


def demo_postings(n: int) -> list[Any]:
    """n demo-market postings: the steady scenario's, cycled under new uids (texts repeat, ids do not)."""
    from laborwatch.demo_market import build_market

    base = build_market("steady").postings
    return [replace(base[i % len(base)], uid=1_000_000 + i) for i in range(n)]


def _chunks(items: list[Any], size: int) -> Iterator[list[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _fetch(url: str, body: bytes, content_type: str, source: str, board: str) -> Fetch:
    return Fetch(url, FETCHED_AT, 200, body, content_type, source=source, board=board)


def render_payloads(source: str, postings: list[Any]) -> list[tuple[Fetch, str]]:
    """(fetch, board) pairs holding `postings` in `source`'s wire format."""
    from laborwatch import demo_server as ds

    def dump(data: Any) -> bytes:
        return json.dumps(data, ensure_ascii=False).encode()

    out: list[tuple[Fetch, str]] = []
    if source == "themuse":
        pages = list(_chunks(postings, ds.MUSE_PAGE_SIZE))
        for page, chunk in enumerate(pages):
            body = {
                "page": page,
                "page_count": len(pages),
                "items_per_page": ds.MUSE_PAGE_SIZE,
                "total": len(postings),
                "results": [ds.muse_job(p) for p in chunk],
            }
            url = f"https://www.themuse.com/api/public/jobs?page={page}"
            out.append(
                (_fetch(url, dump(body), ds.JSON, source, "software-engineering"), "software-engineering")
            )
        return out
    for i, chunk in enumerate(_chunks(postings, BOARD_SIZE[source])):
        board = f"board{i:05d}"
        if source == "greenhouse":
            url = f"https://boards-api.greenhouse.io/v1/boards/{board}/jobs?content=true"
            body = dump({"jobs": [ds.greenhouse_job(p, True) for p in chunk], "meta": {"total": len(chunk)}})
        elif source == "lever":
            url = f"https://api.lever.co/v0/postings/{board}?mode=json"
            body = dump([ds.lever_posting(p) for p in chunk])
        elif source == "ashby":
            url = f"https://api.ashbyhq.com/posting-api/job-board/{board}?includeCompensation=true"
            body = dump({"apiVersion": "1", "jobs": [ds.ashby_job(p, True) for p in chunk]})
        elif source == "jsonld":
            board = url = f"https://careers.example.com/{board}"
            body = ds.career_page(chunk[0].employer, chunk, url, mirror=False).encode()
            out.append((_fetch(url, body, ds.HTML, source, board), board))
            continue
        elif source == "hn":
            (p,) = chunk
            board = "whoishiring"
            url = f"https://hacker-news.firebaseio.com/v0/item/{40_000_000 + i}.json"
            item = {
                "by": "hiring",
                "id": 40_000_000 + i,
                "parent": 39_999_999,
                "text": ds.hn_comment_text(p),
                "time": int(p.posted_at.timestamp()),
                "type": "comment",
            }
            body = dump(item)
        elif source == "remoteok":
            url = f"https://remoteok.com/api?page={i}"
            legal = {
                "last_updated": int(FETCHED_AT.replace(tzinfo=UTC).timestamp()),
                "legal": ds.REMOTEOK_LEGAL,
            }
            body = dump([legal, *(ds.remoteok_job(p) for p in chunk)])
        else:
            raise KeyError(source)
        out.append((_fetch(url, body, ds.JSON, source, board), board))
    return out


def _parse_all(source: str, payloads: list[tuple[Fetch, str]]) -> Callable[[], int]:
    parse = SOURCES[source].parse

    def step() -> int:
        return sum(len(parse(fetch, board)) for fetch, board in payloads)

    return step


def _profile_share(step: Callable[[], int], functions: tuple[str, ...]) -> float:
    """Share of `step`'s time spent inside any of `functions` (cumulative), by cProfile."""
    profiler = cProfile.Profile()
    profiler.runcall(step)
    stats = pstats.Stats(profiler)
    total = stats.total_tt  # type: ignore[attr-defined]
    inside = sum(
        row[3]
        for (_, _, name), row in stats.stats.items()
        if name in functions  # type: ignore[attr-defined]
    )
    return inside / total if total else 0.0


def _timed_slices(
    source: str, slices: list[list[tuple[Fetch, str]]], sizes: list[int]
) -> tuple[Figure, list[int]]:
    """One run per slice (handed over untimed); the figure's rate is postings over the runs' total."""
    queue = iter(slices)
    parsed: list[int] = []
    parse = SOURCES[source].parse

    def step(payloads: list[tuple[Fetch, str]]) -> None:
        parsed.append(sum(len(parse(fetch, board)) for fetch, board in payloads))

    figure = timed(f"parse_{source}", sizes[0], step, len(slices), setup=lambda: next(queue))
    figure.n = sum(sizes) // len(sizes)
    figure.per_second = round(sum(sizes) / sum(figure.runs), 1) if sum(figure.runs) else 0.0
    return figure, parsed


def parse_case(n: int, repeats: int) -> list[Figure]:
    """Per format: n postings, parsed as `repeats` runs over equal slices of them.

    The sum of the runs is the time for all n; the median run is the figure (each run parses
    different payloads, so nothing is warm from the run before).
    """
    figures = []
    repeats = max(1, min(repeats, n))
    postings = demo_postings(n)
    bounds = [n * k // repeats for k in range(repeats + 1)]
    groups = [postings[bounds[k] : bounds[k + 1]] for k in range(repeats)]
    for source in SOURCES:
        slices = [render_payloads(source, group) for group in groups]
        payloads = [p for s in slices for p in s]
        mb = sum(len(f.body or b"") for f, _ in payloads) / 2**20
        sample = payloads[: max(1, len(payloads) // 20)]
        share = _profile_share(_parse_all(source, sample), ("html_to_text",))
        figure, parsed = _timed_slices(source, slices, [len(g) for g in groups])
        assert parsed == [len(g) for g in groups], (source, parsed)
        total = sum(figure.runs)
        figure.note = (
            f"{n:,} postings in {len(payloads):,} payloads ({mb:,.1f} MB) in {total:.2f} s, "
            f"as {repeats} runs of about {n // repeats:,}; {share:.0%} of the time in ingest.records.html_to_text"
        )
        figure.extra = {
            "postings": n,
            "payloads": len(payloads),
            "mb": round(mb, 1),
            "total_seconds": round(total, 3),
            "html_to_text_share": round(share, 3),
        }
        figures.append(figure)
    return figures
