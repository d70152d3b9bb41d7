"""Employment Projections: the occupation workbook's Table 1.2 into one row per edition and SOC code.

The workbook at bls.gov/emp/ind-occ-matrix/occupation.xlsx keeps its URL and changes its content
every edition: the header row sits under a title row, the year in every column name changes
(`Employment, 2024` → `Employment, 2025`), ranges use an en dash (`2024–34`), some headers carry
footnote markers (`[1]`), and footnote rows follow the table. So columns are found by pattern after
normalising dashes and markers, the years come from the headers (which also name the edition), and
only `Line item` rows (detailed occupations, not `Summary` aggregates) are kept. Employment and
openings are published in thousands and stored as jobs.
"""

from __future__ import annotations

import io
import re
import zipfile
from typing import Any

import openpyxl
import polars as pl

SHEET = "Table 1.2"
HEADER_SEARCH_ROWS = 20

PROJECTIONS_SCHEMA = {
    "edition": pl.String,
    "soc_code": pl.String,
    "title": pl.String,
    "base_year": pl.Int32,
    "projected_year": pl.Int32,
    "employment_base": pl.Float64,
    "employment_projected": pl.Float64,
    "change_number": pl.Float64,
    "change_percent": pl.Float64,
    "openings_annual": pl.Float64,
    "median_wage": pl.Float64,
    "median_wage_text": pl.String,
}

# Normalised header → the column it feeds. Group 1 (where present) is a year.
_COLUMNS = {
    "title": re.compile(r"^(\d{4}) national employment matrix title$"),
    "code": re.compile(r"^(\d{4}) national employment matrix code$"),
    "type": re.compile(r"^occupation type$"),
    "employment": re.compile(r"^employment, (\d{4})$"),
    "change_number": re.compile(r"^employment change, numeric, (\d{4})-(\d{2,4})$"),
    "change_percent": re.compile(r"^employment change, percent, (\d{4})-(\d{2,4})$"),
    "openings": re.compile(r"^occupational openings, (\d{4})-(\d{2,4}),? annual average$"),
    "median_wage": re.compile(r"^median annual wage, dollars, (\d{4})$"),
}
REQUIRED = ("title", "code", "type", "employment")
NUMBER = r"^-?(\d+\.?\d*|\.\d+)$"


class ProjectionsError(ValueError):
    """A workbook that is not the occupation table; the message says what was found instead."""


def normalize_header(value: Any) -> str:
    """Dashes to '-', footnote markers like [1] dropped, whitespace collapsed, lower case."""
    text = str(value or "")
    text = re.sub(r"[\u2010-\u2015\u2212]", "-", text)
    text = re.sub(r"\[\s*\w{1,3}\s*\]", "", text)
    return re.sub(r"\s+", " ", text).strip().lower()


def _locate(rows: list[tuple[Any, ...]]) -> tuple[int, dict[str, list[tuple[int, re.Match[str]]]]]:
    for index, row in enumerate(rows[:HEADER_SEARCH_ROWS]):
        found: dict[str, list[tuple[int, re.Match[str]]]] = {}
        for col, cell in enumerate(row):
            header = normalize_header(cell)
            for name, pattern in _COLUMNS.items():
                if m := pattern.match(header):
                    found.setdefault(name, []).append((col, m))
        if "code" in found and "type" in found:
            missing = [name for name in REQUIRED if name not in found]
            if missing or len(found["employment"]) != 2:
                headers = [normalize_header(c) for c in row if c is not None]
                raise ProjectionsError(
                    f"{SHEET}: header row {index + 1} lacks {missing or 'two Employment, YYYY columns'}; "
                    f"headers are {headers}"
                )
            return index, found
    raise ProjectionsError(f"{SHEET}: no header row with a National Employment Matrix code column")


def parse_projections_workbook(body: bytes) -> pl.DataFrame:
    """Table 1.2 of the occupation workbook → staging.projections rows (without retrieved_at)."""
    try:
        book = openpyxl.load_workbook(io.BytesIO(body), read_only=True, data_only=True)
    except (zipfile.BadZipFile, OSError, KeyError, ValueError) as exc:
        raise ProjectionsError(f"not an .xlsx workbook: {exc}") from exc
    try:
        if SHEET not in book.sheetnames:
            raise ProjectionsError(f"no sheet {SHEET!r}; sheets are {book.sheetnames}")
        rows = list(book[SHEET].iter_rows(values_only=True))
    finally:
        book.close()
    header_index, found = _locate(rows)
    (base_col, base_m), (proj_col, proj_m) = sorted(found["employment"], key=lambda cm: int(cm[1].group(1)))
    base_year, projected_year = int(base_m.group(1)), int(proj_m.group(1))
    if projected_year <= base_year:
        raise ProjectionsError(f"{SHEET}: projected year {projected_year} is not after {base_year}")
    columns = {
        "title": found["title"][0][0],
        "soc_code": found["code"][0][0],
        "type": found["type"][0][0],
        "employment_base": base_col,
        "employment_projected": proj_col,
    }
    for name, target in (
        ("change_number", "change_number"),
        ("change_percent", "change_percent"),
        ("openings", "openings_annual"),
        ("median_wage", "median_wage_text"),
    ):
        if name in found:
            columns[target] = found[name][0][0]
    width = max(columns.values()) + 1
    body_rows = [
        tuple(_text(v) for v in (*row, *([None] * width))[:width]) for row in rows[header_index + 1 :]
    ]
    raw = pl.DataFrame(body_rows, schema=[f"c{i}" for i in range(width)], orient="row")
    raw = raw.select(pl.col(f"c{col}").alias(name) for name, col in columns.items())
    for name in ("change_number", "change_percent", "openings_annual", "median_wage_text"):
        if name not in raw.columns:
            raw = raw.with_columns(pl.lit(None, dtype=pl.String).alias(name))
    line_items = raw.filter(pl.col("type").str.strip_chars().str.to_lowercase() == "line item")
    bad = line_items.filter(~pl.col("soc_code").str.strip_chars().str.contains(r"^\d{2}-\d{4}$"))
    if bad.height:
        raise ProjectionsError(f"{SHEET}: line items without a SOC code: {bad['soc_code'].to_list()[:5]}")
    wage = pl.col("median_wage_text").str.replace_all(r"[$,\s]", "")
    out = line_items.select(
        pl.lit(f"{base_year}-{projected_year % 100:02d}").alias("edition"),
        pl.col("soc_code").str.strip_chars(),
        pl.col("title").str.strip_chars(),
        pl.lit(base_year, dtype=pl.Int32).alias("base_year"),
        pl.lit(projected_year, dtype=pl.Int32).alias("projected_year"),
        *(_thousands(name) for name in ("employment_base", "employment_projected", "change_number")),
        _number(pl.col("change_percent")).alias("change_percent"),
        _thousands("openings_annual"),
        pl.when(wage.str.contains(NUMBER)).then(wage.cast(pl.Float64, strict=False)).alias("median_wage"),
        # A wage BLS does not publish as a number (e.g. ">=239,200") is kept as its text.
        pl.when(~wage.str.contains(NUMBER)).then(pl.col("median_wage_text")).alias("median_wage_text"),
    )
    duplicated = out.filter(pl.col("soc_code").is_duplicated())["soc_code"].unique().to_list()
    if duplicated:
        raise ProjectionsError(f"{SHEET}: SOC codes listed twice as line items: {sorted(duplicated)[:5]}")
    if out.is_empty():
        raise ProjectionsError(f"{SHEET}: no 'Line item' rows under the header")
    return out.cast(PROJECTIONS_SCHEMA).select(list(PROJECTIONS_SCHEMA))


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def _number(expr: pl.Expr) -> pl.Expr:
    digits = expr.str.replace_all(r"[,\s]", "")
    return pl.when(digits.str.contains(NUMBER)).then(digits.cast(pl.Float64, strict=False))


def _thousands(name: str) -> pl.Expr:
    """Thousands of jobs → jobs (245.9 → 245,900), rounded off the float noise."""
    return (_number(pl.col(name)) * 1000).round(0).alias(name)
