"""`laborwatch demo`: the simulated market run through the real pipeline, week by week.

The market (laborwatch.demo_market) is served from a real HTTP server on 127.0.0.1 in every source's
real format (laborwatch.demo_server); a config file points every source at it, and each week runs the
same pipeline steps the Airflow DAGs run, in the same order: fetch every board (in parallel, as the
mapped DAG tasks do) → load → BLS if a release is due → outlook → alerts → snapshot. Each week runs
`as_of` the end of that simulated week, so first_seen/last_seen and signal weeks follow the market's
calendar, not the wall clock.

What it measures besides the outcome: the streaming latency, i.e. the wall time from the moment a
week's postings appear on the boards to the moment the alert they cause is delivered, and the time one
extra posting takes from its board to the `postings` view and recomputed signals.
"""

from __future__ import annotations

import json
import shutil
import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, TextIO

from laborwatch import pipeline
from laborwatch.demo_market import DEFAULT_SEED, DEFAULT_WEEKS, SCENARIOS, Market, build_market
from laborwatch.demo_server import DemoServer, greenhouse_job
from laborwatch.settings import Settings, load_settings
from warehouse.snapshot import open_read_only

DEFAULT_WAREHOUSE = Path("data/demo/warehouse.duckdb")
MARKER = "laborwatch-demo.json"  # marks a directory the demo may wipe and rebuild
CONFIG = "laborwatch-demo.toml"
FETCH_WORKERS = 8
# What each scenario must end with (the acceptance criteria of the demo).
EXPECTED = {
    "strengthen": ("ai_ml_engineer", "strengthening"),
    "junior-cut": ("ai_ml_engineer", "weakening"),
    "mixed": ("ai_ml_engineer", "mixed_review"),
    "steady": None,  # no outlook_change or trigger alert in any week
}


class DemoError(RuntimeError):
    """The demo cannot run as asked (e.g. it would overwrite a warehouse it did not create)."""


@dataclass
class RoleOutcome:
    role_id: str
    start_total: float | None
    end_total: float | None
    start_state: str | None
    end_state: str | None

    @property
    def change(self) -> float | None:
        if self.start_total is None or self.end_total is None:
            return None
        return self.end_total - self.start_total


@dataclass
class WeekLog:
    week: int
    as_of: datetime
    listed: int
    loaded: dict[str, Any]
    bls_due: list[str]
    new_alerts: int
    seconds: dict[str, float]


@dataclass
class Latency:
    """Wall-clock seconds from postings appearing on the boards to the alert they caused, delivered."""

    week: int | None
    seconds: float | None
    steps: dict[str, float]
    probe_seconds: float | None = None  # one extra posting: board → postings view → signals, alerts
    probe_found: bool = False


@dataclass
class DemoResult:
    scenario: str
    weeks: int
    ok: bool
    expectation: str
    verdict: str
    roles: list[RoleOutcome]
    alerts: list[dict[str, Any]]
    warehouse: Path
    snapshot: Path
    report: Path | None
    report_error: str | None
    latency: Latency
    weeks_log: list[WeekLog]
    seconds: float
    employers: int
    postings: int
    alerts_file: Path
    requests: dict[str, int] = field(default_factory=dict)


# ------------------------------------------------------------------------------------ set-up
def prepare_directory(warehouse: Path) -> Path:
    """Make `warehouse`'s directory ready for a fresh demo; return the data directory.

    The demo wipes only what it created before (the directory carries its marker file); it refuses
    to touch a warehouse it did not create, so `--warehouse` can never destroy real data.
    """
    data_dir = warehouse.parent
    marker = data_dir / MARKER
    if warehouse.exists() and not marker.exists():
        raise DemoError(
            f"{warehouse} exists and was not created by `laborwatch demo`; choose another --warehouse"
        )
    if marker.exists():
        for name in (warehouse.name, warehouse.name + ".wal", "alerts.jsonl", "report.html", CONFIG):
            (data_dir / name).unlink(missing_ok=True)
        for sub in ("raw", "landing", "snapshot", "quarantine", "validation"):
            shutil.rmtree(data_dir / sub, ignore_errors=True)
    data_dir.mkdir(parents=True, exist_ok=True)
    return data_dir


def demo_settings(server: DemoServer, warehouse: Path, data_dir: Path, scenario: str) -> Settings:
    """Write the demo's config (every source on the local server) and load it like any config."""
    config = data_dir / CONFIG
    config.write_text(
        server.config_toml(warehouse.resolve(), data_dir.resolve(), data_dir.resolve() / "alerts.jsonl")
    )
    (data_dir / MARKER).write_text(
        json.dumps({"scenario": scenario, "weeks": server.market.weeks, "seed": server.market.seed}) + "\n"
    )
    return load_settings(config)


def boards_of(settings: Settings) -> list[tuple[str, str]]:
    return [(s.name, board) for s in settings.sources.values() if s.enabled for board in s.boards]


# ------------------------------------------------------------------------------------ one week
def _timed(seconds: dict[str, float], name: str, step: Callable[[], Any]) -> Any:
    start = time.perf_counter()
    try:
        return step()
    finally:
        seconds[name] = seconds.get(name, 0.0) + time.perf_counter() - start


def run_week(
    settings: Settings, boards: list[tuple[str, str]], as_of: datetime, seconds: dict[str, float]
) -> tuple[dict, list[str], dict]:
    """One pass of the loop the DAGs run: fetch → load → BLS (if due) → outlook → alerts → snapshot."""
    with ThreadPoolExecutor(max_workers=FETCH_WORKERS) as pool:
        manifests = _timed(
            seconds,
            "fetch",
            lambda: list(pool.map(lambda b: pipeline.fetch_board(settings, b[0], b[1], as_of), boards)),
        )
    loaded = _timed(seconds, "load", lambda: pipeline.load_postings(settings, manifests, as_of))
    due = _timed(seconds, "bls", lambda: pipeline.bls_releases_due(settings, as_of))
    if due:
        _timed(seconds, "bls", lambda: pipeline.ingest_bls(settings, as_of))
    _timed(seconds, "outlook", lambda: pipeline.compute_outlook(settings, as_of))
    fired = _timed(seconds, "alerts", lambda: pipeline.fire_alerts(settings, as_of))
    _timed(seconds, "publish", lambda: pipeline.publish(settings))
    return loaded, list(due), fired


def _probe(market: Market, settings: Settings, as_of: datetime) -> tuple[float, bool]:
    """One new posting on one board, carried through: seconds until it is in the snapshot's signals."""
    employer = next(e for e in market.employers if e.source == "greenhouse" and e.tier == "broad")
    posting = market.new_posting(
        employer, "ai_ml_engineer", "production", "entry", as_of - timedelta(minutes=5)
    )
    market.clock = as_of
    market.inject(posting)
    start = time.perf_counter()
    manifest = pipeline.fetch_board(settings, "greenhouse", employer.board, as_of)
    pipeline.load_postings(settings, [manifest], as_of)
    pipeline.compute_outlook(settings, as_of)
    pipeline.fire_alerts(settings, as_of)
    pipeline.publish(settings)
    elapsed = time.perf_counter() - start
    source_id = str(greenhouse_job(posting, content=False)["id"])
    con = open_read_only(settings.snapshot_path)
    try:
        found = con.execute(
            "SELECT count(*) FROM postings WHERE source = 'greenhouse' AND source_id = ? AND role_id IS NOT NULL",
            [source_id],
        ).fetchone()[0]
    finally:
        con.close()
    return elapsed, bool(found)


# --------------------------------------------------------------------------------- results
def _read_results(settings: Settings) -> tuple[list[RoleOutcome], list[dict[str, Any]]]:
    con = open_read_only(settings.snapshot_path)
    try:
        scores = con.execute(
            "SELECT role_id, as_of, total, outlook_state FROM role_scores ORDER BY role_id, as_of"
        ).pl()
        alerts = con.execute(
            "SELECT fired_at, role_id, kind, old_value, new_value, message, delivery_status "
            "FROM alerts ORDER BY fired_at, role_id, kind"
        ).pl()
        roles = [r[0] for r in con.execute("SELECT role_id FROM role_cards ORDER BY role_id").fetchall()]
    finally:
        con.close()
    outcomes = []
    for role in roles:
        rows = scores.filter(scores["role_id"] == role)
        if rows.is_empty():
            outcomes.append(RoleOutcome(role, None, None, None, None))
            continue
        first, last = rows.row(0, named=True), rows.row(-1, named=True)
        outcomes.append(
            RoleOutcome(role, first["total"], last["total"], first["outlook_state"], last["outlook_state"])
        )
    return outcomes, alerts.to_dicts()


def judge(scenario: str, roles: list[RoleOutcome], alerts: list[dict[str, Any]]) -> tuple[bool, str, str]:
    """(met, what was expected, what happened) for the scenario's acceptance criterion."""
    expected = EXPECTED[scenario]
    if expected is None:
        noisy = [a for a in alerts if a["kind"] in ("outlook_change", "trigger")]
        verdict = "no outlook or trigger alert" if not noisy else f"{len(noisy)} outlook/trigger alert(s)"
        return not noisy, "no outlook_change or trigger alert in any week", verdict
    role, state = expected
    changes = [a for a in alerts if a["kind"] == "outlook_change" and a["role_id"] == role]
    final = next((r.end_state for r in roles if r.role_id == role), None)
    met = bool(changes) and changes[-1]["new_value"] == state and final == state
    if changes:
        last = changes[-1]
        verdict = f"last outlook_change {last['old_value']} → {last['new_value']}; final state {final}"
    else:
        verdict = f"no outlook_change alert; final state {final}"
    return met, f"an outlook_change alert to {state} for {role}", verdict


def _write_report(settings: Settings) -> tuple[Path | None, str | None]:
    """The analyst report next to the warehouse (laborwatch.report, from the snapshot)."""
    from laborwatch.report import write_report

    try:
        return write_report(settings, settings.data_dir / "report.html"), None
    except Exception as exc:  # noqa: BLE001 - a report failure must not hide the demo's outcome
        return None, f"{type(exc).__name__}: {exc}"


# -------------------------------------------------------------------------------------- run
def run_demo(
    scenario: str = "strengthen",
    weeks: int = DEFAULT_WEEKS,
    warehouse: Path | str | None = None,
    *,
    seed: int = DEFAULT_SEED,
    out: TextIO | None = sys.stdout,
    probe: bool = True,
) -> DemoResult:
    """Run `scenario` for `weeks` weeks through the real pipeline; print progress and the outcome."""
    if scenario not in SCENARIOS:
        raise DemoError(f"unknown scenario {scenario!r}; choose one of {', '.join(SCENARIOS)}")
    started = time.perf_counter()
    warehouse = Path(warehouse) if warehouse else DEFAULT_WAREHOUSE
    data_dir = prepare_directory(warehouse)
    market = build_market(scenario, weeks, seed)

    def say(text: str = "") -> None:
        if out is not None:
            print(text, file=out, flush=True)

    log: list[WeekLog] = []
    latency = Latency(None, None, {})
    with DemoServer(market) as server:
        settings = demo_settings(server, warehouse, data_dir, scenario)
        boards = boards_of(settings)
        say(
            f"laborwatch demo: scenario {scenario}, {weeks} weeks from {market.start:%Y-%m-%d}, "
            f"{len(market.employers)} employers on {len(boards)} boards, served at {server.url}"
        )
        for week in range(weeks):
            market.set_week(week)  # this week's postings are on the boards from now on
            as_of = market.as_of(week)
            seconds: dict[str, float] = {}
            loaded, due, fired = run_week(settings, boards, as_of, seconds)
            entry = WeekLog(
                week, as_of, len(market.listed(week)), loaded, due, fired.get("new_alerts", 0), seconds
            )
            log.append(entry)
            if fired.get("new_alerts") and latency.week is None and _count_alerts(settings, "outlook_change"):
                steps = {k: v for k, v in seconds.items() if k != "publish"}  # delivered before publishing
                latency = Latency(week, sum(steps.values()), steps)
            say(_week_line(entry))
        if probe:
            latency.probe_seconds, latency.probe_found = _probe(
                market, settings, market.as_of(weeks - 1) + timedelta(hours=2)
            )
        roles, alerts = _read_results(settings)
        report, report_error = _write_report(settings)
        requests = dict(server.requests)
    ok, expectation, verdict = judge(scenario, roles, alerts)
    result = DemoResult(
        scenario=scenario,
        weeks=weeks,
        ok=ok,
        expectation=expectation,
        verdict=verdict,
        roles=roles,
        alerts=alerts,
        warehouse=warehouse,
        snapshot=settings.snapshot_path,
        report=report,
        report_error=report_error,
        latency=latency,
        weeks_log=log,
        seconds=time.perf_counter() - started,
        employers=len(market.employers),
        postings=len(market.postings),
        alerts_file=settings.alerts_file,
        requests=requests,
    )
    if out is not None:
        print_result(result, out)
    return result


def _count_alerts(settings: Settings, kind: str) -> int:
    con = open_read_only(settings.snapshot_path)
    try:
        return con.execute("SELECT count(*) FROM alerts WHERE kind = ?", [kind]).fetchone()[0]
    finally:
        con.close()


def _week_line(w: WeekLog) -> str:
    total = sum(w.seconds.values())
    bls = ",".join(w.bls_due) if w.bls_due else "-"
    new = sum(board.get("new", 0) for board in w.loaded.get("boards", []))
    return (
        f"  week {w.week:>2}  {w.as_of:%Y-%m-%d}  on boards {w.listed:>4}  new {new:>4}  "
        f"bls {bls:<14}  alerts +{w.new_alerts:<2}  {total:5.1f} s"
    )


# ----------------------------------------------------------------------------------- output
def print_result(r: DemoResult, out: TextIO = sys.stdout) -> None:
    p = lambda text="": print(text, file=out)  # noqa: E731
    p()
    p(f"{'role':<18} {'score start':>11} {'score end':>9} {'change':>7}  state start → end")
    for role in r.roles:
        start = "-" if role.start_total is None else f"{role.start_total:.1f}"
        end = "-" if role.end_total is None else f"{role.end_total:.1f}"
        change = "-" if role.change is None else f"{role.change:+.1f}"
        p(f"{role.role_id:<18} {start:>11} {end:>9} {change:>7}  {role.start_state} → {role.end_state}")
    p()
    p(f"alerts fired: {len(r.alerts)}")
    for a in r.alerts:
        move = f"{a['old_value']} → {a['new_value']}" if a["old_value"] or a["new_value"] else ""
        first_line = (a["message"] or "").splitlines()[0][:110] if a["message"] else ""
        p(f"  {a['fired_at']:%Y-%m-%d}  {a['role_id'] or '-':<16} {a['kind']:<15} {move:<30} {first_line}")
    p()
    lat = r.latency
    if lat.seconds is not None:
        steps = ", ".join(f"{k} {v:.2f} s" for k, v in lat.steps.items())
        p(
            f"streaming latency: postings on the boards → outlook_change alert delivered: {lat.seconds:.2f} s "
            f"(week {lat.week}: {steps})"
        )
    else:
        p("streaming latency: no outlook_change alert fired, so there is no posting → alert time to report")
    loops = sorted(sum(v for k, v in w.seconds.items() if k != "publish") for w in r.weeks_log)
    if loops:
        p(
            f"every week, postings on the boards → scores computed and alerts delivered: median {loops[len(loops) // 2]:.2f} s, "
            f"max {loops[-1]:.2f} s"
        )
        totals: dict[str, float] = {}
        for w in r.weeks_log:
            for k, v in w.seconds.items():
                totals[k] = totals.get(k, 0.0) + v
        p("time per step over the run: " + ", ".join(f"{k} {v:.1f} s" for k, v in totals.items()))
    if lat.probe_seconds is not None:
        p(
            f"one new posting → postings view, signals, scores and alerts recomputed, snapshot published: "
            f"{lat.probe_seconds:.2f} s ({'found' if lat.probe_found else 'NOT found'} in the snapshot)"
        )
    p()
    p(f"warehouse:        {r.warehouse}")
    p(
        f'analyst snapshot: {r.snapshot}   (laborwatch sql "SELECT * FROM role_scores" --warehouse {r.snapshot})'
    )
    p(f"alerts file:      {r.alerts_file}")
    if r.report:
        p(f"report:           {r.report}")
    else:
        p(f"report:           not written ({r.report_error})")
    p()
    status = "MET" if r.ok else "NOT MET"
    p(f"expected: {r.expectation}: {status} ({r.verdict})")
    p(f"{r.weeks} weeks, {r.postings} postings from {r.employers} employers, {r.seconds:.1f} s")
