"""`laborwatch quarantine list|show ID|release ID`, and the HTML validations summary.

Release is how a held batch gets into the warehouse after the cause is fixed (usually a suite that
was too strict, or a source whose format drifted and whose parser was corrected): the held Parquet is
re-validated with the *current* suite and, if it now passes, loaded through the same loader the
ingest step uses, and marked released in the same transaction. A batch is therefore loaded at most
once; releasing it again is refused.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl

from expectations.gate import new_run_id, now_utc, params_from_json, record_validation_run, validate
from expectations.suites import component_maxima
from expectations.summary import render_validation_summary
from laborwatch.role_cards import DEFAULT_ROLES_DIR, load_role_cards
from laborwatch.settings import Settings
from warehouse.db import Warehouse

_JSON_COLUMNS = ("failed_expectations", "sample", "payload_refs", "gate_params")


class QuarantineError(ValueError):
    """A quarantine request that cannot be carried out; the message says why and what to do."""


@dataclass
class ReleaseResult:
    """The outcome of a release. `released` is False when the batch still fails its suite."""

    quarantine_id: str
    suite: str
    released: bool
    rows_loaded: int
    failed: list[str] = field(default_factory=list)
    run_id: str = ""
    message: str = ""


def list_quarantine(wh: Warehouse) -> pl.DataFrame:
    """One row per held batch, newest first, with the names of the rules it failed."""
    df = wh.query(
        "SELECT quarantine_id, created_at, stage, suite, source, board, batch_id, rows, "
        "failed_expectations, released_at FROM raw.quarantine ORDER BY created_at DESC, quarantine_id"
    )
    return df.with_columns(
        pl.col("failed_expectations")
        .map_elements(_failed_names, return_dtype=pl.String)
        .alias("failed_expectations")
    ).rename({"failed_expectations": "failed"})


def show_quarantine(wh: Warehouse, qid: str) -> dict[str, Any]:
    """Everything known about one held batch, JSON fields decoded, plus the held batch's shape."""
    row = _row(wh, qid)
    for col in _JSON_COLUMNS:
        if row.get(col):
            row[col] = json.loads(row[col])
    path = Path(row["batch_path"]) if row.get("batch_path") else None
    row["batch_file_present"] = bool(path and path.exists())
    if path and path.exists():
        row["batch_columns"] = list(pl.read_parquet_schema(path))
    return row


def release_quarantine(
    settings: Settings,
    wh: Warehouse,
    qid: str,
    loaders: Mapping[str, Callable[[pl.DataFrame], int]],
) -> ReleaseResult:
    """Re-validate held batch `qid` with the current suite; if it passes, load it once and mark it released.

    Raises QuarantineError when the id is unknown, the batch was already released, it was held at the
    parse stage (nothing to re-validate: fix the parser and re-ingest the payloads), its file is gone,
    or no loader is wired for its suite. A batch that still fails is left held and reported.
    """
    row = _row(wh, qid)
    if row["released_at"] is not None:
        raise QuarantineError(
            f"quarantine {qid} was already released at {row['released_at']} "
            f"({row['released_rows']} rows loaded then); it will not be loaded twice"
        )
    suite = row["suite"]
    if row["stage"] != "expectations" or not suite or not row["batch_path"]:
        raise QuarantineError(
            f"quarantine {qid} was held at the {row['stage']} stage and has no batch to re-validate; "
            "fix the parser and re-ingest its payloads instead"
        )
    if suite not in loaders:
        raise QuarantineError(
            f"quarantine {qid} holds a {suite} batch and no loader is wired for that suite "
            f"(loaders: {', '.join(sorted(loaders)) or 'none'})"
        )
    path = Path(row["batch_path"])
    if not path.exists():
        raise QuarantineError(f"quarantine {qid}: held batch file {path} is missing")
    df = pl.read_parquet(path)
    params = params_from_json(row["gate_params"])
    if suite == "role_scores":  # the current cards are part of the current suite
        params["maxima"] = component_maxima(load_role_cards(settings.roles_dir or DEFAULT_ROLES_DIR))
    outcome = validate(suite, df, **params)
    run_id = new_run_id(suite, f"release:{qid}")
    now = now_utc()
    if not outcome.success:
        record_validation_run(wh, run_id, suite, row["batch_id"] or qid, df.height, outcome, now, qid)
        return ReleaseResult(
            qid,
            suite,
            released=False,
            rows_loaded=0,
            failed=outcome.failed,
            run_id=run_id,
            message=f"quarantine {qid} still fails {', '.join(outcome.failed)}; it stays held",
        )
    with wh.transaction():
        # Re-read inside the transaction: the single writer makes this the last word on "released".
        if wh.scalar("SELECT released_at FROM raw.quarantine WHERE quarantine_id = ?", [qid]) is not None:
            raise QuarantineError(f"quarantine {qid} was released meanwhile; it will not be loaded twice")
        loaded = loaders[suite](df)
        record_validation_run(wh, run_id, suite, row["batch_id"] or qid, df.height, outcome, now, qid)
        wh.con.execute(
            "UPDATE raw.quarantine SET released_at = ?, released_rows = ?, release_run_id = ? "
            "WHERE quarantine_id = ?",
            [now, loaded, run_id, qid],
        )
    return ReleaseResult(
        qid,
        suite,
        released=True,
        rows_loaded=loaded,
        run_id=run_id,
        message=f"quarantine {qid} now passes {suite}; loaded {loaded} rows",
    )


def validation_summary_html(wh: Warehouse, limit: int = 500) -> str:
    """The HTML page for the latest `limit` validation runs (for `laborwatch validations -o FILE`)."""
    runs = wh.query("SELECT * FROM marts.validation_runs ORDER BY run_time DESC LIMIT ?", [limit])
    return render_validation_summary(runs)


def _row(wh: Warehouse, qid: str) -> dict[str, Any]:
    rows = wh.query("SELECT * FROM raw.quarantine WHERE quarantine_id = ?", [qid]).to_dicts()
    if not rows:
        raise QuarantineError(f"no quarantined batch with id {qid!r} (see `laborwatch quarantine list`)")
    return rows[0]


def _failed_names(text: str | None) -> str:
    """failed_expectations holds gate details (dicts) or, from other stages, a plain list of names."""
    if not text:
        return ""
    try:
        items = json.loads(text)
    except json.JSONDecodeError:
        return text
    if not isinstance(items, list):
        return str(items)
    return ", ".join(str(i.get("rule", i)) if isinstance(i, dict) else str(i) for i in items)
