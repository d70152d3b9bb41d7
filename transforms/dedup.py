"""Which posting a source record is: the same one again, the same job from another source, or new.

Two steps, as Lightcast does it:
1. Within a source, by the source's own id. A (source, source_id) seen before keeps the posting it
   was given the first time, for ever, so keys are stable across runs and re-runs.
2. Across sources, by normalized company + title + location within a time window, checked by a
   description fingerprint (Jaccard overlap of 3-word shingles). The fingerprint does two jobs: it
   keeps apart two real openings that share a title and city (different teams, different text), and
   it lets through the same text under a differently worded location ("Remote - US" vs "Remote").

A record matched across sources becomes an alias of the existing posting (no second posting row).
Pure Polars: the caller supplies the known ids and the candidate postings as frames.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import polars as pl

DEFAULT_WINDOW_DAYS = 60
SIMILAR = 0.5  # same company, title and location: descriptions at least this alike are one job
NEAR_IDENTICAL = 0.85  # same company and title: this alike is one job even if locations are worded apart
MIN_SHINGLES = 8  # texts shorter than this cannot vouch either way
IDENTITY = ["source", "board", "source_id"]
CANDIDATE_COLUMNS = (
    "posting_key",
    "source",
    "company_key",
    "title",
    "location",
    "description_text",
    "posted_at",
    "closed_at",
)


def title_key_expr(title: pl.Expr) -> pl.Expr:
    """Title for matching: case, punctuation, bracketed asides and Sr./Jr. spellings folded."""
    return (
        title.str.to_lowercase()
        .str.replace_all(r"\([^)]*\)|\[[^\]]*\]", " ")
        .str.replace_all(r"\bsr\b\.?", "senior")
        .str.replace_all(r"\bjr\b\.?", "junior")
        .str.replace_all("&", " and ")
        .str.replace_all(r"[^\p{L}\p{N}+#]+", " ")
        .str.strip_chars()
    )


def location_key_expr(location: pl.Expr) -> pl.Expr:
    """The first place named ("San Francisco, CA, US" -> "san francisco"; "Remote - US" -> "remote")."""
    first = location.str.to_lowercase().str.split(",").list.first()
    return (
        first.str.replace(r"\s+-\s+.*$|\s*[;/|(].*$", "")
        .str.replace_all(r"[^\p{L}\p{N}]+", " ")
        .str.strip_chars()
    )


def shingles(df: pl.DataFrame, text: str, row: str) -> pl.DataFrame:
    """(row, _shingles): hashed 3-word shingles of `text` per row, for texts long enough to judge."""
    words = (
        df.select(
            pl.col(row), pl.col(text).fill_null("").str.to_lowercase().str.extract_all(r"[\p{L}\p{N}]+")
        )
        .explode(text)
        .drop_nulls(text)
    )
    following = [pl.col(text).shift(-i).over(row) for i in (1, 2)]
    return (
        words.with_columns(pl.concat_str([pl.col(text), *following], separator=" ").alias("_shingle"))
        .drop_nulls("_shingle")
        .group_by(row)
        .agg(pl.col("_shingle").hash(seed=0).unique().alias("_shingles"))
        .filter(pl.col("_shingles").list.len() >= MIN_SHINGLES)
    )


def dedup_within_source(batch: pl.DataFrame) -> pl.DataFrame:
    """One record per (source, board, source_id): paging can list a job twice (The Muse shifts)."""
    return batch.unique(subset=IDENTITY, keep="first", maintain_order=True)


def _pairs(
    records: pl.DataFrame, candidates: pl.DataFrame, *, as_of: datetime, window_days: int
) -> pl.DataFrame:
    """(_rid, _cid, …): every record and candidate of another source with the same employer and
    title inside the window; descriptions are not read, so the caller can fetch only the candidates
    that pair with something."""
    window = timedelta(days=window_days)
    left = records.select(
        "_rid",
        "source",
        "company_key",
        title_key_expr(pl.col("title")).alias("title_key"),
        location_key_expr(pl.col("location")).alias("location_key"),
        pl.coalesce(pl.col("posted_at"), pl.lit(as_of)).alias("_when"),
    )
    right = candidates.select(
        "_cid",
        pl.col("posting_key").alias("_match_key"),
        pl.col("source").alias("_match_source"),
        "company_key",
        title_key_expr(pl.col("title")).alias("title_key"),
        location_key_expr(pl.col("location")).alias("_match_location"),
        pl.col("posted_at").alias("_match_posted"),
        pl.col("closed_at").alias("_match_closed"),
    )
    return left.join(right, on=["company_key", "title_key"], how="inner").filter(
        (pl.col("_match_source") != pl.col("source"))
        & (pl.col("_match_closed").is_null() | (pl.col("_match_closed") >= pl.lit(as_of - window)))
        & (pl.col("_match_posted").is_null() | ((pl.col("_when") - pl.col("_match_posted")).abs() <= window))
    )


def matchable(
    records: pl.DataFrame,
    candidates: pl.DataFrame,
    *,
    as_of: datetime,
    window_days: int = DEFAULT_WINDOW_DAYS,
) -> pl.Series:
    """posting_key of the candidates (no description needed) that some record could duplicate:
    only their descriptions are worth reading from the warehouse."""
    pairs = _pairs(
        records.with_row_index("_rid"),
        candidates.with_row_index("_cid"),
        as_of=as_of,
        window_days=window_days,
    )
    return pairs["_match_key"].unique(maintain_order=True)


def cross_source_matches(
    records: pl.DataFrame, candidates: pl.DataFrame, *, as_of: datetime, window_days: int
) -> pl.DataFrame:
    """(_rid, _match_key, _similarity): the best existing posting from another source per record.

    Shingles are computed only for the records and candidates that pair up by employer and title.
    """
    candidates = candidates.with_row_index("_cid")
    pairs = _pairs(records, candidates, as_of=as_of, window_days=window_days)
    left = shingles(records.join(pairs.select("_rid").unique(), on="_rid"), "description_text", "_rid")
    right = shingles(candidates.join(pairs.select("_cid").unique(), on="_cid"), "description_text", "_cid")
    scored = pairs.join(left, on="_rid", how="left").join(
        right.rename({"_shingles": "_match_shingles"}), on="_cid", how="left"
    )
    overlap = pl.col("_shingles").list.set_intersection("_match_shingles").list.len()
    union = pl.col("_shingles").list.set_union("_match_shingles").list.len()
    same_place = pl.col("location_key").eq_missing(pl.col("_match_location"))
    scored = scored.with_columns((overlap / union).alias("_similarity"), same_place.alias("_same_place"))
    similarity = pl.col("_similarity")
    accepted = (pl.col("_same_place") & (similarity.is_null() | (similarity >= SIMILAR))) | (
        similarity >= NEAR_IDENTICAL
    )
    return (
        scored.filter(accepted.fill_null(False))
        .sort(["_rid", "_similarity", "_same_place"], descending=[False, True, True], nulls_last=True)
        .unique("_rid", keep="first", maintain_order=True)
        .select("_rid", "_match_key", "_similarity")
    )


def assign_postings(
    batch: pl.DataFrame,
    known: pl.DataFrame,
    candidates: pl.DataFrame,
    *,
    as_of: datetime,
    window_days: int = DEFAULT_WINDOW_DAYS,
) -> pl.DataFrame:
    """`batch` (one record per identity) with `posting_key`, `is_alias` and `matched_by`.

    known: (source, source_id, posting_key, canonical_board) for ids seen before; canonical_board is
    the board of the posting row when this id is that row's own, else null. candidates: existing
    postings (posting_key, source, company_key, title, location, description_text, posted_at,
    closed_at) that a new record might duplicate. A new id listed by several boards of the batch
    is one posting: the first record in batch order decides it, the others are its aliases (as if
    the boards had loaded one after the other).
    """
    records = dedup_within_source(batch).with_row_index("_rid")
    known = known.select("source", "source_id", "posting_key", "canonical_board").unique(
        ["source", "source_id"], keep="first"
    )
    records = records.join(known, on=["source", "source_id"], how="left", maintain_order="left")
    repeated = pl.col("_rid") != pl.col("_rid").min().over("source", "source_id")
    fresh = records.filter(pl.col("posting_key").is_null() & ~repeated)
    matches = (
        cross_source_matches(fresh, candidates, as_of=as_of, window_days=window_days)
        if not fresh.is_empty() and not candidates.is_empty()
        else pl.DataFrame(schema={"_rid": pl.UInt32, "_match_key": pl.String, "_similarity": pl.Float64})
    )
    records = records.join(matches, on="_rid", how="left", maintain_order="left").with_columns(
        pl.col("posting_key").is_not_null().alias("_by_id"), repeated.alias("_repeated")
    )
    by_id, by_match = pl.col("_by_id"), pl.col("_match_key").is_not_null()
    later_copy = ~by_id & pl.col("_repeated")  # a new id again, on a later board: the first one's alias
    assigned = records.with_columns(
        pl.when(by_id)
        .then(pl.col("posting_key"))
        .when(by_match)
        .then(pl.col("_match_key"))
        .otherwise(pl.concat_str([pl.col("source"), pl.col("source_id")], separator=":"))
        .alias("posting_key"),
        pl.when(by_id)
        .then(pl.col("canonical_board").is_null() | (pl.col("canonical_board") != pl.col("board")))
        .otherwise(by_match | later_copy)
        .alias("is_alias"),
        pl.when(by_id | later_copy)
        .then(pl.lit("id"))
        .when(by_match)
        .then(pl.lit("cross_source"))
        .otherwise(pl.lit("new"))
        .alias("matched_by"),
    )
    first = pl.col("posting_key").first().over("source", "source_id", order_by="_rid")
    return assigned.with_columns(
        pl.when(later_copy).then(first).otherwise(pl.col("posting_key")).alias("posting_key")
    ).drop("_rid", "canonical_board", "_match_key", "_similarity", "_by_id", "_repeated")


def assign_run(
    batch: pl.DataFrame,
    known: pl.DataFrame,
    candidates: pl.DataFrame,
    *,
    as_of: datetime,
    window_days: int = DEFAULT_WINDOW_DAYS,
) -> pl.DataFrame:
    """assign_postings for every board of a run at once, `batch` in load (source priority) order.

    Source by source, so that a record can be another source's copy of a posting an earlier source
    created or changed in this same run: each source's new and updated postings join the candidates
    of the sources after it — what loading the boards one after the other would give.
    """
    columns = list(CANDIDATE_COLUMNS)
    pool = candidates.select(columns)
    out = []
    for part in batch.partition_by("source", maintain_order=True):
        assigned = assign_postings(part, known, pool, as_of=as_of, window_days=window_days)
        out.append(assigned)
        own = (
            assigned.filter(~pl.col("is_alias"))
            .unique("posting_key", keep="first", maintain_order=True)
            .with_columns(pl.lit(None, dtype=pl.Datetime("us")).alias("closed_at"))
            .select([pl.col(c).cast(pool.schema[c]) for c in columns])
        )
        pool = pl.concat([pool.join(own.select("posting_key"), on="posting_key", how="anti"), own])
    return (
        pl.concat(out) if out else assign_postings(batch, known, pool, as_of=as_of, window_days=window_days)
    )
