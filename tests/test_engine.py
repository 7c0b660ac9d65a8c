"""Engine failures are exit 2 with a clear message — never a pass — and OPA never outlives us."""

from __future__ import annotations

import http.server
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from checker.config import Config
from checker.engine import binary as opa_binary_mod
from checker.errors import EngineError

from conftest import AS_OF, FIXTURES, ROOT, dxguard, opa_path, scan_json

COMPLIANT = FIXTURES / "k8s" / "compliant"
NONCOMPLIANT = FIXTURES / "k8s" / "noncompliant"


# -- finding OPA ------------------------------------------------------------------------------


def test_missing_opa_binary_is_exit_2_with_how_to_get_it(tmp_path):
    run = dxguard("scan", str(COMPLIANT), "--opa-binary", str(tmp_path / "no-opa"))
    assert run.code == 2
    assert "OPA binary from --opa-binary not found" in run.stderr
    assert "make opa" in run.stderr
    assert run.stdout == ""


def test_no_opa_anywhere_is_an_engine_error(monkeypatch, tmp_path):
    monkeypatch.delenv("DXGUARD_OPA", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setattr(opa_binary_mod, "tools_bin", lambda: tmp_path / "none")
    with pytest.raises(EngineError, match="OPA was not found"):
        opa_binary_mod.find_opa()


def test_search_order_prefers_flag_then_env_then_tools(monkeypatch, tmp_path):
    fake = tmp_path / "opa"
    fake.write_text("#!/bin/sh\n")
    fake.chmod(0o755)
    monkeypatch.setenv("DXGUARD_OPA", str(opa_path()))
    assert opa_binary_mod.find_opa(str(fake)) == fake
    assert opa_binary_mod.find_opa() == opa_path()
    monkeypatch.delenv("DXGUARD_OPA")
    monkeypatch.setattr(opa_binary_mod, "tools_bin", lambda: tmp_path)
    assert opa_binary_mod.find_opa() == fake


def test_a_binary_that_is_not_opa_is_exit_2():
    run = dxguard("scan", str(COMPLIANT), "--opa-binary", "/bin/true")
    assert run.code == 2
    assert "OPA exited during start-up" in run.stderr


# -- OPA dying or misbehaving -----------------------------------------------------------------


def _children(pid: int) -> list[int]:
    out = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        if ppid == pid:
            out.append(int(entry.name))
    return out


def _alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def _big_corpus(tmp_path: Path, n: int = 4000) -> Path:
    doc = (NONCOMPLIANT / "node-agent-daemonset.yaml").read_text()
    path = tmp_path / "big.yaml"
    path.write_text(
        "---\n".join(doc.replace("name: node-agent", f"name: agent-{i}") for i in range(n))
    )
    return path


def _start_scan(path: Path) -> subprocess.Popen:
    # A SIGKILLed dxguard cannot remove its OPA's temp folder: keep it under the test's tmp_path.
    env = {**os.environ, "DXGUARD_OPA": str(opa_path()), "TMPDIR": str(path.parent)}
    return subprocess.Popen(
        [sys.executable, "-m", "checker", "scan", str(path), "--format", "json", "-q"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=ROOT,
    )


def _wait_for_opa_child(proc: subprocess.Popen, timeout: float = 60) -> int:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        kids = _children(proc.pid)
        if kids:
            return kids[0]
        assert proc.poll() is None, proc.communicate()
        time.sleep(0.02)
    raise AssertionError("dxguard never started OPA")


def _wait_until_healthy(opa_pid: int, timeout: float = 30) -> None:
    """Poll the managed OPA's own /health (its --addr is on its command line)."""
    import requests

    deadline = time.monotonic() + timeout
    # The child exists from fork on, but runs preexec_fn before exec'ing OPA: until then its
    # command line is still Python's. Wait for OPA's own.
    args: list[bytes] = []
    while b"--addr" not in args:
        assert time.monotonic() < deadline, "the managed OPA never exec'd"
        args = Path(f"/proc/{opa_pid}/cmdline").read_bytes().split(b"\0")
        time.sleep(0.005)
    addr = args[args.index(b"--addr") + 1].decode()
    while time.monotonic() < deadline:
        try:
            if requests.get(f"http://{addr}/health", timeout=0.5).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.005)
    raise AssertionError("managed OPA never became healthy")


def test_opa_killed_mid_run_is_exit_2_and_no_report(tmp_path):
    proc = _start_scan(_big_corpus(tmp_path))
    opa = _wait_for_opa_child(proc)
    _wait_until_healthy(opa)
    time.sleep(0.3)  # past dxguard's own health poll: it is now in its (seconds-long) query
    os.kill(opa, signal.SIGKILL)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 2, err
    # Normally mid-query ("stopped unexpectedly (exit -9)"); on a loaded machine the kill can
    # land while dxguard still polls OPA's health ("stopped by signal 9"): exit 2 either way.
    assert re.search(r"OPA (stopped unexpectedly \(exit -9\)|was stopped by signal 9)", err), err
    assert "engine error" in err
    assert out == ""


def test_killing_dxguard_takes_its_opa_down_too(tmp_path):
    proc = _start_scan(_big_corpus(tmp_path, 2000))
    opa = _wait_for_opa_child(proc)
    time.sleep(0.3)
    proc.kill()
    proc.communicate(timeout=30)
    deadline = time.monotonic() + 10
    while _alive(opa) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _alive(opa), "OPA outlived a killed dxguard"


def test_sigterm_stops_dxguard_and_its_opa(tmp_path):
    proc = _start_scan(_big_corpus(tmp_path, 2000))
    opa = _wait_for_opa_child(proc)
    time.sleep(0.3)
    proc.send_signal(signal.SIGTERM)
    proc.communicate(timeout=30)
    assert proc.returncode not in (0, 1)
    deadline = time.monotonic() + 10
    while _alive(opa) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _alive(opa)


class _Handler(http.server.BaseHTTPRequestHandler):
    body = b"{}"
    delay = 0.0

    def _answer(self):
        time.sleep(self.delay)
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(self.body)

    do_GET = do_POST = _answer

    def log_message(self, *args):
        pass


@pytest.fixture()
def fake_server():
    servers = []

    def start(body: bytes, delay: float = 0.0) -> str:
        handler = type("H", (_Handler,), {"body": body, "delay": delay})
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}"

    yield start
    for s in servers:
        s.shutdown()


def test_engine_answering_garbage_is_exit_2(fake_server):
    url = fake_server(b"this is not json")
    run = dxguard("scan", str(COMPLIANT), "--opa-url", url)
    assert run.code == 2
    assert "engine error" in run.stderr


def test_engine_answering_the_wrong_shape_is_exit_2(fake_server):
    url = fake_server(json.dumps({"result": {"checks": "nope"}}).encode())
    run = dxguard("scan", str(COMPLIANT), "--opa-url", url)
    assert run.code == 2
    assert "engine error" in run.stderr


def test_engine_that_does_not_answer_in_time_is_exit_2(fake_server):
    url = fake_server(b"{}", delay=5)
    run = dxguard("scan", str(COMPLIANT), "--opa-url", url, "--opa-timeout", "1")
    assert run.code == 2
    assert "engine error" in run.stderr


def test_unreachable_opa_url_is_exit_2():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    run = dxguard("scan", str(COMPLIANT), "--opa-url", f"http://127.0.0.1:{port}")
    assert run.code == 2
    assert "not healthy or not reachable" in run.stderr


# -- broken policies --------------------------------------------------------------------------


def test_rego_syntax_error_is_exit_2_naming_file_and_line(project_copy):
    (project_copy / "rego/k8s/broken.rego").write_text(
        "package dxguard.checks.k8s.broken\n\nresults contains x if {\n  x := \n}\n"
    )
    run = dxguard("scan", str(COMPLIANT), env={"DXGUARD_HOME": str(project_copy)})
    assert run.code == 2
    assert "broken.rego:" in run.stderr
    assert "rego_parse_error" in run.stderr


def test_check_without_severity_is_exit_2_naming_the_package(project_copy):
    path = project_copy / "rego/k8s/privileged.rego"
    path.write_text(path.read_text().replace("#   severity: critical\n", ""))
    run = dxguard("scan", str(COMPLIANT), env={"DXGUARD_HOME": str(project_copy)})
    assert run.code == 2
    assert "dxguard.checks.k8s.privileged" in run.stderr
    assert "severity" in run.stderr


def test_duplicate_check_id_is_exit_2(project_copy):
    path = project_copy / "rego/k8s/image_tag.rego"
    path.write_text(path.read_text().replace("id: DXG-K8S-PIN-002", "id: DXG-K8S-PIN-001"))
    run = dxguard("scan", str(COMPLIANT), env={"DXGUARD_HOME": str(project_copy)})
    assert run.code == 2
    assert "DXG-K8S-PIN-001 is declared by two packages" in run.stderr


def test_check_stating_a_subject_with_a_malformed_problem_is_exit_2(project_copy):
    """A problem that is neither "" nor a message is a broken check, never a pass."""
    path = project_copy / "rego/k8s/privileged.rego"
    path.write_text(
        path.read_text() + '\nsubjects contains {"resource": c.resource, "path": "spec", '
        '"problem": true} if {\n\tsome c in k8s.workload_containers\n}\n'
    )
    run = dxguard("scan", str(COMPLIANT), env={"DXGUARD_HOME": str(project_copy)})
    assert run.code == 2
    assert "malformed result" in run.stderr
    assert "neither pass nor fail" in run.stderr


@pytest.mark.parametrize(
    ("subject", "why"),
    [
        ('"resource": "not-an-input", "path": c.path', "'not-an-input' is not in the batch"),
        ('"resource": c.resource, "path": 3', "path and resource must be strings"),
        ('"resource": c.resource, "path": c.path, "subject": 7', "subject must be a string"),
    ],
)
def test_a_malformed_pass_is_exit_2_too(project_copy, subject, why):
    """Passes are only counted, but a pass naming an unknown resource or malformed is refused."""
    path = project_copy / "rego/k8s/privileged.rego"
    path.write_text(
        path.read_text() + f'\nsubjects contains {{{subject}, "problem": ""}} if {{\n'
        "\tsome c in k8s.workload_containers\n}\n"
    )
    run = dxguard("scan", str(COMPLIANT), env={"DXGUARD_HOME": str(project_copy)})
    assert run.code == 2, run.stderr
    assert "malformed result" in run.stderr and why in run.stderr


# -- the same verdict through any door ------------------------------------------------------------


@pytest.fixture()
def external_opa(tmp_path):
    """A real OPA server loaded with the bundle, as a sidecar would be."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    data = tmp_path / "data.json"
    data.write_text(json.dumps({"dxguard": {"config": Config().policy_data()}}))
    proc = subprocess.Popen(
        [
            str(opa_path()),
            "run",
            "--server",
            "--addr",
            f"127.0.0.1:{port}",
            "--log-level",
            "error",
            "--skip-version-check",
            "--ignore",
            "*_test.rego",
            str(ROOT / "rego"),
            str(data),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    import requests

    for _ in range(200):
        try:
            if requests.get(url + "/health", timeout=1).status_code == 200:
                break
        except requests.RequestException:
            time.sleep(0.05)
    yield url
    proc.terminate()
    proc.wait(timeout=10)


def test_existing_opa_gives_the_same_results_as_the_managed_one(external_opa):
    _, managed = scan_json(str(FIXTURES / "k8s"))
    _, remote = scan_json(str(FIXTURES / "k8s"), "--opa-url", external_opa)
    assert remote["run"]["engine"] == external_opa
    assert remote["run"]["bundle"] == managed["run"]["bundle"]
    for key in ("frameworks", "checks", "resources", "summary"):
        assert remote[key] == managed[key]


def test_existing_opa_with_other_parameters_is_exit_2(external_opa, tmp_path):
    cfg = tmp_path / "dxguard.yaml"
    cfg.write_text("version: 1\ntiers:\n  clinical:\n    namespaces: [icu-*]\n")
    run = dxguard(
        "scan", str(COMPLIANT), "--opa-url", external_opa, "-c", str(cfg), "--as-of", AS_OF
    )
    assert run.code == 2
    assert "different dxguard parameters" in run.stderr


def test_version_prints_dxguard_opa_and_bundle_digest():
    run = dxguard("version")
    assert run.code == 0
    lines = run.stdout.splitlines()
    assert lines[0].startswith("dxguard ")
    assert lines[1].startswith("OPA 1.")
    assert lines[2].startswith("bundle sha256:") and len(lines[2].split()[1]) == 71


def test_loopback_answers_are_asked_for_uncompressed():
    """On loopback, gzip is CPU spent on both sides for nothing: the batch query says identity."""
    from checker.engine.client import _Client

    seen: list[str | None] = []

    class Recorder(_Handler):
        body = b'{"result": {}}'

        def do_POST(self):
            seen.append(self.headers.get("Accept-Encoding"))
            self.rfile.read(int(self.headers["Content-Length"]))
            self._answer()

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Recorder)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        client = _Client(host="127.0.0.1", port=server.server_address[1], retries=0)
        assert client.query_rule({"resources": []}, "dxguard/main") == {"result": {}}
    finally:
        server.shutdown()
    assert seen == ["identity"]
