"""Batches in the real shapes of the tables the suites guard, good unless a test spoils them."""

from __future__ import annotations

import datetime as dt

import polars as pl

FETCHED_AT = dt.datetime(2025, 5, 5, 9, 30)


def postings(
    n: int = 3, source: str = "greenhouse", board: str = "acme", fetched_at: dt.datetime = FETCHED_AT
):
    """Canonical posting records (DESIGN §3.1) as a postings source yields them."""
    ids = [str(4000 + i) for i in range(n)]
    return pl.DataFrame(
        {
            "source": [source] * n,
            "source_id": ids,
            "board": [board] * n,
            "company": ["Acme Robotics"] * n,
            "title": [f"Machine Learning Engineer {i}" for i in range(n)],
            "location": ["Remote - US"] * n,
            "remote": [True] * n,
            "url": [f"https://boards.greenhouse.io/{board}/jobs/{i}" for i in ids],
            "description_html": ["<p>Own <b>deployment</b> and evaluation.</p>"] * n,
            "description_text": ["Own deployment and evaluation."] * n,
            "posted_at": [fetched_at - dt.timedelta(days=i + 1) for i in range(n)],
            "salary_min": [150_000.0 + i for i in range(n)],
            "salary_max": [190_000.0 + i for i in range(n)],
            "salary_currency": ["USD"] * n,
            "salary_interval": ["year"] * n,
            "payload_sha256": ["ab" * 32] * n,
            "fetched_at": [fetched_at] * n,
        },
        schema_overrides={"posted_at": pl.Datetime("us"), "fetched_at": pl.Datetime("us")},
    )


def bls_observations() -> pl.DataFrame:
    """raw.bls_observations rows: monthly, annual, and a typed gap ('-' with a footnote)."""
    retrieved = dt.datetime(2025, 5, 2, 8, 0)
    return pl.DataFrame(
        {
            "series_id": ["CES0000000001", "CES0000000001", "OEUN000000000000015205101", "LNS14000000"],
            "year": [2025, 2025, 2024, 2025],
            "period": ["M03", "M04", "A01", "M04"],
            "value": [159_000.0, 159_177.0, None, 4.2],
            "value_text": ["159000", "159177", "-", "4.2"],
            "footnote_codes": [None, "P", "5", None],
            "source": ["api", "api", "oews_file", "api"],
            "retrieved_at": [retrieved] * 4,
        },
        schema_overrides={"year": pl.Int32, "retrieved_at": pl.Datetime("us")},
    )


def projections() -> pl.DataFrame:
    """staging.projections rows; employment in jobs (the workbook's thousands times 1000)."""
    return pl.DataFrame(
        {
            "edition": ["2024-34", "2024-34"],
            "soc_code": ["15-2051", "15-1252"],
            "title": ["Data scientists", "Software developers"],
            "base_year": [2024, 2024],
            "projected_year": [2034, 2034],
            "employment_base": [245_900.0, 1_693_800.0],
            "employment_projected": [328_300.0, 1_961_700.0],
            "change_number": [82_500.0, 267_800.0],
            "change_percent": [33.5, 15.8],
            "openings_annual": [23_400.0, 129_200.0],
            "median_wage": [112_590.0, 133_080.0],
            "retrieved_at": [dt.datetime(2025, 5, 1)] * 2,
        }
    )


def watch_signals() -> pl.DataFrame:
    week = dt.date(2025, 5, 5)  # a Monday
    return pl.DataFrame(
        {
            "role_id": ["ai_ml_engineer"] * 3,
            "week": [week] * 3,
            "signal": ["entry_share", "production_ownership_share", "volume_index"],
            "value": [0.18, 0.42, 104.5],
            "n": [220, 220, 220],
            "ci_low": [0.135, 0.357, None],
            "ci_high": [0.236, 0.486, None],
        }
    )


def role_scores() -> pl.DataFrame:
    return pl.DataFrame(
        {
            "role_id": ["ai_ml_engineer", "data_scientist"],
            "as_of": [dt.date(2025, 5, 5)] * 2,
            "automation_resistance": [14.0, 12.0],
            "structural_moat": [17.0, 15.0],
            "demand": [21.0, 20.5],
            "total": [52.0, 47.5],
            "outlook_state": ["stable", "mixed_review"],
            "explanation": ["Baseline; no signal moved.", "Research share up; product-model work down."],
        }
    )


MAXIMA = {
    "ai_ml_engineer": {"automation_resistance": 40.0, "structural_moat": 30.0, "demand": 30.0},
    "data_scientist": {"automation_resistance": 40.0, "structural_moat": 30.0, "demand": 30.0},
}


def set_cell(df: pl.DataFrame, column: str, row: int, value: object) -> pl.DataFrame:
    """`df` with one cell replaced, keeping the column's dtype."""
    values = df[column].to_list()
    values[row] = value
    return df.with_columns(pl.Series(column, values, dtype=df.schema[column]))
