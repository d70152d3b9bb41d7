"""Classify postings (DESIGN §3.2): role/SOC, seniority, responsibility tags, salary and remote.

The pipeline, all whole-column Polars expressions over the raw description (HTML or plain text,
no conversion: structure is read from the tags themselves):

    description_html | description_text
      -> in_scope_text     (transforms.scope: company/optional sections, negation, optional and
                            company-voice sentences removed, in two regex passes)
      -> tags              (transforms.tags: one early-exit `contains` per tag, plus the title)
    title -> role_id, soc_code (transforms.role_match, the role cards)
    title + in-scope text -> seniority (transforms.seniority)
    location + raw text -> remote; raw text -> salary_* (transforms.salary), only filling nulls

`CLASSIFIER_VERSION` is a short semver plus a hash of every rule table, so any rule change gives a
new version and stored postings can be re-classified and compared
(laborwatch.classify_cmd.reclassify_report).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence

import polars as pl

from transforms import role_match, salary, scope, seniority, tags
from transforms.role_card import RoleCard, RoleCardError
from transforms.role_match import role_exprs
from transforms.salary import SALARY_FIELDS, remote_from_posting, salary_table, work_mode_statements
from transforms.scope import in_scope_text, lowered
from transforms.seniority import seniority_expr, text_cues, title_level, years_asked
from transforms.tags import PRODUCTION_TAGS, tags_expr

RULES_SEMVER = "1.0.0"
# Greenhouse serves its `content` HTML-escaped; such rows are unescaped before the rules run.
_ESCAPED_HTML = r"&lt;/?[a-zA-Z]"
_UNESCAPE = {"&lt;": "<", "&gt;": ">", "&quot;": '"', "&#39;": "'", "&amp;": "&"}


def _rules_fingerprint() -> str:
    tables = {
        "raw": [_ESCAPED_HTML, list(_UNESCAPE)],
        "scope": [repr(op) for op in scope.SCOPE_OPS],
        "tags": [tags.TAG_PATTERNS, tags.TITLE_PATTERNS],
        "seniority": [
            seniority.TITLE_PATTERNS,
            seniority.TEXT_INTERN,
            seniority.TEXT_ENTRY,
            seniority.YEARS_PATTERN,
        ],
        "roles": [role_match.NON_ENGINEERING_PATTERN, role_match.FALLBACK_PATTERNS],
        "salary": [salary.SALARY_PATTERNS, salary.ONSITE_TEXT, salary.REMOTE_TEXT],
    }
    blob = json.dumps(tables, sort_keys=True, ensure_ascii=True)
    return hashlib.sha256(blob.encode()).hexdigest()[:8]


CLASSIFIER_VERSION = f"{RULES_SEMVER}+{_rules_fingerprint()}"

LABEL_COLUMNS = (
    "role_id",
    "soc_code",
    "seniority",
    "tags",
    "production_ownership",
    "routine_only",
    "classifier_version",
)
_OPTIONAL_INPUTS: dict[str, pl.DataType] = {
    "description_html": pl.String(),
    "description_text": pl.String(),
    "company": pl.String(),
    "location": pl.String(),
    "remote": pl.Boolean(),
    "salary_min": pl.Float64(),
    "salary_max": pl.Float64(),
    "salary_currency": pl.String(),
    "salary_interval": pl.String(),
}
# Working columns, dropped before returning.
_ROW, _TEXT, _SCOPED, _SALARY = "__row", "__text", "__scoped", "__salary_"
_LEVEL, _YEARS, _CUES, _MODES = "__title_level", "__years", "__cues", "__modes"


def raw_description(description_html: pl.Expr, description_text: pl.Expr) -> pl.Expr:
    """The description the rules read: the HTML when present (it carries the structure), else the text."""
    html = pl.when(description_html.str.len_bytes() > 0).then(description_html)
    escaped = pl.when(html.str.contains(_ESCAPED_HTML) & ~html.str.contains("<", literal=True)).then(html)
    unescaped = escaped.str.replace_many(list(_UNESCAPE), list(_UNESCAPE.values()))
    return pl.coalesce(unescaped, html, description_text, pl.lit(""))


def _check_card_patterns(cards: Sequence[RoleCard]) -> None:
    """Card patterns are validated with Python `re`; Polars runs them with Rust regex, so check here."""
    for card in cards:
        for pattern in card.title_patterns + card.exclude_patterns:
            try:
                pl.select(pl.lit("x").str.contains(role_match.any_pattern([pattern])))
            except pl.exceptions.ComputeError as exc:
                raise RoleCardError(
                    f"{card.origin}: pattern {pattern!r} is not supported by the classifier's regex engine: {exc}"
                ) from exc


def classify_lazy(df: pl.DataFrame | pl.LazyFrame, cards: Sequence[RoleCard]) -> pl.LazyFrame:
    """The classification as a LazyFrame (for callers that stream or add more work before collecting)."""
    _check_card_patterns(cards)
    lf = df.lazy()
    names = lf.collect_schema().names()
    if "title" not in names:
        raise ValueError("classify_postings needs a 'title' column")
    missing = [
        pl.lit(None, dtype=dtype).alias(col) for col, dtype in _OPTIONAL_INPUTS.items() if col not in names
    ]
    lf = lf.with_columns(missing).with_row_index(_ROW)
    title = pl.col("title").fill_null("")
    has_salary = pl.col("salary_min").is_not_null() | pl.col("salary_max").is_not_null()
    lf = lf.with_columns(
        lowered(raw_description(pl.col("description_html"), pl.col("description_text"))).alias(_TEXT)
    )
    lf = lf.with_columns(in_scope_text(pl.col(_TEXT), lowercased=True).alias(_SCOPED))
    # salary is read only where the source gave none
    salaries = salary_table(lf.filter(~has_salary).select(_ROW, _TEXT), _ROW, _TEXT)
    lf = lf.join(
        salaries.rename({f: f"{_SALARY}{f}" for f in SALARY_FIELDS}),
        on=_ROW,
        how="left",
        maintain_order="left",
    )
    role, soc = role_exprs(title, cards)
    lf = lf.with_columns(title_level(title).alias(_LEVEL))
    # the title outranks the text for seniority, so the text is scanned only where it names no level
    untitled = pl.when(pl.col(_LEVEL).is_null()).then(pl.col(_SCOPED))
    lf = lf.with_columns(
        years_asked(untitled).alias(_YEARS),
        text_cues(untitled).alias(_CUES),
        work_mode_statements(pl.when(pl.col("remote").is_null()).then(pl.col(_TEXT))).alias(_MODES),
    )
    lf = lf.with_columns(
        role.alias("role_id"),
        soc.alias("soc_code"),
        seniority_expr(pl.col(_LEVEL), pl.col(_YEARS), pl.col(_CUES)).alias("seniority"),
        tags_expr(pl.col(_SCOPED), title).alias("tags"),
        pl.coalesce(
            pl.col("remote"), remote_from_posting(pl.col("location").fill_null(""), pl.col(_MODES))
        ).alias("remote"),
        *[
            pl.when(has_salary).then(pl.col(f)).otherwise(pl.col(f"{_SALARY}{f}")).alias(f)
            for f in SALARY_FIELDS
        ],
    )
    production = pl.col("tags").list.set_intersection(pl.lit(list(PRODUCTION_TAGS))).list.len() > 0
    lf = lf.with_columns(production_ownership=production).with_columns(
        routine_only=pl.col("tags").list.contains("routine_adaptation")
        & ~pl.col("production_ownership")
        & ~pl.col("tags").list.contains("research"),
        classifier_version=pl.lit(CLASSIFIER_VERSION),
    )
    return lf.drop(
        _ROW, _TEXT, _SCOPED, _LEVEL, _YEARS, _CUES, _MODES, *[f"{_SALARY}{f}" for f in SALARY_FIELDS]
    )


# Rows per slice: slices are classified concurrently (pl.collect_all), one per core, and a slice
# never holds more than this many postings' working text.
SLICE_ROWS = 50_000
# Below this many rows a frame is classified in one piece: slicing costs more than it saves.
PARALLEL_MIN_ROWS = 2_000


def classify_postings(df: pl.DataFrame | pl.LazyFrame, cards: Sequence[RoleCard]) -> pl.DataFrame:
    """All input columns plus role_id, soc_code, seniority, tags, production_ownership, routine_only
    and classifier_version; salary_* and remote filled from the text where the input has nulls.

    Most rules are sequential string rewrites of one column, which Polars runs on one thread per
    column; the frame is therefore cut into slices (one per core, at most SLICE_ROWS each) that
    `pl.collect_all` classifies in parallel: a 10,000-posting incremental batch uses both cores.
    """
    frame = df.collect() if isinstance(df, pl.LazyFrame) else df
    workers = max(pl.thread_pool_size(), 1)
    if frame.height < PARALLEL_MIN_ROWS or (workers == 1 and frame.height <= SLICE_ROWS):
        return classify_lazy(frame, cards).collect()
    rows = max(min(SLICE_ROWS, -(-frame.height // workers)), 1)
    slices = [classify_lazy(frame.slice(start, rows), cards) for start in range(0, frame.height, rows)]
    out: list[pl.DataFrame] = []
    # a few slices at a time, so memory stays bounded for very large inputs
    for start in range(0, len(slices), workers):
        out.extend(pl.collect_all(slices[start : start + workers]))
    return pl.concat(out)
