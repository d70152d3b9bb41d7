"""The gate between arrival and load: a batch passes its suite, or it is held in quarantine.

A failing batch is never loaded. It is written to Parquet under data_dir/quarantine/, described in
raw.quarantine (which expectations failed, a sample of the offending values, the raw payloads it came
from), and, for a posting source, marked `quarantined` in marts.source_health so the alerts stage
raises a `source_health` alert. The caller skips it and carries on with the batches that passed.
Every validation, pass or fail, is recorded in marts.validation_runs.

GX runs on `df.to_pandas()` through an ephemeral context's pandas data source (its SQL data source
cannot validate DuckDB, see DESIGN §5). The context and the suites are built once per process:
building them costs far more than validating a batch.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
import threading
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import great_expectations as gx
import pandas as pd
import polars as pl
from great_expectations.data_context.types.base import (
    DataContextConfig,
    InMemoryStoreBackendDefaults,
    ProgressBarsConfig,
)
from great_expectations.validator.v1_validator import Validator

from expectations.suites import SUITES, columns_used
from warehouse.db import Warehouse

SAMPLE_SIZE = 5
_RESULT_FORMAT = {"result_format": "SUMMARY", "partial_unexpected_count": SAMPLE_SIZE}
_DATASOURCE = "laborwatch"


class UnknownSuiteError(KeyError):
    """A suite name that expectations.suites does not define."""


@dataclass
class GateResult:
    """What happened to one batch. `failed` names the failed rules (see expectations.suites)."""

    passed: bool
    quarantine_id: str | None
    failed: list[str]
    run_id: str = ""
    rows: int = 0
    evaluated: int = 0
    seconds: float = 0.0
    sample: dict[str, list[Any]] = field(default_factory=dict)
    loaded: int = 0  # rows the loader wrote (gate_and_load only)


@dataclass
class Validation:
    """The outcome of validating a frame, before anything is written."""

    success: bool
    failed: list[str]
    evaluated: int
    seconds: float
    sample: dict[str, list[Any]]
    details: list[dict[str, Any]]


@dataclass
class _Compiled:
    suite: Any
    batch_definition: Any
    columns: list[str]


class _Gx:
    """The process-wide GX context with one registered suite per suite name, built on first use."""

    _lock = threading.Lock()
    _context: Any = None
    _compiled: dict[str, _Compiled] = {}

    @classmethod
    def get(cls, name: str) -> _Compiled:
        with cls._lock:
            if name not in cls._compiled:
                if name not in SUITES:
                    raise UnknownSuiteError(f"unknown suite {name!r}; known: {', '.join(sorted(SUITES))}")
                if cls._context is None:
                    config = DataContextConfig(
                        store_backend_defaults=InMemoryStoreBackendDefaults(),
                        progress_bars=ProgressBarsConfig(globally=False),
                        analytics_enabled=False,
                    )
                    cls._context = gx.get_context(mode="ephemeral", project_config=config)
                    cls._context.data_sources.add_pandas(_DATASOURCE)
                ctx = cls._context
                asset = ctx.data_sources.get(_DATASOURCE).add_dataframe_asset(name)
                batch_definition = asset.add_batch_definition_whole_dataframe(name)
                suite = ctx.suites.add(gx.ExpectationSuite(name=name))
                rules = SUITES[name].rules()
                for rule in rules:
                    rule.expectation.meta = {"rule": rule.name}
                    suite.add_expectation(rule.expectation)
                cls._compiled[name] = _Compiled(suite, batch_definition, columns_used(rules))
            return cls._compiled[name]


def refresh_suites() -> None:
    """Forget the compiled suites: the next validation rebuilds them from expectations.suites.

    For a long-lived process (a worker, a notebook) in which a suite was corrected; a fresh CLI run
    always starts from the code on disk.
    """
    with _Gx._lock:
        _Gx._compiled.clear()
        _Gx._context = None


def validate(suite: str, df: pl.DataFrame, **params: Any) -> Validation:
    """Validate `df` against `suite` without touching the warehouse (release and the benchmark use this).

    Only the columns some rule reads are handed to pandas, so wide text such as description_html
    costs nothing.
    """
    started = time.perf_counter()
    compiled = _Gx.get(suite)
    prepared = SUITES[suite].prepare(df, params).select(compiled.columns)
    # GX's own Validator (what Batch.validate and ValidationDefinition.run wrap), held directly so
    # the frame is loaded and fingerprinted once, not once per call. Most batches pass: a yes/no
    # answer costs GX about half of a SUMMARY, whose counts and offending values are only worth
    # their price for a batch that is going to quarantine.
    validator = Validator(
        batch_definition=compiled.batch_definition,
        batch_parameters={"dataframe": prepared.to_pandas()},
        result_format="BOOLEAN_ONLY",
    )
    result = validator.validate_expectation_suite(compiled.suite)
    if not result.success:
        validator.result_format = _RESULT_FORMAT
        result = validator.validate_expectation_suite(compiled.suite)
    failed: list[str] = []
    sample: dict[str, list[Any]] = {}
    details: list[dict[str, Any]] = []
    for r in result.results:
        if r.success:
            continue
        config = r.expectation_config
        rule = (config.meta or {}).get("rule", config.type)
        info = r.result or {}
        failed.append(rule)
        sample[rule] = [_jsonable(v) for v in info.get("partial_unexpected_list", [])[:SAMPLE_SIZE]]
        details.append(
            {
                "rule": rule,
                "expectation": config.type,
                "kwargs": _jsonable({k: v for k, v in config.kwargs.items() if k != "batch_id"}),
                "unexpected_count": info.get("unexpected_count"),
                "element_count": info.get("element_count"),
                "error": _raised(r.exception_info),
            }
        )
    return Validation(
        success=bool(result.success),
        failed=sorted(failed),
        evaluated=int(result.statistics.get("evaluated_expectations", len(result.results))),
        seconds=time.perf_counter() - started,
        sample=sample,
        details=sorted(details, key=lambda d: d["rule"]),
    )


def gate_batch(
    wh: Warehouse,
    suite: str,
    df: pl.DataFrame,
    *,
    batch_id: str,
    source: str | None = None,
    board: str | None = None,
    payload_refs: Sequence[str] = (),
    run: str | None = None,
    as_of: dt.datetime | None = None,
    maxima: Mapping[str, Mapping[str, float]] | None = None,
) -> GateResult:
    """Validate one batch, record the run, and quarantine the batch if it fails.

    The caller loads the batch only if `passed`. `run` is the run's logical date (ISO) used as the
    marts.source_health key; it defaults to `as_of`'s date, else today (UTC). `as_of` is the latest
    posted_at a raw_postings batch may carry (default: each row's fetched_at; one day of slack either
    way). `maxima` (role_id -> component -> card maximum, see suites.component_maxima) is required by
    the role_scores suite.
    """
    params = _params(as_of, maxima)
    outcome = validate(suite, df, **params)
    run_time = now_utc()
    run = run or (as_of or run_time).date().isoformat()
    run_id = new_run_id(suite, batch_id)
    quarantine_id = None
    with wh.transaction():
        if not outcome.success:
            quarantine_id = _quarantine(
                wh, suite, df, batch_id, source, board, payload_refs, run, params, outcome, run_time
            )
            if source is not None and board is not None:
                _mark_source_health(wh, source, board, run, df.height, suite, outcome, quarantine_id)
        record_validation_run(wh, run_id, suite, batch_id, df.height, outcome, run_time, quarantine_id)
    return GateResult(
        passed=outcome.success,
        quarantine_id=quarantine_id,
        failed=outcome.failed,
        run_id=run_id,
        rows=df.height,
        evaluated=outcome.evaluated,
        seconds=outcome.seconds,
        sample=outcome.sample,
    )


@dataclass
class Batch:
    """One batch to gate with gate_batches: its rows and the identity gate_batch would be given."""

    df: pl.DataFrame
    batch_id: str
    source: str | None = None
    board: str | None = None
    payload_refs: Sequence[str] = ()


def gate_batches(
    wh: Warehouse,
    suite: str,
    batches: Sequence[Batch],
    *,
    run: str | None = None,
    as_of: dt.datetime | None = None,
    maxima: Mapping[str, Mapping[str, float]] | None = None,
) -> list[GateResult]:
    """Gate many batches of one run, paying GX's fixed cost once when they all pass.

    GX spends most of a small batch's time building its metric graph, so a run of forty boards
    costs forty of those. Every rule of a suite is row-wise or a uniqueness rule, so if the batches
    pass together each passes alone; only when the union fails (or the batches' schemas differ)
    is each one gated on its own, which names the failing batches exactly as gate_batch would.
    """
    same_schema = len({tuple(b.df.schema.items()) for b in batches}) == 1
    if len(batches) > 1 and same_schema:
        params = _params(as_of, maxima)
        outcome = validate(suite, pl.concat([b.df for b in batches]), **params)
        if outcome.success:
            run_time = now_utc()
            results = []
            with wh.transaction():
                for b in batches:
                    run_id = new_run_id(suite, b.batch_id)
                    record_validation_run(wh, run_id, suite, b.batch_id, b.df.height, outcome, run_time, None)
                    results.append(
                        GateResult(True, None, [], run_id, b.df.height, outcome.evaluated, outcome.seconds)
                    )
            return results
    return [
        gate_batch(
            wh,
            suite,
            b.df,
            batch_id=b.batch_id,
            source=b.source,
            board=b.board,
            payload_refs=b.payload_refs,
            run=run,
            as_of=as_of,
            maxima=maxima,
        )
        for b in batches
    ]


def gate_and_load(
    wh: Warehouse,
    suite: str,
    df: pl.DataFrame,
    loader: Callable[[pl.DataFrame], int],
    **gate_kwargs: Any,
) -> GateResult:
    """Gate one batch and, only if it passed, load it with `loader`: the usual caller's loop body."""
    result = gate_batch(wh, suite, df, **gate_kwargs)
    if result.passed:
        result.loaded = loader(df)
    return result


def record_validation_run(
    wh: Warehouse,
    run_id: str,
    suite: str,
    batch_id: str,
    rows: int,
    outcome: Validation,
    run_time: dt.datetime,
    quarantine_id: str | None,
) -> None:
    row = pl.DataFrame(
        {
            "run_id": [run_id],
            "suite": [suite],
            "batch": [batch_id],
            "success": [outcome.success],
            "failed_expectations": [json.dumps(outcome.failed)],
            "evaluated": [outcome.evaluated],
            "run_time": [run_time],
            "seconds": [outcome.seconds],
            "rows": [rows],
            "quarantine_id": [quarantine_id],
        },
        schema_overrides={"quarantine_id": pl.String},
    )
    wh.upsert("marts.validation_runs", row, ["run_id"])


def new_run_id(suite: str, batch_id: str) -> str:
    return f"{suite}:{batch_id}:{uuid.uuid4().hex[:12]}"


def quarantine_id_for(suite: str, batch_id: str, df: pl.DataFrame) -> str:
    """Deterministic in the batch's content: the same batch failing again (a re-run) is held once."""
    digest = hashlib.sha256(f"{suite}\x00{batch_id}\x00{df.height}\x00".encode())
    digest.update(json.dumps(df.columns).encode())
    digest.update(df.hash_rows(seed=0).to_numpy().tobytes())
    return f"q-{digest.hexdigest()[:16]}"


def params_from_json(text: str | None) -> dict[str, Any]:
    """The gate parameters stored with a quarantined batch, back as validate() keyword arguments."""
    raw = json.loads(text) if text else {}
    as_of = raw.get("as_of")
    return _params(dt.datetime.fromisoformat(as_of) if as_of else None, raw.get("maxima"))


def _params(as_of: dt.datetime | None, maxima: Mapping[str, Mapping[str, float]] | None) -> dict[str, Any]:
    return {"as_of": as_of, "maxima": {k: dict(v) for k, v in maxima.items()} if maxima is not None else None}


def now_utc() -> dt.datetime:
    """Naive UTC, as DuckDB TIMESTAMP columns store it."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def _quarantine(
    wh: Warehouse,
    suite: str,
    df: pl.DataFrame,
    batch_id: str,
    source: str | None,
    board: str | None,
    payload_refs: Sequence[str],
    run: str,
    params: Mapping[str, Any],
    outcome: Validation,
    run_time: dt.datetime,
) -> str:
    qid = quarantine_id_for(suite, batch_id, df)
    folder = wh.data_dir / "quarantine"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{qid}.parquet"
    if not path.exists():  # written whole, then renamed: a crash never leaves half a batch
        tmp = path.with_suffix(".parquet.tmp")
        df.write_parquet(tmp)
        tmp.replace(path)
    reason = (
        f"{suite} batch {batch_id}: {len(outcome.failed)} expectation(s) failed: {', '.join(outcome.failed)}"
    )
    row = pl.DataFrame(
        {
            "quarantine_id": [qid],
            "created_at": [run_time],
            "stage": ["expectations"],
            "source": [source],
            "board": [board],
            "suite": [suite],
            "reason": [reason],
            "failed_expectations": [json.dumps(outcome.details)],
            "sample": [json.dumps(outcome.sample)],
            "payload_refs": [json.dumps(sorted(set(payload_refs)))],
            "batch_path": [str(path)],
            "released_at": [None],
            "batch_id": [batch_id],
            "run": [run],
            "rows": [df.height],
            "gate_params": [json.dumps(_jsonable(dict(params)))],
        },
        schema_overrides={"released_at": pl.Datetime("us"), "source": pl.String, "board": pl.String},
    )
    wh.insert_missing("raw.quarantine", row, ["quarantine_id"])
    return qid


def _mark_source_health(
    wh: Warehouse,
    source: str,
    board: str,
    run: str,
    rows: int,
    suite: str,
    outcome: Validation,
    quarantine_id: str,
) -> None:
    row = pl.DataFrame(
        {
            "source": [source],
            "board": [board],
            "run": [run],
            "status": ["quarantined"],
            "rows": [rows],
            "error": [f"{suite} batch quarantined as {quarantine_id}: failed {', '.join(outcome.failed)}"],
        }
    )
    wh.upsert("marts.source_health", row, ["source", "board", "run"])


def _raised(exception_info: Any) -> str | None:
    """GX nests exception info per metric; return the first message if the expectation raised."""
    if not isinstance(exception_info, dict):
        return None
    infos = [exception_info] if "raised_exception" in exception_info else list(exception_info.values())
    for info in infos:
        if isinstance(info, dict) and info.get("raised_exception"):
            return str(info.get("exception_message"))
    return None


def _jsonable(value: Any) -> Any:
    """Make GX's sample values (numpy scalars, Timestamps, NaN, tuples) JSON-safe."""
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if hasattr(value, "item") and not isinstance(value, str):
        try:
            value = value.item()
        except (ValueError, TypeError):
            pass
    if value is None or value is pd.NaT or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, bool | int | float | str):
        return value
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)
