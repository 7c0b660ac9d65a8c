"""The benchmark harness's side-by-side with the peers (benchmarks/run.py): how it measures a
process tree, what a row says when a peer is missing, fails or is left out, and that `make test`
never builds Trivy nor installs Checkov. No timing is asserted: speed is measured in
benchmarks/, never in tests."""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import psutil
import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))

import run as bench  # noqa: E402

MIB = 1024


def _script(tmp_path: Path, name: str, body: str) -> Path:
    path = tmp_path / name
    path.write_text(f"#!{sys.executable}\n" + textwrap.dedent(body))
    path.chmod(0o755)
    return path


def test_peak_memory_is_the_sum_over_the_whole_process_tree(tmp_path):
    """Two children hold 100 MiB each at the same time: the tree's peak is their sum, which no
    single process (the kernel's maximum RSS) reaches."""
    child = _script(
        tmp_path,
        "child.py",
        """
        import sys, time
        held = b"\\x01" * (100 << 20)  # touched pages: resident
        open(sys.argv[1], "w").close()
        time.sleep(1.5)
        """,
    )
    parent = _script(
        tmp_path,
        "parent.py",
        f"""
        import subprocess, sys
        kids = [subprocess.Popen([{str(child)!r}, f"{tmp_path}/ready{{i}}"]) for i in (1, 2)]
        sys.exit(max(k.wait() for k in kids))
        """,
    )
    run = bench.run_tree([str(parent)], interval=0.05)
    assert run.returncode == 0 and not run.stopped
    assert (tmp_path / "ready1").exists() and (tmp_path / "ready2").exists()
    assert run.peak_kib >= 190 * MIB, run


def test_the_peak_is_the_tree_s_not_the_harness_s_memory_inherited_through_fork(tmp_path):
    """The harness holds 300 MiB (as it does with a loaded corpus); a small child started from it
    inherits that peak in the kernel's ru_maxrss. The tree's peak must be the child's own, and so
    must the peak dxguard writes to DXGUARD_TIMINGS."""
    held = b"\x01" * (300 << 20)
    small = _script(tmp_path, "small.py", "import time\ntime.sleep(0.5)\n")
    run = bench.run_tree([str(small)], interval=0.05)
    assert run.returncode == 0 and 0 < run.peak_kib < 100 * MIB, run
    own = subprocess.run(
        [sys.executable, "-c", "from checker.timing import peak_rss_kib; print(peak_rss_kib())"],
        cwd=ROOT, capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert 0 < int(own.stdout) < 100 * MIB
    assert len(held) == 300 << 20


def test_a_tree_over_the_memory_limit_is_stopped_with_all_its_processes(tmp_path):
    pid_file = tmp_path / "grandchild.pid"
    grower = _script(
        tmp_path,
        "grow.py",
        f"""
        import os, subprocess, sys, time
        if len(sys.argv) == 1:  # the parent: starts a grandchild that outlives nothing
            kid = subprocess.Popen([sys.argv[0], "grandchild"])
            open({str(pid_file)!r}, "w").write(str(kid.pid))
            kid.wait()
        else:
            chunks = []
            for _ in range(80):
                chunks.append(b"\\x01" * (10 << 20))
                time.sleep(0.05)
            time.sleep(60)
        """,
    )
    run = bench.run_tree([str(grower)], interval=0.05, mem_limit_kib=150 * MIB)
    assert run.stopped.startswith("stopped: its memory passed"), run
    assert run.returncode != 0
    grandchild = int(pid_file.read_text())
    for _ in range(100):
        if not psutil.pid_exists(grandchild) or psutil.Process(grandchild).status() == "zombie":
            break
        time.sleep(0.05)
    else:
        pytest.fail("the stopped tree's grandchild is still running")


def test_a_tree_past_its_timeout_is_stopped(tmp_path):
    sleeper = _script(tmp_path, "sleep.py", "import time\ntime.sleep(60)\n")
    run = bench.run_tree([str(sleeper)], interval=0.05, timeout=0.3)
    assert run.stopped == "stopped: still running after 0 s", run
    assert run.returncode != 0


def test_ratios_are_the_median_of_per_round_ratios_not_the_ratio_of_the_best_times():
    rounds = [(1.0, 1.0), (5.0, 2.0), (6.0, 3.0)]  # per round: 1.0, 2.5, 2.0
    assert bench.median_ratio(rounds) == 2.0
    assert min(a for a, _ in rounds) / min(b for _, b in rounds) == 1.0


def test_a_peer_that_is_not_built_says_how_to_build_it(tmp_path):
    trivy = bench.Trivy("trivy", "Trivy", tmp_path / "trivy", "make trivy")
    assert trivy.missing() == "not built: run `make trivy`"
    assert bench.PEERS["checkov"].build == "make checkov"


def test_a_failing_peer_is_a_row_with_its_error_never_a_time(tmp_path):
    failing = _script(tmp_path, "trivy", "import sys\nprint('FATAL boom', file=sys.stderr)\n"
                      "sys.exit(2)\n")  # fmt: skip
    peer = bench.Trivy("trivy", "Trivy", failing, "make trivy")
    work = tmp_path / "work"
    work.mkdir()
    assert bench.measure_peer(peer, tmp_path, work) == {"error": "failed (exit 2): FATAL boom"}


def test_a_peer_that_examined_nothing_is_an_error(tmp_path):
    """Checkov skips everything below a hidden folder (benchmarks/.corpus) unless told not to:
    its empty report must not be read as a fast run."""
    empty = _script(
        tmp_path,
        "checkov",
        """
        import json
        print(json.dumps({"passed": 0, "failed": 0, "skipped": 0, "parsing_errors": 0,
                          "resource_count": 0, "checkov_version": "3.3.30"}))
        """,
    )
    peer = bench.Checkov("checkov", "Checkov", empty, "make checkov", ok=(0, 1))
    work = tmp_path / "work"
    work.mkdir()
    got = bench.measure_peer(peer, tmp_path, work)
    assert got["error"].startswith("no usable report: Checkov examined no Kubernetes resource")
    cmd, env = peer.command(tmp_path, work, work / "out.json")
    assert env["CKV_IGNORE_HIDDEN_DIRECTORIES"] == "false"
    assert "--skip-download" in cmd and env["BC_SKIP_MAPPING"] == "TRUE"


def test_trivy_runs_offline_with_its_embedded_checks_and_no_five_minute_timeout(tmp_path):
    cmd, _ = bench.PEERS["trivy"].command(tmp_path / "apps", tmp_path, tmp_path / "o.json")
    for flag in ("--skip-check-update", "--skip-version-check", "--disable-telemetry"):
        assert flag in cmd
    assert cmd[cmd.index("--cache-dir") + 1].startswith(str(tmp_path))
    assert cmd[cmd.index("--timeout") + 1] == "24h"


def test_peer_sizes_choose_the_sizes_per_peer():
    known = set(bench.PEERS)
    assert bench.parse_peer_sizes(["checkov=1000,10000", "trivy="], known) == {
        "checkov": {1000, 10000},
        "trivy": set(),
    }
    with pytest.raises(SystemExit):
        bench.parse_peer_sizes(["kubescape=1000"], known)
    reason = bench.skipped_reason(
        "checkov", 100000, "checkov=1000,10000", "", {1000: {"wall": 8.2}, 10000: {"wall": 704.0}}
    )
    assert reason == (
        "not measured: left out of this run (`--peer-sizes checkov=1000,10000`); "
        "measured here: 8 s at 1,000, 704 s at 10,000"
    )


def _row(size: int, **peers) -> dict:
    dx = {"wall": 2.0, "peak_kib": 400 * MIB, "summary": "9 findings on 1,000 resources",
          "resources": 1000}  # fmt: skip
    conftest = {"wall": 1.0, "peak_kib": 80 * MIB, "summary": "7 tests"}
    return {
        "size": size,
        "dxguard": {"wall": 3.0, "peak_kib": 900 * MIB, "peak_rss_kib": 1, "opa_peak_rss_kib": 1},
        "engine": 2.5,
        "ratios": {"engine": 1.2, "conftest": 0.9, "peer.conftest": 2.0, "peer.trivy": 0.25},
        "peers": {"dxguard": dx, "conftest": conftest, **peers},
    }


def test_the_peers_table_and_goals_say_why_a_peer_has_no_numbers():
    trivy = {"wall": 8.0, "peak_kib": 2 * 1024 * MIB, "summary": "5 failures in 3 files"}
    row = _row(
        1000,
        trivy=trivy,
        checkov={"error": "not built: run `make checkov`"},
    )
    table = "\n".join(bench.peers_table([row]))
    assert "| 1,000 | Trivy (`trivy config`) | 8.00 s | 2.00 GiB | 125 | 0.25× |" in table
    assert "| 1,000 | Checkov (kubernetes) | not built: run `make checkov` | | | | |" in table
    assert "| 1,000 | dxguard (all checks) | 2.00 s | 400 MiB | 500 | — |" in table
    assert "| 1,000 | conftest (six checks) | 1.00 s | 80 MiB | 1,000 | 2.00× |" in table
    goals = "\n".join(bench.goals([row]))
    assert "| faster than Trivy at 1,000 (all checks each) | 0.250× | met |" in goals
    assert (
        "| faster than Checkov at 1,000 (all checks each) | not built: run `make checkov` "
        "| **not measured** |" in goals
    )
    assert "| faster than conftest at 1,000 (the same six checks) | 0.900× | met |" in goals


def test_make_test_neither_builds_trivy_nor_installs_checkov_and_make_bench_does():
    make = shutil.which("make")
    if make is None:
        pytest.skip("make is not installed")

    def recipes(target: str) -> str:
        # -B: every recipe the target would ever run, whatever is already built; -n: print only
        env = {k: v for k, v in os.environ.items() if not k.startswith("MAKE")}
        out = subprocess.run([make, "-n", "-B", target], cwd=ROOT, env=env,
                             capture_output=True, text=True, check=True)  # fmt: skip
        return out.stdout

    for target in ("test", "bench-smoke"):
        text = recipes(target)
        assert "benchmarks/run.py" in text
        assert "trivy" not in text.lower() and "checkov" not in text.lower(), target
    bench_recipes = recipes("bench")
    assert (
        "GOEXPERIMENT=jsonv2" in bench_recipes and "github.com/aquasecurity/trivy" in bench_recipes
    )
    assert "benchmarks/peers/checkov/requirements.txt" in bench_recipes


def test_each_tool_s_run_is_reported_on_stderr_with_its_time_and_peak():
    assert (
        bench.progress("trivy", {"wall": 321.44, "peak_kib": int(2.98 * 1024 * MIB)})
        == "trivy 321.4 s, 2.98 GiB"
    )
    assert bench.progress("conftest", {"wall": 1.25, "peak_kib": 80 * MIB}) == (
        "conftest 1.2 s, 80 MiB"
    )
    assert bench.progress("checkov", {"error": "failed (exit 2): boom"}) == (
        "checkov: failed (exit 2): boom"
    )


@pytest.fixture(scope="module")
def small_corpus(tmp_path_factory):
    """A generated corpus of a little more than one chunk (dxguard sends 250 objects a query)."""
    from generate import generate

    out = tmp_path_factory.mktemp("corpus") / "300"
    generate(300, out)
    return out


def test_the_engine_limit_judges_dxguard_s_chunks_and_returns_its_subjects(small_corpus, tmp_path):
    """The real OPA on the data and chunks dxguard sends: each chunk is answered about exactly its
    objects, the inventory is there (rows of checks that read it), and the rows it returns are
    the subjects dxguard examined on the same corpus."""
    import orjson

    from checker.bundle import BATCH_SIZE

    work = tmp_path / "work"
    work.mkdir()
    prepared = bench.prepare_engine_input(small_corpus, work)
    sent = orjson.loads(prepared.input.read_bytes())
    assert len(sent["chunks"]) == len(prepared.ids) >= 2
    assert [len(c["resources"]) for c in sent["chunks"][:-1]] == [BATCH_SIZE] * (
        len(prepared.ids) - 1
    )
    assert all(c["context"] == {"as_of": bench.AS_OF} for c in sent["chunks"])
    data = orjson.loads(prepared.data.read_bytes())
    assert data["inventory"] and set(data["dxguard"]) == {"config", "index"}
    assert data["dxguard"]["index"]["object"] and data["dxguard"]["index"]["cluster"]
    engine = bench.measure_engine(prepared, work)
    dxguard = bench.measure_dxguard(small_corpus, work)
    assert engine["rows"] == dxguard["subjects"] > 0
    assert engine["peak_kib"] > 0
    bench.check_engine_rows(engine, dxguard, 300)
    with pytest.raises(SystemExit, match="does not evaluate what dxguard evaluates"):
        bench.check_engine_rows({**engine, "rows": engine["rows"] - 1}, dxguard, 300)


def test_an_engine_answer_about_other_objects_or_without_cluster_rows_stops_the_benchmark(tmp_path):
    prepared = bench.EngineInput(tmp_path / "i", tmp_path / "d", [["a", "b"], ["c"]], True)
    # the query counts each chunk's rows (it does not print them)
    good = {"objects": [{"judged": ["a", "b"], "rows": 1}, {"judged": ["c"], "rows": 0}],
            "cluster": [2]}  # fmt: skip
    assert bench.engine_rows(good, prepared) == 3
    with pytest.raises(SystemExit, match="not the 2 chunk"):
        bench.engine_rows({**good, "objects": good["objects"][:1]}, prepared)
    with pytest.raises(SystemExit, match="no cluster_results"):
        bench.engine_rows({**good, "cluster": []}, prepared)
    with pytest.raises(SystemExit, match="engine limit"):
        bench.engine_rows({"result": []}, prepared)


def _rounds(*walls: tuple[float, float | None]) -> list[dict]:
    """Rounds with dxguard (all checks) and Checkov walls; None: Checkov did not run."""
    out = []
    for dx, peer in walls:
        r = {"dxguard_all": {"wall": dx, "peak_kib": 1}}
        if peer is not None:
            r["checkov"] = {"wall": peer, "peak_kib": 2, "summary": "3 failed"}
        out.append(r)
    return out


def test_a_peer_stopped_by_its_timeout_is_a_bound_and_a_met_goal_when_dxguard_was_faster(tmp_path):
    sleeper = _script(tmp_path, "trivy", "import time\ntime.sleep(60)\n")
    peer = bench.Trivy("trivy", "Trivy", sleeper, "make trivy")
    work = tmp_path / "work"
    work.mkdir()
    stopped = bench.measure_peer(peer, tmp_path, work, timeout=0.3)
    assert stopped["error"] == "stopped: still running after 0 s" and stopped["stopped"] == "time"
    assert stopped["after"] >= 0.3
    failed = {**stopped, "after": 3600.0, "dxguard_wall": 36.0}
    row, ratio = bench.peer_row("trivy", _rounds((36.0, None)), failed)
    assert ratio is None and row == {"error": stopped["error"], "bound": 0.01}
    r = _row(100000, trivy=row, checkov={"error": "not built: run `make checkov`"})
    del r["ratios"]["peer.trivy"]
    table = "\n".join(bench.peers_table([r]))
    assert (
        "| Trivy (`trivy config`) | stopped: still running after 0 s | | | < 0.01× (bound) |"
        in table
    )
    goals = "\n".join(bench.goals([r]))
    assert (
        "| faster than Trivy at 100,000 (all checks each) | < 0.010× (stopped: still running "
        "after 0 s) | met |" in goals
    )
    # dxguard itself took longer than the peer had run: the bound proves nothing
    row, _ = bench.peer_row("trivy", _rounds((4000.0, None)), {**failed, "dxguard_wall": 4000.0})
    r["peers"]["trivy"] = row
    assert "after 0 s) | **not measured** |" in "\n".join(bench.goals([r]))


def test_a_peer_stopped_by_memory_is_a_bound_only_if_dxguard_had_finished_by_then():
    failed = {"error": "stopped: its memory passed 11.5 GiB (after 50 s)", "stopped": "memory",
              "after": 50.0}  # fmt: skip
    row, _ = bench.peer_row("checkov", _rounds((10.0, None)), {**failed, "dxguard_wall": 10.0})
    assert row["bound"] == 0.2
    row, _ = bench.peer_row("checkov", _rounds((60.0, None)), {**failed, "dxguard_wall": 60.0})
    assert "bound" not in row
    r = _row(10000, checkov=row)
    assert (
        "| faster than Checkov at 10,000 (all checks each) | stopped: its memory passed 11.5 GiB "
        "(after 50 s) | **not measured** |" in "\n".join(bench.goals([r]))
    )


def test_peer_ratios_are_over_the_rounds_where_both_ran():
    # --peer-rounds 2 of 3: Checkov ran in rounds 1 and 2; per-round ratios 0.5 and 0.25
    row, ratio = bench.peer_row("checkov", _rounds((5.0, 10.0), (3.0, 12.0), (1.0, None)), None)
    assert ratio == statistics.median([0.5, 0.25]) and row["rounds"] == 2
    assert row["wall"] == 11.0
    # stopped in round 2 after a measured round 1: round 1's numbers, and the stop noted
    failed = {"error": "stopped: still running after 20 s", "stopped": "time", "after": 20.0,
              "dxguard_wall": 3.0}  # fmt: skip
    row, ratio = bench.peer_row("checkov", _rounds((5.0, 10.0), (3.0, None)), failed)
    assert ratio == 0.5 and row["wall"] == 10.0
    assert row["summary"] == "3 failed; stopped in round 2: stopped: still running after 20 s"
    # a peer that failed is an error, whatever it measured before
    row, ratio = bench.peer_row("checkov", _rounds((5.0, 10.0)), {"error": "failed (exit 2): x"})
    assert row == {"error": "failed (exit 2): x"} and ratio is None


def test_peer_rounds_runs_the_slow_peers_in_the_first_rounds_only(monkeypatch, tmp_path):
    calls: list[str] = []

    def fake(name):
        def measure(*_args, **_kwargs):
            calls.append(name)
            return {"wall": 1.0, "peak_kib": 1, "resources": 10, "subjects": 5, "rows": 5,
                    "summary": "s", "stages": {}}  # fmt: skip

        return measure

    monkeypatch.setattr(bench, "prepare_engine_input", lambda *_: None)
    for fn in ("measure_dxguard", "measure_engine", "measure_conftest", "measure_dxguard_all",
               "measure_peer"):  # fmt: skip
        monkeypatch.setattr(bench, fn, fake(fn))
    monkeypatch.setattr(bench, "peer_config", lambda _work: None)
    peer = bench.Trivy("trivy", "Trivy", tmp_path / "trivy", "make trivy")
    row = bench.measure_size(1000, tmp_path, 3, [peer], 0, 0, peer_rounds=1)
    assert calls.count("measure_peer") == 1 and calls.count("measure_dxguard_all") == 3
    assert row["peers"]["trivy"]["rounds"] == 1 and row["ratios"]["peer.trivy"] == 1.0


def test_make_bench_passes_its_rounds_peer_rounds_and_peer_timeout_through():
    make = shutil.which("make")
    if make is None:
        pytest.skip("make is not installed")
    env = {k: v for k, v in os.environ.items() if not k.startswith("MAKE")}
    out = subprocess.run(
        [make, "-n", "-B", "bench", "BENCH_REPEAT=5", "PEER_ROUNDS=2", "PEER_TIMEOUT=600"],
        cwd=ROOT, env=env, capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    line = " ".join(out[out.index("benchmarks/run.py") :].replace("\\\n", " ").split())
    assert "--repeat 5 --peer-rounds 2 --peer-timeout 600" in line
    default = subprocess.run([make, "-n", "-B", "bench"], cwd=ROOT, env=env,
                             capture_output=True, text=True, check=True).stdout  # fmt: skip
    assert "--repeat 3 --peer-rounds 1 --peer-timeout 3600" in " ".join(
        default.replace("\\\n", " ").split()
    )


def test_the_page_states_the_exact_command_line_quoted():
    row = _row(1000, trivy={"error": "not built: run `make trivy`"},
               checkov={"error": "not built: run `make checkov`"})  # fmt: skip
    row["dxguard"].update(resources=1000, subjects=10, stages={})
    row.update(engine_rss_kib=MIB, dxguard_peer={"wall": 1.0, "resources": 900}, conftest=1.1)
    info = dict.fromkeys(("cpu", "cores", "memory", "os", "python", "opa", "conftest", "trivy",
                          "checkov"), "x")  # fmt: skip
    import shlex

    argv = ["--sizes", "1000", "--peer-note", "checkov=takes hours; see below"]
    text = bench.render([row], info, shlex.join(argv))
    assert (
        "with `python benchmarks/run.py --sizes 1000 --peer-note 'checkov=takes hours; see below'`"
        in text
    )
    assert "engine only (`opa eval`, one core)" in text


def test_the_memory_goals_use_the_sampled_tree_peak_of_dxguard_and_its_opa():
    """Not the processes' own high-water marks added up (ru_maxrss inflated them): the tree's."""
    small = _row(10000, trivy={"error": "x"}, checkov={"error": "x"})
    large = _row(100000, trivy={"error": "x"}, checkov={"error": "x"})
    small["dxguard"].update(peak_kib=1024 * MIB, peak_rss_kib=5000 * MIB, opa_peak_rss_kib=1)
    large["dxguard"].update(peak_kib=1800 * MIB, peak_rss_kib=1, opa_peak_rss_kib=9000 * MIB)
    goals = "\n".join(bench.goals([small, large]))
    assert "| 100k in ≤ 2 GiB peak memory (dxguard + its OPA, process tree) | 1.76 GiB | met |" in (
        goals
    )
    assert (
        "| peak memory at 100k ≤ 1.5× the peak at 10k (process tree) | 1.76× (1.76 GiB ÷ "
        "1.00 GiB) | **missed** |" in goals
    )
