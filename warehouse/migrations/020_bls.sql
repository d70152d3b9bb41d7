-- BLS ingest: the series catalog, footnote texts, pull records, and the views over them.

-- What each pulled series measures, derived from the role cards (ingest/bls_catalog.py).
CREATE TABLE IF NOT EXISTS staging.bls_series (
    series_id VARCHAR PRIMARY KEY,
    program VARCHAR NOT NULL,            -- OEWS | JOLTS | CES | CPS | ...
    measure VARCHAR NOT NULL,            -- employment | mean_wage | median_wage | p10_wage | job_openings | ...
    unit VARCHAR NOT NULL,               -- jobs | thousands | thousands_of_jobs | usd_per_year | percent | ...
    soc_code VARCHAR,
    industry VARCHAR,
    role_ids VARCHAR[] NOT NULL,
    description VARCHAR NOT NULL,
    updated_at TIMESTAMP NOT NULL
);

-- Footnote texts as the API gave them (the code alone is in raw.bls_observations.footnote_codes).
CREATE TABLE IF NOT EXISTS staging.bls_footnotes (
    series_id VARCHAR NOT NULL,
    code VARCHAR NOT NULL,
    text VARCHAR NOT NULL,
    first_seen TIMESTAMP NOT NULL,
    PRIMARY KEY (series_id, code, text)
);

-- One row per program per ingest that settled every series of that program (releases_due reads it).
CREATE TABLE IF NOT EXISTS raw.bls_pulls (
    program VARCHAR NOT NULL,
    as_of TIMESTAMP NOT NULL,            -- the run's logical date
    pulled_at TIMESTAMP NOT NULL,        -- wall clock
    series INTEGER NOT NULL,
    new_rows BIGINT NOT NULL,
    PRIMARY KEY (program, pulled_at)
);

ALTER TABLE staging.projections ADD COLUMN IF NOT EXISTS median_wage_text VARCHAR;
ALTER TABLE staging.bls_releases ADD COLUMN IF NOT EXISTS sequence INTEGER;
ALTER TABLE staging.bls_releases ADD COLUMN IF NOT EXISTS retrieved_at TIMESTAMP;

-- The 002 view plus value_text (why a value is NULL: "-", "#", "*") and source, appended so the
-- contract's columns keep their order. At equal retrieved_at the API row wins over a file row.
CREATE OR REPLACE VIEW bls_observations AS
SELECT series_id, year, period, value, footnote_codes, retrieved_at, value_text, source
FROM raw.bls_observations
QUALIFY row_number() OVER (
    PARTITION BY series_id, year, period ORDER BY retrieved_at DESC, (source = 'api') DESC
) = 1;

CREATE OR REPLACE VIEW bls_series AS
SELECT series_id, program, measure, unit, soc_code, industry, role_ids, description FROM staging.bls_series;

-- Latest observations joined to what they measure, with the period's kind and first day.
CREATE OR REPLACE VIEW bls_measures AS
SELECT s.program, s.measure, s.unit, s.soc_code, s.industry, s.role_ids, o.series_id, o.year, o.period,
       CASE WHEN o.period = 'A01' THEN 'annual'
            WHEN o.period IN ('M13', 'Q05', 'S03') THEN 'annual_average'
            WHEN o.period LIKE 'M%' THEN 'month'
            WHEN o.period LIKE 'Q%' THEN 'quarter'
            ELSE 'half' END AS period_kind,
       make_date(o.year,
                 CASE WHEN o.period IN ('A01', 'M13', 'Q05', 'S03') THEN 1
                      WHEN o.period LIKE 'M%' THEN CAST(substr(o.period, 2) AS INTEGER)
                      WHEN o.period LIKE 'Q%' THEN (CAST(substr(o.period, 2) AS INTEGER) - 1) * 3 + 1
                      ELSE (CAST(substr(o.period, 2) AS INTEGER) - 1) * 6 + 1 END,
                 1) AS period_start,
       o.value, o.value_text, o.footnote_codes, o.source, o.retrieved_at
FROM bls_observations o
JOIN staging.bls_series s USING (series_id);

CREATE OR REPLACE VIEW bls_releases AS
SELECT uid, program, title, released_at, sequence FROM staging.bls_releases;
