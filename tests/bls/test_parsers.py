"""Parsers on files built in the real layouts: EP workbook, OEWS national zip, release calendar; catalog."""

from __future__ import annotations

import io
import zipfile
from datetime import UTC, datetime

import openpyxl
import polars as pl
import pytest

from ingest.bls_calendar import CalendarError, parse_calendar, unfold
from ingest.bls_catalog import catalog_for_cards, describe_series, oews_national_series_id
from ingest.oews_files import OewsFileError, flag_footnotes, parse_oews_zip
from ingest.projections import ProjectionsError, normalize_header, parse_projections_workbook
from laborwatch.role_cards import load_role_cards
from tests.bls.builders import EP_ROWS, calendar_ics, ep_headers, ep_workbook, oews_zip

# ------------------------------------------------------------------ Employment Projections


def test_projections_line_items_in_jobs() -> None:
    df = parse_projections_workbook(ep_workbook())
    assert df["soc_code"].to_list() == ["11-1011", "15-1252", "15-2051"]  # Summary rows and footnotes dropped
    ds = df.filter(pl.col("soc_code") == "15-2051").row(0, named=True)
    assert ds == {
        "edition": "2024-34",
        "soc_code": "15-2051",
        "title": "Data scientists",
        "base_year": 2024,
        "projected_year": 2034,
        "employment_base": 245_900.0,
        "employment_projected": 328_300.0,
        "change_number": 82_500.0,
        "change_percent": 33.5,
        "openings_annual": 23_400.0,
        "median_wage": 112_590.0,
        "median_wage_text": None,
    }
    ceo = df.filter(pl.col("soc_code") == "11-1011").row(0, named=True)
    assert ceo["median_wage"] is None and ceo["median_wage_text"] == "\u2265239,200"
    assert ceo["change_number"] == -12_600.0


def test_projections_follow_the_edition_in_the_headers() -> None:
    df = parse_projections_workbook(ep_workbook(base=2023, projected=2033))
    assert df["edition"].unique().to_list() == ["2023-33"]
    assert (df["base_year"].unique().to_list(), df["projected_year"].unique().to_list()) == ([2023], [2033])


def test_projection_headers_are_normalised() -> None:
    assert normalize_header("Median annual wage, dollars, 2024[1]") == "median annual wage, dollars, 2024"
    assert (
        normalize_header("Employment change, numeric, 2024\u201334") == "employment change, numeric, 2024-34"
    )
    assert normalize_header("  Occupational openings,\n2024\u201434 annual average ") == (
        "occupational openings, 2024-34 annual average"
    )


def test_projections_header_row_found_by_content_not_position() -> None:
    book = openpyxl.load_workbook(io.BytesIO(ep_workbook()))
    book["Table 1.2"].insert_rows(1, 2)  # two more title lines above the header
    buffer = io.BytesIO()
    book.save(buffer)
    assert parse_projections_workbook(buffer.getvalue()).height == 3


def test_projections_errors_are_clear() -> None:
    book = openpyxl.Workbook()
    book.active.title = "Table 1.1"
    buffer = io.BytesIO()
    book.save(buffer)
    with pytest.raises(ProjectionsError, match=r"no sheet 'Table 1.2'; sheets are \['Table 1.1'\]"):
        parse_projections_workbook(buffer.getvalue())
    with pytest.raises(ProjectionsError, match="not an .xlsx workbook"):
        parse_projections_workbook(b"<html>moved</html>")
    book = openpyxl.load_workbook(io.BytesIO(ep_workbook()))
    headers = ep_headers(2024, 2034, 2024)
    book["Table 1.2"].cell(row=2, column=headers.index("Employment, 2034") + 1, value="Jobs later")
    buffer = io.BytesIO()
    book.save(buffer)
    with pytest.raises(ProjectionsError, match="two Employment, YYYY columns"):
        parse_projections_workbook(buffer.getvalue())


def test_projections_reject_a_line_item_twice() -> None:
    rows = [*EP_ROWS, EP_ROWS[-1]]
    with pytest.raises(ProjectionsError, match="listed twice"):
        parse_projections_workbook(ep_workbook(rows=rows))


# ------------------------------------------------------------------------------- OEWS files


def test_oews_recent_layout_to_api_series() -> None:
    year, df = parse_oews_zip(oews_zip(2024), "https://www.bls.gov/oes/special-requests/oesm24nat.zip")
    assert year == 2024
    assert set(df["source"].unique()) == {"oews_file"} and set(df["period"].unique()) == {"A01"}
    values = dict(df.filter(pl.col("series_id").str.contains("152051")).select("series_id", "value").rows())
    assert values[oews_national_series_id("15-2051", "01")] == 233_440
    assert values[oews_national_series_id("15-2051", "04")] == 124_590
    assert values[oews_national_series_id("15-2051", "13")] == 112_590
    assert values[oews_national_series_id("15-2051", "11")] == 63_650
    assert values[oews_national_series_id("15-2051", "15")] == 194_410
    assert values[oews_national_series_id("15-2051", "03")] == 59.9
    assert len(values) == 15  # datatypes 01-15; 16 and 17 are not national


def test_oews_markers_are_flags_not_numbers() -> None:
    _, df = parse_oews_zip(oews_zip(2024))
    by_id = {r["series_id"]: r for r in df.iter_rows(named=True)}
    ceo_p90 = by_id[oews_national_series_id("11-1011", "15")]
    assert (ceo_p90["value"], ceo_p90["value_text"], ceo_p90["footnote_codes"]) == (None, "#", "#")
    actors_emp = by_id[oews_national_series_id("27-2011", "01")]
    assert (actors_emp["value"], actors_emp["value_text"]) == (None, "**")
    actors_wage = by_id[oews_national_series_id("27-2011", "04")]
    assert (actors_wage["value"], actors_wage["value_text"]) == (None, "*")
    assert by_id[oews_national_series_id("27-2011", "03")]["value"] == 38.2  # hourly published
    assert df.filter(pl.col("value") == 0).is_empty()
    notes = flag_footnotes(df)
    assert set(notes["code"]) == {"#", "*", "**"}
    assert notes.filter(pl.col("code") == "#")["text"][0].startswith(
        "Wage equal to or greater than the top code"
    )


def test_oews_old_layout_headers_are_normalised() -> None:
    year, df = parse_oews_zip(oews_zip(2002, layout="old"))
    assert year == 2002
    p10 = df.filter(pl.col("series_id") == oews_national_series_id("15-2051", "06"))
    assert p10.select("year", "value").rows() == [(2002, 30.6)]
    assert df.filter(pl.col("series_id") == oews_national_series_id("15-2051", "11"))["value"].to_list() == [
        63650
    ]


def test_oews_year_from_the_url_when_the_member_has_none() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        inner = zipfile.ZipFile(io.BytesIO(oews_zip(2019)))
        archive.writestr("national_dl.xlsx", inner.read("oesm19nat/national_M2019_dl.xlsx"))
    year, df = parse_oews_zip(buffer.getvalue(), "https://www.bls.gov/oes/special.requests/oesm19nat.zip")
    assert year == 2019 and df.height > 0


def test_oews_errors_are_clear() -> None:
    with pytest.raises(OewsFileError, match="not a zip file"):
        parse_oews_zip(b"<!doctype html>")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("oesm10nat/national_M2010_dl.xls", b"\xd0\xcf\x11\xe0")
    with pytest.raises(OewsFileError, match="legacy .xls"):
        parse_oews_zip(buffer.getvalue())


# --------------------------------------------------------------------------- release calendar


def test_calendar_with_folded_lines_in_eastern_time() -> None:
    df = parse_calendar(calendar_ics())
    assert df.height == 7
    first = df.row(0, named=True)
    assert first["uid"] == "4e1b5d0a-0001-4a51-9bd3-aa0000000001"  # folded, rejoined
    assert first["title"] == "Employment Situation" and first["program"] == "CES"
    assert first["released_at"] == datetime(2026, 1, 9, 13, 30, tzinfo=UTC)  # 08:30 EST
    summer = df.filter(pl.col("uid").str.ends_with("0004"))["released_at"][0]
    assert summer == datetime(2026, 8, 7, 12, 30, tzinfo=UTC)  # 08:30 EDT
    programs = dict(df.select("title", "program").unique().rows())
    assert programs == {
        "Employment Situation": "CES",
        "Job Openings and Labor Turnover Survey": "JOLTS",
        "Occupational Employment and Wages": "OEWS",
        "Employment Projections": "EP",
        "Consumer Price Index": "CPI",
        "State Employment and Unemployment": "OTHER",
    }


def test_calendar_lf_endings_and_unfolding() -> None:
    assert parse_calendar(calendar_ics(newline="\n")).equals(parse_calendar(calendar_ics()))
    assert unfold("A:1\r\n 2\r\n\t3\nB:x") == ["A:123", "B:x"]


def test_calendar_errors_are_clear() -> None:
    with pytest.raises(CalendarError, match="not an iCalendar file"):
        parse_calendar(b"<html></html>")
    broken = calendar_ics().replace(b"TZID=US-East", b"TZID=Mars-East", 1)  # the line is folded after "East"
    with pytest.raises(CalendarError, match="unknown time zone TZID=Mars-Eastern"):
        parse_calendar(broken)


# ---------------------------------------------------------------------------------- catalog


def test_catalog_for_the_shipped_cards() -> None:
    cat = catalog_for_cards(load_role_cards(), ["lns14000000"])
    by_id = {r["series_id"]: r for r in cat.iter_rows(named=True)}
    expected_oews = {
        "OEUN000000000000015205101": "employment",
        "OEUN000000000000015205104": "mean_wage",
        "OEUN000000000000015205113": "median_wage",
        "OEUN000000000000015205111": "p10_wage",
        "OEUN000000000000015205115": "p90_wage",
    }
    for sid, measure in expected_oews.items():
        assert len(sid) == 25
        row = by_id[sid]
        assert (row["program"], row["measure"], row["soc_code"]) == ("OEWS", measure, "15-2051")
        assert row["role_ids"] == ["ai_ml_engineer", "data_scientist"]
    jolts = {sid: r for sid, r in by_id.items() if r["program"] == "JOLTS"}
    assert {r["industry"] for r in jolts.values()} == {"510000", "540099"}
    assert {r["measure"] for r in jolts.values()} == {"job_openings"}
    assert all(len(sid) == 21 for sid in jolts)
    ces = by_id["CES6054150001"]
    assert (ces["program"], ces["measure"], ces["unit"]) == ("CES", "employment", "thousands_of_jobs")
    assert "Computer systems design" in ces["description"]
    assert by_id["LNS14000000"]["program"] == "CPS" and by_id["LNS14000000"]["role_ids"] == []
    assert cat.height == 5 + 2 + 1 + 1


def test_series_ids_decode() -> None:
    assert describe_series("OEUS060000000000015125201")["description"] == (
        "OEWS employment, SOC 15-1252, state 0600000, all industries"
    )
    assert describe_series("JTS000000000000000JOR")["measure"] == "job_openings_rate"
    with pytest.raises(ValueError):
        oews_national_series_id("15-205", "01")
