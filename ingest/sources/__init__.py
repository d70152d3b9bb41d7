"""One module per postings source; each exposes `fetch(client, source, board) -> list[Fetch]` and
`parse(fetch, board) -> list[dict]` (canonical records, DESIGN §3.1).

`fetch` only talks HTTP (through the shared polite client) and returns every Fetch it made, failed
ones included; `parse` reads one archived payload and raises `ParseError` with a reason. Keeping
the two apart is what lets a payload be archived before anything interprets it, and re-parsed
later from the archive when a parser is fixed.

A source may also define `is_complete(fetches, client) -> bool`: False when the fetches are a
deliberately partial view of the board (The Muse's page cap), so that nothing is closed for
having been missing from it.
"""

from __future__ import annotations

from types import ModuleType

from ingest.sources import ashby, greenhouse, hn, jsonld, lever, remoteok, themuse
from ingest.sources.common import SourceConfig

__all__ = ["SOURCES", "SOURCE_PRIORITY", "SourceConfig", "source_module"]

SOURCES: dict[str, ModuleType] = {
    "greenhouse": greenhouse,
    "lever": lever,
    "ashby": ashby,
    "jsonld": jsonld,
    "hn": hn,
    "remoteok": remoteok,
    "themuse": themuse,
}

# When the same job arrives from two sources in one run, the earlier source here stays canonical:
# employer ATS feeds carry the most structure, aggregators the least.
SOURCE_PRIORITY = ("greenhouse", "lever", "ashby", "jsonld", "themuse", "remoteok", "hn")


def source_module(name: str) -> ModuleType:
    try:
        return SOURCES[name]
    except KeyError:
        raise KeyError(f"unknown postings source {name!r}; known: {', '.join(SOURCES)}") from None
