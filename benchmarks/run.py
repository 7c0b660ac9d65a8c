"""Measure dxguard side by side with the engine limit and its peers, in one run.

For each corpus size: `dxguard scan` cold (wall time, peak memory of dxguard and of its OPA, and
the stage breakdown from DXGUARD_TIMINGS); the engine limit — the same bundle evaluated by
`opa eval` on the same prepared input, nothing else; conftest running equivalent checks
(benchmarks/peers/conftest/policy) over the same files; and the peers a user would pick instead,
each with all its Kubernetes checks on the corpus's manifests beside dxguard with all its checks:
Trivy (`trivy config`, its embedded checks) and Checkov (kubernetes framework), both offline.
Writes a Markdown report (default docs/benchmarks.md) with the machine it ran on and the ratios.

    python benchmarks/run.py --sizes 1000,10000,100000
    python benchmarks/run.py --sizes 1000 --out /tmp/bench.md     # what CI runs
    python benchmarks/run.py --sizes 1000,10000 --peer-sizes checkov=1000 --out /tmp/b.md
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import re
import shlex
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psutil

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from generate import GENERATOR_VERSION, generate  # noqa: E402

from checker.bundle import BATCH_SIZE  # noqa: E402  (objects per chunk, as dxguard sends them)

AS_OF = "2026-11-26T00:00:00Z"
TOOLS = ROOT / ".tools" / "bin"
PEER_POLICY = ROOT / "benchmarks" / "peers" / "conftest" / "policy"
CHECKOV = ROOT / ".tools" / "checkov-venv" / "bin" / "checkov"


def corpus(size: int, cache: Path) -> Path:
    out = cache / str(size)
    marker = out / "CORPUS.json"
    if marker.exists():
        meta = json.loads(marker.read_text())
        if meta.get("generator_version") == GENERATOR_VERSION and meta.get("resources") == size:
            return out
    print(f"  generating {size} resources …", file=sys.stderr)
    generate(size, out)
    return out


def timed(cmd: list[str], env: dict[str, str] | None = None, ok=(0, 1)) -> float:
    """Wall seconds of a command; a failing command stops the benchmark with its stderr."""
    start = time.perf_counter()
    proc = subprocess.run(
        cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, check=False
    )
    wall = time.perf_counter() - start
    if proc.returncode not in ok:
        raise SystemExit(f"{cmd[0]} failed (exit {proc.returncode}):\n{proc.stderr[-2000:]}")
    return wall


# The checks benchmarks/peers/conftest/policy implements: dxguard runs with only these (every
# other check disabled by config) for the side-by-side with conftest.
PEER_CHECKS = (
    "DXG-K8S-ISO-001",
    "DXG-K8S-ISO-002",
    "DXG-K8S-ISO-003",
    "DXG-K8S-ISO-004",
    "DXG-K8S-PIN-001",
    "DXG-K8S-PIN-002",
)


def peer_config(work: Path) -> Path:
    """A dxguard config that disables every check conftest does not run."""
    out = subprocess.run(
        [sys.executable, "-m", "checker", "checks", "list", "--format", "json"],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "DXGUARD_OPA": str(TOOLS / "opa")},
    )
    others = [c["id"] for c in json.loads(out.stdout) if c["id"] not in PEER_CHECKS]
    path = work / "peer-checks.yaml"
    path.write_text(
        json.dumps(
            {
                "version": 1,
                "checks": {
                    "disabled": [
                        {"id": cid, "reason": "benchmark: the checks conftest runs only"}
                        for cid in others
                    ]
                },
            }
        )
    )
    return path


def measure_dxguard(path: Path, work: Path, config: Path | None = None) -> dict:
    """One cold `dxguard scan`: wall time and peak memory of its process tree (dxguard with its
    OPA, sampled), the stage breakdown and each process's own high-water mark from
    DXGUARD_TIMINGS, and what the report counted."""
    timings = work / "timings.json"
    timings.unlink(missing_ok=True)
    env = {**os.environ, "DXGUARD_TIMINGS": str(timings), "DXGUARD_OPA": str(TOOLS / "opa")}
    cmd = [
        sys.executable,
        "-m",
        "checker",
        "scan",
        str(path),
        "--format",
        "json",
        "-o",
        str(work / "report.json"),
        "--as-of",
        AS_OF,
        "-q",
    ]
    if config is not None:
        cmd += ["-c", str(config)]
    run = run_tree(cmd, env=env)
    if run.returncode not in (0, 1):
        raise SystemExit(f"dxguard failed (exit {run.returncode}):\n{run.stderr[-2000:]}")
    data = json.loads(timings.read_text())
    report = json.loads((work / "report.json").read_text())
    return {
        "wall": run.wall,
        "peak_kib": run.peak_kib,
        "stages": data["stages"],
        "peak_rss_kib": data["peak_rss_kib"],
        "opa_peak_rss_kib": data.get("opa_peak_rss_kib", 0),
        "resources": report["summary"]["resources"]["loaded"],
        "subjects": report["summary"]["subjects"]["examined"],
    }


# The engine limit's one query: every chunk judged by data.dxguard.main.object_answer, as dxguard
# asks OPA for each chunk, and the cluster-scope checks once (cluster_results, whose input is the
# context alone), in one `opa eval` of the same bundle on the same data. One expression, so that
# `--format raw` prints its value once, compactly. Each chunk's rows are evaluated in full and
# counted, not printed: at 100k resources they would be gigabytes of JSON for the harness to read,
# so the engine limit leaves out encoding the answer (dxguard's OPA encodes it; its time is in
# dxguard's "engine" stage).
ENGINE_QUERY = (
    '{"objects": [{"judged": a.judged, "rows": count(a.rows)} | some c in input.chunks;'
    " a := data.dxguard.main.object_answer with input as c],"
    ' "cluster": [count(r) | ctx := input.context; r := data.dxguard.main.cluster_results'
    ' with input as {"context": ctx}]}'
)


@dataclass
class EngineInput:
    """What dxguard gives OPA for one corpus, written once (never timed): the data it loads
    (data.inventory, data.dxguard.config, data.dxguard.index) and its chunks, as it sends them."""

    input: Path
    data: Path
    ids: list[list[str]]  # the object ids of each chunk, in order
    cluster: bool  # whether dxguard asks for the cluster-scope checks (not scope: application)


def prepare_engine_input(path: Path, work: Path) -> EngineInput:
    """The data and the chunk inputs dxguard's scan of `path` sends OPA, built by dxguard's own
    code (checker.bundle, checker.inventory): the inventory of the kinds the enabled checks
    declare, the config's parameters, the check index; the objects in chunks of BATCH_SIZE, each
    `{"resources": […], "context": {"as_of": …}}` as Bundle._judge sends it."""
    from checker.bundle import EngineSpec, open_bundle, prepare
    from checker.config import Config
    from checker.engine.client import check_index
    from checker.inventory import build_inventory
    from checker.loaders import load

    config = Config()
    resources = load([str(path)]).resources
    with open_bundle(prepare(config, spec=EngineSpec(opa_binary=str(TOOLS / "opa")))) as bundle:
        inventory = build_inventory(resources, bundle.inventory_kinds(), config.workloads)
        index = check_index(bundle.checks, set(config.disabled_checks))
    context = {"as_of": AS_OF}
    chunks = [resources[i : i + BATCH_SIZE] for i in range(0, len(resources), BATCH_SIZE)]
    inp = work / "engine-input.json"
    inp.write_text(
        json.dumps(
            {
                "chunks": [
                    {"resources": [r.to_input() for r in chunk], "context": context}
                    for chunk in chunks
                ],
                "context": context,
            }
        )
    )
    data = work / "engine-data.json"
    data.write_text(
        json.dumps(
            {"inventory": inventory, "dxguard": {"config": config.policy_data(), "index": index}}
        )
    )
    return EngineInput(
        inp, data, [[r.id for r in chunk] for chunk in chunks], config.scope != "application"
    )


def engine_rows(answer: Any, prepared: EngineInput) -> int:
    """The result rows of the engine limit's answer: one answer per chunk, each about exactly
    that chunk's objects, plus the cluster-scope rows. Anything else stops the benchmark: a
    wrong engine limit is worse than none."""
    try:
        objects, cluster = answer["objects"], answer["cluster"]
        judged = [a["judged"] for a in objects]
        rows = sum(int(a["rows"]) for a in objects)
    except (KeyError, TypeError) as exc:
        raise SystemExit(
            f"engine limit: `opa eval` answered {str(answer)[:300]!r}: {exc}"
        ) from None
    if judged != prepared.ids:
        raise SystemExit(
            f"engine limit: `opa eval` judged {len(judged)} chunk(s) that are not the "
            f"{len(prepared.ids)} chunk(s) of the input"
        )
    if prepared.cluster:
        if len(cluster) != 1 or not isinstance(cluster[0], int):
            raise SystemExit(f"engine limit: no cluster_results in the answer: {cluster!r:.300}")
        rows += cluster[0]
    return rows


def measure_engine(prepared: EngineInput, work: Path) -> dict:
    """The engine limit: `opa eval` (one process, so one core) of the same bundle on the same
    data and chunks as dxguard; wall time and peak memory of its process tree, and the number
    of result rows it returned."""
    out = work / "engine-answer.json"
    cmd = [
        str(TOOLS / "opa"),
        "eval",
        "--ignore",
        "*_test.rego",
        "-d",
        str(ROOT / "rego"),
        "-d",
        str(prepared.data),
        "-i",
        str(prepared.input),
        "--format",
        "raw",
        "--fail",
        ENGINE_QUERY,
    ]
    run = run_tree(cmd, stdout=out)
    if run.returncode != 0:
        raise SystemExit(
            f"engine limit: opa eval failed (exit {run.returncode}):\n{run.stderr[-2000:]}"
        )
    import orjson  # dxguard's own JSON decoder: the answer can be hundreds of megabytes

    answer = orjson.loads(out.read_bytes())
    out.unlink()
    return {"wall": run.wall, "peak_kib": run.peak_kib, "rows": engine_rows(answer, prepared)}


def check_engine_rows(engine: dict, dxguard: dict, size: int) -> None:
    """The engine limit must have judged what dxguard judged: as many result rows as the
    subjects dxguard examined on the same corpus. Otherwise the benchmark stops."""
    if engine["rows"] != dxguard["subjects"]:
        raise SystemExit(
            f"size {size}: the engine limit (`opa eval`) returned {engine['rows']:,} result rows "
            f"but dxguard examined {dxguard['subjects']:,} subjects on the same corpus: the "
            "engine limit does not evaluate what dxguard evaluates, so no ratio is reported"
        )


@dataclass
class Run:
    """One command's wall time and the peak memory of its whole process tree."""

    wall: float
    peak_kib: int
    returncode: int
    stderr: str
    stopped: str = ""  # why the harness stopped it (memory or time limit), if it did


def run_tree(
    cmd: list[str],
    *,
    env: dict[str, str] | None = None,
    cwd: Path | None = None,
    stdout: Path | None = None,
    interval: float = 0.05,
    mem_limit_kib: int = 0,
    timeout: float = 0,
) -> Run:
    """Run a command; sample the summed RSS of it and all its descendants every `interval`.

    The peak is the largest sampled sum, nothing else: the kernel's maximum RSS (wait4's
    ru_maxrss) is not used, because a child started by fork and exec inherits in it the peak of
    the process that started it — this harness, which holds a loaded corpus — and every row
    would read the harness's memory. A spike shorter than `interval` can be missed. Forked
    workers' shared pages count once per process (RSS, not PSS). With `mem_limit_kib` or
    `timeout` set, the tree is killed when its sampled memory or its wall time passes the limit
    (the run is then `stopped`, never a result).
    """
    with (
        open(stdout if stdout else os.devnull, "wb") as out,
        tempfile.TemporaryFile() as err,
    ):
        start = time.perf_counter()
        proc = subprocess.Popen(
            cmd, env=env, cwd=cwd, stdout=out, stderr=err, start_new_session=True
        )
        peak = 0
        stopped = ""
        done = threading.Event()

        def sample() -> None:
            nonlocal peak, stopped
            try:
                root = psutil.Process(proc.pid)
            except psutil.NoSuchProcess:
                return
            while not done.is_set():
                try:
                    tree = [root, *root.children(recursive=True)]
                except psutil.NoSuchProcess:
                    return
                total = 0
                for p in tree:
                    with contextlib.suppress(psutil.Error):
                        total += p.memory_info().rss
                peak = max(peak, total)
                elapsed = time.perf_counter() - start
                if mem_limit_kib and total // 1024 > mem_limit_kib and not stopped:
                    stopped = f"stopped: its memory passed {mem_limit_kib / 1024 / 1024:.1f} GiB"
                elif timeout and elapsed > timeout and not stopped:
                    stopped = f"stopped: still running after {timeout:.0f} s"
                if stopped:
                    with contextlib.suppress(ProcessLookupError):
                        os.killpg(proc.pid, signal.SIGKILL)
                    return
                done.wait(interval)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        _, status, _usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        done.set()
        sampler.join()
        proc.returncode = os.waitstatus_to_exitcode(status)
        # A stopped tree's workers share its session: none may outlive the measurement.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        err.seek(0)
        text = err.read().decode(errors="replace")
    return Run(wall, peak // 1024, proc.returncode, text, stopped)


def measure_conftest(path: Path, work: Path) -> dict:
    """conftest with the six equivalent checks over the corpus's manifests; its last output line
    (`N tests, P passed, …`) is kept to show it judged them."""
    files = sorted(str(p) for p in (path / "apps").rglob("*.yaml"))
    cmd = [str(TOOLS / "conftest"), "test", "--no-color", "--policy", str(PEER_POLICY), *files]
    out = work / "conftest.txt"
    run = run_tree(cmd, stdout=out)
    if run.returncode not in (0, 1):
        raise SystemExit(f"conftest failed (exit {run.returncode}):\n{run.stderr[-2000:]}")
    lines = [line for line in out.read_text().splitlines() if line.strip()]
    summary = lines[-1].strip() if lines else ""
    if not re.search(r"[1-9]\d* tests", summary):
        raise SystemExit(f"conftest judged nothing: {summary!r}")
    return {"wall": run.wall, "peak_kib": run.peak_kib, "summary": summary}


# The peers a user would pick instead, each run with all its Kubernetes checks on the corpus's
# manifests (the folder `apps/`), offline, writing its JSON report to a file as dxguard does.


@dataclass
class Peer:
    name: str
    label: str
    binary: Path
    build: str  # how to build it, for the row of a run without it
    ok: tuple[int, ...] = (0,)
    version: str = field(default="", init=False)

    def command(self, apps: Path, work: Path, out: Path) -> tuple[list[str], dict[str, str]]:
        raise NotImplementedError

    def summary(self, out: Path) -> str:
        """What the peer reported, read from its JSON; an empty scan is an error, never a row."""
        raise NotImplementedError

    def missing(self) -> str:
        return "" if self.binary.exists() else f"not built: run `{self.build}`"


class Trivy(Peer):
    def command(self, apps: Path, work: Path, out: Path) -> tuple[list[str], dict[str, str]]:
        # The checks embedded in the binary, no version notice, no telemetry: nothing reaches
        # the network. `--timeout` defaults to 5 minutes, which 100k resources exceed.
        cmd = [
            str(self.binary),
            "config",
            "--skip-check-update",
            "--skip-version-check",
            "--disable-telemetry",
            "--quiet",
            "--format",
            "json",
            "--misconfig-scanners",
            "kubernetes",
            "--timeout",
            "24h",
            "--cache-dir",
            str(work / "trivy-cache"),
            "--output",
            str(out),
            str(apps),
        ]
        return cmd, {**os.environ, "TRIVY_NO_PROGRESS": "true"}

    def summary(self, out: Path) -> str:
        results = json.loads(out.read_text()).get("Results") or []
        files = [r for r in results if r.get("Class") == "config"]
        if not files:
            raise ValueError("Trivy reported no Kubernetes file")
        failures = sum(len(r.get("Misconfigurations") or []) for r in files)
        return f"{failures:,} failures in {len(files):,} files"


class Checkov(Peer):
    def command(self, apps: Path, work: Path, out: Path) -> tuple[list[str], dict[str, str]]:
        env = {
            **os.environ,
            # No platform data (guidelines, severities, ids) and no package index version check:
            # without an API key it scans locally with every built-in check.
            "BC_SKIP_MAPPING": "TRUE",
            "CKV_SKIP_PACKAGE_UPDATE_CHECK": "TRUE",
            # The corpus cache is benchmarks/.corpus: Checkov skips anything under a hidden
            # directory, the scanned folder's own parents included, and would examine nothing.
            "CKV_IGNORE_HIDDEN_DIRECTORIES": "false",
            "CKV_CACHE_DIR": str(work / "checkov-cache"),
        }
        cmd = [
            str(self.binary),
            "-d",
            str(apps),
            "--framework",
            "kubernetes",
            "--quiet",
            "-o",
            "json",
            "--skip-download",
        ]
        return cmd, env

    def summary(self, out: Path) -> str:
        data = json.loads(out.read_text())
        reports = data if isinstance(data, list) else [data]
        s = next((r["summary"] for r in reports if r.get("check_type") == "kubernetes"), None)
        if not s or not s.get("resource_count"):
            raise ValueError(f"Checkov examined no Kubernetes resource: {data!r:.300}")
        errors = f", {s['parsing_errors']:,} parsing errors" if s.get("parsing_errors") else ""
        return (
            f"{s['failed']:,} failed, {s['passed']:,} passed on "
            f"{s['resource_count']:,} resources{errors}"
        )


PEERS: dict[str, Peer] = {
    "trivy": Trivy("trivy", "Trivy (`trivy config`)", TOOLS / "trivy", "make trivy"),
    "checkov": Checkov("checkov", "Checkov (kubernetes)", CHECKOV, "make checkov", ok=(0, 1)),
}


def measure_peer(
    peer: Peer, apps: Path, work: Path, mem_limit_kib: int = 0, timeout: float = 0
) -> dict:
    """One run of a peer: wall, peak memory of its process tree, and what it reported; or why
    there is no result (`error`), which the row then states."""
    out = work / f"{peer.name}.json"
    out.unlink(missing_ok=True)
    cmd, env = peer.command(apps, work, out)
    run = run_tree(cmd, env=env, cwd=work, stdout=out if peer.name == "checkov" else None,
                   mem_limit_kib=mem_limit_kib, timeout=timeout)  # fmt: skip
    if run.stopped:
        # how long it had run when stopped: at least that long is what it would have taken
        by_time = run.stopped.startswith("stopped: still running")
        return {
            "error": run.stopped if by_time else f"{run.stopped} (after {run.wall:.0f} s)",
            "stopped": "time" if by_time else "memory",
            "after": run.wall,
        }
    if run.returncode not in peer.ok:
        last = [line for line in run.stderr.splitlines() if line.strip()][-1:] or ["no output"]
        return {"error": f"failed (exit {run.returncode}): {last[0].strip()[:300]}"}
    try:
        summary = peer.summary(out)
    except (OSError, ValueError, KeyError, TypeError) as exc:
        return {"error": f"no usable report: {exc}"}
    return {"wall": run.wall, "peak_kib": run.peak_kib, "summary": summary}


def measure_dxguard_all(apps: Path, work: Path) -> dict:
    """dxguard with every check on the same files as the peers, measured the way they are."""
    report = work / "report-all.json"
    cmd = [sys.executable, "-m", "checker", "scan", str(apps), "--format", "json",
           "-o", str(report), "--as-of", AS_OF, "-q"]  # fmt: skip
    run = run_tree(cmd, env={**os.environ, "DXGUARD_OPA": str(TOOLS / "opa")})
    if run.returncode not in (0, 1):
        raise SystemExit(f"dxguard failed (exit {run.returncode}):\n{run.stderr[-2000:]}")
    data = json.loads(report.read_text())
    resources = data["summary"]["resources"]["loaded"]
    return {
        "wall": run.wall,
        "peak_kib": run.peak_kib,
        "resources": resources,
        "summary": f"{len(data['findings']):,} findings on {resources:,} resources",
    }


def parse_peer_sizes(specs: list[str], known: set[str]) -> dict[str, set[int]]:
    """`--peer-sizes checkov=1000,10000` → {"checkov": {1000, 10000}}; `name=` measures none."""
    sizes: dict[str, set[int]] = {}
    for spec in specs:
        name, sep, values = spec.partition("=")
        if not sep or name not in known:
            raise SystemExit(
                f"--peer-sizes {spec!r}: expected NAME=SIZE,… with NAME in {sorted(known)}"
            )
        sizes[name] = {int(v) for v in values.split(",") if v.strip()}
    return sizes


def median_ratio(rounds: list[tuple[float, float]]) -> float:
    """The median over rounds of (dxguard ÷ other), each pair measured back to back."""
    return statistics.median(a / b for a, b in rounds)


def summarise(runs: list[dict]) -> dict:
    """A tool's rounds at one size: median wall and median peak; the first error if any failed."""
    errors = [r["error"] for r in runs if "error" in r]
    if errors:
        return {"error": errors[0], "rounds": len(runs)}
    return {
        "wall": statistics.median(r["wall"] for r in runs),
        "peak_kib": int(statistics.median(r["peak_kib"] for r in runs)),
        "summary": runs[-1].get("summary", ""),
        "walls": [r["wall"] for r in runs],
        "rounds": len(runs),
    }


def _version(cmd: list[str]) -> str:
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=60).stdout
    except (OSError, subprocess.TimeoutExpired):
        return ""
    return " ".join(out.split())


def machine() -> dict[str, str]:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = "unknown"
    try:
        kib = int(Path("/proc/meminfo").read_text().split()[1])
        mem = f"{kib / 1024 / 1024:.1f} GiB"
    except (OSError, ValueError, IndexError):
        pass
    opa = subprocess.run([str(TOOLS / "opa"), "version"], capture_output=True, text=True).stdout
    conftest = (
        _version([str(TOOLS / "conftest"), "--version"])
        if (TOOLS / "conftest").exists()  # benchmarks/store.py runs without the peer
        else ""
    )
    trivy = PEERS["trivy"]
    checkov = PEERS["checkov"]
    return {
        "cpu": cpu,
        "cores": str(os.cpu_count()),
        "memory": mem,
        "os": platform.platform(),
        "python": platform.python_version(),
        "opa": opa.splitlines()[0].split(":", 1)[1].strip() if opa else "?",
        "conftest": conftest or "?",
        "trivy": (_version([str(trivy.binary), "--version"]).removeprefix("Version: ") or "?")
        if trivy.binary.exists()
        else "not built",
        "checkov": (_version([str(checkov.binary), "--version"]) or "?")
        if checkov.binary.exists()
        else "not installed",
    }


def _gib(kib: float) -> str:
    return f"{kib / 1024 / 1024:.2f} GiB" if kib >= 1024 * 1024 else f"{kib / 1024:.0f} MiB"


def render(rows: list[dict], info: dict[str, str], command: str, repeat: int = 1) -> str:
    now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    out = [
        "# Benchmarks",
        "",
        f"Measured {now} with `python benchmarks/run.py {command}` "
        "(`make bench`). All numbers come from one run, cold (a new process per measurement)"
        + (
            f"; {repeat} rounds per size, in each of which every tool runs once, back to back "
            "(this shared machine's speed drifts by ±15 % from minute to minute). The first "
            "two tables keep each time's best round; every ratio (÷) is the median of the "
            "per-round ratios, each taken between two runs of the same round."
            if repeat > 1
            else ", one round per size."
        ),
        "",
        f"Machine: {info['cpu']}, {info['cores']} cores, {info['memory']}; {info['os']}; "
        f"Python {info['python']}; OPA {info['opa']}; conftest {info['conftest']}; "
        f"Trivy {info['trivy']}; Checkov {info['checkov']}.",
        "",
        "The evidence store (recording runs, many runs, verifying the chain) is measured "
        "separately: [benchmarks-store.md](benchmarks-store.md) (`make bench-store`); the "
        "admission webhook under open-loop load beside the raw OPA, with its goals: "
        "[benchmarks-webhook.md](benchmarks-webhook.md) (`make bench-webhook`).",
        "",
        "## dxguard and the engine limit (every check)",
        "",
        "| Resources | Subjects | dxguard scan | load | engine | mapping | render "
        "| peak memory, dxguard + its OPA (process tree) | dxguard's own peak | its OPA's own "
        "peak | engine only (`opa eval`, one core) | its peak memory | dxguard ÷ engine |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        d = r["dxguard"]
        s = d["stages"]
        stages = " | ".join(f"{s.get(k, 0):.2f} s" for k in ("load", "engine", "mapping", "render"))
        out.append(
            f"| {d['resources']:,} | {d['subjects']:,} | {d['wall']:.2f} s | {stages} "
            f"| {_gib(d['peak_kib'])} | {_gib(d['peak_rss_kib'])} "
            f"| {_gib(d['opa_peak_rss_kib'])} "
            f"| {r['engine']:.2f} s | {_gib(r['engine_rss_kib'])} "
            f"| {r['ratios']['engine']:.2f}× |"
        )
    out += [
        "",
        "Inside dxguard's engine stage: encoding the input, the request to OPA (sending, OPA's "
        "evaluation, receiving), decoding the answer, reading the rows.",
        "",
        "| Resources | encode | OPA request | decode | rows |",
        "|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        s = r["dxguard"]["stages"]
        parts = " | ".join(
            f"{s.get(f'engine.{k}', 0):.2f} s" for k in ("encode", "opa", "decode", "rows")
        )
        out.append(f"| {r['dxguard']['resources']:,} | {parts} |")
    out += [
        "",
        "## dxguard and conftest (the same six checks)",
        "",
        "| Resources | dxguard scan (six checks) | conftest (six checks) | dxguard ÷ conftest |",
        "|---:|---:|---:|---:|",
    ]
    for r in rows:
        p = r["dxguard_peer"]
        out.append(
            f"| {p['resources']:,} | {p['wall']:.2f} s | {r['conftest']:.2f} s "
            f"| {r['ratios']['conftest']:.2f}× |"
        )
    out += peers_table(rows)
    if len(rows) > 1:
        first, last = rows[-2]["dxguard"], rows[-1]["dxguard"]
        engine_scaling = rows[-1]["engine"] / rows[-2]["engine"]
        out += [
            "",
            f"Scaling: {last['resources']:,} resources take "
            f"{last['wall'] / first['wall']:.1f}× the time of {first['resources']:,} "
            f"(the engine alone: {engine_scaling:.1f}×).",
        ]
    out += goals(rows)
    out += [
        "",
        "Columns: *dxguard scan* is the wall time of `dxguard scan <corpus> --format json -o …` "
        "including Python start-up, OPA start-up (overlapped with loading), loading, the "
        "chunked OPA queries (`--jobs` = one per core), mapping and writing the report; the "
        "stage columns come from "
        "`DXGUARD_TIMINGS` (load runs while OPA starts, so the stages need not add up to the "
        "wall time). *Engine only* is one `opa eval` process (so one core, where dxguard uses "
        "every core) of the same bundle on the data dxguard loads into its OPA (the inventory "
        "of the kinds the enabled checks declare, the config's parameters, the check index, "
        "all built by dxguard's own code) and an input holding the chunks dxguard sends, "
        f"{BATCH_SIZE} objects each, exactly as it sends them: the query evaluates "
        "`data.dxguard.main.object_answer` for each chunk and `cluster_results` once (reading "
        "the input and evaluating; each chunk's rows are counted in OPA, not printed), nothing "
        "else. The harness adds up those counts and stops unless they equal the subjects "
        "dxguard examined on the same corpus. For conftest, dxguard "
        "runs with every check but the six that `benchmarks/peers/conftest/policy` implements "
        "disabled by config, over the same files conftest reads.",
        "",
        "*The peers* (`make bench` builds them; `make test` and CI never do): every tool reads "
        "the same files, the corpus's Kubernetes manifests (`apps/`), and writes a JSON report. "
        "dxguard runs with all its checks. **Trivy** is built from its published Go module "
        "(`benchmarks/peers/trivy`, `make trivy`) and runs `trivy config --skip-check-update "
        "--skip-version-check --disable-telemetry --quiet --format json --misconfig-scanners "
        "kubernetes` with the Kubernetes checks embedded in the binary and its cache in a "
        "temporary folder: it reaches no network (it was also run in an empty network "
        "namespace, with the same result). **Checkov** is installed from the package index at "
        "the version and dependencies pinned in `benchmarks/peers/checkov` (`make checkov`, "
        "its own virtualenv `.tools/checkov-venv`) and runs `checkov -d … --framework "
        "kubernetes --quiet -o json --skip-download` with `BC_SKIP_MAPPING=TRUE` and "
        "`CKV_SKIP_PACKAGE_UPDATE_CHECK=TRUE` (no vendor platform data, no version check: "
        "without an API key it runs every built-in check locally) and "
        "`CKV_IGNORE_HIDDEN_DIRECTORIES=false` (the corpus lives under `benchmarks/.corpus`, "
        "and Checkov otherwise skips any path below a hidden folder and examines nothing). "
        "*conftest* is the six-check policy above. *Wall* and *peak memory* are medians over "
        "the rounds; the peak is the summed RSS of the tool's whole process tree (dxguard "
        "with its OPA, Checkov with its forked parsers), sampled every 50 ms (a spike shorter "
        "than that can be missed); shared pages of forked workers count once per process. "
        "The kernel's maximum RSS (ru_maxrss) is not used: a process started by fork and exec "
        "inherits in it the peak of the harness that started it, which holds a loaded corpus. "
        "In the first table, *dxguard's own peak* and *its OPA's own peak* are each process's "
        "high-water mark (VmHWM) from `DXGUARD_TIMINGS`; their sum can exceed the tree's "
        "sampled peak, since the two need not peak at the same moment. *Resources/s* divides "
        "the corpus's Kubernetes resources (as dxguard loads them) by the wall time. "
        "*Reported* is read from each tool's own output, to show it judged the files; a run "
        "that judged nothing or failed says so instead of a time. A peer the run leaves out "
        "says why (`--peer-sizes`; `--peer-mem-limit` stops a peer whose tree passes the "
        "limit, by default half the machine's memory, so a peer cannot exhaust this shared "
        "machine). Trivy and Checkov run in the first rounds only when `--peer-rounds N` says "
        "so (their medians and ratios are then over the rounds they ran, each ratio against "
        "dxguard's run of the same round). A peer stopped by `--peer-timeout` (or by the "
        "memory limit after dxguard had finished) has no time, but it would have taken longer "
        "than it ran: its ratio is a bound, dxguard ÷ peer < dxguard's time ÷ the time it ran, "
        "and *faster than* is met when that bound is below 1.",
        "",
    ]
    return "\n".join(out)


def peers_table(rows: list[dict]) -> list[str]:
    out = [
        "",
        "## dxguard and its peers (each with all its Kubernetes checks, the same files)",
        "",
        "| Resources | Tool | Wall | Peak memory (process tree) | Resources/s "
        "| dxguard ÷ tool | Reported |",
        "|---:|---|---:|---:|---:|---:|---|",
    ]
    for r in rows:
        peers = r["peers"]
        n = peers["dxguard"]["resources"]
        for name, label in (
            ("dxguard", "dxguard (all checks)"),
            ("trivy", PEERS["trivy"].label),
            ("checkov", PEERS["checkov"].label),
            ("conftest", "conftest (six checks)"),
        ):
            p = peers.get(name) or {"error": "not measured"}
            if "error" in p:
                bound = f" < {p['bound']:.2f}× (bound)" if "bound" in p else ""
                out.append(f"| {n:,} | {label} | {p['error']} | | |{bound} | |")
                continue
            ratio = r["ratios"].get(f"peer.{name}")
            shown = "—" if name == "dxguard" else f"{ratio:.2f}×"
            out.append(
                f"| {n:,} | {label} | {p['wall']:.2f} s | {_gib(p['peak_kib'])} "
                f"| {n / p['wall']:,.0f} | {shown} | {p['summary']} |"
            )
    return out


def goals(rows: list[dict]) -> list[str]:
    """The issue's goals for this machine, each with what this run measured: met or missed."""
    by_size = {r["size"]: r for r in rows}
    lines: list[tuple[str, str, str]] = []

    def add(goal: str, measured: str, ok: bool) -> None:
        lines.append((goal, measured, "met" if ok else "**missed**"))

    small, large = by_size.get(10000), by_size.get(100000)
    if small:
        wall = small["dxguard"]["wall"]
        add("10k resources scanned cold in ≤ 5 s, every check", f"{wall:.2f} s", wall <= 5)
    for r in (small, large):
        if r:
            ratio = r["ratios"]["engine"]
            add(f"dxguard ≤ 1.3× engine only at {r['size']:,}", f"{ratio:.3f}×", ratio <= 1.3)
    for r in rows:
        ratio = r["ratios"]["conftest"]
        add(f"faster than conftest at {r['size']:,} (the same six checks)", f"{ratio:.3f}×",
            ratio < 1)  # fmt: skip
    for r in rows:
        if r["size"] not in (1000, 10000, 100000):
            continue
        for name, who in (("trivy", "Trivy"), ("checkov", "Checkov")):
            peer = r["peers"].get(name) or {"error": "not measured"}
            goal = f"faster than {who} at {r['size']:,} (all checks each)"
            if "bound" in peer:
                # stopped before it finished: dxguard ÷ peer is below the bound
                bound = peer["bound"]
                shown = f"< {bound:.3f}× ({peer['error']})"
                lines.append((goal, shown, "met" if bound < 1 else "**not measured**"))
            elif "error" in peer:
                lines.append((goal, peer["error"], "**not measured**"))
            else:
                ratio = r["ratios"][f"peer.{name}"]
                add(goal, f"{ratio:.3f}×", ratio < 1)
    if large:
        peak = large["dxguard"]["peak_kib"] / 1024 / 1024
        add("100k in ≤ 2 GiB peak memory (dxguard + its OPA, process tree)", f"{peak:.2f} GiB",
            peak <= 2)  # fmt: skip
    if small and large:
        d10, d100 = small["dxguard"], large["dxguard"]
        mem = d100["peak_kib"] / d10["peak_kib"]
        shown = f"{mem:.2f}× ({_gib(d100['peak_kib'])} ÷ {_gib(d10['peak_kib'])})"
        add("peak memory at 100k ≤ 1.5× the peak at 10k (process tree)", shown, mem <= 1.5)
        ratio = d100["wall"] / d10["wall"]
        engine = large["engine"] / small["engine"]
        add("100k takes ≤ 10.5× the 10k time", f"{ratio:.1f}× (engine alone {engine:.1f}×)",
            ratio <= 10.5)  # fmt: skip
    if not lines:
        return []
    out = ["", "## Goals", "", "| Goal (this 2-core machine) | Measured | |", "|---|---:|---|"]
    out += [f"| {g} | {m} | {status} |" for g, m, status in lines]
    return out


def _wall(measured: Any) -> float:
    if isinstance(measured, dict):
        return measured["wall"]
    return measured[0] if isinstance(measured, tuple) else measured


def _best(rounds: list[dict], key: str) -> Any:
    return min((r[key] for r in rounds), key=_wall)


def progress(what: str, measured: Any) -> str:
    """What one tool's run took, for the progress lines on stderr: `trivy 321.4 s, 2.98 GiB`."""
    if isinstance(measured, dict) and "error" in measured:
        return f"{what}: {measured['error']}"
    if isinstance(measured, tuple):
        wall, peak = measured
    else:
        wall, peak = measured["wall"], measured.get("peak_kib", 0)
    return f"{what} {wall:.1f} s, {_gib(peak)}"


def skipped_reason(name: str, size: int, spec: str, note: str, measured: dict[int, dict]) -> str:
    """The row of a peer this run leaves out at `size`: the reason given, and what it measured."""
    reason = note or f"left out of this run (`--peer-sizes {spec}`)"
    seen = [(s, m["wall"]) for s, m in sorted(measured.items()) if "wall" in m and s < size]
    if seen:
        reason += "; measured here: " + ", ".join(f"{w:.0f} s at {s:,}" for s, w in seen)
    return f"not measured: {reason}"


def measure_size(
    size: int,
    path: Path,
    repeat: int,
    peers: list[Peer],
    mem_limit_kib: int,
    timeout: float,
    peer_rounds: int = 0,
) -> dict:
    """Every tool at one size, `repeat` rounds back to back; Trivy and Checkov (`peers`) in the
    first `peer_rounds` rounds only (0: all)."""
    peer_rounds = peer_rounds or repeat
    rounds: list[dict] = []
    failed: dict[str, dict] = {}  # a peer that failed once is not run again at this size
    with tempfile.TemporaryDirectory(prefix="dxguard-bench-") as tmp:
        work = Path(tmp)
        prepared = prepare_engine_input(path, work)
        for round_ in range(1, repeat + 1):
            note = f" (round {round_} of {repeat})" if repeat > 1 else ""

            def step(what: str, measure: Callable[[], Any]) -> Any:
                print(f"size {size}: {what} …{note}", file=sys.stderr)  # noqa: B023
                measured = measure()
                print(f"size {size}: {progress(what, measured)}{note}", file=sys.stderr)  # noqa: B023
                return measured

            r: dict[str, Any] = {}
            r["dxguard"] = step("dxguard", lambda: measure_dxguard(path, work))
            r["engine"] = step("engine only", lambda: measure_engine(prepared, work))
            check_engine_rows(r["engine"], r["dxguard"], size)
            r["dxguard_peer"] = step(
                "dxguard with the peer's checks",
                lambda: measure_dxguard(path / "apps", work, peer_config(work)),
            )
            r["conftest"] = step("conftest", lambda: measure_conftest(path, work))
            r["dxguard_all"] = step(
                "dxguard with all checks on the peers' files",
                lambda: measure_dxguard_all(path / "apps", work),
            )
            # the slow peers run in the first `peer_rounds` rounds only
            for peer in peers if round_ <= peer_rounds else []:
                if peer.name in failed:
                    continue
                m = step(
                    peer.name,
                    lambda peer=peer: measure_peer(
                        peer, path / "apps", work, mem_limit_kib, timeout
                    ),
                )
                if "error" in m:
                    failed[peer.name] = {**m, "dxguard_wall": r["dxguard_all"]["wall"]}
                else:
                    r[peer.name] = m
            rounds.append(r)
    engine = _best(rounds, "engine")
    ratios = {
        "engine": median_ratio([(r["dxguard"]["wall"], r["engine"]["wall"]) for r in rounds]),
        "conftest": median_ratio(
            [(r["dxguard_peer"]["wall"], r["conftest"]["wall"]) for r in rounds]
        ),
        "peer.conftest": median_ratio(
            [(r["dxguard_all"]["wall"], r["conftest"]["wall"]) for r in rounds]
        ),
    }
    all_runs = [r["dxguard_all"] for r in rounds]
    row_peers: dict[str, dict] = {
        "dxguard": {**summarise(all_runs), "resources": all_runs[-1]["resources"]},
        "conftest": summarise([r["conftest"] for r in rounds]),
    }
    for peer in peers:
        row_peers[peer.name], ratio = peer_row(peer.name, rounds, failed.get(peer.name))
        if ratio is not None:
            ratios[f"peer.{peer.name}"] = ratio
    return {
        "size": size,
        "dxguard": _best(rounds, "dxguard"),
        "engine": engine["wall"],
        "engine_rss_kib": engine["peak_kib"],
        "engine_rows": engine["rows"],
        "dxguard_peer": _best(rounds, "dxguard_peer"),
        "conftest": _best(rounds, "conftest")["wall"],
        "ratios": ratios,
        "peers": row_peers,
    }


def peer_row(name: str, rounds: list[dict], failed: dict | None) -> tuple[dict, float | None]:
    """A peer's row at one size and its ratio (dxguard ÷ peer, the median of the per-round
    ratios over the rounds where both ran; None if there are none).

    A peer that failed is an error row, whatever earlier rounds measured. A peer the harness
    stopped (`failed["stopped"]`: its time limit, or its memory limit) in its first round has
    a bound instead of a ratio: it would have taken longer than `after`, so dxguard ÷ peer <
    dxguard's time in that round ÷ `after` — stated for a time limit always, for a memory
    limit only when dxguard had finished by then (else the row stays not measured). Stopped
    after rounds that measured it, the row is those rounds', with a note of the stop."""
    ran = [r for r in rounds if name in r]
    ratio = (
        median_ratio([(r["dxguard_all"]["wall"], r[name]["wall"]) for r in ran]) if ran else None
    )
    if failed is None:
        return summarise([r[name] for r in ran]), ratio
    if "stopped" not in failed:
        return {"error": failed["error"]}, None
    if ran:
        row = summarise([r[name] for r in ran])
        row["summary"] += f"; stopped in round {len(ran) + 1}: {failed['error']}"
        return row, ratio
    row = {"error": failed["error"]}
    dxguard, after = failed["dxguard_wall"], failed["after"]
    if failed["stopped"] == "time" or dxguard < after:
        row["bound"] = dxguard / after
    return row, None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "benchmarks.md")
    parser.add_argument("--cache", type=Path, default=ROOT / "benchmarks" / ".corpus")
    parser.add_argument("--append", type=Path, help="Markdown notes to add below the table")
    parser.add_argument(
        "--repeat", type=int, default=3, help="rounds per size, every tool once in each round"
    )
    parser.add_argument(
        "--peer-sizes",
        action="append",
        default=[],
        metavar="NAME=SIZE,…",
        help="the sizes at which to run a peer (trivy, checkov); every size by default; "
        "`NAME=` runs it at none. Repeatable.",
    )
    parser.add_argument(
        "--peer-note",
        action="append",
        default=[],
        metavar="NAME=TEXT",
        help="why --peer-sizes leaves a peer out, for its rows in the report",
    )
    parser.add_argument(
        "--peer-mem-limit",
        type=float,
        default=0,
        metavar="GIB",
        help="stop a peer whose process tree passes this memory (default: half the machine's)",
    )
    parser.add_argument(
        "--peer-timeout",
        type=float,
        default=0,
        metavar="S",
        help="stop a peer after S seconds; its row then bounds dxguard ÷ peer",
    )
    parser.add_argument(
        "--peer-rounds",
        type=int,
        default=0,
        metavar="N",
        help="run Trivy and Checkov in the first N rounds of each size only (default: all)",
    )
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    for tool in ("opa", "conftest"):
        if not (TOOLS / tool).exists():
            raise SystemExit(f"{TOOLS / tool} is missing: run `make opa conftest` first")
    peer_sizes = parse_peer_sizes(args.peer_sizes, set(PEERS))
    specs = {spec.partition("=")[0]: spec for spec in args.peer_sizes}
    notes = dict(n.partition("=")[::2] for n in args.peer_note)
    mem_limit_kib = int(args.peer_mem_limit * 1024 * 1024) or psutil.virtual_memory().total // 2048
    rows = []
    for size in sizes:
        path = corpus(size, args.cache)
        here = [
            p for p in PEERS.values() if not p.missing() and size in peer_sizes.get(p.name, {size})
        ]
        row = measure_size(
            size, path, args.repeat, here, mem_limit_kib, args.peer_timeout, args.peer_rounds
        )
        for name, peer in PEERS.items():
            if name in row["peers"]:
                continue
            earlier = {r["size"]: r["peers"].get(name, {}) for r in rows}
            row["peers"][name] = {
                "error": peer.missing()
                or skipped_reason(name, size, specs.get(name, ""), notes.get(name, ""), earlier)
            }
        rows.append(row)
        print(json.dumps(row), file=sys.stderr)
    # the exact command line, quoted as a shell would need it (`--peer-note` holds spaces)
    text = render(rows, machine(), shlex.join(sys.argv[1:]), args.repeat)
    if args.append and args.append.exists():
        text += "\n" + args.append.read_text()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text)
    print(text)


if __name__ == "__main__":
    main()
