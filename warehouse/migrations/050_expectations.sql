-- Expectations gate (issue 7): what a release needs to re-validate and load a held batch once,
-- and what the validations summary shows per run.
ALTER TABLE raw.quarantine ADD COLUMN IF NOT EXISTS batch_id VARCHAR;
ALTER TABLE raw.quarantine ADD COLUMN IF NOT EXISTS run VARCHAR;             -- the run's logical date, ISO
ALTER TABLE raw.quarantine ADD COLUMN IF NOT EXISTS rows BIGINT;
ALTER TABLE raw.quarantine ADD COLUMN IF NOT EXISTS gate_params VARCHAR;     -- JSON: as_of etc. used by the suite
ALTER TABLE raw.quarantine ADD COLUMN IF NOT EXISTS released_rows BIGINT;    -- rows the loader wrote on release
ALTER TABLE raw.quarantine ADD COLUMN IF NOT EXISTS release_run_id VARCHAR;  -- the validation run that cleared it

ALTER TABLE marts.validation_runs ADD COLUMN IF NOT EXISTS rows BIGINT;
ALTER TABLE marts.validation_runs ADD COLUMN IF NOT EXISTS quarantine_id VARCHAR;

CREATE OR REPLACE VIEW validation_runs AS
SELECT run_id, suite, batch, success, failed_expectations, evaluated, run_time, seconds, rows, quarantine_id
FROM marts.validation_runs;

CREATE OR REPLACE VIEW quarantine AS
SELECT quarantine_id, created_at, stage, source, board, suite, reason, failed_expectations, released_at,
       batch_id, run, rows, sample, payload_refs, batch_path, released_rows
FROM raw.quarantine;
