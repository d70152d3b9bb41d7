"""The description search index: search_postings(term) gives the rows of the plain ILIKE, and stays so
as postings arrive, change and leave."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path

from laborwatch.sql_cmd import run_query
from warehouse.db import Warehouse
from warehouse.search_index import refresh
from warehouse.snapshot import publish_snapshot

START = datetime(2026, 1, 5, 9)
TEXTS = [
    "Experience with Kubernetes and distributed systems.",
    "We run everything on KUBERNETES (EKS), Terraform and Python.",
    "Kubernetes-native tooling; machine learning platform.",
    "Machine-learning engineer: PyTorch, C++ and CUDA.",
    "Señor data scientist, statistics and SQL; no kubernetes",
    "kuberneteses is not a word but contains the term",
    "Deploy models to production with Docker",
    None,
    "100% remote, 401k, on-call rota",
]
TERMS = [
    "kubernetes",
    "Kubernetes",
    "KUBER",
    "netes",
    "machine learning",
    "machine-learning",
    "c++",
    "señor",
    "401k",
    "100%",
    "%",
    "++",
    "ing e",
    "absent",
]


def _insert(wh: Warehouse, key: str, text: str | None, first_seen: datetime) -> None:
    wh.con.execute(
        "INSERT INTO staging.postings (posting_key, source, source_id, board, description_text, role_id, "
        "first_seen, last_seen) VALUES (?, 'hn', ?, 'b', ?, 'r', ?, ?)",
        [key, key, text, first_seen, first_seen],
    )


def _week(day: datetime) -> date:
    return day.date() - timedelta(days=day.weekday())


def _seed(wh: Warehouse) -> None:
    for i, text in enumerate(TEXTS):
        _insert(wh, f"hn:{i}", text, START + timedelta(days=3 * i))


def _same_as_ilike(wh: Warehouse, term: str, since: datetime | None = None) -> set[str]:
    literal = term.replace("'", "''")
    pattern = literal.replace("%", r"\%").replace("_", r"\_")
    where = f" AND first_seen >= TIMESTAMP '{since}'" if since else ""
    plain = {
        r[0]
        for r in wh.con.execute(
            f"SELECT posting_key FROM postings WHERE description_text ILIKE '%{pattern}%' ESCAPE '\\'{where}"
        ).fetchall()
    }
    option = f", since := TIMESTAMP '{since}'" if since else ""
    indexed = [
        r[0]
        for r in wh.con.execute(f"SELECT posting_key FROM search_postings('{literal}'{option})").fetchall()
    ]
    assert len(indexed) == len(set(indexed)), term
    assert set(indexed) == plain, term
    return plain


def test_search_gives_the_rows_of_ilike_for_words_parts_and_other_characters(warehouse: Warehouse) -> None:
    _seed(warehouse)
    refresh(warehouse)
    assert _same_as_ilike(warehouse, "kubernetes") == {"hn:0", "hn:1", "hn:2", "hn:4", "hn:5"}
    assert _same_as_ilike(warehouse, "machine learning") == {"hn:2"}
    for term in TERMS:
        _same_as_ilike(warehouse, term)
        _same_as_ilike(warehouse, term, since=START + timedelta(days=7))


def test_refresh_follows_new_changed_moved_and_removed_postings(warehouse: Warehouse) -> None:
    _seed(warehouse)
    first = refresh(warehouse)
    assert first.postings == len(TEXTS)
    assert refresh(warehouse).postings == 0  # nothing changed: nothing rebuilt

    _insert(warehouse, "hn:new", "Now hiring: Kubernetes operators", START + timedelta(days=60))
    warehouse.con.execute(
        "UPDATE staging.postings SET description_text = 'Docker only' WHERE posting_key = 'hn:1'"
    )
    warehouse.con.execute(
        "UPDATE staging.postings SET first_seen = ? WHERE posting_key = 'hn:0'", [START + timedelta(hours=1)]
    )
    warehouse.con.execute("DELETE FROM staging.postings WHERE posting_key = 'hn:2'")
    second = refresh(warehouse)
    assert second.postings == 3  # hn:new, hn:1 (text) and hn:2 (gone); hn:0 stayed in its week
    for term in TERMS:
        _same_as_ilike(warehouse, term)
    assert _same_as_ilike(warehouse, "kubernetes") == {"hn:0", "hn:4", "hn:5", "hn:new"}

    warehouse.con.execute("UPDATE staging.postings SET first_seen = ? WHERE posting_key = 'hn:new'", [START])
    assert refresh(warehouse).weeks == (_week(START), _week(START + timedelta(days=60)))
    _same_as_ilike(warehouse, "kubernetes", since=START + timedelta(days=1))
    keys = warehouse.con.execute(
        "SELECT count(*), count(DISTINCT posting_key) FROM search.documents"
    ).fetchone()
    assert keys == (len(TEXTS), len(TEXTS))  # 9 seeded - 1 removed + 1 new
    words = warehouse.con.execute("SELECT count(*), count(DISTINCT word) FROM search.words").fetchone()
    assert words[0] == words[1]


def test_the_snapshot_carries_an_index_in_step_with_its_postings(
    warehouse: Warehouse, tmp_path: Path
) -> None:
    _seed(warehouse)
    target = tmp_path / "analyst.duckdb"
    publish_snapshot(warehouse, target)  # no refresh called by hand: publishing does it
    sql = "SELECT posting_key FROM search_postings('kubernetes', since := DATE '2026-01-06') ORDER BY 1"
    assert run_query(target, sql)["posting_key"].to_list() == ["hn:1", "hn:2", "hn:4", "hn:5"]


def test_one_word_is_answered_from_the_index_alone_other_terms_are_checked(warehouse: Warehouse) -> None:
    _seed(warehouse)
    refresh(warehouse)
    # Plant a false entry: posting hn:6 (Docker) now "holds" every word of hn:2's text.
    warehouse.con.execute(
        "INSERT INTO search.posting_words SELECT pw.week, pw.word_id, d6.doc_id FROM search.posting_words pw "
        "JOIN search.documents d2 ON d2.doc_id = pw.doc_id AND d2.posting_key = 'hn:2' "
        "JOIN search.documents d6 ON d6.posting_key = 'hn:6'"
    )

    def found(term: str) -> set[str]:
        return {
            r[0]
            for r in warehouse.con.execute(f"SELECT posting_key FROM search_postings('{term}')").fetchall()
        }

    assert "hn:6" in found("kubernetes")  # the index alone decides: no text read
    assert found("machine learning") == {"hn:2"}  # candidates are checked against their text
    warehouse.con.execute("DELETE FROM search.posting_words")
    assert found("kubernetes") == set()
    assert found("++") == {"hn:3"}  # no letter or digit: the text itself is searched
