"""A stand-in for api.bls.gov behind tests/local_http.py, answering in the real v2 shapes.

It behaves as the reference (shared/reference/bls-and-onet.md §1) documents: HTTP 200 for refusals,
`status` + `message`, `Results.series` in an order other than the request's, only the first 50 (25)
series served, over-long year ranges cut to the limit by keeping the start year, unknown series
answered with "Series does not exist" and an empty `data`, one "No Data Available" message per
empty year, the daily threshold as REQUEST_NOT_PROCESSED, bad years as
REQUEST_FAILED_INVALID_PARAMETERS. Values are strings, newest first, footnotes `[{}]` when empty.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from tests.local_http import Request, Response

API_PATH = "/publicAPI/v2/timeseries/data/"
MONTHS = "January February March April May June July August September October November December Annual"
PERIOD_NAMES = {f"M{m:02d}": name for m, name in enumerate(MONTHS.split(), start=1)}
PERIOD_NAMES |= {"Q01": "1st Quarter", "Q02": "2nd Quarter", "Q03": "3rd Quarter", "Q04": "4th Quarter"}
PERIOD_NAMES |= {"Q05": "Annual", "S01": "Half1", "S02": "Half2", "S03": "Annual", "A01": "Annual"}


@dataclass
class Point:
    year: int
    period: str
    value: str
    footnotes: list[dict[str, str]] = field(default_factory=list)


def answer(status: str, messages: list[str], series: list[dict[str, Any]] | None = None) -> bytes:
    results: dict[str, Any] = {"series": series} if series is not None else {}
    body = {
        "status": status,
        "responseTime": 0 if series is None else 57,
        "message": messages,
        "Results": results,
    }
    return json.dumps(body).encode()


def threshold_message(key: str | None) -> str:
    return (
        "Request could not be serviced, as the daily threshold for total number of requests allocated "
        f"to the user with registration key {key or ''} has been reached."
    )


def series_entry(series_id: str, points: list[Point]) -> dict[str, Any]:
    ordered = sorted(points, key=lambda p: (p.year, p.period), reverse=True)
    return {
        "seriesID": series_id,
        "data": [
            {
                "year": str(p.year),
                "period": p.period,
                "periodName": PERIOD_NAMES.get(p.period, p.period),
                "value": p.value,
                "footnotes": p.footnotes or [{}],
            }
            for p in ordered
        ],
    }


class FakeBls:
    """Callable route: holds `data` (series id → points) and answers POSTs as BLS would."""

    def __init__(
        self,
        data: dict[str, list[Point]],
        *,
        threshold_after: int | None = None,
        limits: tuple[int, int] | None = None,
    ) -> None:
        self.data = data
        self.threshold_after = threshold_after
        self.limits = limits  # (series, years) instead of the documented ones
        self.bodies: list[dict[str, Any]] = []

    def __call__(self, request: Request) -> Response:
        body = json.loads(request.body)
        self.bodies.append(body)
        key = body.get("registrationkey")
        if self.threshold_after is not None and len(self.bodies) > self.threshold_after:
            return Response(200, answer("REQUEST_NOT_PROCESSED", [threshold_message(key)]))
        start, end = body.get("startyear", ""), body.get("endyear", "")
        for name, value in (("startyear", start), ("endyear", end)):
            if not (len(value) == 4 and value.isdigit()):
                problem = f"{name}: Value must be a four-digit number."
                return Response(200, answer("REQUEST_FAILED_INVALID_PARAMETERS", [problem]))
        start_year, end_year = int(start), int(end)
        if end_year < start_year:
            return Response(200, answer("REQUEST_FAILED_INVALID_PARAMETERS", ["End year is invalid."]))
        max_series, max_years = self.limits or ((50, 20) if key else (25, 10))
        messages = []
        if end_year - start_year + 1 > max_years:
            messages.append(f"Year range has been reduced to the system-allowed limit of {max_years} years.")
            end_year = start_year + max_years - 1
        series = []
        for sid in body["seriesid"][:max_series]:
            if sid not in self.data:
                messages.append(f"Series does not exist for Series {sid}")
                series.append({"seriesID": sid, "data": []})
                continue
            points = [p for p in self.data[sid] if start_year <= p.year <= end_year]
            if not key:
                points = [p for p in points if p.period != "M13"]  # annual averages need a key
            for year in range(start_year, end_year + 1):
                if not any(p.year == year for p in points):
                    messages.append(f"No Data Available for Series {sid} Year: {year}")
            series.append(series_entry(sid, points))
        series.reverse()  # the API does not keep the request order
        return Response(200, answer("REQUEST_SUCCEEDED", messages, series))
