"""OEWS national flat files (oesm{YY}nat.zip → national_M{YYYY}_dl.xlsx) as BLS observations.

The API's OE database holds only the current May reference year, so history comes from these
files. Each row (one occupation, nationally, all industries) becomes the same series the API
serves (OEUN…{SOC}{datatype}, period A01), so the two sources line up in `bls_observations`.
Headers drift between years (upper/lower case, `occ code` with a space, `h_wpct10` in 1998–2002,
columns added later), so they are normalised before use. Every cell is read as text first:
`*` (wage not available), `**` (employment not available) and `#` (wage at or above the top code:
censored, not missing) stay in value_text and footnote_codes with a NULL value.
"""

from __future__ import annotations

import io
import re
import zipfile
from typing import Any

import openpyxl
import polars as pl

from ingest.bls_api import NUMBER_REGEX, OBSERVATION_SCHEMA
from ingest.bls_catalog import OEWS_NATIONAL_PREFIX

HEADER_SEARCH_ROWS = 15
# The file's markers, kept as the value text and as the footnote code (so a NULL value always
# carries its reason, as API gaps do), with the meaning BLS gives them.
FLAG_TEXTS = {
    "*": "Wage estimate not available",
    "**": "Employment estimate not available",
    "#": "Wage equal to or greater than the top code (censored, not missing)",
}

# Normalised column → OEWS datatype code (16 and 17 are not published for the nation).
VALUE_COLUMNS = {
    "tot_emp": "01",
    "emp_prse": "02",
    "h_mean": "03",
    "a_mean": "04",
    "mean_prse": "05",
    "h_pct10": "06",
    "h_pct25": "07",
    "h_median": "08",
    "h_pct75": "09",
    "h_pct90": "10",
    "a_pct10": "11",
    "a_pct25": "12",
    "a_median": "13",
    "a_pct75": "14",
    "a_pct90": "15",
}
_ALIASES = {"occ_titl": "occ_title", "group": "o_group", "occ_group": "o_group"}


class OewsFileError(ValueError):
    """A file that is not an OEWS national workbook; the message says what was found instead."""


def normalize_header(value: Any) -> str:
    """`OCC_CODE`, `occ code`, `Occ-Code` → occ_code; `h_wpct10` → h_pct10; `a_wmedian` → a_median."""
    name = re.sub(r"[\s\-]+", "_", str(value or "").strip().lower())
    name = re.sub(r"^([ha])_w(pct\d\d|median|mean)$", r"\1_\2", name)
    return _ALIASES.get(name, name)


def _member(archive: zipfile.ZipFile) -> str:
    names = [n for n in archive.namelist() if not n.endswith("/") and "/~$" not in f"/{n}"]
    books = [n for n in names if n.lower().endswith(".xlsx")]
    national = [n for n in books if re.search(r"nat(ional)?[^/]*\.xlsx$", n, re.IGNORECASE)]
    if national or books:
        return (national or books)[0]
    if any(n.lower().endswith(".xls") for n in names):
        raise OewsFileError(f"only legacy .xls workbooks in the zip ({names}); convert them to .xlsx first")
    raise OewsFileError(f"no .xlsx workbook in the zip; members are {names}")


def _year(member: str, hint: str) -> int:
    if m := re.search(r"M(\d{4})", member):
        return int(m.group(1))
    for text in (member, hint):
        if m := re.search(r"oesm(\d{2})", text, re.IGNORECASE):
            return 2000 + int(m.group(1))
    raise OewsFileError(f"cannot tell the May reference year from {member!r} or {hint!r}")


def _table(book: Any) -> tuple[list[str], list[tuple[Any, ...]]]:
    """The sheet whose header row has OCC_CODE (recent workbooks also hold field descriptions)."""
    for sheet in book.worksheets:
        rows = list(sheet.iter_rows(values_only=True))
        for index, row in enumerate(rows[:HEADER_SEARCH_ROWS]):
            headers = [normalize_header(c) for c in row]
            if "occ_code" in headers and "tot_emp" in headers:
                return headers, rows[index + 1 :]
    raise OewsFileError(f"no sheet with OCC_CODE and TOT_EMP headers; sheets are {book.sheetnames}")


def parse_oews_zip(body: bytes, name_hint: str = "") -> tuple[int, pl.DataFrame]:
    """(May reference year, observation rows with source 'oews_file', period A01)."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(body))
    except zipfile.BadZipFile as exc:
        raise OewsFileError(f"not a zip file: {exc}") from exc
    with archive:
        member = _member(archive)
        year = _year(member, name_hint)
        try:
            book = openpyxl.load_workbook(io.BytesIO(archive.read(member)), read_only=True, data_only=True)
        except (zipfile.BadZipFile, OSError, KeyError, ValueError) as exc:
            raise OewsFileError(f"{member}: not a readable .xlsx workbook: {exc}") from exc
    try:
        headers, rows = _table(book)
    finally:
        book.close()
    return year, observations_from_rows(headers, rows, year)


def observations_from_rows(headers: list[str], rows: list[tuple[Any, ...]], year: int) -> pl.DataFrame:
    """The national, cross-industry rows of one year, one observation per occupation and datatype."""
    keep = {i: h for i, h in enumerate(headers) if h}
    if len(set(keep.values())) != len(keep):
        raise OewsFileError(f"repeated column names after normalising: {sorted(keep.values())}")
    table = pl.DataFrame(
        [tuple(None if row[i] is None else str(row[i]).strip() for i in keep) for row in rows if row],
        schema=list(keep.values()),
        orient="row",
    )
    national = table.filter(pl.col("occ_code").str.contains(r"^\d{2}-\d{4}$"))
    if "area_type" in national.columns:
        national = national.filter(pl.col("area_type").str.replace(r"\.0$", "") == "1")
    if "naics" in national.columns:
        national = national.filter(pl.col("naics").str.replace(r"\.0$", "").str.zfill(6) == "000000")
    repeated = national.filter(pl.col("occ_code").is_duplicated())["occ_code"].unique().to_list()
    if repeated:
        raise OewsFileError(f"M{year}: occupations listed twice nationally: {sorted(repeated)[:5]}")
    present = [c for c in VALUE_COLUMNS if c in national.columns]
    if not present:
        return pl.DataFrame(schema=OBSERVATION_SCHEMA)
    long = (
        national.select("occ_code", *present)
        .unpivot(index="occ_code", on=present, variable_name="column", value_name="value_text")
        .filter(pl.col("value_text").is_not_null() & (pl.col("value_text") != ""))
    )
    digits = pl.col("value_text").str.replace_all(",", "")
    return long.select(
        pl.concat_str(
            pl.lit(OEWS_NATIONAL_PREFIX),
            pl.col("occ_code").str.replace("-", ""),
            pl.col("column").replace_strict(VALUE_COLUMNS),
        ).alias("series_id"),
        pl.lit(year, dtype=pl.Int32).alias("year"),
        pl.lit("A01").alias("period"),
        pl.when(digits.str.contains(NUMBER_REGEX)).then(digits.cast(pl.Float64, strict=False)).alias("value"),
        pl.col("value_text"),
        pl.when(pl.col("value_text").is_in(list(FLAG_TEXTS)))
        .then(pl.col("value_text"))
        .alias("footnote_codes"),
        pl.lit("oews_file").alias("source"),
    ).sort("series_id")


def flag_footnotes(observations: pl.DataFrame) -> pl.DataFrame:
    """series_id, code, text for the flagged rows: the file's markers explained like API footnotes."""
    flagged = observations.filter(pl.col("footnote_codes").is_in(list(FLAG_TEXTS)))
    return flagged.select(
        "series_id",
        pl.col("footnote_codes").alias("code"),
        pl.col("footnote_codes").replace_strict(FLAG_TEXTS).alias("text"),
    ).unique(maintain_order=True)
