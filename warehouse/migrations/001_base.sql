-- Base schema. raw = what arrived, staging = cleaned and classified, marts = signals, scores, alerts.
CREATE SCHEMA IF NOT EXISTS raw;
CREATE SCHEMA IF NOT EXISTS staging;
CREATE SCHEMA IF NOT EXISTS marts;

-- One row per distinct payload body, stored on disk under data_dir/raw/<sha[:2]>/<sha>.
CREATE TABLE IF NOT EXISTS raw.payloads (
    sha256 VARCHAR PRIMARY KEY,
    bytes BIGINT NOT NULL,
    content_type VARCHAR,
    path VARCHAR NOT NULL,
    first_fetched_at TIMESTAMP NOT NULL
);

-- One row per HTTP fetch; a 304 or a failure has no payload.
CREATE TABLE IF NOT EXISTS raw.fetches (
    url VARCHAR NOT NULL,
    fetched_at TIMESTAMP NOT NULL,
    source VARCHAR,
    board VARCHAR,
    status INTEGER,
    etag VARCHAR,
    last_modified VARCHAR,
    bytes BIGINT,
    sha256 VARCHAR,
    error VARCHAR,
    PRIMARY KEY (url, fetched_at)
);

-- Canonical posting records (DESIGN 3.1) as parsed from each payload.
CREATE TABLE IF NOT EXISTS raw.postings (
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
    fetched_at TIMESTAMP NOT NULL,
    PRIMARY KEY (source, board, source_id, payload_sha256)
);

-- Anything held back: unparseable payloads and batches that failed their expectations.
CREATE TABLE IF NOT EXISTS raw.quarantine (
    quarantine_id VARCHAR PRIMARY KEY,
    created_at TIMESTAMP NOT NULL,
    stage VARCHAR NOT NULL,              -- parse | expectations
    source VARCHAR,
    board VARCHAR,
    suite VARCHAR,
    reason VARCHAR NOT NULL,
    failed_expectations VARCHAR,         -- JSON list
    sample VARCHAR,                      -- JSON: offending values
    payload_refs VARCHAR,                -- JSON list of payload sha256
    batch_path VARCHAR,                  -- parquet file of the held batch
    released_at TIMESTAMP
);

-- Every vintage of every BLS observation; value NULL marks a typed gap.
CREATE TABLE IF NOT EXISTS raw.bls_observations (
    series_id VARCHAR NOT NULL,
    year INTEGER NOT NULL,
    period VARCHAR NOT NULL,
    value DOUBLE,
    value_text VARCHAR,
    footnote_codes VARCHAR,
    source VARCHAR NOT NULL DEFAULT 'api',   -- api | oews_file
    retrieved_at TIMESTAMP NOT NULL,
    PRIMARY KEY (series_id, year, period, retrieved_at)
);

CREATE TABLE IF NOT EXISTS raw.bls_query_budget (
    day DATE PRIMARY KEY,
    queries INTEGER NOT NULL
);

CREATE TABLE IF NOT EXISTS staging.postings (
    posting_key VARCHAR PRIMARY KEY,     -- stable id of the deduplicated posting
    source VARCHAR NOT NULL,
    source_id VARCHAR NOT NULL,
    board VARCHAR NOT NULL,
    company VARCHAR,
    company_key VARCHAR,                 -- normalized employer identity
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
    payload_sha256 VARCHAR,
    fetched_at TIMESTAMP,
    role_id VARCHAR,
    soc_code VARCHAR,
    seniority VARCHAR,
    tags VARCHAR[],
    production_ownership BOOLEAN,
    routine_only BOOLEAN,
    classifier_version VARCHAR,
    first_seen TIMESTAMP NOT NULL,
    last_seen TIMESTAMP NOT NULL,
    closed_at TIMESTAMP
);

-- Other source records that were found to be the same job as a staging posting.
CREATE TABLE IF NOT EXISTS staging.posting_aliases (
    source VARCHAR NOT NULL,
    board VARCHAR NOT NULL,
    source_id VARCHAR NOT NULL,
    posting_key VARCHAR NOT NULL,
    PRIMARY KEY (source, board, source_id)
);

CREATE TABLE IF NOT EXISTS staging.projections (
    edition VARCHAR NOT NULL,            -- e.g. 2024-34
    soc_code VARCHAR NOT NULL,
    title VARCHAR,
    base_year INTEGER,
    projected_year INTEGER,
    employment_base DOUBLE,              -- jobs (not thousands)
    employment_projected DOUBLE,
    change_number DOUBLE,
    change_percent DOUBLE,
    openings_annual DOUBLE,
    median_wage DOUBLE,
    retrieved_at TIMESTAMP NOT NULL,
    PRIMARY KEY (edition, soc_code)
);

CREATE TABLE IF NOT EXISTS staging.bls_releases (
    uid VARCHAR PRIMARY KEY,
    program VARCHAR NOT NULL,
    title VARCHAR NOT NULL,
    released_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE IF NOT EXISTS staging.role_cards (
    role_id VARCHAR PRIMARY KEY,
    title VARCHAR NOT NULL,
    soc_codes VARCHAR[] NOT NULL,
    automation_resistance DOUBLE NOT NULL,
    structural_moat DOUBLE NOT NULL,
    demand DOUBLE NOT NULL,
    total DOUBLE NOT NULL,
    card_path VARCHAR NOT NULL,
    card_sha256 VARCHAR NOT NULL
);

CREATE TABLE IF NOT EXISTS marts.watch_signals (
    role_id VARCHAR NOT NULL,
    week DATE NOT NULL,                  -- Monday of the ISO week
    signal VARCHAR NOT NULL,
    value DOUBLE,
    n BIGINT,
    ci_low DOUBLE,
    ci_high DOUBLE,
    PRIMARY KEY (role_id, week, signal)
);

CREATE TABLE IF NOT EXISTS marts.role_scores (
    role_id VARCHAR NOT NULL,
    as_of DATE NOT NULL,
    automation_resistance DOUBLE NOT NULL,
    structural_moat DOUBLE NOT NULL,
    demand DOUBLE NOT NULL,
    total DOUBLE NOT NULL,
    outlook_state VARCHAR NOT NULL,
    explanation VARCHAR NOT NULL,
    PRIMARY KEY (role_id, as_of)
);

-- Outlook state per role and week, with the triggers behind it (raw = condition met this week,
-- active = condition has persisted long enough to count).
CREATE TABLE IF NOT EXISTS marts.role_states (
    role_id VARCHAR NOT NULL,
    week DATE NOT NULL,
    outlook_state VARCHAR NOT NULL,
    raw_triggers VARCHAR[] NOT NULL,
    active_triggers VARCHAR[] NOT NULL,
    detail VARCHAR,
    PRIMARY KEY (role_id, week)
);

CREATE TABLE IF NOT EXISTS marts.alerts (
    alert_id VARCHAR PRIMARY KEY,        -- deterministic: a re-run produces the same id
    role_id VARCHAR,
    fired_at TIMESTAMP NOT NULL,
    kind VARCHAR NOT NULL,               -- score_change | outlook_change | trigger | source_health
    old_value VARCHAR,
    new_value VARCHAR,
    message VARCHAR NOT NULL,
    delivery_status VARCHAR NOT NULL DEFAULT 'pending'   -- pending | delivered | failed
);

CREATE TABLE IF NOT EXISTS marts.alert_deliveries (
    alert_id VARCHAR NOT NULL,
    channel VARCHAR NOT NULL,
    status VARCHAR NOT NULL,             -- delivered | failed
    attempts INTEGER NOT NULL,
    last_attempt_at TIMESTAMP NOT NULL,
    error VARCHAR,
    PRIMARY KEY (alert_id, channel)
);

CREATE TABLE IF NOT EXISTS marts.source_health (
    source VARCHAR NOT NULL,
    board VARCHAR NOT NULL,
    run VARCHAR NOT NULL,                -- the run's logical date, ISO
    status VARCHAR NOT NULL,             -- ok | empty | dropped_to_zero | parse_error | fetch_error | quarantined
    rows BIGINT NOT NULL,
    error VARCHAR,
    PRIMARY KEY (source, board, run)
);

CREATE TABLE IF NOT EXISTS marts.validation_runs (
    run_id VARCHAR PRIMARY KEY,
    suite VARCHAR NOT NULL,
    batch VARCHAR NOT NULL,
    success BOOLEAN NOT NULL,
    failed_expectations VARCHAR,         -- JSON list
    evaluated INTEGER NOT NULL,
    run_time TIMESTAMP NOT NULL,
    seconds DOUBLE
);
