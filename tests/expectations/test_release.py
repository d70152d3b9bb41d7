"""Release: re-validate a held batch with the current suite; load it exactly once if it now passes."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import shutil

import polars as pl
import pytest

import expectations.suites as suites
from expectations.gate import gate_batch, refresh_suites
from expectations.suites import Rule, component_maxima
from laborwatch.quarantine_cmd import QuarantineError, list_quarantine, release_quarantine, show_quarantine
from laborwatch.role_cards import DEFAULT_ROLES_DIR, load_role_cards
from tests.expectations.batches import postings, role_scores, set_cell

KEY = ["source", "board", "source_id", "payload_sha256"]


def loaders(wh):
    return {
        "raw_postings": lambda df: wh.upsert("raw.postings", df, KEY),
        "role_scores": lambda df: wh.upsert("marts.role_scores", df, ["role_id", "as_of"]),
    }


@pytest.fixture
def workable_suite(monkeypatch):
    """The suite fix a new source needs: `workable` joins the known sources (as a code change would)."""
    spec = suites.SUITES["raw_postings"]

    def fixed_rules():
        rules = [r for r in spec.build_rules() if r.name != "source_known"]
        known = [*suites.POSTING_SOURCES, "workable"]
        return [
            *rules,
            Rule("source_known", suites.e.ExpectColumnValuesToBeInSet(column="source", value_set=known)),
        ]

    def apply():
        monkeypatch.setitem(suites.SUITES, "raw_postings", dataclasses.replace(spec, build_rules=fixed_rules))
        refresh_suites()

    yield apply
    monkeypatch.undo()
    refresh_suites()


def _hold(wh, batch, **kw):
    result = gate_batch(
        wh, "raw_postings", batch, batch_id="workable/acme/1", source="workable", board="acme", **kw
    )
    assert not result.passed
    return result.quarantine_id


def test_release_after_suite_fix_loads_exactly_once(warehouse, settings, workable_suite):
    batch = postings(3, source="workable")
    qid = _hold(warehouse, batch)
    assert warehouse.scalar("SELECT count(*) FROM raw.postings") == 0

    workable_suite()
    result = release_quarantine(settings, warehouse, qid, loaders(warehouse))
    assert result.released and result.rows_loaded == 3 and result.failed == []
    assert warehouse.query("SELECT source, source_id FROM raw.postings ORDER BY source_id").rows() == [
        ("workable", "4000"),
        ("workable", "4001"),
        ("workable", "4002"),
    ]
    row = warehouse.query("SELECT released_at, released_rows, release_run_id FROM raw.quarantine").to_dicts()[
        0
    ]
    assert (
        row["released_at"] is not None
        and row["released_rows"] == 3
        and row["release_run_id"] == result.run_id
    )
    assert warehouse.scalar("SELECT success FROM marts.validation_runs WHERE run_id = ?", [result.run_id])

    with pytest.raises(QuarantineError, match=f"{qid} was already released .* will not be loaded twice"):
        release_quarantine(settings, warehouse, qid, loaders(warehouse))
    assert warehouse.scalar("SELECT count(*) FROM raw.postings") == 3
    assert (
        warehouse.scalar("SELECT count(*) FROM marts.validation_runs") == 2
    )  # the refusal validated nothing


def test_release_of_a_batch_that_still_fails_keeps_it_held(warehouse, settings):
    qid = _hold(warehouse, postings(2, source="workable"))
    result = release_quarantine(settings, warehouse, qid, loaders(warehouse))
    assert not result.released and result.rows_loaded == 0
    assert result.failed == ["source_known"] and "still fails source_known" in result.message
    assert warehouse.scalar("SELECT count(*) FROM raw.postings") == 0
    assert warehouse.scalar("SELECT released_at FROM raw.quarantine") is None
    assert warehouse.scalar("SELECT count(*) FROM raw.quarantine") == 1


def test_a_loader_that_fails_leaves_the_batch_held_and_releasable(warehouse, settings, workable_suite):
    qid = _hold(warehouse, postings(2, source="workable"))
    workable_suite()

    def broken(df: pl.DataFrame) -> int:
        warehouse.upsert("raw.postings", df, KEY)
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError, match="disk full"):
        release_quarantine(settings, warehouse, qid, {"raw_postings": broken})
    assert warehouse.scalar("SELECT count(*) FROM raw.postings") == 0  # rolled back with the release
    assert warehouse.scalar("SELECT released_at FROM raw.quarantine") is None
    assert release_quarantine(settings, warehouse, qid, loaders(warehouse)).rows_loaded == 2


def test_release_revalidates_role_scores_with_the_current_cards(warehouse, settings, tmp_path):
    """A card's demand maximum is raised after a score was held: the current cards are the current suite."""
    batch = set_cell(set_cell(role_scores(), "demand", 0, 33.0), "total", 0, 64.0)
    shipped = component_maxima(load_role_cards(DEFAULT_ROLES_DIR))
    held = gate_batch(warehouse, "role_scores", batch, batch_id="scores/2025-05-05", maxima=shipped)
    assert held.failed == ["demand_within_card_max"]

    roles = tmp_path / "roles"
    shutil.copytree(DEFAULT_ROLES_DIR, roles)
    card = roles / "ai_ml_engineer.toml"
    text = card.read_text()
    text = text.replace(
        "[components.automation_resistance]\nbaseline = 14\nmax = 40",
        "[components.automation_resistance]\nbaseline = 14\nmax = 35",
    )
    text = text.replace(
        "[components.demand]\nbaseline = 21\nmax = 30", "[components.demand]\nbaseline = 21\nmax = 35"
    )
    card.write_text(text)
    assert component_maxima(load_role_cards(roles))["ai_ml_engineer"]["demand"] == 35.0

    still_held = release_quarantine(settings, warehouse, held.quarantine_id, loaders(warehouse))
    assert not still_held.released  # settings still point at the shipped cards
    settings.roles_dir = roles
    result = release_quarantine(settings, warehouse, held.quarantine_id, loaders(warehouse))
    assert result.released and result.rows_loaded == 2
    assert warehouse.scalar("SELECT demand FROM marts.role_scores WHERE role_id = 'ai_ml_engineer'") == 33.0


def test_release_refusals_are_clear(warehouse, settings):
    with pytest.raises(QuarantineError, match="no quarantined batch with id 'q-nope'"):
        release_quarantine(settings, warehouse, "q-nope", loaders(warehouse))

    parse_failure = {"quarantine_id": ["parse-1"], "stage": ["parse"], "reason": ["payload is not JSON"]}
    warehouse.upsert(
        "raw.quarantine",
        pl.DataFrame(parse_failure).with_columns(created_at=pl.lit(dt.datetime(2025, 5, 5))),
        ["quarantine_id"],
    )
    with pytest.raises(QuarantineError, match="held at the parse stage"):
        release_quarantine(settings, warehouse, "parse-1", loaders(warehouse))

    from tests.expectations.batches import watch_signals

    signals = set_cell(watch_signals(), "n", 0, -3)
    qid = gate_batch(warehouse, "watch_signals", signals, batch_id="signals").quarantine_id
    with pytest.raises(QuarantineError, match="no loader is wired for that suite"):
        release_quarantine(settings, warehouse, qid, loaders(warehouse))


def test_list_and_show(warehouse):
    qid = _hold(
        warehouse, set_cell(postings(2, source="workable"), "url", 1, "ftp://x"), payload_refs=["ab" * 32]
    )
    listing = list_quarantine(warehouse)
    assert listing.columns == [
        "quarantine_id",
        "created_at",
        "stage",
        "suite",
        "source",
        "board",
        "batch_id",
        "rows",
        "failed",
        "released_at",
    ]
    assert listing.rows(named=True)[0]["failed"] == "source_known, url_well_formed"
    shown = show_quarantine(warehouse, qid)
    assert shown["quarantine_id"] == qid and shown["batch_file_present"] is True
    assert [d["rule"] for d in shown["failed_expectations"]] == ["source_known", "url_well_formed"]
    assert shown["sample"]["url_well_formed"] == ["ftp://x"]
    assert shown["payload_refs"] == ["ab" * 32]
    assert "description_html" in shown["batch_columns"]
    json.dumps(shown, default=str)  # what the CLI prints
    with pytest.raises(QuarantineError):
        show_quarantine(warehouse, "q-missing")


def test_release_through_the_pipeline_loaders_loads_postings_once(warehouse, settings, workable_suite):
    """The loaders the CLI wires (laborwatch.pipeline.release_loaders): raw and staging postings, once."""
    from laborwatch.pipeline import release_loaders

    qid = _hold(warehouse, postings(3, source="workable"))
    workable_suite()
    result = release_quarantine(settings, warehouse, qid, release_loaders(settings, warehouse))
    assert result.released and result.rows_loaded == 3
    assert warehouse.scalar("SELECT count(*) FROM raw.postings WHERE source = 'workable'") == 3
    assert warehouse.scalar("SELECT count(*) FROM staging.postings WHERE source = 'workable'") == 3
    with pytest.raises(QuarantineError, match="already released"):
        release_quarantine(settings, warehouse, qid, release_loaders(settings, warehouse))
    assert warehouse.scalar("SELECT count(*) FROM staging.postings") == 3


def test_empty_quarantine_lists_nothing(warehouse):
    assert list_quarantine(warehouse).height == 0
