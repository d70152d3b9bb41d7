"""Which BLS series laborwatch pulls, and what each one measures, derived from the role cards.

Roles are data: a card names its SOC proxies and this module turns each into the national OEWS
series (employment and the wage distribution), adds the industry series every role shares (JOLTS
openings for Information and for Professional and business services, CES employment in Computer
systems design), and decodes any extra series from the config as far as its id allows. The result
goes to staging.bls_series so the signals code can join observations to measures in SQL.

Series id layouts are in shared/reference/bls-and-onet.md §2.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Protocol

import polars as pl

from ingest.bls_api import normalize_series_ids

CATALOG_SCHEMA = {
    "series_id": pl.String,
    "program": pl.String,
    "measure": pl.String,
    "unit": pl.String,
    "soc_code": pl.String,
    "industry": pl.String,
    "role_ids": pl.List(pl.String),
    "description": pl.String,
}

# OEWS datatype code → (measure, unit). The card-derived catalog uses the first five measures.
OEWS_DATATYPES: dict[str, tuple[str, str]] = {
    "01": ("employment", "jobs"),
    "02": ("employment_rse", "percent"),
    "03": ("mean_hourly_wage", "usd_per_hour"),
    "04": ("mean_wage", "usd_per_year"),
    "05": ("wage_rse", "percent"),
    "06": ("p10_hourly_wage", "usd_per_hour"),
    "07": ("p25_hourly_wage", "usd_per_hour"),
    "08": ("median_hourly_wage", "usd_per_hour"),
    "09": ("p75_hourly_wage", "usd_per_hour"),
    "10": ("p90_hourly_wage", "usd_per_hour"),
    "11": ("p10_wage", "usd_per_year"),
    "12": ("p25_wage", "usd_per_year"),
    "13": ("median_wage", "usd_per_year"),
    "14": ("p75_wage", "usd_per_year"),
    "15": ("p90_wage", "usd_per_year"),
    "16": ("employment_per_1000", "per_1000_jobs"),
    "17": ("location_quotient", "ratio"),
}
CARD_OEWS_DATATYPES = ("01", "04", "13", "11", "15")
# OE + not seasonally adjusted + national + area 0000000 + all industries 000000; SOC and datatype follow.
OEWS_NATIONAL_PREFIX = "OEUN" + "0000000" + "000000"

JOLTS_ELEMENTS = {
    "JO": "job_openings",
    "HI": "hires",
    "TS": "total_separations",
    "QU": "quits",
    "LD": "layoffs_discharges",
    "OS": "other_separations",
    "UO": "unemployed_per_opening",
}
JOLTS_INDUSTRIES = {
    "000000": "Total nonfarm",
    "100000": "Total private",
    "510000": "Information",
    "540099": "Professional and business services",
}
CES_DATATYPES = {
    "01": ("employment", "thousands_of_jobs"),
    "02": ("avg_weekly_hours", "hours"),
    "03": ("avg_hourly_earnings", "usd_per_hour"),
    "11": ("avg_weekly_earnings", "usd_per_week"),
}
CES_INDUSTRIES = {
    "00000000": "Total nonfarm",
    "50000000": "Information",
    "60000000": "Professional and business services",
    "60541500": "Computer systems design and related services",
}

# Shared by every role: where the demand for technical work shows first.
SHARED_SERIES = ("JTS510000000000000JOL", "JTS540099000000000JOL", "CES6054150001")

_OEWS = re.compile(r"^OE([SU])([NSM])(\d{7})(\d{6})(\d{6})(\d{2})$")
_JOLTS = re.compile(r"^JT([SU])(\d{6})(\d{2})(\d{5})(\d{2})([A-Z]{2})([LR])$")
_CES = re.compile(r"^CE([SU])(\d{8})(\d{2})$")
PROGRAM_PREFIXES = {"OE": "OEWS", "JT": "JOLTS", "CE": "CES", "LN": "CPS", "CU": "CPI", "EP": "EP"}


class HasSocCodes(Protocol):
    """What the catalog needs of a role card (transforms.role_card.RoleCard)."""

    id: str
    soc_codes: tuple[str, ...]


def oews_national_series_id(soc_code: str, datatype: str) -> str:
    """25 characters: OE + U + N + area 0000000 + industry 000000 + SOC without hyphen + datatype."""
    soc = soc_code.replace("-", "")
    if not re.fullmatch(r"\d{6}", soc) or datatype not in OEWS_DATATYPES:
        raise ValueError(f"cannot build an OEWS id from SOC {soc_code!r} and datatype {datatype!r}")
    return f"{OEWS_NATIONAL_PREFIX}{soc}{datatype}"


def describe_series(series_id: str) -> dict[str, str | None]:
    """program, measure, unit, soc_code, industry, description decoded from the id alone."""
    if m := _OEWS.match(series_id):
        _, area_type, area, industry, soc, datatype = m.groups()
        measure, unit = OEWS_DATATYPES.get(datatype, (f"datatype_{datatype}", "unknown"))
        soc_code = f"{soc[:2]}-{soc[2:]}"
        where = {"N": "national", "S": f"state {area}", "M": f"area {area}"}[area_type]
        ind = None if industry == "000000" else industry
        return {
            "program": "OEWS",
            "measure": measure,
            "unit": unit,
            "soc_code": soc_code,
            "industry": ind,
            "description": f"OEWS {measure.replace('_', ' ')}, SOC {soc_code}, {where}"
            + (f", industry {industry}" if ind else ", all industries"),
        }
    if m := _JOLTS.match(series_id):
        seasonal, industry, _, _, _, element, level = m.groups()
        base = JOLTS_ELEMENTS.get(element, f"element_{element}")
        measure = base if level == "L" else f"{base}_rate"
        return {
            "program": "JOLTS",
            "measure": measure,
            "unit": "thousands" if level == "L" else "percent",
            "soc_code": None,
            "industry": industry,
            "description": f"JOLTS {measure.replace('_', ' ')}, "
            f"{JOLTS_INDUSTRIES.get(industry, 'industry ' + industry)}, "
            + ("seasonally adjusted" if seasonal == "S" else "not seasonally adjusted"),
        }
    if m := _CES.match(series_id):
        seasonal, industry, datatype = m.groups()
        measure, unit = CES_DATATYPES.get(datatype, (f"datatype_{datatype}", "unknown"))
        return {
            "program": "CES",
            "measure": measure,
            "unit": unit,
            "soc_code": None,
            "industry": industry,
            "description": f"CES {measure.replace('_', ' ')}, "
            f"{CES_INDUSTRIES.get(industry, 'industry ' + industry)}, "
            + ("seasonally adjusted" if seasonal == "S" else "not seasonally adjusted"),
        }
    program = PROGRAM_PREFIXES.get(series_id[:2], series_id[:2])
    return {
        "program": program,
        "measure": "other",
        "unit": "unknown",
        "soc_code": None,
        "industry": None,
        "description": f"{program} series {series_id} (listed under [bls] series)",
    }


def catalog_for_cards(cards: Iterable[HasSocCodes], extra_series: Sequence[str] = ()) -> pl.DataFrame:
    """One row per series to pull: the cards' OEWS series, the shared industry series, the extras.

    `role_ids` lists the cards a series serves (every card for the shared series, none for an extra
    series no card implies), so a signal can find its role's measures with one join.
    """
    cards = list(cards)
    roles: dict[str, list[str]] = {}
    for card in cards:
        for soc in card.soc_codes:
            for datatype in CARD_OEWS_DATATYPES:
                roles.setdefault(oews_national_series_id(soc, datatype), []).append(card.id)
    all_roles = sorted({card.id for card in cards})
    for sid in SHARED_SERIES:
        roles[sid] = list(all_roles)
    for sid in normalize_series_ids(extra_series):
        roles.setdefault(sid, [])
    rows = [
        {"series_id": sid, **describe_series(sid), "role_ids": sorted(set(ids))} for sid, ids in roles.items()
    ]
    return pl.DataFrame(rows, schema=CATALOG_SCHEMA).sort(
        ["program", "soc_code", "series_id"], nulls_last=True
    )
