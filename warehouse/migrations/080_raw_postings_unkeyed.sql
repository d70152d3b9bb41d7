-- raw.postings without its primary-key index (issue 11). The key (source, board, source_id,
-- payload_sha256) stays the table's key: every write is insert_missing on it, as on DuckLake, which
-- has no indexes. The index itself cost more than it gave: four columns, one a 64-character hash,
-- for a table only ever appended to and read by source and board; a weekly batch onto a million
-- postings spent ~0.3 s keeping it and ~0.9 s writing ~150 MB of it at the next checkpoint, and a
-- table with an index is appended inside its last row group, which the checkpoint then rewrites.
-- DuckDB cannot drop a primary key, so the table is rebuilt once.
CREATE TABLE raw.postings_unkeyed (
    source VARCHAR NOT NULL,
    source_id VARCHAR NOT NULL,
    board VARCHAR NOT NULL,
    company VARCHAR,
    title VARCHAR,
    location VARCHAR,
    remote BOOLEAN,
    url VARCHAR,
    description_html VARCHAR,
    description_text VARCHAR,
    posted_at TIMESTAMP,
    salary_min DOUBLE,
    salary_max DOUBLE,
    salary_currency VARCHAR,
    salary_interval VARCHAR,
    payload_sha256 VARCHAR NOT NULL,
    fetched_at TIMESTAMP NOT NULL
);
INSERT INTO raw.postings_unkeyed
SELECT source, source_id, board, company, title, location, remote, url, description_html,
       description_text, posted_at, salary_min, salary_max, salary_currency, salary_interval,
       payload_sha256, fetched_at
FROM raw.postings;
DROP TABLE raw.postings;
ALTER TABLE raw.postings_unkeyed RENAME TO postings;
