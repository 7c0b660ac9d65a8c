"""Measure dxguard side by side with the engine limit and a peer, in one run.

For each corpus size: `dxguard scan` cold (wall time, peak memory of dxguard and of its OPA, and
the stage breakdown from DXGUARD_TIMINGS); the engine limit — the same bundle evaluated by
`opa eval` on the same prepared input, nothing else; and conftest running equivalent checks
(benchmarks/peers/conftest/policy) over the same files. Writes a Markdown report (default
docs/benchmarks.md) with the machine it ran on and the ratios.

    python benchmarks/run.py --sizes 1000,10000,100000
    python benchmarks/run.py --sizes 1000 --out /tmp/bench.md     # what CI runs
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from generate import GENERATOR_VERSION, generate  # noqa: E402

AS_OF = "2026-11-26T00:00:00Z"
TOOLS = ROOT / ".tools" / "bin"
PEER_POLICY = ROOT / "benchmarks" / "peers" / "conftest" / "policy"


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
    timings = work / "timings.json"
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
    wall = timed(cmd, env)
    data = json.loads(timings.read_text())
    report = json.loads((work / "report.json").read_text())
    return {
        "wall": wall,
        "stages": data["stages"],
        "peak_rss_kib": data["peak_rss_kib"],
        "opa_peak_rss_kib": data.get("opa_peak_rss_kib", 0),
        "resources": report["summary"]["resources"]["loaded"],
        "subjects": report["summary"]["subjects"]["examined"],
    }


def prepare_engine_input(path: Path, work: Path) -> tuple[Path, Path]:
    """The exact input and data dxguard sends OPA, written once (not timed)."""
    from checker.config import Config
    from checker.loaders import load

    loaded = load([str(path)])
    inp = work / "input.json"
    inp.write_text(
        json.dumps(
            {"resources": [r.to_input() for r in loaded.resources], "context": {"as_of": AS_OF}}
        )
    )
    data = work / "data.json"
    data.write_text(json.dumps({"dxguard": {"config": Config().policy_data()}}))
    return inp, data


def measure_engine(inp: Path, data: Path) -> tuple[float, int]:
    """Wall seconds and peak RSS (KiB, from GNU time) of `opa eval` on the prepared input."""
    cmd = [
        str(TOOLS / "opa"),
        "eval",
        "--ignore",
        "*_test.rego",
        "-d",
        str(ROOT / "rego"),
        "-d",
        str(data),
        "-i",
        str(inp),
        "--format",
        "json",
        "data.dxguard.main",
    ]
    gnu_time = Path("/usr/bin/time")
    if not gnu_time.exists():
        return timed(cmd, ok=(0,)), 0
    with tempfile.NamedTemporaryFile("r", suffix=".rss") as rss:
        wall = timed([str(gnu_time), "-f", "%M", "-o", rss.name, *cmd], ok=(0,))
        return wall, int(Path(rss.name).read_text().split()[-1])


def measure_conftest(path: Path) -> float:
    files = sorted(str(p) for p in (path / "apps").rglob("*.yaml"))
    cmd = [str(TOOLS / "conftest"), "test", "--no-color", "--policy", str(PEER_POLICY), *files]
    return timed(cmd, ok=(0, 1))


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
        subprocess.run(
            [str(TOOLS / "conftest"), "--version"], capture_output=True, text=True
        ).stdout
        if (TOOLS / "conftest").exists()  # benchmarks/store.py runs without the peer
        else ""
    )
    return {
        "cpu": cpu,
        "cores": str(os.cpu_count()),
        "memory": mem,
        "os": platform.platform(),
        "python": platform.python_version(),
        "opa": opa.splitlines()[0].split(":", 1)[1].strip() if opa else "?",
        "conftest": " ".join(conftest.split()) or "?",
    }


def render(rows: list[dict], info: dict[str, str], sizes: list[int], repeat: int = 1) -> str:
    now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    out = [
        "# Benchmarks",
        "",
        f"Measured {now} with `python benchmarks/run.py --sizes {','.join(map(str, sizes))}` "
        "(`make bench`). All numbers come from one run, cold (a new process per measurement)"
        + (
            f"; each is the best of {repeat} rounds in which the four measurements take turns "
            "(this shared machine's speed drifts by ±15 % from minute to minute)."
            if repeat > 1
            else ", one round per size."
        ),
        "",
        f"Machine: {info['cpu']}, {info['cores']} cores, {info['memory']}; {info['os']}; "
        f"Python {info['python']}; OPA {info['opa']}; conftest {info['conftest']}.",
        "",
        "The evidence store (recording runs, many runs, verifying the chain) is measured "
        "separately: [benchmarks-store.md](benchmarks-store.md) (`make bench-store`).",
        "",
        "## dxguard and the engine limit (every check)",
        "",
        "| Resources | Subjects | dxguard scan | load | engine | mapping | render "
        "| dxguard peak RSS | its OPA's peak RSS | engine only (`opa eval`) | its peak RSS "
        "| dxguard ÷ engine |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        d = r["dxguard"]
        s = d["stages"]
        stages = " | ".join(f"{s.get(k, 0):.2f} s" for k in ("load", "engine", "mapping", "render"))
        out.append(
            f"| {d['resources']:,} | {d['subjects']:,} | {d['wall']:.2f} s | {stages} "
            f"| {d['peak_rss_kib'] / 1024:.0f} MiB | {d['opa_peak_rss_kib'] / 1024:.0f} MiB "
            f"| {r['engine']:.2f} s | {r['engine_rss_kib'] / 1024:.0f} MiB "
            f"| {d['wall'] / r['engine']:.2f}× |"
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
            f"| {p['wall'] / r['conftest']:.2f}× |"
        )
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
        "including Python start-up, OPA start-up (overlapped with loading), loading, the single "
        "OPA query, mapping and writing the report; the stage columns come from "
        "`DXGUARD_TIMINGS` (load runs while OPA starts, so the stages need not add up to the "
        "wall time). *Engine only* is `opa eval` of the same bundle on the same prepared input "
        "(reading it, evaluating it, printing the result), nothing else. For the peer, dxguard "
        "runs with every check but the six that `benchmarks/peers/conftest/policy` implements "
        "disabled by config, over the same files conftest reads.",
        "",
    ]
    return "\n".join(out)


def goals(rows: list[dict]) -> list[str]:
    """The issue's goals for this machine, each with what this run measured: met or missed."""
    by_size = {r["size"]: r for r in rows}
    lines: list[tuple[str, str, bool]] = []
    small, large = by_size.get(10000), by_size.get(100000)
    if small:
        wall = small["dxguard"]["wall"]
        lines.append(("10k resources scanned cold in ≤ 5 s", f"{wall:.2f} s", wall <= 5))
    for r in (small, large):
        if r:
            ratio = r["dxguard"]["wall"] / r["engine"]
            lines.append(
                (f"dxguard ≤ 1.5× engine only at {r['size']:,}", f"{ratio:.3f}×",
                 ratio <= 1.5)
            )  # fmt: skip
    for r in rows:
        ratio = r["dxguard_peer"]["wall"] / r["conftest"]
        lines.append(
            (f"faster than conftest at {r['size']:,}", f"{ratio:.3f}×",
             ratio < 1)
        )  # fmt: skip
    if large:
        d = large["dxguard"]
        peak = (d["peak_rss_kib"] + d["opa_peak_rss_kib"]) / 1024 / 1024
        lines.append(
            ("100k in ≤ 2 GiB peak memory (dxguard + its OPA)", f"{peak:.1f} GiB", peak <= 2)
        )
    if small and large:
        ratio = large["dxguard"]["wall"] / small["dxguard"]["wall"]
        engine = large["engine"] / small["engine"]
        lines.append(
            ("100k takes ≤ 12× the 10k time", f"{ratio:.1f}× (engine alone {engine:.1f}×)",
             ratio <= 12)
        )  # fmt: skip
    if not lines:
        return []
    out = ["", "## Goals", "", "| Goal (this 2-core machine) | Measured | |", "|---|---:|---|"]
    out += [f"| {g} | {m} | {'met' if ok else '**missed**'} |" for g, m, ok in lines]
    return out


def _wall(measured: Any) -> float:
    if isinstance(measured, dict):
        return measured["wall"]
    return measured[0] if isinstance(measured, tuple) else measured


def _keep_best(best: dict[str, Any], key: str, measured: Any) -> None:
    if key not in best or _wall(measured) < _wall(best[key]):
        best[key] = measured


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "benchmarks.md")
    parser.add_argument("--cache", type=Path, default=ROOT / "benchmarks" / ".corpus")
    parser.add_argument("--append", type=Path, help="Markdown notes to add below the table")
    parser.add_argument(
        "--repeat", type=int, default=3, help="rounds per size; the best of each is kept"
    )
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    for tool in ("opa", "conftest"):
        if not (TOOLS / tool).exists():
            raise SystemExit(f"{TOOLS / tool} is missing: run `make opa conftest` first")
    rows = []
    for size in sizes:
        path = corpus(size, args.cache)
        # The machine's speed drifts from minute to minute: each measurement is the best of
        # `repeat` rounds, the four tools taking turns in each round.
        repeat = args.repeat
        best: dict[str, Any] = {}
        with tempfile.TemporaryDirectory(prefix="dxguard-bench-") as tmp:
            work = Path(tmp)
            inp, data = prepare_engine_input(path, work)
            for round_ in range(1, repeat + 1):
                note = f" (round {round_} of {repeat})" if repeat > 1 else ""
                print(f"size {size}: dxguard …{note}", file=sys.stderr)
                _keep_best(best, "dxguard", measure_dxguard(path, work))
                print(f"size {size}: engine only …{note}", file=sys.stderr)
                _keep_best(best, "engine", measure_engine(inp, data))
                print(f"size {size}: dxguard with the peer's checks …{note}", file=sys.stderr)
                _keep_best(best, "dxguard_peer", measure_dxguard(path / "apps", work,
                                                                 peer_config(work)))  # fmt: skip
                print(f"size {size}: conftest …{note}", file=sys.stderr)
                _keep_best(best, "conftest", measure_conftest(path))
        engine, engine_rss = best["engine"]
        dx, dx_peer, peer = best["dxguard"], best["dxguard_peer"], best["conftest"]
        rows.append(
            {
                "size": size,
                "dxguard": dx,
                "engine": engine,
                "engine_rss_kib": engine_rss,
                "dxguard_peer": dx_peer,
                "conftest": peer,
            }
        )
        print(json.dumps(rows[-1]), file=sys.stderr)
    text = render(rows, machine(), sizes, args.repeat)
    if args.append and args.append.exists():
        text += "\n" + args.append.read_text()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text)
    print(text)


if __name__ == "__main__":
    main()
