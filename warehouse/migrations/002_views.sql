-- Analyst views (DESIGN 3.4). Names and columns are a contract.
CREATE OR REPLACE VIEW postings AS
SELECT posting_key, source, source_id, board, company, company_key, title, location, remote, url,
       description_html, description_text, posted_at, salary_min, salary_max, salary_currency,
       salary_interval, payload_sha256, fetched_at, role_id, soc_code, seniority, tags,
       production_ownership, routine_only, classifier_version, first_seen, last_seen, closed_at
FROM staging.postings;

CREATE OR REPLACE VIEW bls_observations AS
SELECT series_id, year, period, value, footnote_codes, retrieved_at
FROM raw.bls_observations
QUALIFY row_number() OVER (PARTITION BY series_id, year, period ORDER BY retrieved_at DESC) = 1;

CREATE OR REPLACE VIEW bls_observation_vintages AS
SELECT series_id, year, period, value, value_text, footnote_codes, source, retrieved_at
FROM raw.bls_observations;

CREATE OR REPLACE VIEW projections AS
SELECT edition, soc_code, title, base_year, projected_year, employment_base, employment_projected,
       change_number, change_percent, openings_annual, median_wage, retrieved_at
FROM staging.projections;

CREATE OR REPLACE VIEW watch_signals AS
SELECT role_id, week, signal, value, n, ci_low, ci_high FROM marts.watch_signals;

CREATE OR REPLACE VIEW role_scores AS
SELECT role_id, as_of, automation_resistance, structural_moat, demand, total, outlook_state, explanation
FROM marts.role_scores;

CREATE OR REPLACE VIEW alerts AS
SELECT alert_id, role_id, fired_at, kind, old_value, new_value, message, delivery_status FROM marts.alerts;

CREATE OR REPLACE VIEW source_health AS
SELECT source, board, run, status, rows, error FROM marts.source_health;

CREATE OR REPLACE VIEW role_cards AS
SELECT role_id, title, soc_codes, automation_resistance, structural_moat, demand, total, card_path
FROM staging.role_cards;

CREATE OR REPLACE VIEW validation_runs AS
SELECT run_id, suite, batch, success, failed_expectations, evaluated, run_time, seconds
FROM marts.validation_runs;

CREATE OR REPLACE VIEW quarantine AS
SELECT quarantine_id, created_at, stage, source, board, suite, reason, failed_expectations, released_at
FROM raw.quarantine;
