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
_CODE = r"usd|eur|gbp|cad|aud|chf|sek|nok|dkk|inr"


def _symbol_led(symbol: str) -> str:
    return (
        rf"(?P<cur>{symbol})\s?(?P<lo>{_AMOUNT})\s*(?P<lok>k)?\b"
        rf"(?:\s*{_RANGE_TO}\s*(?:{symbol})?\s?(?P<hi>{_AMOUNT})\s*(?P<hik>k)?\b)?(?:\s*(?:{_INTERVAL}))?"
    )


# (gate, pattern) in order of preference: a pattern runs only on texts its literal gate finds.
# "$120,000 - $150,000 per year", "€65.000 - €80.000", "$45/hr", "£28k-£32k", then
# "USD 120,000 - 150,000" and "90,000-110,000 EUR". Each symbol has a pattern of its own: mixing
# multi-byte symbols in one alternation costs Rust's regex its prefilter (25x slower measured).
SALARY_PATTERNS: tuple[tuple[str, str], ...] = (
    (r"\$", _symbol_led(r"(?:us|ca|c|a|au)?\$")),
    ("€", _symbol_led("€")),
    ("£", _symbol_led("£")),
    ("₹", _symbol_led("₹")),
    (
        rf"\b(?:{_CODE})\b",
        rf"\b(?P<cur>{_CODE})\s?(?P<lo>{_AMOUNT})\s*(?P<lok>k)?\b"
        rf"(?:\s*{_RANGE_TO}\s*(?:{_CODE})?\s?(?P<hi>{_AMOUNT})\s*(?P<hik>k)?\b)?(?:\s*(?:{_INTERVAL}))?",
    ),
    (
        rf"\b(?:{_CODE})\b",
        rf"\b(?P<lo>{_AMOUNT})\s*(?P<lok>k)?\s*{_RANGE_TO}\s*(?P<hi>{_AMOUNT})\s*(?P<hik>k)?"
        rf"\s*(?P<cur>{_CODE})\b(?:\s*(?:{_INTERVAL}))?",
    ),
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
    r"|\boffice-based\b|\bbased (?:in|at|out of|from) (?:our|the) (?:[\w'-]+ ){0,3}office|\bin[- ]office\b|\bin the office\b"
    r"|\bin[- ]person\b|\b(?:[0-9]|one|two|three|four|five) days? (?:a|per|each) week\b|\bdays?/week in\b"
    r"|\brelocat(?:e|ion)\b"
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
    thousands = digits.str.contains(_THOUSANDS)
    value = (
        pl.when(thousands)
        .then(digits.str.replace_all(r"[,.]", ""))
        .otherwise(digits)
        .cast(pl.Float64, strict=False)
    )
    return pl.when(suffix == "k").then(value * 1_000.0).otherwise(value)


_THOUSANDS = rust_regex(r"^\d{1,3}(?:[,.]\d{3})+$")


def _parse(statements: pl.LazyFrame) -> pl.LazyFrame:
    """Salary fields of each statement (columns lo, lok, hi, hik, interval, adverb, cur), or nulls
    when implausible. Works on plain columns so each kernel runs once."""
    low_raw = _amount(pl.col("lo"), pl.col("lok").fill_null(""))
    high_raw = _amount(pl.col("hi"), pl.coalesce("hik", "lok").fill_null(""))
    parsed = statements.with_columns(
        # "$150-180K": the k written once applies to both ends.
        pl.when(pl.col("lok").is_null() & pl.col("hik").is_not_null() & (low_raw < 1_000))
        .then(low_raw * 1_000)
        .otherwise(low_raw)
        .alias("salary_min"),
        high_raw.alias("__high"),
        pl.coalesce("interval", "adverb")
        .replace_strict(_INTERVALS, default=None, return_dtype=pl.String)
        .alias("__stated"),
        pl.col("cur")
        .replace_strict(_CURRENCY_CODES, default=pl.col("cur").str.to_uppercase(), return_dtype=pl.String)
        .alias("salary_currency"),
    ).with_columns(
        pl.coalesce("__high", "salary_min").alias("salary_max"),
        pl.when(pl.col("__stated").is_not_null())
        .then(pl.col("__stated"))
        .when(pl.col("salary_min") >= 10_000)
        .then(pl.lit("year"))
        .when((pl.col("salary_min") >= 7) & (pl.col("salary_min") <= 500))
        .then(pl.lit("hour"))
        .alias("salary_interval"),
    )
    plausible = (
        pl.col("salary_interval").is_not_null()
        & (pl.col("salary_min") <= pl.col("salary_max"))
        & pl.when(pl.col("salary_interval") == "year")
        .then((pl.col("salary_min") >= 5_000) & (pl.col("salary_max") <= 5_000_000))
        .otherwise(pl.col("salary_max") <= 100_000)
    )
    return parsed.filter(plausible)


SALARY_FIELDS = ("salary_min", "salary_max", "salary_currency", "salary_interval")
_GROUPS = ("cur", "lo", "lok", "hi", "hik", "interval", "adverb")


def salary_table(texts: pl.LazyFrame, row: str, text: str) -> pl.LazyFrame:
    """(row, salary_min, salary_max, salary_currency, salary_interval) for every row of `texts`
    whose lowercased `text` states a plausible salary: the first such statement, symbol-led forms
    ("$120k") preferred over currency codes ("USD 120,000", "120,000 EUR").

    Statements are exploded to one row each so the parsing runs as flat column kernels.
    """
    found = []
    for priority, (gate, pattern) in enumerate(SALARY_PATTERNS):
        regex = rust_regex(pattern)
        gated = pl.when(pl.col(text).str.contains(rust_regex(gate))).then(pl.col(text))
        statements = (
            texts.select(row, gated.str.extract_all(regex).alias("statement"))
            .explode("statement")
            .drop_nulls("statement")
            .with_columns(pl.lit(priority).alias("priority"), pl.int_range(pl.len()).alias("order"))
            .with_columns(pl.col("statement").str.extract_groups(regex).alias("groups"))
            .unnest("groups")
        )
        # a pattern without some group (the code-suffix form has no symbol) still yields all columns
        names = statements.collect_schema().names()
        statements = statements.with_columns(
            [pl.lit(None, dtype=pl.String).alias(g) for g in _GROUPS if g not in names]
        )
        found.append(_parse(statements).select(row, "priority", "order", *SALARY_FIELDS))
    return (
        pl.concat(found)
        .sort("priority", "order")
        .group_by(row, maintain_order=True)
        .first()
        .drop("priority", "order")
    )


def work_mode_statements(text: pl.Expr) -> pl.Expr:
    """List of the remote / hybrid / on-site statements in lowercased `text` (one scan for both kinds)."""
    return text.str.extract_all(_WORK_MODE)


def remote_from_posting(location: pl.Expr, statements: pl.Expr) -> pl.Expr:
    """True (remote), False (hybrid or on-site) or null (not stated): location first, then the
    text's statements (`work_mode_statements`); an on-site or hybrid statement wins over a remote
    one ("remote-first company; this role is hybrid").
    """
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
