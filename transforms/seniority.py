"""Seniority (DESIGN §3.2): title words first, then the posting's own statements, then years.

Order of evidence:
1. Title words: intern (intern, co-op, working student); lead (staff, principal, lead, manager,
   director, head, VP, chief, distinguished, fellow, L6+/E6+); senior ("Senior", "Sr.", III, IV,
   L5/E5); mid (II, "mid-level", L4/E4); entry (junior, "Jr.", associate, graduate, new grad,
   entry-level, early career, I, L3/E3, postdoc, apprentice).
2. An untitled posting that calls itself an internship is intern; one that invites new grads or
   says entry-level / early career / "no experience required" is entry.
3. Years of experience asked (the largest lower bound stated: "3+", "3-5", "at least three",
   "five or more years", "2 years of experience"): 5+ senior, 2-4 mid, 0-1 entry.
4. Nothing: mid.
Everything is read from the in-scope text (transforms.scope), so years stated only as optional
("7 years is a plus") or in the company blurb ("founded 20 years ago") do not count.
"""

from __future__ import annotations

import polars as pl

from transforms.rewrite import rust_regex, words

SENIORITY_LEVELS = ("intern", "entry", "mid", "senior", "lead")

TITLE_WORDS: dict[str, tuple[str, ...]] = {
    "intern": (
        r"intern",
        r"interns",
        r"internship",
        r"co-?op",
        r"working student",
        r"werkstudent",
        r"stagiaire",
    ),
    "lead": (
        r"staff",
        r"principal",
        r"lead",
        r"leader",
        r"manager",
        r"mgr",
        r"director",
        r"head",
        r"vp",
        r"svp",
        r"evp",
        r"vice president",
        r"chief",
        r"cto",
        r"distinguished",
        r"[le](?:[6-9]|10)",
    ),
    "senior": (r"senior", r"sr\.?", r"snr", r"iii", r"iv", r"[le]5", r"level (?:3|iii|iv)"),
    "mid": (r"ii", r"mid", r"mid-level", r"mid level", r"intermediate", r"[le]4", r"level (?:2|ii)"),
    "entry": (
        r"junior",
        r"jr\.?",
        r"associate",
        r"graduate",
        r"grad",
        r"new grad",
        r"new graduate",
        r"entry",
        r"entry-level",
        r"early[- ]career",
        r"university",
        r"campus",
        r"i",
        r"[le]3",
        r"level (?:1|i)",
        r"apprentice",
        r"trainee",
        r"postdoc",
        r"postdoctoral",
        r"post-doctoral",
        r"residency",
        r"resident",
    ),
}
TITLE_PATTERNS: dict[str, str] = {
    level: rust_regex("(?i)" + words(p) + r"(?:\b|$)") for level, p in TITLE_WORDS.items()
}

# Read on the lowercased in-scope text, hence no (?i).
TEXT_INTERN = rust_regex(
    words(
        (
            r"(?:this|the|our|paid|summer|fall|spring|winter|\d{1,2}-week|\d{1,2}-month|research) internship",
            r"internship (?:program|programme|position|opportunity|role|term|overview|description|details|period|project)",
            r"co-?op (?:term|student|students|position|program|placement)",
            r"interns (?:will|at|on|work|own|get)",
        )
    )
    + r"\b"
)
TEXT_ENTRY = rust_regex(
    words(
        (
            r"new grads?",
            r"new graduates?",
            r"recent grads?",
            r"recent graduates?",
            r"recent (?:phd|ms|bs|college|university) graduates?",
            r"university graduates?",
            r"college graduates?",
            r"graduating (?:in|between|by)",
            r"out of college",
            r"entry[- ]level",
            r"early[- ]career",
            r"no (?:prior |previous |professional |industry |work |relevant |ml |machine learning |technical )*"
            r"experience (?:is )?(?:required|needed|necessary)",
            r"graduate (?:program|programme|scheme)",
        )
    )
    + r"\b"
)

_NUMBER = r"(?:\d{1,2}|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|twenty)"
# One statement of years: an optional qualifier, a number or range, "years", and optionally the
# words up to "experience". Written as one concatenation so "year"/"yr" is a required literal
# (Rust's regex then searches for it first).
YEARS_PATTERN = rust_regex(
    r"(?:\b(?:at least|minimum(?: of)?|min\.?|more than|over|a minimum of|less than|fewer than|under|up to)\s+)?"
    rf"\b{_NUMBER}\s*(?:\+|plus\b)?\s*(?:(?:-|\u2013|to|or)\s*(?:{_NUMBER}|more)\b\s*\+?\s*)?"
    r"(?:years?|yrs?)\b(?:'?[^.;\n<>0-9]{0,60}?\bexp)?"
)
# A plain "2 years" counts only with a qualifier, a "+", a range or the word experience after it
# (so "founded 20 years ago" never does).
_ASKED = rust_regex(
    r"\+|plus|-|\u2013|\bto\b|\bor\b|at least|minimum|min\.?|more than|over|less than|fewer than|under|up to|exp$"
)
_WORD_NUMBERS = {
    "one": "1",
    "two": "2",
    "three": "3",
    "four": "4",
    "five": "5",
    "six": "6",
    "seven": "7",
    "eight": "8",
    "nine": "9",
    "ten": "10",
    "eleven": "11",
    "twelve": "12",
    "fifteen": "15",
    "twenty": "20",
}
_UPPER_BOUND_ONLY = r"^(?:less than|fewer than|under|up to)\b"


def years_asked(text: pl.Expr) -> pl.Expr:
    """The largest lower bound of the years-of-experience statements in lowercased `text` (null: none)."""
    statement = pl.element()
    first_number = (
        statement.str.replace_many(list(_WORD_NUMBERS), list(_WORD_NUMBERS.values()))
        .str.extract(r"(\d{1,2})", 1)
        .cast(pl.Int32)
    )
    lower_bound = (
        pl.when(~statement.str.contains(_ASKED))
        .then(pl.lit(None, pl.Int32))
        .when(statement.str.contains(_UPPER_BOUND_ONLY))
        .then(pl.lit(0, pl.Int32))
        .otherwise(first_number)
    )
    return text.str.extract_all(YEARS_PATTERN).list.eval(lower_bound).list.max()


# Both text cues in one scan: the first cue found decides. The scan runs only on texts that contain
# one of these literals (a cheap prefilter; the cue phrases themselves start with common words).
TEXT_CUES = rust_regex(f"(?P<intern>{TEXT_INTERN})|(?P<entry>{TEXT_ENTRY})")
TEXT_CUE_GATE = rust_regex(
    r"intern|co-?op|grad|entry|career|college|experience (?:is )?(?:required|needed|necessary)"
)


def text_cues(in_scope: pl.Expr) -> pl.Expr:
    """Struct (intern, entry): the first internship or entry-level cue in lowercased in-scope text."""
    return pl.when(in_scope.str.contains(TEXT_CUE_GATE)).then(in_scope).str.extract_groups(TEXT_CUES)


def title_level(title: pl.Expr) -> pl.Expr:
    """The level the title names (intern, lead, senior, mid, entry, checked in that order), or null."""
    expr = pl.when(title.str.contains(TITLE_PATTERNS["intern"])).then(pl.lit("intern"))
    for level in ("lead", "senior", "mid", "entry"):
        expr = expr.when(title.str.contains(TITLE_PATTERNS[level])).then(pl.lit(level))
    return expr


def seniority_expr(level_in_title: pl.Expr, years: pl.Expr, cues: pl.Expr) -> pl.Expr:
    """intern|entry|mid|senior|lead: the title's level (`title_level`), else the text cues
    (`text_cues`), else the years asked (`years_asked`). The inputs are computed columns so each
    scan runs once, and the text scans need to run only where the title names no level."""
    from_text = (
        pl.when(cues.struct.field("intern").is_not_null())
        .then(pl.lit("intern"))
        .when(cues.struct.field("entry").is_not_null())
        .then(pl.lit("entry"))
        .when(years >= 5)
        .then(pl.lit("senior"))
        .when(years >= 2)
        .then(pl.lit("mid"))
        .when(years >= 0)
        .then(pl.lit("entry"))
        .otherwise(pl.lit("mid"))
    )
    return pl.coalesce(level_in_title, from_text)
