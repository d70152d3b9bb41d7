"""The gate against a real warehouse: pass → load, fail → quarantine + source_health + alert, run goes on."""

from __future__ import annotations

import datetime as dt
import json

import polars as pl

from alerts.detect import detect_alerts
from expectations.gate import Batch, gate_and_load, gate_batch, gate_batches
from laborwatch.role_cards import DEFAULT_ROLES_DIR, load_role_cards
from tests.expectations.batches import FETCHED_AT, postings, set_cell
from warehouse.db import Warehouse

KEY = ["source", "board", "source_id", "payload_sha256"]


def raw_postings_loader(wh: Warehouse):
    """A real loader: the batch into raw.postings, keyed as the table is."""
    return lambda df: wh.upsert("raw.postings", df, KEY)


def test_good_batch_passes_loads_and_is_recorded(warehouse):
    batch = postings(4)
    result = gate_and_load(
        warehouse,
        "raw_postings",
        batch,
        raw_postings_loader(warehouse),
        batch_id="greenhouse/acme/1",
        source="greenhouse",
        board="acme",
        run="2025-05-05",
    )
    assert result.passed and result.quarantine_id is None and result.failed == []
    assert result.loaded == 4
    assert warehouse.scalar("SELECT count(*) FROM raw.postings") == 4
    assert warehouse.scalar("SELECT count(*) FROM raw.quarantine") == 0
    assert warehouse.scalar("SELECT count(*) FROM marts.source_health") == 0  # the ingest step writes 'ok'
    run = warehouse.query("SELECT * FROM validation_runs").to_dicts()
    assert len(run) == 1
    assert run[0]["suite"] == "raw_postings" and run[0]["batch"] == "greenhouse/acme/1"
    assert run[0]["success"] is True and json.loads(run[0]["failed_expectations"]) == []
    assert run[0]["rows"] == 4 and run[0]["evaluated"] == result.evaluated and run[0]["seconds"] > 0


def test_failed_batch_is_held_with_names_sample_payloads_and_file(warehouse):
    batch = set_cell(postings(3), "salary_min", 2, 999_999.0)
    result = gate_and_load(
        warehouse,
        "raw_postings",
        batch,
        raw_postings_loader(warehouse),
        batch_id="greenhouse/acme/1",
        source="greenhouse",
        board="acme",
        payload_refs=["ab" * 32, "cd" * 32, "ab" * 32],
        run="2025-05-05",
    )
    assert not result.passed and result.loaded == 0
    assert result.failed == ["salary_min_le_max"]
    assert warehouse.scalar("SELECT count(*) FROM raw.postings") == 0

    row = warehouse.query("SELECT * FROM raw.quarantine").to_dicts()[0]
    assert row["quarantine_id"] == result.quarantine_id
    assert row["stage"] == "expectations" and row["suite"] == "raw_postings"
    assert row["source"] == "greenhouse" and row["board"] == "acme" and row["rows"] == 3
    assert "salary_min_le_max" in row["reason"]
    details = json.loads(row["failed_expectations"])
    assert [d["rule"] for d in details] == ["salary_min_le_max"]
    assert details[0]["expectation"] == "expect_column_pair_values_a_to_be_greater_than_b"
    assert details[0]["unexpected_count"] == 1
    assert details[0]["kwargs"]["column_A"] == "salary_max" and "batch_id" not in details[0]["kwargs"]
    assert json.loads(row["sample"]) == {"salary_min_le_max": [[190_002.0, 999_999.0]]}
    assert json.loads(row["payload_refs"]) == ["ab" * 32, "cd" * 32]
    assert row["released_at"] is None
    held = pl.read_parquet(row["batch_path"])
    assert held.equals(batch)
    assert row["batch_path"].startswith(str(warehouse.data_dir / "quarantine"))

    health = warehouse.query("SELECT * FROM source_health").to_dicts()
    assert health == [
        {
            "source": "greenhouse",
            "board": "acme",
            "run": "2025-05-05",
            "status": "quarantined",
            "rows": 3,
            "error": f"raw_postings batch quarantined as {result.quarantine_id}: failed salary_min_le_max",
        }
    ]
    runs = warehouse.query("SELECT success, quarantine_id FROM validation_runs").to_dicts()
    assert runs == [{"success": False, "quarantine_id": result.quarantine_id}]


def test_quarantine_raises_a_source_health_alert(warehouse):
    batch = set_cell(postings(2), "url", 0, "javascript:alert(1)")
    gate_batch(
        warehouse,
        "raw_postings",
        batch,
        batch_id="lever/globex/1",
        source="lever",
        board="globex",
        run="2025-05-05",
    )
    assert detect_alerts(warehouse, load_role_cards(DEFAULT_ROLES_DIR), dt.datetime(2025, 5, 6)) == 1
    alert = warehouse.query("SELECT kind, new_value, message FROM alerts").to_dicts()[0]
    assert alert["kind"] == "source_health" and alert["new_value"] == "quarantined"
    assert "lever board 'globex'" in alert["message"] and "url_well_formed" in alert["message"]


def test_other_sources_and_boards_of_the_same_run_still_load(warehouse):
    run = [
        ("greenhouse", "acme", postings(3, "greenhouse", "acme")),
        ("greenhouse", "initech", set_cell(postings(3, "greenhouse", "initech"), "description_text", 1, " ")),
        ("lever", "globex", postings(2, "lever", "globex")),
        (
            "ashby",
            "hooli",
            set_cell(postings(2, "ashby", "hooli"), "posted_at", 0, FETCHED_AT.replace(year=2031)),
        ),
        ("themuse", "muse", postings(5, "themuse", "muse")),
    ]
    results = {
        (source, board): gate_and_load(
            warehouse,
            "raw_postings",
            batch,
            raw_postings_loader(warehouse),
            batch_id=f"{source}/{board}/2025-05-05",
            source=source,
            board=board,
            run="2025-05-05",
        )
        for source, board, batch in run
    }
    assert results[("greenhouse", "initech")].failed == ["description_not_empty"]
    assert results[("ashby", "hooli")].failed == ["posted_at_not_in_future"]
    loaded = warehouse.query(
        "SELECT source, board, count(*) AS n FROM raw.postings GROUP BY ALL ORDER BY ALL"
    )
    assert loaded.rows() == [("greenhouse", "acme", 3), ("lever", "globex", 2), ("themuse", "muse", 5)]
    held = warehouse.query("SELECT source, board FROM quarantine ORDER BY ALL").rows()
    assert held == [("ashby", "hooli"), ("greenhouse", "initech")]
    assert warehouse.query("SELECT source, board, status FROM source_health ORDER BY ALL").rows() == [
        ("ashby", "hooli", "quarantined"),
        ("greenhouse", "initech", "quarantined"),
    ]
    assert warehouse.scalar("SELECT count(*) FROM validation_runs") == 5


def test_the_same_failing_batch_in_a_rerun_is_held_once(warehouse):
    batch = set_cell(postings(2), "title", 0, None)
    first = gate_batch(warehouse, "raw_postings", batch, batch_id="b", source="greenhouse", board="acme")
    second = gate_batch(warehouse, "raw_postings", batch, batch_id="b", source="greenhouse", board="acme")
    assert first.quarantine_id == second.quarantine_id
    assert warehouse.scalar("SELECT count(*) FROM raw.quarantine") == 1
    assert warehouse.scalar("SELECT count(*) FROM marts.source_health") == 1
    assert warehouse.scalar("SELECT count(*) FROM marts.validation_runs") == 2  # both validations happened
    other = gate_batch(warehouse, "raw_postings", set_cell(batch, "title", 1, None), batch_id="b")
    assert other.quarantine_id != first.quarantine_id


def test_run_defaults_to_as_of_date(warehouse):
    batch = set_cell(postings(1), "url", 0, "nope")
    gate_batch(
        warehouse,
        "raw_postings",
        batch,
        batch_id="b",
        source="hn",
        board="whoishiring",
        as_of=dt.datetime(2025, 5, 5, 6),
    )
    assert warehouse.scalar("SELECT run FROM source_health") == "2025-05-05"


def test_gate_without_source_writes_no_health_row(warehouse):
    from tests.expectations.batches import bls_observations

    batch = set_cell(bls_observations(), "period", 0, "M14")
    result = gate_batch(warehouse, "bls_observations", batch, batch_id="bls/2025-05-02")
    assert result.quarantine_id and result.failed == ["period_code_known"]
    assert warehouse.scalar("SELECT count(*) FROM marts.source_health") == 0
    assert warehouse.scalar("SELECT suite FROM raw.quarantine") == "bls_observations"


def test_unknown_suite_is_a_clear_error(warehouse):
    import pytest

    with pytest.raises(KeyError, match="unknown suite 'postings'"):
        gate_batch(warehouse, "postings", postings(1), batch_id="b")
    assert warehouse.scalar("SELECT count(*) FROM marts.validation_runs") == 0


def test_gate_batches_validates_a_clean_run_once_and_names_each_bad_batch(warehouse):
    clean = [
        Batch(postings(3, "greenhouse", b), f"greenhouse/{b}/r", "greenhouse", b) for b in ("a", "b", "c")
    ]
    results = gate_batches(warehouse, "raw_postings", clean, run="2025-05-05")
    assert [r.passed for r in results] == [True, True, True]
    assert len({r.seconds for r in results}) == 1  # one shared validation
    assert warehouse.scalar("SELECT count(*) FROM validation_runs WHERE success") == 3

    bad = set_cell(postings(3, "greenhouse", "d"), "description_text", 1, " ")
    mixed = [*clean[:2], Batch(bad, "greenhouse/d/r", "greenhouse", "d")]
    results = gate_batches(warehouse, "raw_postings", mixed, run="2025-05-06")
    assert [r.passed for r in results] == [True, True, False]
    assert results[2].failed == ["description_not_empty"]
    assert warehouse.query("SELECT board FROM quarantine").rows() == [("d",)]
    assert warehouse.query("SELECT board, status FROM source_health").rows() == [("d", "quarantined")]
