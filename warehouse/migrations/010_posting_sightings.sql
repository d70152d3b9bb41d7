-- Every (source, board, source_id) that has carried a posting, each with its own lifecycle.
-- staging.postings.first_seen/last_seen/closed_at aggregate a posting's sightings (earliest first
-- seen, latest last seen, closed only when every sighting is closed), so a job still listed on one
-- board stays open when another board that also listed it drops it, and closing one board never
-- depends on the order boards are loaded in.
CREATE TABLE IF NOT EXISTS staging.posting_sightings (
    source VARCHAR NOT NULL,
    board VARCHAR NOT NULL,
    source_id VARCHAR NOT NULL,
    posting_key VARCHAR NOT NULL,
    first_seen TIMESTAMP NOT NULL,
    last_seen TIMESTAMP NOT NULL,
    closed_at TIMESTAMP,
    PRIMARY KEY (source, board, source_id)
);
