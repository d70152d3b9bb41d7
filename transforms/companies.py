"""One employer identity per company, whatever the source calls it.

Employer counts and concentration are watch signals (DESIGN §1, trigger 3), so "OpenAI", "OpenAI,
Inc." and the board token "openai" must be one employer. `company_key` folds case, accents,
punctuation, "&"/"and", a leading "The" and trailing legal-form words (Inc, LLC, Ltd, GmbH, …), and
drops the spaces (ATS board tokens are the name run together: "scaleai" = "Scale AI"). An alias
table (data, not code: columns `alias`, `company`) then maps other names of the same employer —
former names, brands, subsidiaries counted as the parent — to one key.
"""

from __future__ import annotations

import polars as pl

LEGAL_FORMS = (
    "and co",
    "inc",
    "incorporated",
    "llc",
    "l l c",
    "ltd",
    "limited",
    "gmbh",
    "mbh",
    "kg",
    "ag",
    "co",
    "company",
    "corp",
    "corporation",
    "plc",
    "sa",
    "s a",
    "sas",
    "sarl",
    "srl",
    "spa",
    "s p a",
    "bv",
    "b v",
    "nv",
    "n v",
    "oy",
    "oyj",
    "ab",
    "aps",
    "kk",
    "pty",
    "pvt",
    "private",
    "lp",
    "llp",
    "l p",
    "se",
    "pbc",
    "ulc",
)
_LEGAL_TAIL = r"(?:\s+(?:" + "|".join(f.replace(" ", r"\s") for f in LEGAL_FORMS) + r"))+$"


def company_key_expr(name: pl.Expr) -> pl.Expr:
    """The normalized identity of a company name (null stays null)."""
    words = (
        name.str.normalize("NFKD")
        .str.replace_all(r"\p{M}", "")
        .str.to_lowercase()
        .str.replace_all("&", " and ")
        .str.replace_all(r"[^\p{L}\p{N}]+", " ")
        .str.strip_chars()
        .str.replace(r"^the\s+", "")
    )
    bare = words.str.replace(_LEGAL_TAIL, "")
    key = pl.when(bare.str.len_chars() > 0).then(bare).otherwise(words).str.replace_all(" ", "")
    return pl.when(key.str.len_chars() > 0).then(key).otherwise(None)


def alias_keys(aliases: pl.DataFrame) -> pl.DataFrame:
    """The alias table (alias, company) as normalized (alias_key -> company_key) pairs."""
    return (
        aliases.select(
            company_key_expr(pl.col("alias")).alias("_alias_key"),
            company_key_expr(pl.col("company")).alias("_canonical_key"),
        )
        .drop_nulls()
        .unique("_alias_key", keep="first", maintain_order=True)
    )


def add_company_key(
    df: pl.DataFrame, aliases: pl.DataFrame | None = None, column: str = "company"
) -> pl.DataFrame:
    """`df` with `company_key`: the normalized name, then mapped through the alias table."""
    out = df.with_columns(company_key_expr(pl.col(column)).alias("company_key"))
    if aliases is None or aliases.is_empty():
        return out
    return (
        out.join(alias_keys(aliases), left_on="company_key", right_on="_alias_key", how="left")
        .with_columns(pl.coalesce("_canonical_key", "company_key").alias("company_key"))
        .drop("_canonical_key")
    )
