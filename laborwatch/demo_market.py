"""A simulated labour market: employers, their postings week by week, and the BLS world around them.

The demo needs a market whose truth is known, so that the pipeline's verdict can be checked against
it: each scenario shifts exactly the quantities the seed documents name (entry postings asking for
evaluation and deployment, junior cuts with senior hiring held, research holding while product-model
work compresses), and nothing else. Everything is drawn from one seeded RNG, so a scenario yields
the same postings, byte for byte, on every run.

Posting text is composed from the hand-written phrase bank in `data/demo_phrases.toml`: duty and
requirement sentences per responsibility, company marketing and negations that mention a
responsibility without asking for it, nice-to-haves, and section headings, order and markup that
vary by employer. The intended labels (`Posting.tags`, `Posting.seniority`) are kept as ground
truth; the classifier never sees them.

The BLS side (`BlsWorld`) is the same in every scenario: a release calendar, and OEWS, JOLTS and CES
values that become visible only once their release time has passed, with CES revisions as new
vintages.
"""

from __future__ import annotations

import hashlib
import math
import random
import tomllib
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

DATA_DIR = Path(__file__).resolve().parent / "data"
SCENARIOS = ("strengthen", "junior-cut", "mixed", "steady")
DEFAULT_WEEKS = 16
DEFAULT_SEED = 20260105
DEMO_START = date(2026, 1, 5)  # a Monday: week 0 is the ISO week starting here
BACKLOG_WEEKS = 6  # postings opened before week 0 that are still listed when the demo starts
EASTERN = ZoneInfo("America/New_York")

PRODUCTION_TAGS = ("deployment", "evaluation", "monitoring", "data_quality", "failure_response")

# Expected new AI/ML engineer postings per week by seniority (about 59 a week in a steady market).
AI_BASE = {"intern": 2.0, "entry": 15.0, "mid": 17.0, "senior": 18.0, "lead": 7.0}
# Share of each archetype by seniority in a steady market.
AI_MIX = {
    "intern": {"production": 0.30, "routine": 0.55, "research": 0.15},
    "entry": {"production": 0.30, "routine": 0.55, "research": 0.15},
    "mid": {"production": 0.45, "routine": 0.35, "research": 0.20},
    "senior": {"production": 0.55, "routine": 0.15, "research": 0.30},
    "lead": {"production": 0.55, "routine": 0.15, "research": 0.30},
}
DS_BASE = {"intern": 1.0, "entry": 6.0, "mid": 8.0, "senior": 7.0, "lead": 2.0}
DS_MIX = {"analytics": 0.6, "production": 0.3, "research": 0.1}
OTHER_BASE = 18.0
OTHER_MIX = {"software": 0.45, "design": 0.15, "business": 0.2, "data_eng": 0.2}
TIER_WEIGHT = {"elite": 4.0, "tech": 1.2, "startup": 0.7, "broad": 0.8}
JOIN_WEIGHT = 1.6  # a broad employer's AI hiring weight once it has fully joined (strengthen)
PRODUCTION_TAG_WEIGHTS = {
    "evaluation": 0.30,
    "deployment": 0.25,
    "monitoring": 0.20,
    "data_quality": 0.15,
    "failure_response": 0.10,
}
DURATIONS = (2, 3, 3, 4, 4, 4, 5, 5, 6, 7, 8)  # weeks a posting stays listed
MIN_OPEN_PER_BOARD = 2  # every board always lists something, so no board ever reads as broken


# ------------------------------------------------------------------------------------------ data
@cache
def phrases() -> dict[str, Any]:
    return tomllib.loads((DATA_DIR / "demo_phrases.toml").read_text(encoding="utf-8"))


@cache
def _employer_data() -> dict[str, Any]:
    return tomllib.loads((DATA_DIR / "demo_employers.toml").read_text(encoding="utf-8"))


def _slug(text: str) -> str:
    return "".join(c if c.isalnum() else "-" for c in text.lower()).strip("-").replace("--", "-")


def _stable_rng(*parts: object) -> random.Random:
    """An RNG seeded from text, independent of draw order elsewhere (per employer, per series)."""
    digest = hashlib.sha256("|".join(map(str, parts)).encode()).digest()
    return random.Random(int.from_bytes(digest[:8], "big"))


@dataclass(frozen=True)
class Style:
    """How one employer writes a posting: headings, their markup, bullets and section order."""

    headings: dict[str, str]
    heading_tag: str  # h2 | h3 | strong | bold_break | caps
    bullets: str  # ul | dots | dashes | prose
    order: tuple[str, ...]


SECTION_ORDERS = (
    ("about", "summary", "duties", "asks", "nice", "benefits", "comp", "eeo"),
    ("summary", "duties", "asks", "nice", "comp", "benefits", "about", "eeo"),
    ("summary", "about", "duties", "asks", "nice", "benefits", "comp", "eeo"),
    ("about", "summary", "asks", "duties", "nice", "comp", "benefits", "eeo"),
    ("summary", "duties", "asks", "about", "benefits", "nice", "comp", "eeo"),
)


@dataclass(frozen=True)
class Employer:
    key: str
    name: str
    legal_name: str
    source: str
    board: str  # board token / site; for jsonld the page slug; for aggregators the employer slug
    tier: str
    industry: str
    hq: str
    locations: tuple[str, ...]
    workplace: str
    joins: bool
    mirror: bool
    style: Style
    vocab: dict[str, Any] = field(repr=False, compare=False, hash=False)


def load_employers() -> tuple[Employer, ...]:
    data = _employer_data()
    headings = phrases()["headings"]["styles"]
    employers = []
    for raw in data["employers"]:
        rng = _stable_rng("style", raw["name"])
        key = _slug(raw["name"])
        style = Style(
            headings=rng.choice(headings),
            heading_tag=rng.choice(("h2", "h3", "strong", "bold_break", "caps")),
            bullets=rng.choice(("ul", "ul", "dots", "dashes", "prose")),
            order=rng.choice(SECTION_ORDERS),
        )
        employers.append(
            Employer(
                key=key,
                name=raw["name"],
                legal_name=raw.get("legal_name", raw["name"]),
                source=raw["source"],
                board=raw.get("board", key),
                tier=raw["tier"],
                industry=raw["industry"],
                hq=raw["hq"],
                locations=tuple(raw["locations"]),
                workplace=raw["workplace"],
                joins=bool(raw.get("joins", False)),
                mirror=bool(raw.get("mirror", False)),
                style=style,
                vocab=data["industries"][raw["industry"]],
            )
        )
    return tuple(employers)


# -------------------------------------------------------------------------------------- postings
@dataclass(frozen=True)
class Section:
    """One part of a posting. `kind` decides whether its text asks anything of the hire."""

    kind: str  # about | summary | duties | asks | nice | benefits | comp | eeo
    heading: str | None
    items: tuple[str, ...]
    bulleted: bool


@dataclass(frozen=True)
class Posting:
    uid: int
    employer: Employer
    role: str | None  # ai_ml_engineer | data_scientist | None (other work)
    family: str  # the AI/DS archetype or the kind of other work
    seniority: str  # ground truth, per DESIGN §3.2
    tags: frozenset[str]  # ground truth: what the posting asks the hire to do
    title: str
    location: str
    remote: bool
    salary_min: int | None
    salary_max: int | None
    salary_interval: str  # year | hour
    structured_salary: bool  # the source carries salary in fields, not only in the text
    open_week: int
    close_week: int  # listed while open_week <= week < close_week
    posted_at: datetime
    sections: tuple[Section, ...]
    team: str

    def listed(self, week: int) -> bool:
        return self.open_week <= week < self.close_week

    @property
    def production_ownership(self) -> bool:
        return bool(self.tags & set(PRODUCTION_TAGS))


@dataclass(frozen=True)
class WeekPlan:
    """What the scenario asks of one week: expected counts per (role, seniority, family)."""

    week: int
    ramp: float
    ai: dict[tuple[str, str], float]
    join_weight: float  # AI hiring weight of the broad employers that join (strengthen)


def shift_window(weeks: int) -> tuple[int, int]:
    """(first week of the shift, week it is complete): baseline first, then a ramp, then a plateau.

    The signals' baseline is the four weeks after the first scrape (weeks 1-4), so the shift starts
    at week 5 at the earliest; the plateau then needs a four-week window to fill and the states'
    three weeks of persistence, so a shift is confirmed from about week 11 (12+ weeks to see it).
    """
    start = max(5, round(weeks * 0.3))
    end = max(start + 2, round(weeks * 0.5))
    return start, end


def week_plan(scenario: str, week: int, weeks: int) -> WeekPlan:
    if scenario not in SCENARIOS:
        raise ValueError(f"unknown scenario {scenario!r}; choose one of {', '.join(SCENARIOS)}")
    start, end = shift_window(weeks)
    ramp = min(1.0, max(0.0, (week - start) / (end - start))) if week >= 0 else 0.0
    ai: dict[tuple[str, str], float] = {}
    for seniority, base in AI_BASE.items():
        mix = dict(AI_MIX[seniority])
        count = base
        if scenario == "strengthen":
            count *= 1 + 0.3 * ramp  # new demand, mostly from employers outside the elite
            if seniority in ("intern", "entry"):
                mix = {
                    "production": 0.30 + 0.55 * ramp,
                    "routine": 0.55 - 0.50 * ramp,
                    "research": 0.15 - 0.05 * ramp,
                }
            elif seniority == "mid":
                mix = {
                    "production": 0.45 + 0.25 * ramp,
                    "routine": 0.35 - 0.22 * ramp,
                    "research": 0.20 - 0.03 * ramp,
                }
        elif scenario == "junior-cut" and seniority in ("intern", "entry"):
            count *= 1 - 0.8 * ramp
        elif scenario == "junior-cut" and seniority in ("senior", "lead"):
            count *= 1 + 0.1 * ramp  # reviewers and production owners are kept, a few more hired
        for family, share in mix.items():
            expected = count * share
            if scenario == "mixed":  # product-model work compresses; research holds (and grows a little)
                expected *= 1 + 0.15 * ramp if family == "research" else 1 - 0.75 * ramp
            ai[(seniority, family)] = expected
    join_weight = JOIN_WEIGHT * ramp if scenario == "strengthen" else 0.0
    return WeekPlan(week, ramp, ai, join_weight)


def _poisson(rng: random.Random, lam: float) -> int:
    if lam <= 0:
        return 0
    if lam > 30:
        return max(0, round(rng.gauss(lam, math.sqrt(lam))))
    threshold, k, p = math.exp(-lam), 0, 1.0
    while True:
        p *= rng.random()
        if p <= threshold:
            return k
        k += 1


class _Composer:
    """Builds one posting's title, sections and ground-truth labels from the phrase bank."""

    def __init__(self, rng: random.Random):
        self.rng = rng
        self.p = phrases()

    # ----------------------------------------------------------------- helpers
    def _fill(self, text: str, slots: dict[str, str]) -> str:
        return text.format(**slots)

    def _pick(self, options: Sequence[str], k: int = 1) -> list[str]:
        return self.rng.sample(list(options), min(k, len(options)))

    def slots(self, employer: Employer, title: str, team: str) -> dict[str, str]:
        v = employer.vocab
        return {
            "company": employer.name,
            "model": self.rng.choice(v["models"]),
            "product": self.rng.choice(v["products"]),
            "data": self.rng.choice(v["data"]),
            "domain": v["domain"],
            "area": self.rng.choice(v["areas"]),
            "title": title,
            "team": team,
        }

    # ------------------------------------------------------------------ titles
    AI_TITLES = {
        "production": (
            "Machine Learning Engineer",
            "ML Engineer",
            "MLOps Engineer",
            "Machine Learning Engineer, Model Evaluation",
            "ML Platform Engineer",
            "Software Engineer, Machine Learning",
            "ML Engineer, Inference",
            "Applied ML Engineer",
            "Machine Learning Engineer, Production Systems",
            "AI Engineer",
        ),
        "routine": (
            "AI Engineer",
            "Machine Learning Engineer",
            "LLM Engineer",
            "AI Application Engineer",
            "ML Engineer, Generative AI",
            "NLP Engineer",
            "Machine Learning Engineer, Personalization",
            "AI Solutions Engineer",
        ),
        "research": (
            "Research Engineer",
            "Applied Scientist",
            "Research Engineer, Machine Learning",
            "Machine Learning Scientist",
            "AI Research Engineer",
            "Deep Learning Engineer",
            "Computer Vision Engineer",
            "Research Scientist, Machine Learning",
        ),
    }
    DS_TITLES = (
        "Data Scientist",
        "Product Data Scientist",
        "Data Scientist, Experimentation",
        "Decision Scientist",
        "Data Scientist, Growth",
        "Quantitative Analyst",
        "Product Analyst",
        "Statistician",
        "Data Scientist, Marketing Analytics",
    )
    OTHER_TITLES = {
        "software": (
            "Software Engineer, Backend",
            "Backend Engineer",
            "Frontend Engineer",
            "Full Stack Engineer",
            "Site Reliability Engineer",
            "Security Engineer",
            "Platform Engineer",
        ),
        "design": ("Product Designer", "UX Researcher", "Content Designer"),
        "business": (
            "Account Executive, AI Platform",
            "Technical Recruiter, Machine Learning",
            "Marketing Manager, AI Products",
            "Customer Success Manager",
            "Product Manager",
            "Sales Engineer, ML Solutions",
            "Solutions Architect",
        ),
        "data_eng": ("Data Engineer", "Analytics Engineer", "Data Analyst", "Business Intelligence Analyst"),
    }

    def title(self, base: str, seniority: str, role: str | None) -> tuple[str, str]:
        """The title and the years line that together express `seniority` (DESIGN §3.2 rules).

        Hard cases are deliberate: a senior title asking only 3+ years (title outranks years), an
        untitled posting asking 6+ years (senior), an untitled one asking 0-2 years (entry).
        """
        r, years = self.rng.random(), self.p["years"]
        if seniority == "intern":
            form = self.rng.choice(("{t} Intern", "Intern, {t}", "{t} Internship (Summer 2026)"))
            return form.format(t=base), self.rng.choice(years["intern"])
        if seniority == "entry":
            if r < 0.7:
                form = self.rng.choice(
                    (
                        "Junior {t}",
                        "Associate {t}",
                        "{t} I",
                        "{t} (New Grad)",
                        "Entry-Level {t}",
                        "Graduate {t}",
                    )
                )
                return form.format(t=base), self.rng.choice(years["entry"]) if r < 0.5 else ""
            return base, self.rng.choice(years["entry"])
        if seniority == "mid":
            if r < 0.25:
                return f"{base} II", self.rng.choice(years["mid"]) if r < 0.1 else ""
            return base, self.rng.choice(years["mid"]) if r < 0.8 else ""
        if seniority == "senior":
            if r < 0.2:
                return base, self.rng.choice(years["senior"][1:])
            form = self.rng.choice(("Senior {t}", "Senior {t}", "Sr. {t}"))
            if r < 0.35:
                return form.format(t=base), "3+ years of relevant experience"
            return form.format(t=base), self.rng.choice(years["senior"]) if r < 0.85 else ""
        specials = {
            "ai_ml_engineer": (
                "Engineering Manager, Machine Learning",
                "Head of AI",
                "Director of Machine Learning",
                "Machine Learning Lead",
            ),
            "data_scientist": ("Data Science Manager", "Head of Data Science"),
        }.get(role or "", ())
        if specials and r < 0.3:
            return self.rng.choice(specials), self.rng.choice(years["lead"])
        form = self.rng.choice(("Staff {t}", "Principal {t}", "Lead {t}", "Staff {t}"))
        return form.format(t=base), self.rng.choice(years["lead"]) if r < 0.85 else ""

    # ---------------------------------------------------------------- sections
    def _about(self, employer: Employer, slots: dict[str, str], marketing: bool) -> Section:
        a = self.p["about"]
        v = employer.vocab
        remote = employer.hq == "Remote"
        text = self.rng.choice(a["templates"]).format(
            company=employer.name,
            size=self.rng.choice(a["sizes"]),
            industry=v["label"],
            where="working fully remotely" if remote else f"based in {employer.hq}",
            mission=self.rng.choice(v["mission"]),
            founded=self.rng.choice(a["founded"]),
            headcount=self.rng.choice(a["headcounts"]),
            offices="remote teams in " + " and ".join(employer.locations[:2])
            if remote
            else "offices in " + " and ".join(employer.locations[:2]),
            customers=v["customers"],
        )
        items = [text]
        if marketing:
            items.append(self._fill(self.rng.choice(self.p["traps"]["marketing"]), slots))
        heading = employer.style.headings["about"].format(company=employer.name)
        return Section("about", heading, tuple(items), False)

    def _closing(self, employer: Employer, slots: dict[str, str]) -> list[Section]:
        h = employer.style.headings
        out = []
        if self.rng.random() < 0.75:
            benefits = self._pick(self.p["benefits"]["lines"], self.rng.randint(3, 6))
            out.append(Section("benefits", h["benefits"], tuple(benefits), True))
        if self.rng.random() < 0.7:
            out.append(
                Section("eeo", None, (self._fill(self.rng.choice(self.p["eeo"]["lines"]), slots),), False)
            )
        return out

    def compose(
        self,
        employer: Employer,
        role: str | None,
        family: str,
        seniority: str,
        salary: tuple[int, int, str] | None,
        comp_in_text: bool,
    ) -> tuple[str, frozenset[str], tuple[Section, ...], str]:
        p, rng = self.p, self.rng
        if role == "ai_ml_engineer":
            base = rng.choice(self.AI_TITLES[family])
            team = rng.choice(p["teams"]["ai"])
        elif role == "data_scientist":
            base = rng.choice(self.DS_TITLES)
            team = rng.choice(p["teams"]["ds"])
        else:
            base = rng.choice(self.OTHER_TITLES[family])
            team = rng.choice(p["teams"]["other"])
        title, years_line = self.title(base, seniority, role) if role else (base, "")
        slots = self.slots(employer, title, team)
        tags: set[str] = set()
        duties: list[str] = []
        asks: list[str] = []
        traps_negation = False

        if role == "ai_ml_engineer":
            if family == "production":
                names = list(PRODUCTION_TAG_WEIGHTS)
                weights = list(PRODUCTION_TAG_WEIGHTS.values())
                chosen: set[str] = set()
                while len(chosen) < rng.choice((1, 2, 2, 3)):
                    chosen.add(rng.choices(names, weights)[0])
                tags |= chosen
                if rng.random() < 0.2:
                    tags.add("routine_adaptation")
            elif family == "routine":
                tags.add("routine_adaptation")
                traps_negation = rng.random() < 0.3
            else:
                tags.add("research")
                if rng.random() < 0.15:
                    tags.add("evaluation")
                traps_negation = rng.random() < 0.2
            for tag in sorted(tags):
                duties += self._pick(p["duties"][tag], rng.choice((1, 1, 2)))
            duties += self._pick(p["duties"]["generic"], rng.randint(1, 3))
            if seniority in ("senior", "lead"):
                duties += self._pick(p["duties"]["senior_generic"], 1)
            if seniority == "lead":
                duties += self._pick(p["duties"]["lead_generic"], rng.randint(1, 2))
            for tag in sorted(tags):
                if rng.random() < 0.4:
                    asks += self._pick(p["asks"][tag], 1)
            asks += self._pick(p["asks"]["generic"], rng.randint(2, 4))
            summary_bank = p["summary"]["ai"]
        elif role == "data_scientist":
            duties += self._pick(p["ds_duties"]["analytics"], rng.randint(2, 4))
            if family == "production":
                bank = p["ds_duties"]["production"]
                for tag in self._pick(sorted(bank), rng.randint(1, 2)):
                    duties += self._pick(bank[tag], 1)
                    tags.add(tag)
            elif family == "research":
                duties += self._pick(p["ds_duties"]["research"], 1)
                tags.add("research")
            asks += self._pick(p["ds_duties"]["asks"], rng.randint(2, 4))
            summary_bank = p["summary"]["ds"]
        else:
            duties += self._pick(p["other_duties"][family], rng.randint(2, 4))
            asks += self._pick(p["other_duties"]["other_asks"], rng.randint(1, 3))
            summary_bank = p["summary"]["other"]

        rng.shuffle(duties)
        if years_line:
            asks.insert(0 if rng.random() < 0.7 else len(asks), years_line)
        if traps_negation:
            duties.insert(rng.randrange(len(duties) + 1), rng.choice(p["traps"]["negations"]))
        h = employer.style.headings
        parts: dict[str, Section] = {
            "about": self._about(employer, slots, marketing=rng.random() < 0.35),
            "duties": Section("duties", h["duties"], tuple(self._fill(d, slots) for d in duties), True),
            "asks": Section("asks", h["asks"], tuple(self._fill(a, slots) for a in asks), True),
        }
        if rng.random() < 0.75:
            parts["summary"] = Section("summary", None, (self._fill(rng.choice(summary_bank), slots),), False)
        if role and rng.random() < 0.5:
            nice = self._pick(p["nice"]["lines"], rng.randint(1, 3))
            parts["nice"] = Section("nice", h["nice"], tuple(self._fill(n, slots) for n in nice), True)
        if salary and comp_in_text:
            low, high, interval = salary
            bank = p["comp"]["hourly" if interval == "hour" else "yearly"]
            line = rng.choice(bank).format(min=f"{low:,}", max=f"{high:,}")
            parts["comp"] = Section("comp", h["comp"], (line,), False)
        for closing in self._closing(employer, slots):
            parts[closing.kind] = closing
        sections = tuple(parts[kind] for kind in employer.style.order if kind in parts)
        return title, frozenset(tags), sections, team


def _salary(rng: random.Random, role: str | None, seniority: str, tier: str) -> tuple[int, int, str]:
    if seniority == "intern":
        low = rng.choice((38, 42, 45, 50, 55))
        return low, low + rng.choice((8, 10, 12)), "hour"
    base = {"entry": 110, "mid": 145, "senior": 185, "lead": 225}[seniority]
    if role is None:
        base -= 15
    elif role == "data_scientist":
        base -= 10
    base += {"elite": 35, "tech": 10, "startup": 0, "broad": -10}[tier]
    low = (base + rng.randint(-8, 8)) * 1000 // 5000 * 5000
    return low, low + rng.choice((30_000, 40_000, 50_000, 60_000)), "year"


# ------------------------------------------------------------------------------------ the market
@dataclass
class Market:
    """The whole simulated market for one scenario; `clock` is what the server treats as now."""

    scenario: str
    weeks: int
    seed: int
    employers: tuple[Employer, ...]
    postings: list[Posting]
    start: date = DEMO_START
    clock: datetime = field(default_factory=lambda: datetime.combine(DEMO_START, time(), UTC))
    bls: BlsWorld = field(default_factory=lambda: BlsWorld())

    # ----------------------------------------------------------------- time
    def week_start(self, week: int) -> datetime:
        return datetime.combine(self.start + timedelta(weeks=week), time(), UTC)

    def as_of(self, week: int) -> datetime:
        """The run time of `week`: Sunday 18:00 UTC, after that week's postings went up."""
        return self.week_start(week) + timedelta(days=6, hours=18)

    def week_of(self, moment: datetime) -> int:
        return (moment.date() - self.start).days // 7

    def set_week(self, week: int) -> None:
        self.clock = self.as_of(week)

    @property
    def week(self) -> int:
        return self.week_of(self.clock)

    # ------------------------------------------------------------- listings
    def listed(self, week: int | None = None) -> list[Posting]:
        """Postings on their boards at `week` (default: the clock's week), injected ones included."""
        week = self.week if week is None else week
        return [p for p in self.postings if p.listed(week) and p.posted_at <= self.clock]

    def employer_postings(self, employer: Employer, week: int | None = None) -> list[Posting]:
        return [p for p in self.listed(week) if p.employer.key == employer.key]

    def employers_on(self, source: str) -> list[Employer]:
        return [e for e in self.employers if e.source == source]

    def inject(self, posting: Posting) -> None:
        """Put one extra posting on its board now (the streaming-latency probe)."""
        self.postings.append(posting)

    def new_posting(
        self, employer: Employer, role: str, family: str, seniority: str, at: datetime
    ) -> Posting:
        """A posting composed like the others, listed from `at` to the end of the run."""
        rng = _stable_rng("probe", self.seed, len(self.postings))
        uid = max(p.uid for p in self.postings) + 1
        return _make_posting(
            rng, uid, employer, role, family, seniority, self.week_of(at), self.weeks + 8, at
        )


def _make_posting(
    rng: random.Random,
    uid: int,
    employer: Employer,
    role: str | None,
    family: str,
    seniority: str,
    open_week: int,
    close_week: int,
    posted_at: datetime,
) -> Posting:
    structured = employer.source in ("lever", "ashby", "jsonld", "remoteok") and rng.random() < 0.8
    salary = _salary(rng, role, seniority, employer.tier) if rng.random() < 0.8 else None
    comp_in_text = salary is not None and (not structured or rng.random() < 0.3)
    composer = _Composer(rng)
    title, tags, sections, team = composer.compose(employer, role, family, seniority, salary, comp_in_text)
    location = rng.choice(employer.locations)
    remote = employer.workplace == "remote" or "remote" in location.lower()
    return Posting(
        uid=uid,
        employer=employer,
        role=role,
        family=family,
        seniority=seniority,
        tags=tags,
        title=title,
        location=location,
        remote=remote,
        salary_min=salary[0] if salary else None,
        salary_max=salary[1] if salary else None,
        salary_interval=salary[2] if salary else "year",
        structured_salary=structured and salary is not None,
        open_week=open_week,
        close_week=close_week,
        posted_at=posted_at,
        sections=sections,
        team=team,
    )


def _ai_weight(employer: Employer, family: str, join_weight: float) -> float:
    if employer.joins:
        weight = join_weight
    else:
        weight = TIER_WEIGHT[employer.tier]
    if family == "research":
        weight *= {"elite": 2.0, "tech": 0.6, "startup": 1.0, "broad": 0.1}[employer.tier]
    return weight


def hn_threads(first: date, last: date) -> list[datetime]:
    """When each monthly 'Who is hiring?' thread went up: first weekday of the month, 11:00 ET."""
    out, (year, month) = [], (first.year, first.month)
    while date(year, month, 1) <= last:
        out.append(datetime.combine(hn_thread_day(date(year, month, 1)), time(11), EASTERN).astimezone(UTC))
        year, month = _month_add(year, month, 1)
    return out


def _hn_close_week(start: date, posted: datetime) -> int:
    """An HN posting lives in the thread it was posted in; it is gone once the next thread is up."""
    after = [
        t
        for t in hn_threads(posted.date() - timedelta(days=40), posted.date() + timedelta(days=40))
        if t > posted
    ]
    first_run = datetime.combine(start, time(), UTC) + timedelta(days=6, hours=18)  # as_of(0)
    return math.ceil((after[0] - first_run) / timedelta(weeks=1))


def hn_thread_day(first_of_month: date) -> date:
    """The monthly 'Who is hiring?' thread goes up on the first weekday of the month."""
    day = first_of_month
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day


def build_market(scenario: str, weeks: int = DEFAULT_WEEKS, seed: int = DEFAULT_SEED) -> Market:
    """Every posting of the run (and the backlog listed at week 0), drawn from one seeded RNG."""
    if weeks < 4:
        raise ValueError("the demo needs at least 4 weeks: a baseline, a shift and time to confirm it")
    employers = load_employers()
    rng = random.Random(f"{seed}:{scenario}")
    start = DEMO_START
    postings: list[Posting] = []

    def add(employer: Employer, role: str | None, family: str, seniority: str, week: int) -> None:
        posted = datetime.combine(start + timedelta(weeks=week), time(), UTC) + timedelta(
            minutes=rng.randrange(0, int(6.5 * 24 * 60))
        )
        if employer.source == "hn":
            close = _hn_close_week(start, posted)
        else:
            close = week + rng.choice(DURATIONS)
        if close <= 0:
            return
        postings.append(
            _make_posting(rng, len(postings) + 1, employer, role, family, seniority, week, close, posted)
        )

    for week in range(-BACKLOG_WEEKS, weeks):
        plan = week_plan(scenario, week, weeks)
        for (seniority, family), expected in plan.ai.items():
            weights = [_ai_weight(e, family, plan.join_weight) for e in employers]
            for _ in range(_poisson(rng, expected)):
                add(rng.choices(employers, weights)[0], "ai_ml_engineer", family, seniority, week)
        ds_weights = [0.4 if e.industry == "ai_lab" else 1.2 for e in employers]
        for seniority, expected in DS_BASE.items():
            for _ in range(_poisson(rng, expected)):
                family = rng.choices(list(DS_MIX), list(DS_MIX.values()))[0]
                add(rng.choices(employers, ds_weights)[0], "data_scientist", family, seniority, week)
        for _ in range(_poisson(rng, OTHER_BASE)):
            family = rng.choices(list(OTHER_MIX), list(OTHER_MIX.values()))[0]
            add(rng.choice(employers), None, family, rng.choice(("entry", "mid", "mid", "senior")), week)
        for employer in employers:  # keep every board non-empty
            listed = sum(1 for p in postings if p.employer is employer and p.listed(week))
            for _ in range(max(0, MIN_OPEN_PER_BOARD - listed)):
                add(employer, None, rng.choice(("software", "design", "data_eng")), "mid", week)
    postings.sort(key=lambda p: (p.posted_at, p.uid))
    return Market(scenario, weeks, seed, employers, postings)


# ------------------------------------------------------------------------------------- BLS world
@dataclass(frozen=True)
class Release:
    """One scheduled BLS news release (what the .ics lists)."""

    uid: str
    program: str  # empsit | jolts | ocwage | ecopro | cpi
    title: str
    released_at: datetime  # aware, America/New_York
    reference: str  # YYYY-MM for monthly data, YYYY for annual

    @property
    def released_utc(self) -> datetime:
        return self.released_at.astimezone(UTC)


def _weekday_on_or_after(day: date, weekday: int) -> date:
    return day + timedelta(days=(weekday - day.weekday()) % 7)


def _month_add(year: int, month: int, n: int) -> tuple[int, int]:
    index = year * 12 + (month - 1) + n
    return index // 12, index % 12 + 1


def release_schedule(first_year: int = 2024, last_year: int = 2026) -> list[Release]:
    """The releases laborwatch watches (plus CPI, as the real calendar has it), by a fixed rule.

    Employment Situation: the Friday between the 3rd and 9th of the following month, 08:30 ET.
    JOLTS: the first Tuesday from the 2nd of the month after next, 10:00 ET. CPI: the Wednesday
    from the 10th, 08:30. OEWS (May reference year) in spring, Employment Projections in late summer.
    """

    def at(day: date, hour: int, minute: int = 0) -> datetime:
        return datetime.combine(day, time(hour, minute), EASTERN)

    releases: list[Release] = []
    for year in range(first_year - 1, last_year + 1):
        for month in range(1, 13):
            ry, rm = _month_add(year, month, 1)
            jy, jm = _month_add(year, month, 2)
            ref = f"{year}-{month:02d}"
            releases += [
                Release(
                    "",
                    "empsit",
                    "Employment Situation",
                    at(_weekday_on_or_after(date(ry, rm, 3), 4), 8, 30),
                    ref,
                ),
                Release(
                    "",
                    "jolts",
                    "Job Openings and Labor Turnover Survey",
                    at(_weekday_on_or_after(date(jy, jm, 2), 1), 10),
                    ref,
                ),
                Release(
                    "",
                    "cpi",
                    "Consumer Price Index",
                    at(_weekday_on_or_after(date(ry, rm, 10), 2), 8, 30),
                    ref,
                ),
            ]
    releases += [
        Release("", "ocwage", "Occupational Employment and Wages", at(date(2025, 4, 2), 10), "2024"),
        Release("", "ocwage", "Occupational Employment and Wages", at(date(2026, 3, 31), 10), "2025"),
        Release("", "ecopro", "Employment Projections", at(date(2025, 8, 28), 10), "2024-34"),
        Release("", "ecopro", "Employment Projections", at(date(2026, 9, 3), 10), "2025-35"),
    ]
    out = []
    for r in releases:
        if first_year <= r.released_at.year <= last_year:
            uid = str(uuid.UUID(hashlib.md5(f"{r.program}:{r.reference}".encode()).hexdigest()))
            out.append(Release(uid, r.program, r.title, r.released_at, r.reference))
    return sorted(out, key=lambda r: r.released_at)


# National OEWS values for the May reference years the demo serves (synthetic but plausible).
OEWS_VALUES: dict[str, dict[int, dict[str, float]]] = {
    "152051": {  # Data scientists
        2024: {
            "01": 233_440,
            "03": 59.90,
            "04": 124_590,
            "08": 54.13,
            "11": 63_650,
            "12": 83_220,
            "13": 112_590,
            "14": 147_440,
            "15": 194_410,
        },
        2025: {
            "01": 241_890,
            "03": 62.36,
            "04": 129_710,
            "08": 57.80,
            "11": 67_240,
            "12": 87_760,
            "13": 120_230,
            "14": 154_020,
            "15": 199_130,
        },
    },
    "151252": {  # Software developers
        2024: {"01": 1_654_440, "04": 144_570, "11": 79_850, "13": 133_080, "15": 211_450},
        2025: {"01": 1_671_220, "04": 147_990, "11": 81_300, "13": 136_620, "15": 216_800},
    },
    "151221": {  # Computer and information research scientists: p90 is top-coded
        2024: {"01": 36_600, "04": 157_160, "11": 83_910, "13": 140_910, "15": None},
        2025: {"01": 37_950, "04": 161_400, "11": 86_200, "13": 145_080, "15": None},
    },
}
OEWS_TOP_CODE_NOTE = "This wage is equal to or greater than $115.00 per hour or $239,200 per year."
# Monthly level around which a JOLTS (thousands) or CES (thousands) series moves.
MONTHLY_LEVELS = {
    "JTS000000000000000JOL": 7_250.0,
    "JTS510000000000000JOL": 138.0,
    "JTS540099000000000JOL": 1_365.0,
    "CES0000000001": 159_400.0,
    "CES5000000001": 2_905.0,
    "CES6054150001": 2_468.0,
}


@dataclass(frozen=True)
class Observation:
    year: int
    period: str
    value: float | None
    footnotes: tuple[tuple[str, str], ...] = ()


@dataclass
class BlsWorld:
    """BLS data as it stood at any moment: only released periods, with revisions as vintages."""

    releases: list[Release] = field(default_factory=release_schedule)

    def released(self, program: str, now: datetime) -> list[Release]:
        return [r for r in self.releases if r.program == program and r.released_utc <= now]

    @staticmethod
    def program_of(series_id: str) -> str | None:
        if series_id.startswith("OE") and len(series_id) == 25:
            return "ocwage"
        if series_id.startswith("JT") and len(series_id) == 21:
            return "jolts"
        if series_id.startswith("CE") and len(series_id) == 13:
            return "empsit"
        return None

    def observations(self, series_id: str, now: datetime) -> list[Observation] | None:
        """The series as published at `now`, newest first; None if no such series exists."""
        program = self.program_of(series_id)
        if program == "ocwage":
            return self._oews(series_id, now)
        if program in ("jolts", "empsit"):
            return self._monthly(series_id, program, now)
        return None

    def _oews(self, series_id: str, now: datetime) -> list[Observation] | None:
        soc, datatype = series_id[17:23], series_id[23:25]
        if (
            series_id[2:4] != "UN"
            or series_id[4:17] != "0" * 13
            or datatype not in ("01", "03", "04", "08", "11", "12", "13", "14", "15")
        ):
            return None
        released = self.released("ocwage", now)
        if not released:
            return []
        year = int(released[-1].reference)  # the OE database keeps only the current May year
        known = OEWS_VALUES.get(soc)
        if known is None:
            rng = _stable_rng("oews", soc, datatype, year)
            value = {"01": rng.randint(20_000, 400_000), "03": rng.uniform(25, 70)}.get(
                datatype, rng.randint(40_000, 180_000)
            )
        elif datatype not in known[year]:
            return None
        else:
            value = known[year][datatype]
        if value is None:
            return [Observation(year, "A01", None, (("5", OEWS_TOP_CODE_NOTE),))]
        return [Observation(year, "A01", float(value))]

    def _monthly(self, series_id: str, program: str, now: datetime) -> list[Observation] | None:
        level = MONTHLY_LEVELS.get(series_id)
        if level is None:
            if not series_id[3:].isalnum():
                return None
            level = _stable_rng("level", series_id).uniform(100, 5_000)
        releases = self.released(program, now)
        if not releases:
            return []
        rate = series_id.endswith("R")
        out = []
        for index, release in enumerate(reversed(releases)):
            year, month = map(int, release.reference.split("-"))
            rng = _stable_rng("monthly", series_id, year, month)
            months = (year - 2020) * 12 + month
            noise = 0.03 if program == "jolts" else 0.002  # JOLTS is a noisy survey; CES moves smoothly
            final = level * (1 + 0.015 * months / 12) * (1 + rng.gauss(0, noise))
            if rate:
                final = 4.3 + rng.gauss(0, 0.2)
            # CES revises the two previous months with each release; JOLTS revises the previous one.
            revisions_left = (2 if program == "empsit" else 1) - index
            revision = rng.gauss(0, noise / 2) * final
            value = final + (revisions_left * revision if revisions_left > 0 else 0)
            notes = (("P", "preliminary"),) if revisions_left > 0 else ()
            out.append(Observation(year, f"M{month:02d}", round(value, 1), notes))
        return out

    def ics(self) -> str:
        """The schedule as the BLS publishes it: US-Eastern TZID, folded lines, CRLF endings."""
        lines = [
            "BEGIN:VCALENDAR",
            "VERSION:2.0",
            "PRODID:-//Department of Labor//Bureau of Labor Statistics//EN",
            "CALSCALE:GREGORIAN",
            "METHOD:PUBLISH",
            "X-WR-CALNAME:BLS.gov Economic News Release Schedule",
            "X-WR-TIMEZONE:US-Eastern",
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
        for r in self.releases:
            description = f"{r.title} for {r.reference}. Embargoed until the release time."
            lines += [
                "BEGIN:VEVENT",
                f"UID:{r.uid}",
                "SEQUENCE:0",
                "DTSTAMP:20241201T120000Z",
                f"DTSTART;TZID=US-Eastern:{r.released_at:%Y%m%dT%H%M%S}",
                "DURATION:PT0M",
                f"SUMMARY:{r.title}",
                *_fold(f"DESCRIPTION:{description}"),
                "LOCATION:Washington\\, DC",
                "CATEGORIES:IMPORTANT, BLS",
                "TRANSP:TRANSPARENT",
                "END:VEVENT",
            ]
        lines.append("END:VCALENDAR")
        return "\r\n".join(lines) + "\r\n"


def _fold(line: str, width: int = 60) -> list[str]:
    """RFC 5545 folding: continuation lines start with one space."""
    return [line[:width]] + [" " + line[i : i + width - 1] for i in range(width, len(line), width - 1)]


# Employment Projections rows for Table 1.2 (thousands; wages in dollars).
PROJECTIONS_ROWS: tuple[tuple[Any, ...], ...] = (
    ("Total, all occupations", "00-0000", "Summary", 170_000.0, 175_200.0, 5_200.0, 3.1, 18_700.0, 49_500),
    (
        "Computer and mathematical occupations",
        "15-0000",
        "Summary",
        5_500.0,
        6_060.0,
        560.0,
        10.1,
        410.0,
        105_850,
    ),
    (
        "Computer and information research scientists",
        "15-1221",
        "Line item",
        40.3,
        48.5,
        8.2,
        20.4,
        3.4,
        140_910,
    ),
    ("Software developers", "15-1252", "Line item", 1_695.1, 1_958.9, 263.8, 15.6, 129.2, 133_080),
    ("Data scientists", "15-2051", "Line item", 245.9, 328.3, 82.4, 33.5, 23.4, 112_590),
    ("Statisticians", "15-2041", "Line item", 34.8, 41.4, 6.6, 18.9, 3.0, 103_300),
)


def projections_workbook() -> bytes:
    """The occupation workbook in the real layout: title row, header row, line items, footnotes."""
    import io

    from openpyxl import Workbook

    book = Workbook()
    book.active.title = "Table 1.1"
    book.active.append(["Table 1.1 Employment by major occupational group, 2024 and projected 2034"])
    sheet = book.create_sheet("Table 1.2")
    sheet.append(["Table 1.2 Occupational projections, 2024–34, and worker characteristics, 2024"])
    sheet.append(
        [
            "2024 National Employment Matrix title",
            "2024 National Employment Matrix code",
            "Occupation type",
            "Employment, 2024",
            "Employment, 2034",
            "Employment distribution, percent, 2024",
            "Employment distribution, percent, 2034",
            "Employment change, numeric, 2024–34",
            "Employment change, percent, 2024–34",
            "Percent self employed, 2024",
            "Occupational openings, 2024–34 annual average",
            "Median annual wage, dollars, 2024[1]",
            "Typical education needed for entry",
            "Work experience in a related occupation",
            "Typical on-the-job training needed to attain competency in the occupation",
        ]
    )
    for title, code, kind, base, proj, change, pct, openings, wage in PROJECTIONS_ROWS:
        sheet.append(
            [
                title,
                code,
                kind,
                base,
                proj,
                round(base / 1700, 1),
                round(proj / 1752, 1),
                change,
                pct,
                2.1,
                openings,
                wage,
                "Bachelor's degree" if kind == "Line item" else "—",
                "None",
                "None",
            ]
        )
    sheet.append([])
    sheet.append(["Footnotes:"])
    sheet.append(["[1] Data are from the Occupational Employment and Wage Statistics program, May 2024."])
    sheet.append(["Source: Employment Projections program, U.S. Bureau of Labor Statistics."])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
