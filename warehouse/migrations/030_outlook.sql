-- Outlook bookkeeping (laborwatch/outlook.py, docs/signals.md): what an incremental recompute needs.

-- Integer counts per role and week behind the watch signals (transforms.signals.weekly_counts). A
-- recompute derives every signal, state and score from these, so only the weeks a batch of postings
-- touched are counted again; the rest is read back from here.
CREATE TABLE IF NOT EXISTS marts.outlook_counts (
    role_id VARCHAR NOT NULL,
    week DATE NOT NULL,                  -- Monday of the ISO week
    ref_day DATE,                        -- the day the week's 7-day trailing averages end
    open_ref BIGINT NOT NULL,
    senior_ref BIGINT NOT NULL,
    open_ref_sum BIGINT NOT NULL,
    senior_ref_sum BIGINT NOT NULL,
    ref_days BIGINT NOT NULL,
    open_week_sum BIGINT NOT NULL,
    senior_week_sum BIGINT NOT NULL,
    week_days BIGINT NOT NULL,
    new_postings BIGINT NOT NULL,
    new_entry BIGINT NOT NULL,
    new_entry_production BIGINT NOT NULL,
    new_entry_routine_only BIGINT NOT NULL,
    new_production BIGINT NOT NULL,
    new_deployment BIGINT NOT NULL,
    new_evaluation BIGINT NOT NULL,
    new_monitoring BIGINT NOT NULL,
    new_data_quality BIGINT NOT NULL,
    new_failure_response BIGINT NOT NULL,
    new_research BIGINT NOT NULL,
    new_routine_adaptation BIGINT NOT NULL,
    employer_n BIGINT NOT NULL,
    employers BIGINT NOT NULL,
    employer_sumsq BIGINT NOT NULL,
    employer_top5 BIGINT NOT NULL,
    PRIMARY KEY (role_id, week)
);

-- What the postings of each role and week looked like at the last computation: per week of
-- first_seen, the count and an XOR of per-posting hashes of everything a posting contributes
-- (key, seniority, tags, flags, employer, first_seen); per week of closed_at, the same over
-- (key, closed_at). A week whose row differs now is where a changed posting touches the counts.
CREATE TABLE IF NOT EXISTS marts.outlook_fingerprints (
    role_id VARCHAR NOT NULL,
    week DATE NOT NULL,
    kind VARCHAR NOT NULL,               -- first_seen | closed_at
    postings BIGINT NOT NULL,
    fingerprint UBIGINT NOT NULL,
    earliest TIMESTAMP,                  -- first_seen rows: the week's earliest first_seen
    PRIMARY KEY (role_id, week, kind)
);

-- Per role: the logical date last computed and what the result rested on (card, BLS data).
CREATE TABLE IF NOT EXISTS marts.outlook_watermarks (
    role_id VARCHAR PRIMARY KEY,
    as_of TIMESTAMP NOT NULL,
    card_sha256 VARCHAR NOT NULL,
    bls_fingerprint VARCHAR NOT NULL,
    computed_at TIMESTAMP NOT NULL
);

CREATE OR REPLACE VIEW role_states AS
SELECT role_id, week, outlook_state, raw_triggers, active_triggers, detail FROM marts.role_states;
