"""Salary and remote status stated in the posting text, for postings whose structured fields lack them.

Structured values from the source always win; the text only fills nulls. Salary is read from the
first currency-marked amount or range in the text ("$185,000 - $225,000", "$150K-$180K",
"£28k - £32k", "€65.000 - €80.000 per year", "$45-$55/hr", "USD 120,000", "90,000-110,000 EUR").
The interval comes from the words after it (hour/day/week/month/year); without one, amounts of
10,000 or more are yearly and amounts from 7 to 500 hourly; anything else (quotas like "$1.2M
ARR", revenue like "£2bn") is not a salary.
"""

from __future__ import annotations

import polars as pl

from transforms.rewrite import rust_regex

# Patterns run on lowercased text (transforms.scope.lowered). The symbol-led and code-led forms
# are separate patterns: mixing multi-byte symbols with word-bounded codes in one alternation costs
# Rust's regex its literal prefilter (a 50x slowdown measured).
_AMOUNT = r"[0-9]{1,3}(?:[,.][0-9]{3})+|[0-9]+(?:\.[0-9]+)?"
_RANGE_TO = r"(?:-|\u2013|\u2014|to|and)"
_INTERVAL = (
    r"(?:/|per|an?|each)?\s*(?P<interval>hour|hr|h\b|year|yr|annum|month|mo\b|week|wk|day)"
    r"|(?P<adverb>hourly|annually|yearly|monthly|weekly|daily|p\.a\.)"
)
_SYMBOL = r"(?:us|ca|c|a|au)?\$|€|£|₹"
_CODE = r"usd|eur|gbp|cad|aud|chf|sek|nok|dkk|inr"
SALARY_PATTERNS = (
    # "$120,000 - $150,000 per year", "€65.000 - €80.000", "$45/hr", "£28k-£32k"
    rf"(?P<cur>{_SYMBOL})\s?(?P<lo>{_AMOUNT})\s*(?P<lok>k)?\b"
    rf"(?:\s*{_RANGE_TO}\s*(?:{_SYMBOL})?\s?(?P<hi>{_AMOUNT})\s*(?P<hik>k)?\b)?(?:\s*(?:{_INTERVAL}))?",
    # "USD 120,000 - 150,000"
    rf"\b(?P<cur>{_CODE})\s?(?P<lo>{_AMOUNT})\s*(?P<lok>k)?\b"
    rf"(?:\s*{_RANGE_TO}\s*(?:{_CODE})?\s?(?P<hi>{_AMOUNT})\s*(?P<hik>k)?\b)?(?:\s*(?:{_INTERVAL}))?",
    # "90,000-110,000 EUR"
    rf"\b(?P<lo>{_AMOUNT})\s*(?P<lok>k)?\s*{_RANGE_TO}\s*(?P<hi>{_AMOUNT})\s*(?P<hik>k)?"
    rf"\s*(?P<cur>{_CODE})\b(?:\s*(?:{_INTERVAL}))?",
)
_CURRENCY_CODES = {
    "$": "USD",
    "us$": "USD",
    "ca$": "CAD",
    "c$": "CAD",
    "a$": "AUD",
    "au$": "AUD",
    "€": "EUR",
    "£": "GBP",
    "₹": "INR",
}
_INTERVALS = {
    "hour": "hour",
    "hr": "hour",
    "h": "hour",
    "hourly": "hour",
    "year": "year",
    "yr": "year",
    "annum": "year",
    "annually": "year",
    "yearly": "year",
    "p.a.": "year",
    "month": "month",
    "mo": "month",
    "monthly": "month",
    "week": "week",
    "wk": "week",
    "weekly": "week",
    "day": "day",
    "daily": "day",
}

REMOTE_LOCATION = r"(?i)\bremote\b|\banywhere\b|\bwork from home\b|\bdistributed\b"
ONSITE_LOCATION = r"(?i)\bhybrid\b|\bon-?site\b|\bin[- ]office\b|\bin[- ]person\b"
ONSITE_TEXT = (
    r"\bhybrid\b|\bon-?site (?:role|position|job|in|at|only|[0-9])|\bthis is an? on-?site\b|\bis on-?site\b"
    r"|\boffice-based\b|\bbased in (?:our|the) (?:[\w'-]+ ){0,3}office|\bin[- ]office\b|\bin the office\b"
    r"|\bin[- ]person\b|\bdays? (?:a|per|each) week in\b|\bdays?/week in\b|\brelocat(?:e|ion)\b"
)
REMOTE_TEXT = (
    r"\bfully remote\b|\b100% remote\b|\bremote[- ]first\b|\bwork from anywhere\b|\bremote (?:position|role|job|"
    r"opportunity|within|in the|from)\b|\b(?:role|position|job) is (?:fully )?remote\b|\bremote-friendly\b"
    r"|\bwork(?:ing)? remotely\b|\bremote \((?:us|usa|uk|eu|europe|canada|emea|americas|global|worldwide)"
)


_REMOTE_LOCATION = rust_regex(REMOTE_LOCATION)
_ONSITE_LOCATION = rust_regex(ONSITE_LOCATION)
_ONSITE = rust_regex(ONSITE_TEXT)
# Text arrives lowercased (transforms.scope.lowered), so these run case-sensitively.
_WORK_MODE = rust_regex(ONSITE_TEXT + "|" + REMOTE_TEXT)


def _amount(digits: pl.Expr, suffix: pl.Expr) -> pl.Expr:
    """A matched amount as a number: thousands separators removed, a k suffix applied."""
    # "65.000" and "65,000" are thousands; "45.50" keeps its decimals.
    thousands = digits.str.contains(r"^\d{1,3}(?:[,.]\d{3})+$")
    value = (
        pl.when(thousands)
        .then(digits.str.replace_all(r"[,.]", ""))
        .otherwise(digits)
        .cast(pl.Float64, strict=False)
    )
    return pl.when(suffix.str.to_lowercase() == "k").then(value * 1_000.0).otherwise(value)


def _parsed(match: pl.Expr, pattern: str) -> pl.Expr:
    """One matched salary statement as a struct of its four fields, or null when implausible."""
    groups = match.str.extract_groups(pattern)
    low = _amount(groups.struct.field("lo"), groups.struct.field("lok").fill_null(""))
    hik = groups.struct.field("hik")
    high = pl.coalesce(_amount(groups.struct.field("hi"), pl.coalesce(hik, groups.struct.field("lok")).fill_null("")), low)
    # "$150-180K": the k written once applies to both ends.
    low = pl.when(groups.struct.field("lok").is_null() & hik.is_not_null() & (low < 1_000)).then(low * 1_000).otherwise(low)
    stated = (
        pl.coalesce(groups.struct.field("interval"), groups.struct.field("adverb"))
        .replace_strict(_INTERVALS, default=None, return_dtype=pl.String)
    )
    interval = (
        pl.when(stated.is_not_null())
        .then(stated)
        .when(low >= 10_000)
        .then(pl.lit("year"))
        .when((low >= 7) & (low <= 500))
        .then(pl.lit("hour"))
    )
    plausible = (
        interval.is_not_null()
        & (low <= high)
        & pl.when(interval == "year").then((low >= 5_000) & (high <= 5_000_000)).otherwise(high <= 100_000)
    )
    currency = groups.struct.field("cur")
    code = currency.replace_strict(_CURRENCY_CODES, default=currency.str.to_uppercase(), return_dtype=pl.String)
    return pl.when(plausible).then(
        pl.struct(
            low.alias("salary_min"),
            high.alias("salary_max"),
            code.alias("salary_currency"),
            interval.alias("salary_interval"),
        )
    )


SALARY_FIELDS = ("salary_min", "salary_max", "salary_currency", "salary_interval")


def salary_table(texts: pl.LazyFrame, row: str, text: str) -> pl.LazyFrame:
    """(row, salary_min, salary_max, salary_currency, salary_interval) for every row of `texts`
    whose lowercased `text` states a plausible salary: the first such statement, symbol-led forms
    ("$120k") preferred over currency codes ("USD 120,000", "120,000 EUR").

    Statements are exploded to one row each so the parsing runs as flat column kernels.
    """
    found = []
    for priority, pattern in enumerate(SALARY_PATTERNS):
        regex = rust_regex(pattern)
        found.append(
            texts.select(row, pl.col(text).str.extract_all(regex).alias("statement"))
            .explode("statement")
            .drop_nulls("statement")
            .with_columns(pl.lit(priority).alias("priority"), pl.int_range(pl.len()).alias("order"))
            .select(row, "priority", "order", _parsed(pl.col("statement"), regex).alias("salary"))
            .drop_nulls("salary")
        )
    return (
        pl.concat(found)
        .sort("priority", "order")
        .group_by(row, maintain_order=True)
        .first()
        .select(row, *[pl.col("salary").struct.field(f).alias(f) for f in SALARY_FIELDS])
    )


def remote_from_posting(location: pl.Expr, text: pl.Expr) -> pl.Expr:
    """True (remote), False (hybrid or on-site) or null (not stated): location first, then text.

    The text is scanned once for both kinds of statement; an on-site or hybrid statement wins over
    a remote one ("remote-first company; this role is hybrid").
    """
    statements = text.str.extract_all(_WORK_MODE)
    onsite = statements.list.eval(pl.element().str.contains(_ONSITE)).list.any()
    remote = statements.list.len() > 0
    return (
        pl.when(location.str.contains(_ONSITE_LOCATION))
        .then(pl.lit(False))
        .when(location.str.contains(_REMOTE_LOCATION))
        .then(pl.lit(True))
        .when(onsite)
        .then(pl.lit(False))
        .when(remote)
        .then(pl.lit(True))
        .otherwise(pl.lit(None, dtype=pl.Boolean))
    )
