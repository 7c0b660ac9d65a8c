"""Chunked, parallel evaluation: the objects go to OPA in chunks, several queries in flight at
once (`--jobs N`), and the report is the same, byte for byte, whatever the number of jobs and the
size of the chunks. An engine failure in one chunk ends the scan with exit 2, never a pass.

Against the real OPA, in process (run_scan), so a tiny chunk size can force hundreds of queries.
"""

from __future__ import annotations

import importlib.util
import os
import signal
from collections import Counter
from pathlib import Path

import pytest
from click.testing import CliRunner

from checker.bundle import default_jobs, open_bundle, prepare
from checker.cli import cli
from checker.config import load_config
from checker.engine.client import Engine
from checker.errors import EngineError
from checker.loaders import load
from checker.report.render import render
from checker.scan import ScanOptions, run_scan
from tests.conftest import AS_OF, FIXTURES, ROOT


def _report(paths: list[str], config: str | None, **kw) -> str:
    opts = ScanOptions(paths=paths, config=config, as_of=AS_OF, **kw)
    return render(run_scan(opts), "json")


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    """benchmarks/generate.py's corpus of 1,500 resources (every kind of document it makes)."""
    spec = importlib.util.spec_from_file_location(
        "bench_generate", ROOT / "benchmarks" / "generate.py"
    )
    generate = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(generate)
    folder = tmp_path_factory.mktemp("corpus") / "c1500"
    generate.generate(1500, folder)
    return folder


def test_generated_corpus_same_report_whatever_jobs_and_chunks(corpus):
    one = _report([str(corpus)], None, jobs=1)
    report = one.encode()
    assert b'"findings"' in report and len(report) > 100_000  # a real report, with failures
    assert _report([str(corpus)], None, jobs=2) == one
    # 7 objects a query: over 200 chunks, several in flight, answers arriving out of order
    assert _report([str(corpus)], None, jobs=2, batch_size=7) == one
    assert _report([str(corpus)], None, jobs=3, batch_size=500) == one


def _fixture_runs() -> list[tuple[str, str]]:
    runs = []
    for folder in sorted(p for p in FIXTURES.iterdir() if p.is_dir()):
        config = folder / "dxguard.yaml"
        runs.append((folder.name, str(config if config.exists() else FIXTURES / "dxguard.yaml")))
    return runs


@pytest.mark.parametrize(("folder", "config"), _fixture_runs(), ids=lambda v: Path(v).name)
def test_every_fixture_folder_same_report(folder, config):
    paths = [str(FIXTURES / folder)]
    one = _report(paths, config, jobs=1)
    assert _report(paths, config, jobs=2, batch_size=3) == one
    assert _report(paths, config, jobs=2, batch_size=1) == one


def test_waivers_same_report_whatever_jobs():
    paths, config = [str(FIXTURES / "k8s")], str(FIXTURES / "dxguard.yaml")
    waivers = str(FIXTURES / "waivers" / "research-waivers.yaml")
    one = _report(paths, config, jobs=1, waivers=waivers)
    assert '"waived"' in one
    assert _report(paths, config, jobs=2, batch_size=2, waivers=waivers) == one


def _evaluations(paths: list[str], runs: list[tuple[int, int]]):
    config = load_config(str(FIXTURES / "dxguard.yaml"))
    loaded = load(paths)
    with open_bundle(prepare(config)) as bundle:
        whole = [
            bundle.evaluate_all(loaded.resources, AS_OF, batch_size=b, jobs=j) for b, j in runs
        ]
        bundle.load_inventory(loaded.resources)
        cluster = bundle.evaluate_cluster(AS_OF, {r.id for r in loaded.resources})
        cluster_ids = {c.id for c in bundle.checks if c.scope == "cluster"}
    return whole, cluster, cluster_ids


def test_cluster_scope_results_unchanged_by_chunks_and_jobs():
    paths = [str(FIXTURES / "k8s"), str(FIXTURES / "images")]
    (single, chunked), cluster, cluster_ids = _evaluations(paths, [(10_000, 1), (2, 2)])
    assert cluster.failures and cluster.passes  # the fixtures give the cluster checks work
    for evaluation in (single, chunked):
        got_failures = [f for f in evaluation.failures if f.check in cluster_ids]
        got_passes = Counter({k: n for k, n in evaluation.passes.items() if k[0] in cluster_ids})
        assert got_failures == cluster.failures
        assert got_passes == cluster.passes

    # and the object-scope rows: the same records (OPA orders a query's rows by check, so
    # their order follows the chunks; the report sorts them), the same counts
    def key(f):
        return (f.check, f.resource, f.path, f.subject or "")

    assert sorted(chunked.failures, key=key) == sorted(single.failures, key=key)
    assert len(chunked.failures) == len(single.failures)
    assert chunked.passes == single.passes


def test_default_jobs_is_one_per_usable_core():
    expected = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    assert default_jobs() == expected >= 1


def test_opa_killed_mid_scan_is_exit_2_never_a_pass(corpus, monkeypatch, tmp_path):
    """OPA is killed (SIGKILL) just before the second chunk's query, with two jobs in flight:
    the scan stops with exit 2 and writes no report."""
    calls = {"n": 0, "killed": False}
    original = Engine.evaluate

    def evaluate(self, *args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 2:
            proc = self._watchdog.proc
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            calls["killed"] = True
        return original(self, *args, **kwargs)

    monkeypatch.setattr(Engine, "evaluate", evaluate)
    out = tmp_path / "report.json"
    result = CliRunner().invoke(
        cli,
        ["scan", str(corpus), "--jobs", "2", "--format", "json", "-o", str(out), "--as-of", AS_OF],
    )
    assert calls["killed"]
    assert result.exit_code == 2, result.output
    assert "OPA stopped unexpectedly" in result.output
    assert not out.exists()


def test_garbage_answer_in_one_chunk_is_an_engine_error(monkeypatch):
    """One chunk's answer claims other objects than were sent: the whole evaluation fails."""
    calls = {"n": 0}
    original = Engine._query

    def query(self, input_data, what, rule=None):
        result = original(self, input_data, what, rule)
        if rule == "object_answer":
            calls["n"] += 1
            if calls["n"] == 2:
                result = {**result, "judged": result["judged"][1:]}
        return result

    monkeypatch.setattr(Engine, "_query", query)
    config = load_config(str(FIXTURES / "dxguard.yaml"))
    loaded = load([str(FIXTURES / "k8s")])
    with open_bundle(prepare(config)) as bundle, pytest.raises(EngineError, match="not the"):
        bundle.evaluate_all(loaded.resources, AS_OF, batch_size=2, jobs=2)


def test_jobs_option_documented_and_validated():
    result = CliRunner().invoke(cli, ["scan", "--help"])
    assert "--jobs" in result.output
    bad = CliRunner().invoke(cli, ["scan", str(FIXTURES / "k8s"), "--jobs", "0"])
    assert bad.exit_code == 2
