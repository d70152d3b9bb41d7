-- Description search (issue 11): a word index of postings.description_text and the macro that uses it.
-- A substring search over a quarter's descriptions reads about 1 GB of text at 1,000,000 postings
-- (2 s); the index answers the same question from the words instead. warehouse/search_index.py keeps
-- it up to date (publish_snapshot refreshes it, so the analyst snapshot always matches its postings).
CREATE SCHEMA IF NOT EXISTS search;

-- One row per indexed posting: its number in the index, its week of first_seen, and a hash of the
-- text the index was built from (a changed text or week is re-indexed).
CREATE TABLE IF NOT EXISTS search.documents (
    doc_id INTEGER NOT NULL,
    posting_key VARCHAR NOT NULL,
    week DATE NOT NULL,
    text_hash UBIGINT NOT NULL
);

-- The vocabulary: every word (maximal run of [a-z0-9] in the lower-cased text) ever indexed.
CREATE TABLE IF NOT EXISTS search.words (
    word_id INTEGER NOT NULL,
    word VARCHAR NOT NULL
);

-- Which words each posting's text holds, written week by week in (week, word_id, doc_id) order, so
-- the rows of one word in one week sit together and DuckDB's zonemaps skip the rest.
CREATE TABLE IF NOT EXISTS search.posting_words (
    week DATE NOT NULL,
    word_id INTEGER NOT NULL,
    doc_id INTEGER NOT NULL
);

-- search_postings(term[, since]): the postings whose description_text contains `term`, ignoring case
-- (the rows of `description_text ILIKE '%term%'` for a term without % or _), first seen on or after
-- `since` when given (the default is a date before any posting: DuckLake cannot store a NULL
-- default, and first_seen is never NULL). An occurrence of the term's letters and digits lies inside one indexed word, so
-- the documents holding, for every such part, a word that contains it are a superset of the answer;
-- a term that is one part needs no further check, any other is checked against the text of those
-- candidates only. A term with no letter or digit (rare) makes every posting a candidate.
-- (The fallback sits inside `keys`, not in a UNION of two SELECT p.*: DuckDB does not prune unused
-- columns through a UNION, and every query would then read every column of the matches.)
CREATE OR REPLACE MACRO search_postings(term, since := TIMESTAMP '0001-01-01') AS TABLE
WITH parts AS (
    SELECT DISTINCT unnest(regexp_extract_all(lower(term), '[a-z0-9]+')) AS part
),
matched AS (
    SELECT p.part, w.word_id, len(list_distinct(regexp_extract_all(lower(term), '[a-z0-9]+'))) AS parts
    FROM search.words w JOIN parts p ON contains(w.word, p.part)
),
hits AS (
    SELECT pw.doc_id
    FROM search.posting_words pw JOIN matched m USING (word_id)
    WHERE pw.week >= date_trunc('week', since::TIMESTAMP)::DATE
    GROUP BY pw.doc_id
    HAVING count(DISTINCT m.part) = max(m.parts)
),
keys AS (
    SELECT d.posting_key FROM search.documents d SEMI JOIN hits h ON d.doc_id = h.doc_id
    UNION ALL
    SELECT posting_key FROM postings WHERE len(regexp_extract_all(lower(term), '[a-z0-9]+')) = 0
)
SELECT p.* FROM postings p SEMI JOIN keys k ON p.posting_key = k.posting_key
WHERE p.first_seen >= since::TIMESTAMP
  AND (regexp_full_match(lower(term), '[a-z0-9]+') OR contains(lower(p.description_text), lower(term)));
