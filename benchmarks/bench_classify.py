"""Benchmark: classify_postings on generated postings, beside a single-pass floor and a per-row
Python `re` implementation of the same rules.

    python -m benchmarks.bench_classify [--n 1000000] [--rowwise-sample 5000] [--seed 0]

Reports postings per second (wall clock) and per CPU-second, peak RSS, the ratio to the floor and
the speed-up over the per-row implementation. CPU time is reported as well because this machine is
shared: under load the wall clock says more about the neighbours than about the code.

`classify_rowwise` is the per-row implementation: one posting at a time, Python's `re` with the
very same rule tables (transforms.*; patterns translated by transforms.rewrite.python_regex). It
doubles as an executable specification: tests/classify/test_rowwise_agrees.py checks that both
implementations give identical labels.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import time
from collections.abc import Callable, Iterable, Sequence
from functools import cache, partial
from pathlib import Path
from typing import Any

import polars as pl

from benchmarks.generate_postings import ensure_cached
from transforms import classify, role_match, salary, scope, seniority, tags
from transforms.rewrite import Rewrite, python_regex, python_replacement
from transforms.role_card import RoleCard

# --- the per-row reference implementation -------------------------------------------------------


@cache
def _rx(pattern: str) -> re.Pattern[str]:
    return python_regex(pattern)


def _raw(html: str | None, text: str | None) -> str:
    if html:
        if re.search(classify._ESCAPED_HTML, html) and "<" not in html:
            for old, new in classify._UNESCAPE.items():
                html = html.replace(old, new)
        return html
    return text or ""


def _in_scope(lowered: str) -> str:
    text = lowered
    for op in scope.SCOPE_OPS:
        if isinstance(op, scope.SectionFilter):
            drop, keep = _rx(op.drop), _rx(op.keep)
            pieces = text.split(op.marker)
            text = "".join(p for p in pieces if not drop.search(p) or keep.search(p))
        elif isinstance(op, Rewrite) and op.literal:
            text = text.replace(op.pattern, op.replacement)
        else:
            text = _rx(op.pattern).sub(python_replacement(op.replacement), text)
    return text


def _years(text: str) -> int | None:
    best: int | None = None
    for statement in _rx(seniority.YEARS_PATTERN).finditer(text):
        s = statement.group(0)
        if not _rx(seniority._ASKED).search(s):
            continue
        if _rx(seniority._UPPER_BOUND_ONLY).search(s):
            value = 0
        else:
            for word, digit in seniority._WORD_NUMBERS.items():
                s = s.replace(word, digit)
            number = re.search(r"(\d{1,2})", s)
            if number is None:
                continue
            value = int(number.group(1))
        best = value if best is None else max(best, value)
    return best


def _seniority(title: str, text: str) -> str:
    for level in ("intern", "lead", "senior", "mid", "entry"):
        if _rx(seniority.TITLE_PATTERNS[level]).search(title):
            return level
    if _rx(seniority.TEXT_CUE_GATE).search(text):
        cue = _rx(seniority.TEXT_CUES).search(text)
        if cue is not None:
            return "intern" if cue.group("intern") is not None else "entry"
    years = _years(text)
    if years is None:
        return "mid"
    return "senior" if years >= 5 else "mid" if years >= 2 else "entry"


def _role(title: str, cards: Sequence[RoleCard]) -> tuple[str | None, str | None]:
    if _rx(role_match.NON_ENGINEERING_PATTERN).search(title):
        return None, None
    for card in sorted(cards, key=lambda c: (c.priority, c.id)):
        if _rx(role_match.any_pattern(card.title_patterns)).search(title) and not (
            card.exclude_patterns and _rx(role_match.any_pattern(card.exclude_patterns)).search(title)
        ):
            return card.id, (card.soc_codes[0] if card.soc_codes else None)
    for code, pattern in role_match.FALLBACK_PATTERNS:
        if _rx(pattern).search(title):
            return None, code
    return None, None


def _amount(digits: str | None, suffix: str | None) -> float | None:
    if digits is None:
        return None
    if re.search(r"^\d{1,3}(?:[,.]\d{3})+$", digits):
        digits = re.sub(r"[,.]", "", digits)
    try:
        value = float(digits)
    except ValueError:
        return None
    return value * 1000 if suffix == "k" else value


def _salary(text: str) -> dict[str, Any] | None:
    for gate, pattern in salary.SALARY_PATTERNS:
        if not _rx(gate).search(text):
            continue
        for m in _rx(pattern).finditer(text):
            g = m.groupdict()
            low = _amount(g.get("lo"), g.get("lok") or "")
            hik = g.get("hik")
            high = _amount(g.get("hi"), hik or g.get("lok") or "")
            if low is None:
                continue
            if g.get("lok") is None and hik is not None and low < 1000:
                low *= 1000
            high = low if high is None else high
            stated = g.get("interval") or g.get("adverb")
            interval = salary._INTERVALS.get(stated) if stated else None
            if interval is None:
                interval = "year" if low >= 10_000 else "hour" if 7 <= low <= 500 else None
            if interval is None or low > high:
                continue
            ok = (low >= 5_000 and high <= 5_000_000) if interval == "year" else high <= 100_000
            if ok:
                cur = g["cur"]
                return {
                    "salary_min": low,
                    "salary_max": high,
                    "salary_currency": salary._CURRENCY_CODES.get(cur, cur.upper()),
                    "salary_interval": interval,
                }
    return None


def _remote(location: str, text: str) -> bool | None:
    if _rx(salary._ONSITE_LOCATION).search(location):
        return False
    if _rx(salary._REMOTE_LOCATION).search(location):
        return True
    statements = [m.group(0) for m in _rx(salary._WORK_MODE).finditer(text)]
    if any(_rx(salary._ONSITE).search(s) for s in statements):
        return False
    return True if statements else None


def classify_row(posting: dict[str, Any], cards: Sequence[RoleCard]) -> dict[str, Any]:
    """One posting, classified with Python's `re` by the same rules as transforms.classify."""
    title = posting.get("title") or ""
    lowered = "\n" + _raw(posting.get("description_html"), posting.get("description_text")).lower()
    text = _in_scope(lowered)
    found = sorted(
        tag
        for tag in tags.TAGS
        if _rx(tags.TITLE_PATTERNS[tag]).search(title) or _rx(tags.TAG_PATTERNS[tag]).search(text)
    )
    production = any(t in tags.PRODUCTION_TAGS for t in found)
    role_id, soc_code = _role(title, cards)
    out = dict(posting)
    out.update(
        role_id=role_id,
        soc_code=soc_code,
        seniority=_seniority(title, text),
        tags=found,
        production_ownership=production,
        routine_only="routine_adaptation" in found and not production and "research" not in found,
        classifier_version=classify.CLASSIFIER_VERSION,
    )
    if out.get("remote") is None:
        out["remote"] = _remote(posting.get("location") or "", lowered)
    if posting.get("salary_min") is None and posting.get("salary_max") is None:
        out.update(_salary(lowered) or dict.fromkeys(salary.SALARY_FIELDS))
    return out


def classify_rowwise(postings: Iterable[dict[str, Any]], cards: Sequence[RoleCard]) -> list[dict[str, Any]]:
    """The straightforward implementation: a Python loop, one posting at a time."""
    return [classify_row(p, cards) for p in postings]


# --- measurement -------------------------------------------------------------------------------


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _timed(fn: Callable[[], Any]) -> tuple[Any, float, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    result = fn()
    return result, time.perf_counter() - wall, time.process_time() - cpu


def _row(name: str, n: int, wall: float, cpu: float) -> dict[str, Any]:
    return {
        "step": name,
        "postings": n,
        "wall_s": round(wall, 3),
        "cpu_s": round(cpu, 3),
        "per_s": round(n / wall),
        "per_cpu_s": round(n / cpu) if cpu else None,
    }


def _read_batch(path: Path, offset: int, rows: int) -> pl.DataFrame:
    return pl.scan_parquet(path).slice(offset, rows).collect()


def run(n: int, rowwise_sample: int, seed: int, batch: int = 100_000) -> dict[str, Any]:
    """Classify the n cached postings in batches read from Parquet (so memory stays bounded on a
    shared 23 GB machine), timing the floor and the classifier on every batch."""
    from laborwatch.role_cards import load_role_cards  # benchmarks may use the whole project

    cards = load_role_cards()
    path, gen_wall, gen_cpu = _timed(partial(ensure_cached, n, seed))
    description = pl.coalesce("description_html", "description_text")
    totals = {name: [0.0, 0.0] for name in ("read", "floor", "memchr", "classify")}
    words_mean = 0.0
    sample: list[dict[str, Any]] = []
    expected: list[dict[str, Any]] = []
    for offset in range(0, n, batch):
        frame, wall, cpu = _timed(partial(_read_batch, path, offset, batch))
        totals["read"][0] += wall
        totals["read"][1] += cpu
        # floor: one pass that reads and writes every description once
        _, wall, cpu = _timed(partial(frame.select, description.str.to_lowercase().str.len_bytes().sum()))
        totals["floor"][0] += wall
        totals["floor"][1] += cpu
        _, wall, cpu = _timed(partial(frame.select, description.str.contains("\x00zq", literal=True).sum()))
        totals["memchr"][0] += wall
        totals["memchr"][1] += cpu
        classified, wall, cpu = _timed(partial(classify.classify_postings, frame, cards))
        totals["classify"][0] += wall
        totals["classify"][1] += cpu
        if offset == 0:
            words = description.str.replace_all("<[^>]*>", " ").str.count_matches(r"\S+")
            words_mean = frame.head(20_000).select(words.mean()).item()
            sample = frame.head(rowwise_sample).to_dicts()
            expected = classified.head(rowwise_sample).select(classify.LABEL_COLUMNS).to_dicts()
        del frame, classified
    results = [
        _row("generate_postings (or reuse the Parquet cache)", n, gen_wall, gen_cpu),
        _row("read Parquet batches", n, *totals["read"]),
        _row("floor: one lowercase pass over every description", n, *totals["floor"]),
        _row("floor: one memchr scan (reads every byte)", n, *totals["memchr"]),
    ]
    main = _row("classify_postings", n, *totals["classify"])
    floor = results[2]
    results.append(main)
    rows, wall, cpu = _timed(partial(classify_rowwise, sample, cards))
    rowwise = _row("per-row Python re (same rules)", len(sample), wall, cpu)
    results.append(rowwise)
    agree = sum(
        all(r[k] == e[k] for k in classify.LABEL_COLUMNS) for r, e in zip(rows, expected, strict=True)
    )
    summary = {
        "n": n,
        "batch": batch,
        "cpus": os.cpu_count(),
        "load_average_after": [round(x, 1) for x in os.getloadavg()],
        "words_per_posting_mean": round(words_mean),
        "postings_per_s": main["per_s"],
        "postings_per_cpu_s": main["per_cpu_s"],
        "x_floor_wall": round(main["wall_s"] / floor["wall_s"], 1),
        "x_floor_cpu": round(main["cpu_s"] / floor["cpu_s"], 1),
        "speedup_over_rowwise_wall": round(main["per_s"] / rowwise["per_s"], 1),
        "speedup_over_rowwise_cpu": round(main["per_cpu_s"] / rowwise["per_cpu_s"], 1),
        "rowwise_agreement": f"{agree}/{len(sample)}",
        "peak_rss_mb": round(_peak_rss_mb()),
        "classifier_version": classify.CLASSIFIER_VERSION,
    }
    return {"steps": results, "summary": summary}


def main() -> None:
    parser = argparse.ArgumentParser(description="Benchmark transforms.classify.classify_postings.")
    parser.add_argument("--n", type=int, default=1_000_000, help="generated postings to classify")
    parser.add_argument("--rowwise-sample", type=int, default=5_000, help="postings for the per-row run")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--batch", type=int, default=100_000, help="postings read and classified at a time")
    args = parser.parse_args()
    report = run(args.n, args.rowwise_sample, args.seed, args.batch)
    for step in report["steps"]:
        print(
            f"{step['step']:<52} {step['postings']:>9,} postings  wall {step['wall_s']:>8.2f}s "
            f"({step['per_s']:>9,}/s)  cpu {step['cpu_s']:>8.2f}s ({step['per_cpu_s'] or 0:>9,}/cpu-s)"
        )
    print(json.dumps(report["summary"], indent=2))


if __name__ == "__main__":
    main()
