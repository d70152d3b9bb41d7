"""Build BLS files in their real layouts (shared/reference/bls-and-onet.md §3–§5) for the tests.

- the Employment Projections occupation workbook: several `Table 1.x` sheets; Table 1.2 with a title
  row, the header on row 2 (en dashes, a `[1]` marker, the edition's years in the names), Summary and
  Line item rows in thousands, footnote rows at the bottom;
- an OEWS national zip: `oesm{YY}nat/national_M{YYYY}_dl.xlsx` with the data sheet and a Field
  Descriptions sheet, recent upper-case headers or an older lower-case layout, `*`, `**`, `#` markers;
- the release calendar: a VTIMEZONE with `TZID:US-Eastern`, CRLF lines, folded lines, escaped commas.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Sequence
from typing import Any

import openpyxl

DASH = "\u2013"

# title, code, type, emp base, emp projected, change, percent, openings, median wage (thousands)
EP_ROWS: list[tuple[Any, ...]] = [
    ("Total, all occupations", "00-0000", "Summary", 171000.0, 176200.0, 5200.0, 3.1, 18700.0, 49500),
    (
        "Computer and mathematical occupations",
        "15-0000",
        "Summary",
        5400.2,
        6017.9,
        617.7,
        11.4,
        450.0,
        105850,
    ),
    ("Chief executives", "11-1011", "Line item", 211.2, 198.6, -12.6, -6.0, 18.3, "\u2265239,200"),
    ("Software developers", "15-1252", "Line item", 1656.9, 1923.2, 266.3, 16.1, 115.2, 133080),
    ("Data scientists", "15-2051", "Line item", 245.9, 328.3, 82.5, 33.5, 23.4, 112590),
]


def ep_headers(base: int, projected: int, wage_year: int) -> list[str]:
    span = f"{base}{DASH}{projected % 100:02d}"
    return [
        f"{base} National Employment Matrix title",
        f"{base} National Employment Matrix code",
        "Occupation type",
        f"Employment, {base}",
        f"Employment, {projected}",
        f"Employment distribution, percent, {base}",
        f"Employment distribution, percent, {projected}",
        f"Employment change, numeric, {span}",
        f"Employment change, percent, {span}",
        f"Percent self employed, {base}",
        f"Occupational openings, {span} annual average",
        f"Median annual wage, dollars, {wage_year}[1]",
        "Typical education needed for entry",
        "Work experience in a related occupation",
        "Typical on-the-job training needed to attain competency in the occupation",
        "Related Occupational Outlook Handbook (OOH) content xlsx",
    ]


def ep_workbook(base: int = 2024, projected: int = 2034, rows: Sequence[tuple[Any, ...]] = EP_ROWS) -> bytes:
    book = openpyxl.Workbook()
    first = book.active
    first.title = "Table 1.1"
    first.append([f"Table 1.1 Employment by major occupational group, {base} and projected {projected}"])
    first.append(["Occupation", "Code", f"Employment, {base}"])
    first.append(["Total, all occupations", "00-0000", 171000.0])
    sheet = book.create_sheet("Table 1.2")
    span = f"{base}{DASH}{projected % 100:02d}"
    sheet.append([f"Table 1.2 Occupational projections, {span}, and worker characteristics, {base}"])
    sheet.append(ep_headers(base, projected, base))
    for title, code, kind, emp, proj, change, pct, openings, wage in rows:
        total = 171000.0
        sheet.append(
            [title, code, kind, emp, proj, round(100 * emp / total, 1), round(100 * proj / total, 1), change, pct,
             3.1, openings, wage, "Bachelor's degree", "None", "None", f"https://www.bls.gov/ooh/{code}.htm"]
        )  # fmt: skip
    sheet.append([])
    sheet.append(["Footnotes:"])
    sheet.append(
        ["[1] Data are from the Occupational Employment and Wage Statistics program, U.S. Bureau of Labor "
         "Statistics. Wage data cover non-farm wage and salary workers and do not cover the self-employed."]
    )  # fmt: skip
    sheet.append(["Source: Employment Projections program, U.S. Bureau of Labor Statistics"])
    tenth = book.create_sheet("Table 1.10")
    tenth.append([f"Table 1.10 Occupational separations and openings, projected {span}"])
    tenth.append(["Occupation", "Code", "Occupational openings"])
    return _save(book)


RECENT_HEADERS = [
    "AREA", "AREA_TITLE", "AREA_TYPE", "PRIM_STATE", "NAICS", "NAICS_TITLE", "I_GROUP", "OWN_CODE",
    "OCC_CODE", "OCC_TITLE", "O_GROUP", "TOT_EMP", "EMP_PRSE", "JOBS_1000", "LOC_QUOTIENT", "PCT_TOTAL",
    "PCT_RPT", "H_MEAN", "A_MEAN", "MEAN_PRSE", "H_PCT10", "H_PCT25", "H_MEDIAN", "H_PCT75", "H_PCT90",
    "A_PCT10", "A_PCT25", "A_MEDIAN", "A_PCT75", "A_PCT90", "ANNUAL", "HOURLY",
]  # fmt: skip

# occ code, title, group, tot_emp, emp_prse, h_mean, a_mean, mean_prse, h pct10..90, a pct10..90
OEWS_ROWS: list[tuple[Any, ...]] = [
    ("00-0000", "All Occupations", "total", 151853870, 0.1, 32.66, 67920, 0.1,
     14.12, 17.39, 23.8, 36.81, 56.6, 29370, 36170, 49500, 76560, 117740),
    ("11-1011", "Chief Executives", "detailed", 211230, 0.6, 126.01, 262930, 0.5,
     47.98, 81.57, "#", "#", "#", 99800, 169660, "#", "#", "#"),
    ("15-2051", "Data Scientists", "detailed", 233440, 1.3, 59.9, 124590, 0.6,
     30.6, 41.65, 54.13, 72.99, 93.47, 63650, 86630, 112590, 151810, 194410),
    ("27-2011", "Actors", "detailed", "**", "**", 38.2, "*", 6.1,
     11.5, 17.0, 25.0, 44.1, 80.3, "*", "*", "*", "*", "*"),
]  # fmt: skip


def _recent_row(year: int, row: tuple[Any, ...]) -> list[Any]:
    code, title, group, emp, emp_prse, h_mean, a_mean, mean_prse, *pcts = row
    h10, h25, h50, h75, h90, a10, a25, a50, a75, a90 = pcts
    return [
        "99", "U.S.", 1, "US", "000000", "Cross-industry", "cross-industry", 1235, code, title, group,
        emp, emp_prse, None, None, None, None, h_mean, a_mean, mean_prse,
        h10, h25, h50, h75, h90, a10, a25, a50, a75, a90, None, None,
    ]  # fmt: skip


OLD_HEADERS = [
    "occ_code", "occ_titl", "group", "tot_emp", "emp_prse", "h_mean", "a_mean", "mean_prse",
    "h_wpct10", "h_wpct25", "h_median", "h_wpct75", "h_wpct90",
    "a_wpct10", "a_wpct25", "a_median", "a_wpct75", "a_wpct90",
]  # fmt: skip


def oews_zip(year: int = 2024, rows: Sequence[tuple[Any, ...]] = OEWS_ROWS, layout: str = "recent") -> bytes:
    """The national zip of May `year`; layout 'recent' (upper case, area/NAICS columns) or 'old'."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = f"national_M{year}_dl"
    if layout == "recent":
        sheet.append(RECENT_HEADERS)
        for row in rows:
            sheet.append(_recent_row(year, row))
        notes = book.create_sheet("Field Descriptions")
        notes.append(["Field", "Field Description"])
        notes.append(["OCC_CODE", "The 6-digit Standard Occupational Classification (SOC) code"])
    else:
        sheet.append(OLD_HEADERS)
        for row in rows:
            sheet.append(list(row))
        sheet.append([])
        sheet.append(["Note: * = wage not available; ** = employment not available; # = top-coded"])
    yy = f"{year % 100:02d}"
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(f"oesm{yy}nat/", b"")
        archive.writestr(f"oesm{yy}nat/national_M{year}_dl.xlsx", _save(book))
        archive.writestr(f"oesm{yy}nat/file_descriptions.txt", b"see the Field Descriptions sheet")
    return buffer.getvalue()


def _save(book: openpyxl.Workbook) -> bytes:
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def fold(line: str, width: int = 75) -> list[str]:
    """RFC 5545 folding: the first chunk `width` long, continuations prefixed with one space."""
    chunks = [line[:width]]
    rest = line[width:]
    while rest:
        chunks.append(" " + rest[: width - 1])
        rest = rest[width - 1 :]
    return chunks


# (uid, local DTSTART in US-Eastern, summary)
CALENDAR_EVENTS = [
    ("4e1b5d0a-0001-4a51-9bd3-aa0000000001", "20260109T083000", "Employment Situation"),
    ("4e1b5d0a-0002-4a51-9bd3-aa0000000002", "20260203T100000", "Job Openings and Labor Turnover Survey"),
    ("4e1b5d0a-0003-4a51-9bd3-aa0000000003", "20260331T100000", "Occupational Employment and Wages"),
    ("4e1b5d0a-0004-4a51-9bd3-aa0000000004", "20260807T083000", "Employment Situation"),
    ("4e1b5d0a-0005-4a51-9bd3-aa0000000005", "20260827T100000", "Employment Projections"),
    ("4e1b5d0a-0006-4a51-9bd3-aa0000000006", "20260911T083000", "Consumer Price Index"),
    ("4e1b5d0a-0007-4a51-9bd3-aa0000000007", "20260915T100000", "State Employment and Unemployment"),
]


def calendar_ics(events: Sequence[tuple[str, str, str]] = CALENDAR_EVENTS, newline: str = "\r\n") -> bytes:
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//Department of Labor//Bureau of Labor Statistics//EN",
        "X-WR-CALNAME:BLS.gov Economic News Release Schedule",
        "CALSCALE:GREGORIAN",
        "BEGIN:VTIMEZONE",
        "TZID:US-Eastern",
        "BEGIN:STANDARD",
        "DTSTART:19671029T020000",
        "RRULE:FREQ=YEARLY;BYDAY=1SU;BYMONTH=11",
        "TZOFFSETFROM:-0400",
        "TZOFFSETTO:-0500",
        "TZNAME:EST",
        "END:STANDARD",
        "BEGIN:DAYLIGHT",
        "DTSTART:19870405T020000",
        "RRULE:FREQ=YEARLY;BYDAY=2SU;BYMONTH=3",
        "TZOFFSETFROM:-0500",
        "TZOFFSETTO:-0400",
        "TZNAME:EDT",
        "END:DAYLIGHT",
        "END:VTIMEZONE",
    ]
    for uid, start, summary in events:
        lines += [
            "BEGIN:VEVENT",
            "DTSTAMP:20251201T120000Z",
            # Folded at 20 characters so that UID, DTSTART and SUMMARY all continue on the next lines.
            *fold(f"UID:{uid}", 20),
            "SEQUENCE:0",
            *fold(f"DTSTART;TZID=US-Eastern:{start}", 20),
            "DURATION:PT0M",
            *fold(f"SUMMARY:{summary}", 20),
            "LOCATION:Washington\\, DC",
            "CATEGORIES:IMPORTANT, BLS",
            "TRANSP:TRANSPARENT",
            "END:VEVENT",
        ]
    lines.append("END:VCALENDAR")
    return (newline.join(lines) + newline).encode()
