"""The word index behind `search_postings(term)` (migration 070): kept in step with staging.postings.

Why an index: "which postings of the last quarter mention Kubernetes" is an everyday analyst question,
and answering it from the text reads every description of the quarter (about 1 GB at 1,000,000
postings, 2 s). The index lists, per week of first_seen, the words of each posting's lower-cased text
(maximal runs of [a-z0-9]); the macro finds the words that contain the term and reads only their rows.

Keeping it current: `refresh` compares each posting's week and a hash of its text with what was
indexed, drops the rows of the postings that changed or left and indexes the new and changed ones,
a week at a time (each week's rows appended in (word_id, doc_id) order, so a word's rows stay
together within each append). It runs in one transaction: a reader sees the old index or the new.
`warehouse.snapshot.publish_snapshot` calls it, so the analyst snapshot's index always matches its
postings. (DuckDB's hash() may change between DuckDB versions: the first refresh after an upgrade
then re-indexes everything, which is slow but right.)
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from warehouse.db import Warehouse

WORD = "[a-z0-9]+"  # also in migrations/070_search_index.sql (the macro splits a term the same way)


@dataclass(frozen=True)
class Refresh:
    """What one refresh did: postings (re)indexed or dropped, and the weeks they were or are in."""

    postings: int
    weeks: tuple[date, ...]


_CHANGES = """
CREATE OR REPLACE TEMP TABLE lw_search_changes AS
SELECT coalesce(p.posting_key, d.posting_key) AS posting_key, d.doc_id, d.week AS old_week,
       p.week AS new_week, p.text_hash
FROM (SELECT posting_key, date_trunc('week', first_seen)::DATE AS week,
             hash(description_text) AS text_hash
      FROM staging.postings) p
FULL JOIN search.documents d ON d.posting_key = p.posting_key
WHERE d.posting_key IS NULL OR p.posting_key IS NULL
   OR p.week IS DISTINCT FROM d.week OR p.text_hash IS DISTINCT FROM d.text_hash
"""

# Changed postings keep their number; new ones are numbered on, in week order, so that the numbers of
# one week are close together (a join on doc_id then skips most of search.documents).
_DOCUMENTS = """
DELETE FROM search.documents WHERE posting_key IN (SELECT posting_key FROM lw_search_changes);
INSERT INTO search.documents
SELECT coalesce(doc_id, (SELECT coalesce(max(doc_id), 0) FROM search.documents)
                        + row_number() OVER (PARTITION BY doc_id IS NULL ORDER BY new_week, posting_key))::INTEGER,
       posting_key, new_week, text_hash
FROM lw_search_changes WHERE new_week IS NOT NULL
ORDER BY new_week, posting_key;
"""

# The old rows of changed or removed postings (the week bound lets the zonemaps skip other weeks).
_FORGET = """
DELETE FROM search.posting_words pw USING lw_search_changes c
WHERE c.doc_id IS NOT NULL AND pw.doc_id = c.doc_id AND pw.week = c.old_week
"""

_TOKENS = f"""
CREATE OR REPLACE TEMP TABLE lw_search_tokens AS
SELECT d.doc_id, unnest(list_distinct(regexp_extract_all(lower(p.description_text), '{WORD}'))) AS word
FROM staging.postings p
JOIN lw_search_changes c ON c.posting_key = p.posting_key AND c.new_week = $week
JOIN search.documents d ON d.posting_key = p.posting_key
WHERE p.first_seen >= $week AND p.first_seen < $week + INTERVAL 7 DAY
"""

# New words are numbered on; the week's rows go in (word_id, doc_id) order, in one append.
_INDEX = """
INSERT INTO search.words
SELECT ((SELECT coalesce(max(word_id), 0) FROM search.words) + row_number() OVER (ORDER BY word))::INTEGER, word
FROM (SELECT DISTINCT word FROM lw_search_tokens) t
WHERE NOT EXISTS (SELECT 1 FROM search.words w WHERE w.word = t.word);
INSERT INTO search.posting_words
SELECT $week, w.word_id, t.doc_id FROM lw_search_tokens t JOIN search.words w ON w.word = t.word
ORDER BY w.word_id, t.doc_id;
"""


def refresh(wh: Warehouse) -> Refresh:
    """Bring the search index in line with staging.postings; a no-op when nothing changed."""
    return wh.atomically(_refresh)


def _refresh(wh: Warehouse) -> Refresh:
    con = wh.con
    con.execute(_CHANGES)
    try:
        changed = wh.scalar("SELECT count(*) FROM lw_search_changes")
        if not changed:
            return Refresh(0, ())
        weeks = tuple(
            row[0]
            for row in con.execute(
                "SELECT DISTINCT week FROM (SELECT old_week AS week FROM lw_search_changes "
                "UNION SELECT new_week FROM lw_search_changes) WHERE week IS NOT NULL ORDER BY week"
            ).fetchall()
        )
        for statement in _statements(_DOCUMENTS):
            con.execute(statement)
        con.execute(_FORGET)
        fresh = con.execute(
            "SELECT DISTINCT new_week FROM lw_search_changes WHERE new_week IS NOT NULL ORDER BY 1"
        ).fetchall()
        for (week,) in fresh:  # a week at a time: bounded memory on a first, full build
            con.execute(_TOKENS, {"week": week})
            for statement in _statements(_INDEX):
                con.execute(statement, {"week": week} if "$week" in statement else None)
        con.execute("DROP TABLE IF EXISTS lw_search_tokens")
        return Refresh(changed, weeks)
    finally:
        con.execute("DROP TABLE IF EXISTS lw_search_changes")


def _statements(sql: str) -> list[str]:
    return [s.strip() for s in sql.split(";") if s.strip()]
