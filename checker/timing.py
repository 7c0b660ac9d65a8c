"""Stage timings and peak memory of one run, for the benchmarks (never for verdicts).

Set DXGUARD_TIMINGS=path and the process writes {"stages": {name: seconds}, "peak_rss_kib": …,
"opa_peak_rss_kib": …} there when it exits. "render" is the time from the finished report to
exit (rendering and writing the output). Off by default; costs nothing when off.

The peak is this process's own high-water mark (VmHWM in /proc/self/status). Not ru_maxrss: a
process started by fork (or vfork) and exec inherits in ru_maxrss the peak of the process that
started it, so a benchmark harness holding a corpus in memory would inflate every child's figure.
"""

from __future__ import annotations

import atexit
import json
import os
import resource
import time
from contextlib import contextmanager
from typing import Any

_stages: dict[str, float] = {}
_extra: dict[str, Any] = {}


@contextmanager
def stage(name: str):
    start = time.perf_counter()
    try:
        yield
    finally:
        _stages[name] = _stages.get(name, 0.0) + time.perf_counter() - start


def note(key: str, value: Any) -> None:
    _extra[key] = value


_report_ready: list[float] = []


def report_ready() -> None:
    """Mark the end of the pipeline; what follows until exit is rendering."""
    _report_ready.append(time.perf_counter())


def peak_rss_kib() -> int:
    """This process's peak resident memory in KiB since its exec (ru_maxrss where /proc is
    missing)."""
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def _write() -> None:
    path = os.environ.get("DXGUARD_TIMINGS")
    if not path:
        return
    if _report_ready:
        _stages["render"] = time.perf_counter() - _report_ready[-1]
    out = {
        "stages": {k: round(v, 4) for k, v in _stages.items()},
        "peak_rss_kib": peak_rss_kib(),
        **_extra,
    }
    with open(path, "w", encoding="utf-8") as fh:
        json.dump(out, fh, indent=2, sort_keys=True)


if os.environ.get("DXGUARD_TIMINGS"):
    atexit.register(_write)
