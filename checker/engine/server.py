"""Run OPA as a managed local server for the length of one dxguard run.

The server listens on loopback only, is health-checked before use and is stopped on exit, on
Ctrl-C and on errors. On Linux the child also gets a parent-death signal, so even a dxguard that
is killed outright leaves no orphan OPA behind. Nothing here evaluates policy.
"""

from __future__ import annotations

import atexit
import contextlib
import ctypes
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from checker.errors import EngineError

STARTUP_TIMEOUT = 30.0

# A soft memory limit for the Go runtime of the OPA dxguard starts (GOMEMLIMIT): past it, Go
# collects garbage sooner instead of letting the heap grow to twice what is live (GOGC=100).
# OPA's live heap is the bundle, the inventory and the queries in flight; its peak was mostly
# garbage not yet collected. A GOGC or GOMEMLIMIT in the environment is left as it is.
OPA_MEMORY_LIMIT = "700MiB"


def opa_environment(base: dict[str, str] | None = None) -> dict[str, str]:
    """The environment of the managed OPA: this process's, with OPA_MEMORY_LIMIT as GOMEMLIMIT
    unless the user set the Go collector's knobs themselves."""
    env = dict(os.environ if base is None else base)
    if "GOMEMLIMIT" not in env and "GOGC" not in env:
        env["GOMEMLIMIT"] = OPA_MEMORY_LIMIT
    return env


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _routine(line: str) -> bool:
    try:
        entry = json.loads(line)
    except ValueError:
        return False
    return isinstance(entry, dict) and entry.get("level") in ("debug", "info", "warning")


def _die_with_parent() -> None:  # runs in the child between fork and exec
    if sys.platform.startswith("linux"):
        with contextlib.suppress(Exception):
            libc = ctypes.CDLL("libc.so.6", use_errno=True)
            libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


class ManagedOpa:
    """`with ManagedOpa(binary, [rego_dir], data) as opa:` → opa.host / opa.port are live."""

    def __init__(self, binary: Path, policy_paths: list[Path], data: dict[str, Any]):
        self.binary = binary
        self.policy_paths = policy_paths
        self.data = data
        self.host = "127.0.0.1"
        self.port = 0
        self.proc: subprocess.Popen[bytes] | None = None
        self._tmp: str | None = None
        self._log = None

    def __enter__(self) -> ManagedOpa:
        self._tmp = tempfile.mkdtemp(prefix="dxguard-opa-")
        data_file = Path(self._tmp) / "data.json"
        data_file.write_text(json.dumps(self.data, sort_keys=True), encoding="utf-8")
        atexit.register(self.stop)
        try:
            for attempt in range(3):
                self.port = _free_port()
                if self._start(data_file):
                    return self
                if attempt == 2 or "address already in use" not in self._log_text():
                    self._fail_startup()
        except BaseException:
            self.stop()
            raise
        return self  # pragma: no cover - loop always returns or raises

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _start(self, data_file: Path) -> bool:
        if self._log is not None:
            self._log.close()
        self._log = open(Path(self._tmp or ".") / "opa.log", "wb")  # noqa: SIM115 - closed in stop()
        cmd = [
            str(self.binary),
            "run",
            "--server",
            "--addr",
            f"{self.host}:{self.port}",
            "--log-level",
            "error",
            "--skip-version-check",
            "--shutdown-grace-period",
            "1",
            "--ignore",
            "*_test.rego",
            *[str(p) for p in self.policy_paths],
            str(data_file),
        ]
        try:
            self.proc = subprocess.Popen(
                cmd,
                stdin=subprocess.DEVNULL,
                stdout=self._log,
                stderr=subprocess.STDOUT,
                env=opa_environment(),
                preexec_fn=_die_with_parent,  # noqa: PLW1509 - single-threaded at this point
            )
        except OSError as err:
            raise EngineError(f"cannot start OPA at {self.binary}: {err}") from None
        # While OPA compiles the bundle: import the HTTP side (requests, opa-python-client),
        # which is slow to import and not needed before this point.
        import requests

        import checker.engine.client  # noqa: F401

        deadline = time.monotonic() + STARTUP_TIMEOUT
        url = f"http://{self.host}:{self.port}/health"
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                return False
            with contextlib.suppress(requests.RequestException):
                if requests.get(url, timeout=1).status_code == 200:
                    return True
            time.sleep(0.05)
        raise EngineError(
            f"OPA did not become healthy within {STARTUP_TIMEOUT:.0f}s on {self.host}:{self.port}",
            hint="check that loopback networking works and the machine is not overloaded",
        )

    def _log_text(self) -> str:
        """OPA's output without its routine info/warning lines (e.g. 'running as root')."""
        if not self._tmp:
            return ""
        try:
            raw = (Path(self._tmp) / "opa.log").read_text(errors="replace")
        except OSError:
            return ""
        return "\n".join(line for line in raw.splitlines() if not _routine(line))

    def _fail_startup(self) -> None:
        log = self._log_text().strip()
        code = self.proc.returncode if self.proc else None
        if code is not None and code < 0:
            raise EngineError(
                f"OPA was stopped by signal {-code} during start-up",
                hint="something outside dxguard killed it (out of memory? a supervisor?); rerun",
            )
        raise EngineError(
            f"OPA exited during start-up (exit {code}) while loading the policy bundle:\n{log}",
            hint="fix the policy or data file OPA names above (`opa check --strict` shows it too)",
        )

    def exited(self, grace: float = 0.0) -> int | None:
        """The exit code if the OPA process has ended (waiting up to `grace` s), else None."""
        if self.proc is None:
            return None
        try:
            return self.proc.wait(timeout=grace) if grace else self.proc.poll()
        except subprocess.TimeoutExpired:
            return None

    def log_tail(self, lines: int = 20) -> str:
        return "\n".join(self._log_text().strip().splitlines()[-lines:])

    def stop(self) -> None:
        proc, self.proc = self.proc, None
        if proc is not None:
            _record_peak_memory(proc.pid)
        if proc is not None and proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        if self._log is not None:
            self._log.close()
            self._log = None
        if self._tmp:
            shutil.rmtree(self._tmp, ignore_errors=True)
            self._tmp = None
        with contextlib.suppress(Exception):
            atexit.unregister(self.stop)


def _record_peak_memory(pid: int) -> None:
    """OPA's peak resident memory (VmHWM), for the benchmarks' timings file."""
    from checker import timing

    with contextlib.suppress(OSError, ValueError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                timing.note("opa_peak_rss_kib", int(line.split()[1]))


def install_signal_handlers() -> None:
    """Turn SIGTERM/SIGHUP into SystemExit so `with` blocks (and OPA shutdown) run."""

    def handler(signum: int, _frame: object) -> None:
        raise SystemExit(128 + signum)

    for sig in (signal.SIGTERM, signal.SIGHUP):
        with contextlib.suppress(ValueError, OSError):
            signal.signal(sig, handler)
