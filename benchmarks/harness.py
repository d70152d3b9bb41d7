"""Timing and memory for benchmark cases.

Each case runs in its own subprocess (`python -m benchmarks.cases NAME`), so its peak memory is its
own and not the sum of everything measured before it; inside, the timed step runs several times and
the median is reported. A case that reports several figures resets the kernel's high-water mark
before each one (`reset_peak`), so each figure's peak is what that step needed with its input loaded.
"""

from __future__ import annotations

import json
import os
import platform
import re
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
CACHE_ENV = "LABORWATCH_BENCH_CACHE"


def cache_dir() -> Path:
    """Generated data and warehouses; tests point it elsewhere (each case's process inherits it)."""
    return Path(os.environ.get(CACHE_ENV) or Path(__file__).resolve().parent / ".cache")


CACHE = cache_dir()  # as this process started: cases are processes of their own
_STATUS = Path("/proc/self/status")
_CLEAR_REFS = Path("/proc/self/clear_refs")


@dataclass
class Figure:
    case: str
    n: int
    median_seconds: float
    runs: list[float]
    per_second: float
    peak_rss_mb: float
    note: str = ""
    extra: dict[str, Any] = field(default_factory=dict)
    cpu_seconds: float | None = None  # median CPU time of the runs (both cores: up to 2× the wall time)


def peak_rss_mb() -> float:
    """This process's peak resident memory since start or the last `reset_peak` (Linux VmHWM)."""
    if _STATUS.exists():
        match = re.search(r"VmHWM:\s+(\d+)\s+kB", _STATUS.read_text())
        if match:
            return int(match.group(1)) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def reset_peak() -> None:
    """Start a new high-water mark at the current resident size (Linux >= 4.0; no-op elsewhere)."""
    try:
        _CLEAR_REFS.write_text("5")
    except OSError:
        pass


def timed(
    case: str,
    n: int,
    step: Callable[..., object],
    repeats: int = 3,
    note: str = "",
    setup: Callable[[], object] | None = None,
    budget_seconds: float | None = None,
) -> Figure:
    """Run `step` `repeats` times; report the median wall time and the peak memory meanwhile.

    With `setup`, each run calls `step(setup())` and only `step` is timed (a fresh warehouse, say).
    With `budget_seconds`, no further run starts once the runs so far took that long (so a step
    that takes minutes at full size is run fewer times; the figure's `runs` shows how many).
    The peak is reset first, so it counts the inputs already resident plus what the step allocates.
    """
    reset_peak()
    runs: list[float] = []
    cpus: list[float] = []
    for _ in range(repeats):
        if runs and budget_seconds is not None and sum(runs) >= budget_seconds:
            break
        prepared = setup() if setup is not None else None
        start, cpu = time.perf_counter(), time.process_time()
        step(prepared) if setup is not None else step()
        runs.append(time.perf_counter() - start)
        cpus.append(time.process_time() - cpu)
    median = statistics.median(runs)
    per_second = n / median if median > 0 else 0.0
    return Figure(
        case,
        n,
        round(median, 4),
        [round(r, 4) for r in runs],
        round(per_second, 1),
        round(peak_rss_mb(), 1),
        note,
        cpu_seconds=round(statistics.median(cpus), 4),
    )


def run_case(name: str, args: list[str], timeout: float | None = None, log: Path | None = None) -> list[dict]:
    """Run one case in a fresh interpreter and return its figures (a case may report several).

    The case's stderr goes to `log` when given (progress, warnings); a failure or timeout becomes one
    error entry, so one broken case does not lose the others' figures. Each figure also gets the
    machine's 1-minute load average before and after the case: on a shared 2-core machine a load
    above 2 means the case competed for the CPU and its times are pessimistic.
    """
    command = [sys.executable, "-m", "benchmarks.cases", name, *args]
    load_before = os.getloadavg()[0]
    try:
        proc = subprocess.run(command, capture_output=True, text=True, check=False, cwd=ROOT, timeout=timeout)
    except subprocess.TimeoutExpired:
        return [{"case": name, "error": f"timed out after {timeout:.0f} s"}]
    if log is not None:
        log.parent.mkdir(parents=True, exist_ok=True)
        with log.open("a", encoding="utf-8") as handle:
            handle.write(f"$ {' '.join(command[1:])}\n{proc.stderr}\n")
    lines = proc.stdout.strip().splitlines()
    if proc.returncode != 0 or not lines:
        return [{"case": name, "error": (proc.stderr.strip().splitlines() or ["failed"])[-1]}]
    figures = json.loads(lines[-1])
    load = [round(load_before, 2), round(os.getloadavg()[0], 2)]
    for figure in figures:
        figure["load_avg"] = load  # 1-minute load before and after: other work on the machine shows here
    return figures


def machine() -> dict[str, str]:
    """What the figures were measured on."""
    mem_gb = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    cpu = platform.processor() or platform.machine()
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        match = re.search(r"model name\s*:\s*(.+)", cpuinfo.read_text())
        if match:
            cpu = match.group(1).strip()
    import duckdb
    import polars

    return {
        "cpu": cpu,
        "cpu_count": str(os.cpu_count()),
        "memory_gb": f"{mem_gb:.0f}",
        "platform": platform.platform(),
        "python": platform.python_version(),
        "polars": polars.__version__,
        "duckdb": duckdb.__version__,
    }


def emit(figures: list[Figure]) -> None:
    """The case's result: a JSON list of figures on the last line of stdout."""
    print(json.dumps([asdict(f) for f in figures]))


def progress(message: str) -> None:
    """A progress line on stderr (stdout's last line is the result)."""
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)
