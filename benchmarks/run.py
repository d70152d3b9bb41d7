"""`make bench`: run every benchmark case, write benchmarks/results.json, regenerate docs/benchmarks.md
and the summary in README.md.

    python -m benchmarks.run                 # 1,000,000 postings (parse: 100,000 per format), 3 runs
    python -m benchmarks.run --quick         # 20,000 postings: a smoke run, written under .cache/
    python -m benchmarks.run --only classify,queries

Each case runs in its own process (benchmarks.cases); the data they share is generated once and
cached under benchmarks/.cache/ (the first full run spends several minutes building it). The figure
tables in docs/benchmarks.md sit between marker comments and are rewritten on every full run; the
text around them is kept. A full run also rewrites the summary block of README.md (machine,
targets, headline figures), so the README never quotes figures from another run than the docs.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from benchmarks.bench_queries import queries
from benchmarks.harness import ROOT, cache_dir, machine, progress, run_case
from ingest.sources import SOURCES

RESULTS = ROOT / "benchmarks" / "results.json"
DOCS = ROOT / "docs" / "benchmarks.md"
README = ROOT / "README.md"
START, END = "<!-- figures:start -->", "<!-- figures:end -->"
SUMMARY_START, SUMMARY_END = "<!-- bench-summary:start -->", "<!-- bench-summary:end -->"
QUERY_PREFIX = "query_"
QUERY_NAMES = tuple(queries(datetime(2026, 1, 5)))
PARSE_SOURCES = tuple(SOURCES)

# What each case is, in the order the docs list them.
LABELS: dict[str, str] = {
    "classify": "Classification (transforms.classify, batches of 100k)",
    "classify_floor": "Floor: one Polars pass over every description (to_lowercase)",
    "classify_rowwise": "Per-row Python `re`, same rules (sample)",
    "signals_full": "Signals + states + scores from scratch (pure transforms)",
    "outlook_full": "Outlook step, full recompute (read staging, write marts)",
    "incremental": "Incremental batch of 10,000, end to end through scores (load_landed's set-based load)",
    "load_upsert": "Load: Warehouse.upsert into staging.postings",
    "load_bulk_floor": "Floor: DuckDB bulk INSERT … FROM read_parquet",
}


@dataclass(frozen=True)
class Target:
    text: str
    check: Callable[[dict[str, dict]], tuple[bool, str] | None]  # None: not measured


def _fig(figs: dict[str, dict], name: str) -> dict | None:
    f = figs.get(name)
    return f if f and "error" not in f else None


def _per_second(case: str, minimum: float) -> Callable[[dict[str, dict]], tuple[bool, str] | None]:
    def check(figs: dict[str, dict]) -> tuple[bool, str] | None:
        f = _fig(figs, case)
        return None if f is None else (f["per_second"] >= minimum, f"{f['per_second']:,.0f} postings/s")

    return check


def _ratio(figs: dict[str, dict]) -> tuple[bool, str] | None:
    ours, floor = _fig(figs, "classify"), _fig(figs, "classify_floor")
    if ours is None or floor is None:
        return None
    ratio = ours["median_seconds"] / floor["median_seconds"]
    text = f"{ratio:.1f}× the floor (wall)"
    if ours.get("cpu_seconds") and floor.get("cpu_seconds"):
        text += f", {ours['cpu_seconds'] / floor['cpu_seconds']:.1f}× in CPU time"
    return ratio <= 3.0, text


def _over_rowwise(figs: dict[str, dict]) -> tuple[bool, str] | None:
    """Postings per second against the per-row Python `re` reference (issue 5: at least 20x)."""
    ours, rowwise = _fig(figs, "classify"), _fig(figs, "classify_rowwise")
    if ours is None or rowwise is None or not rowwise["per_second"]:
        return None
    ratio = ours["per_second"] / rowwise["per_second"]
    return ratio >= 20.0, f"{ratio:.1f}× the per-row implementation (postings/s)"


def _seconds(case: str, limit: float) -> Callable[[dict[str, dict]], tuple[bool, str] | None]:
    def check(figs: dict[str, dict]) -> tuple[bool, str] | None:
        f = _fig(figs, case)
        if f is None:
            return None
        text = f"{f['median_seconds']:,.2f} s"
        if f.get("extra", {}).get("extrapolated"):
            text += " (extrapolated: see the figure's note)"
        return f["median_seconds"] <= limit, text

    return check


def _memory(figs: dict[str, dict]) -> tuple[bool, str] | None:
    """Worst peak among our own steps at full size (the floors are DuckDB's and Polars' own)."""
    big = [
        f
        for f in figs.values()
        if "error" not in f
        and not f["case"].endswith("_floor")
        and (f.get("n", 0) >= 1_000_000 or f.get("extra", {}).get("history", 0) >= 1_000_000)
    ]
    if not big:
        return None
    worst = sorted(big, key=lambda f: -f["peak_rss_mb"])
    over = [f"{f['case']} {f['peak_rss_mb'] / 1024:.1f} GB" for f in worst if f["peak_rss_mb"] > 4096]
    text = f"worst {worst[0]['peak_rss_mb'] / 1024:.2f} GB ({worst[0]['case']})"
    if over:
        text += f"; over 4 GB: {', '.join(over)}"
    return not over, text


def _queries(figs: dict[str, dict]) -> tuple[bool, str] | None:
    qs = [f for name, f in figs.items() if name.startswith(QUERY_PREFIX) and "error" not in f]
    if not qs:
        return None
    worst = max(qs, key=lambda f: f["median_seconds"])
    over = [f for f in qs if f["median_seconds"] > 0.1]
    text = f"slowest {worst['median_seconds'] * 1000:.0f} ms ({worst['case'][len(QUERY_PREFIX) :]})"
    if over:
        text += f"; {len(over)} of {len(qs)} over 100 ms"
    return not over, text


TARGETS = [
    Target("Classification ≥ 100,000 postings/s", _per_second("classify", 100_000)),
    Target("Classification within 3× the single-pass floor", _ratio),
    Target("Classification ≥ 20× the per-row Python `re` implementation", _over_rowwise),
    Target("Full signals + scores recompute ≤ 10 s", _seconds("signals_full", 10.0)),
    Target("Full recompute through the warehouse (outlook step) ≤ 10 s", _seconds("outlook_full", 10.0)),
    Target(
        "Incremental 10,000-posting batch ≤ 1 s end to end (pipeline as built)", _seconds("incremental", 1.0)
    ),
    Target("Peak memory ≤ 4 GB at 1,000,000 postings (each of our steps)", _memory),
    Target("Analyst queries ≤ 100 ms each (`laborwatch sql`)", _queries),
]


# ------------------------------------------------------------------------------------- running
def plan(n: int, parse_n: int) -> list[tuple[str, int]]:
    """(case, n) in run order: cheap pure cases first, the warehouse ones after the data exists."""
    return [
        ("classify", n),
        ("classify_floor", n),
        ("classify_rowwise", n),
        ("signals_full", n),
        ("outlook_full", n),
        ("incremental", n),
        ("load_bulk_floor", n),
        ("load_upsert", n),
        ("queries", n),
        ("parse", parse_n),
    ]


def git_commit() -> str:
    proc = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=ROOT)
    return proc.stdout.strip() or "unknown"


def run_all(n: int, parse_n: int, repeats: int, only: set[str] | None, log: Path) -> dict[str, Any]:
    started = time.perf_counter()
    log.unlink(missing_ok=True)
    progress(f"preparing data at n={n:,} (cached after the first run)")
    prep = run_case("prepare", ["--n", str(n)], log=log)
    if prep and "error" in prep[0]:
        raise SystemExit(f"preparing the benchmark data failed: {prep[0]['error']} (see {log})")
    prepare_seconds = time.perf_counter() - started
    figures: list[dict] = []
    cases: dict[str, float] = {}
    for case, size in plan(n, parse_n):
        if only and case not in only:
            continue
        progress(f"case {case} (n={size:,})")
        t0 = time.perf_counter()
        result = run_case(case, ["--n", str(size), "--repeats", str(repeats)], log=log)
        cases[case] = round(time.perf_counter() - t0, 1)
        for f in result:
            progress(
                f"  {f['case']}: "
                + (
                    f"ERROR {f['error']}"
                    if "error" in f
                    else f"{f['median_seconds']:.3f} s, {f['per_second']:,.0f}/s, {f['peak_rss_mb']:,.0f} MB"
                )
            )
        figures.extend(result)
    return {
        "measured_at": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "commit": git_commit(),
        "machine": machine(),
        "n": n,
        "parse_n": parse_n,
        "repeats": repeats,
        "prepare_seconds": round(prepare_seconds, 1),
        "case_seconds": cases,
        "total_seconds": round(time.perf_counter() - started, 1),
        "figures": figures,
    }


# ------------------------------------------------------------------------------------ the docs
def _ms(seconds: float) -> str:
    return f"{seconds * 1000:,.0f} ms" if seconds < 1 else f"{seconds:,.2f} s"


def _cpu(figure: dict) -> str:
    cpu = figure.get("cpu_seconds")
    return "—" if cpu is None else f"{cpu:,.2f}"


def _load(figure: dict) -> str:
    before, after = figure.get("load_avg", (None, None))
    return "—" if before is None else f"{before:.1f}→{after:.1f}"


def _measured_on(results: dict[str, Any]) -> str:
    m = results["machine"]
    return (
        f"Measured {results['measured_at']} at commit `{results['commit']}` on {m['cpu']}, "
        f"{m['cpu_count']} cores, {m['memory_gb']} GB RAM ({m['platform']}); Python {m['python']}, "
        f"Polars {m['polars']}, DuckDB {m['duckdb']}. n = {results['n']:,} postings "
        f"(parse: {results['parse_n']:,}), median of {results['repeats']} runs unless noted"
    )


def _targets_table(figs: dict[str, dict]) -> list[str]:
    lines = ["| target | measured | verdict |", "|---|---|---|"]
    for target in TARGETS:
        outcome = target.check(figs)
        if outcome is None:
            lines.append(f"| {target.text} | not measured | — |")
        else:
            ok, text = outcome
            lines.append(f"| {target.text} | {text} | {'met' if ok else '**missed**'} |")
    return lines


def render_summary(results: dict[str, Any]) -> str:
    """The generated part of README.md: the machine, every target, and the headline figures."""
    figs = {f["case"]: f for f in results["figures"]}
    lines = [
        f"{_measured_on(results)}. Reproduce with `make bench` (about "
        f"{results['total_seconds'] / 60:.0f} min once the data is cached); every run, the notes and "
        "the per-query and per-format figures are in [docs/benchmarks.md](docs/benchmarks.md).",
        "",
        *_targets_table(figs),
        "",
        "| case | n | median wall | postings/s | peak memory |",
        "|---|---:|---:|---:|---:|",
    ]
    for case, label in LABELS.items():
        f = figs.get(case)
        if f is not None and "error" not in f:
            lines.append(
                f"| {label} | {f['n']:,} | {_ms(f['median_seconds'])} | {f['per_second']:,.0f} | "
                f"{f['peak_rss_mb']:,.0f} MB |"
            )
    return "\n".join(lines)


def render_figures(results: dict[str, Any]) -> str:
    """The generated part of docs/benchmarks.md: machine, targets, figures, queries, parse."""
    figs = {f["case"]: f for f in results["figures"]}
    lines = [
        f"{_measured_on(results)}; `make bench` took {results['total_seconds'] / 60:.1f} min "
        f"({results['prepare_seconds'] / 60:.1f} min of it building or checking the cached data). "
        "*load avg* is the machine's 1-minute load average before and after each case: above 2 on "
        "these 2 cores, other work competed for the CPU and that case's times are pessimistic.",
        "",
        "### Targets",
        "",
        *_targets_table(figs),
    ]
    lines += [
        "",
        "### Figures",
        "",
        "| case | n | median wall | postings/s | CPU s | peak memory | runs (s) | load avg | notes |",
        "|---|---:|---:|---:|---:|---:|---|---|---|",
    ]
    errors = []
    for case, label in LABELS.items():
        f = figs.get(case)
        if f is None:
            continue
        if "error" in f:
            errors.append(f"- `{case}` failed: {f['error']}")
            continue
        runs = ", ".join(f"{r:.2f}" for r in f["runs"])
        lines.append(
            f"| {label} | {f['n']:,} | {_ms(f['median_seconds'])} | {f['per_second']:,.0f} | "
            f"{_cpu(f)} | {f['peak_rss_mb']:,.0f} MB | {runs} | {_load(f)} | {f['note']} |"
        )
    queries = [f for name, f in figs.items() if name.startswith(QUERY_PREFIX)]
    if queries:
        lines += [
            "",
            "### Analyst queries",
            "",
            f"On the views of the {results['n']:,}-posting warehouse. `laborwatch sql` = open read-only, "
            "query, close (what the CLI does each time); open connection = the same query again on a "
            "connection kept open. Medians of 5 runs after one warm-up.",
            "",
            "| query | `laborwatch sql` | open connection | rows | SQL |",
            "|---|---:|---:|---:|---|",
        ]
        for f in queries:
            if "error" in f:
                errors.append(f"- `{f['case']}` failed: {f['error']}")
                continue
            extra = f.get("extra", {})
            lines.append(
                f"| {f['case'][len(QUERY_PREFIX) :]} | {_ms(f['median_seconds'])} | "
                f"{_ms(extra.get('warm_seconds', 0))} | {extra.get('rows', '')} | "
                f"`{extra.get('sql', '')}` |"
            )
    parses = [f for name, f in figs.items() if name.startswith("parse_")]
    if parses:
        lines += [
            "",
            "### Parse from raw payloads, per source format",
            "",
            "Each format's postings are parsed as several runs over equal slices (each run different "
            "payloads); *all* is the sum of the runs, the time for every posting of that format.",
            "",
            "| format | postings | payloads | MB | all | median run (postings) | postings/s | "
            "peak memory | share in html_to_text |",
            "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
        ]
        for f in parses:
            if "error" in f:
                errors.append(f"- `{f['case']}` failed: {f['error']}")
                continue
            x = f.get("extra", {})
            lines.append(
                f"| {f['case'][len('parse_') :]} | {x.get('postings', f['n']):,} | {x.get('payloads', 0):,} | "
                f"{x.get('mb', 0):,.0f} | {_ms(x.get('total_seconds', 0))} | {_ms(f['median_seconds'])} "
                f"({f['n']:,}) | {f['per_second']:,.0f} | {f['peak_rss_mb']:,.0f} MB | "
                f"{x.get('html_to_text_share', 0):.0%} |"
            )
    other = [
        f
        for name, f in figs.items()
        if name not in LABELS and not name.startswith((QUERY_PREFIX, "parse_")) and "error" in f
    ]
    errors += [f"- `{f['case']}` failed: {f['error']}" for f in other]
    if errors:
        lines += ["", "### Cases that did not run", "", *errors]
    return "\n".join(lines)


def replace_block(path: Path, start: str, end: str, body: str) -> bool:
    """Replace what stands between the `start` and `end` markers of `path`; False if it has none."""
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    if start not in text or end not in text:
        return False
    head, rest = text.split(start, 1)
    _, tail = rest.split(end, 1)
    path.write_text(f"{head}{start}\n{body}\n{end}{tail}", encoding="utf-8")
    return True


def write_docs(results: dict[str, Any], path: Path) -> None:
    """Replace the generated block of `path` (or create the page around it)."""
    if not replace_block(path, START, END, render_figures(results)):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"# Benchmarks\n\n{START}\n{render_figures(results)}\n{END}\n", encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    """Run the suite; return 1 if any case failed (its error is in the results and the docs)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, help="postings (default 1,000,000; --quick 20,000)")
    parser.add_argument(
        "--parse-n", type=int, help="postings to parse, all formats together (default 100,000)"
    )
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="smoke run at n=20,000, written under .cache/")
    parser.add_argument("--only", help="comma-separated case names")
    parser.add_argument("--results", type=Path, help="where to write the JSON results")
    parser.add_argument("--docs", type=Path, help="the Markdown page whose figure block to rewrite")
    args = parser.parse_args(argv)
    n = args.n or (20_000 if args.quick else 1_000_000)
    parse_n = args.parse_n or (2_000 if args.quick else 100_000)
    repeats = 2 if args.quick and args.repeats == 3 else args.repeats
    full = n >= 1_000_000 and not args.quick and not args.only
    cache = cache_dir()
    results_path = args.results or (RESULTS if full else cache / f"results-n{n}.json")
    docs_path = args.docs or (DOCS if full else cache / f"benchmarks-n{n}.md")
    only = set(args.only.split(",")) if args.only else None
    log = cache / "run.log"
    results = run_all(n, parse_n, repeats, only, log)
    results_path.parent.mkdir(parents=True, exist_ok=True)
    results_path.write_text(json.dumps(results, indent=1) + "\n", encoding="utf-8")
    write_docs(results, docs_path)
    if full and args.docs is None:
        replace_block(README, SUMMARY_START, SUMMARY_END, render_summary(results))
    progress(f"wrote {results_path} and {docs_path} in {results['total_seconds'] / 60:.1f} min (log: {log})")
    failed = [f["case"] for f in results["figures"] if "error" in f]
    if failed:
        print(f"cases that failed: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
