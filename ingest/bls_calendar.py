"""The BLS release calendar (bls.gov/schedule/news_release/bls.ics) as dated releases per program.

The DAG pulls a program when one of its releases has come out, instead of guessing "first Friday"
(the 2025 shutdown moved releases by weeks). The file is iCalendar: lines are folded (a line that
starts with a space or tab continues the previous one), line endings are LF or CRLF, text escapes
commas (`Washington\\, DC`), and times are `DTSTART;TZID=US-Eastern:20260807T083000` where
`US-Eastern` is not an IANA zone name: it is mapped to America/New_York so daylight saving is right.
SUMMARY names the release only (no reference month); the program comes from that name.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import polars as pl

EASTERN = ZoneInfo("America/New_York")
TZID_ALIASES = {
    "US-Eastern": "America/New_York",
    "US/Eastern": "America/New_York",
    "Eastern Standard Time": "America/New_York",
    "EST5EDT": "America/New_York",
}

# Release name → the data program it publishes. The Employment Situation carries CES (and CPS).
RELEASE_PROGRAMS = (
    (re.compile(r"^(the )?employment situation$", re.IGNORECASE), "CES"),
    (re.compile(r"^job openings and labor turnover survey$", re.IGNORECASE), "JOLTS"),
    (re.compile(r"^occupational employment and wages$", re.IGNORECASE), "OEWS"),
    (re.compile(r"^employment projections\b", re.IGNORECASE), "EP"),
    (re.compile(r"^consumer price index$", re.IGNORECASE), "CPI"),
)
OTHER = "OTHER"

RELEASES_SCHEMA = {
    "uid": pl.String,
    "program": pl.String,
    "title": pl.String,
    "released_at": pl.Datetime("us", "UTC"),
    "sequence": pl.Int32,
}


class CalendarError(ValueError):
    """A calendar that cannot be read; the message names the event and the property."""


def unfold(text: str) -> list[str]:
    """RFC 5545 §3.1: join continuation lines (leading space or tab) to the line before."""
    lines: list[str] = []
    for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        if line[:1] in (" ", "\t") and lines:
            lines[-1] += line[1:]
        elif line:
            lines.append(line)
    return lines


def _split(line: str) -> tuple[str, dict[str, str], str]:
    """`NAME;P1=V1;P2="V:2":value` → (NAME, {P1: V1, P2: V:2}, value); colons inside quotes are data."""
    in_quotes = False
    for i, ch in enumerate(line):
        if ch == '"':
            in_quotes = not in_quotes
        elif ch == ":" and not in_quotes:
            head, value = line[:i], line[i + 1 :]
            break
    else:
        raise CalendarError(f"line without ':' {line[:60]!r}")
    name, *params = head.split(";")
    return name.upper(), {k.upper(): v.strip('"') for k, _, v in (p.partition("=") for p in params)}, value


def unescape(value: str) -> str:
    return re.sub(r"\\([\\;,nN])", lambda m: "\n" if m.group(1) in "nN" else m.group(1), value)


def zone_for(tzid: str | None) -> ZoneInfo:
    if not tzid:
        return EASTERN  # floating time in a BLS calendar is Washington time
    try:
        return ZoneInfo(TZID_ALIASES.get(tzid, tzid))
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise CalendarError(f"unknown time zone TZID={tzid}") from exc


def parse_datetime(value: str, params: dict[str, str]) -> datetime:
    """DTSTART as an aware UTC datetime: local with TZID, UTC with Z, or a bare date (midnight ET)."""
    value = value.strip()
    try:
        if params.get("VALUE") == "DATE" or re.fullmatch(r"\d{8}", value):
            day = date(int(value[:4]), int(value[4:6]), int(value[6:8]))
            return datetime(day.year, day.month, day.day, tzinfo=zone_for(params.get("TZID"))).astimezone(UTC)
        if value.endswith("Z"):
            return datetime.strptime(value, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
        local = datetime.strptime(value, "%Y%m%dT%H%M%S")
    except ValueError as exc:
        raise CalendarError(f"DTSTART {value!r} is not an iCalendar date-time") from exc
    return local.replace(tzinfo=zone_for(params.get("TZID"))).astimezone(UTC)


def program_for(title: str) -> str:
    for pattern, program in RELEASE_PROGRAMS:
        if pattern.match(title.strip()):
            return program
    return OTHER


def parse_calendar(body: bytes | str) -> pl.DataFrame:
    """Every VEVENT → uid, program, title, released_at (UTC), sequence."""
    text = body.decode("utf-8-sig") if isinstance(body, bytes) else body
    lines = unfold(text)
    if not lines or lines[0].strip().upper() != "BEGIN:VCALENDAR":
        raise CalendarError("not an iCalendar file (no BEGIN:VCALENDAR)")
    events: list[dict[str, object]] = []
    event: dict[str, tuple[dict[str, str], str]] | None = None
    for line in lines:
        name, params, value = _split(line)
        if name == "BEGIN" and value.upper() == "VEVENT":
            event = {}
        elif name == "END" and value.upper() == "VEVENT":
            if event is None:
                raise CalendarError("END:VEVENT without BEGIN:VEVENT")
            events.append(_event(event, len(events) + 1))
            event = None
        elif event is not None:
            event.setdefault(name, (params, value))
    if event is not None:
        raise CalendarError("the last VEVENT is not closed")
    return pl.DataFrame(events, schema=RELEASES_SCHEMA).unique("uid", keep="last", maintain_order=True)


def _event(props: dict[str, tuple[dict[str, str], str]], number: int) -> dict[str, object]:
    for required in ("UID", "SUMMARY", "DTSTART"):
        if required not in props:
            raise CalendarError(f"event #{number} has no {required}")
    title = unescape(props["SUMMARY"][1]).strip()
    sequence = props.get("SEQUENCE", ({}, "0"))[1].strip()
    return {
        "uid": props["UID"][1].strip(),
        "program": program_for(title),
        "title": title,
        "released_at": parse_datetime(props["DTSTART"][1], props["DTSTART"][0]),
        "sequence": int(sequence) if sequence.isdigit() else 0,
    }
