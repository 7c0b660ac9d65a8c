"""The harness itself: a real control plane that answers, and leaves nothing behind.

Whatever happens to a test — it passes, it fails inside the `with` block, or the Python
process that started the control plane is killed outright — no etcd or kube-apiserver process
outlives it: stop() ends each process group, and PR_SET_PDEATHSIG has the kernel kill them if
their parent dies first.
"""

from __future__ import annotations

import json
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from e2e_cluster import ControlPlane, pid_alive

HERE = Path(__file__).resolve().parent


def _port_free(port: int) -> bool:
    """Nothing listens on the port (closed connections may linger in TIME_WAIT: that is TCP,
    not a process, and SO_REUSEADDR binds past it, as a server restarting would)."""
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def test_the_api_server_is_the_pinned_release_on_loopback(control_plane):
    status, body = control_plane.get("/version")
    assert status == 200
    version = json.loads(body)
    assert version["gitVersion"] == "v1.37.2"
    assert control_plane.server.startswith("https://127.0.0.1:")
    status, _ = control_plane.get("/readyz?verbose")
    assert status == 200


def test_a_failing_test_inside_the_block_leaves_no_process_port_or_folder():
    seen: dict = {}
    with pytest.raises(RuntimeError, match="the test failed here"), ControlPlane() as plane:
        seen = {
            "pids": [p.pid for p in plane.processes],
            "ports": [plane.port, plane.etcd.client_port],
            "folder": plane.folder,
        }
        assert all(pid_alive(pid) for pid in seen["pids"])
        raise RuntimeError("the test failed here")
    assert len(seen["pids"]) == 2
    assert not any(pid_alive(pid) for pid in seen["pids"])
    assert all(_port_free(port) for port in seen["ports"])
    assert not seen["folder"].exists()


KILLED_PARENT = """
import json, os, signal, sys
sys.path.insert(0, {here!r})
from e2e_cluster import ControlPlane
plane = ControlPlane()
plane.start()
print(json.dumps({{"pids": [p.pid for p in plane.processes], "folder": str(plane.folder)}}),
      flush=True)
os.kill(os.getpid(), signal.SIGKILL)  # no finalizer, no atexit: the parent simply dies
"""


def test_a_killed_parent_takes_its_control_plane_with_it():
    proc = subprocess.run(
        [sys.executable, "-c", KILLED_PARENT.format(here=str(HERE))],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == -signal.SIGKILL, proc.stderr
    started = json.loads(proc.stdout.strip().splitlines()[-1])
    try:
        deadline = time.monotonic() + 30
        while any(pid_alive(pid) for pid in started["pids"]) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not any(pid_alive(pid) for pid in started["pids"]), started
    finally:
        shutil.rmtree(started["folder"], ignore_errors=True)  # the parent could not
