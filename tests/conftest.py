"""Shared test helpers. Tests run against the real OPA (built by `make opa`) — never a mock."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"
AS_OF = "2026-11-26T00:00:00Z"


def opa_path() -> Path:
    env = os.environ.get("DXGUARD_OPA")
    path = Path(env) if env else ROOT / ".tools" / "bin" / "opa"
    return path


@pytest.fixture(scope="session", autouse=True)
def _require_real_opa() -> None:
    if not opa_path().is_file():
        pytest.exit(
            f"the real OPA is required at {opa_path()}: run `make test` (it builds OPA first)",
            returncode=2,
        )


@dataclass
class Run:
    code: int
    stdout: str
    stderr: str

    def json(self) -> dict:
        return json.loads(self.stdout)


def dxguard(
    *args: str,
    stdin: str | None = None,
    env: dict[str, str] | None = None,
    cwd: Path | None = None,
    timeout: float = 120,
) -> Run:
    """Run the real command line (`python -m checker`) in a subprocess."""
    full_env = {**os.environ, "DXGUARD_OPA": str(opa_path()), "NO_COLOR": "1"}
    if env:
        full_env.update(env)
    proc = subprocess.run(
        [sys.executable, "-m", "checker", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=full_env,
        cwd=cwd or ROOT,
        timeout=timeout,
    )
    return Run(proc.returncode, proc.stdout, proc.stderr)


def scan_json(*args: str, **kw) -> tuple[Run, dict]:
    run = dxguard("scan", "--format", "json", "--as-of", AS_OF, "-q", *args, **kw)
    assert run.code in (0, 1), f"scan failed (exit {run.code}): {run.stderr}"
    return run, run.json()


@pytest.fixture()
def project_copy(tmp_path: Path) -> Path:
    """A private copy of rego/ and controls/ that a test may break; use it via DXGUARD_HOME."""
    home = tmp_path / "home"
    shutil.copytree(ROOT / "rego", home / "rego")
    shutil.copytree(ROOT / "controls", home / "controls")
    return home


def results_of(report: dict, check: str) -> list[dict]:
    """Per-resource results of one check, as the report's evidence section lists them."""
    return [
        {"id": r["id"], **r["checks"][check]} for r in report["resources"] if check in r["checks"]
    ]


def failures_of(report: dict, check: str) -> list[dict]:
    seen = {}
    for f in report["findings"]:
        if f["status"] == "failed" and f["check"] == check:
            seen[(f["resource"]["id"], f["path"])] = f
    return [seen[k] for k in sorted(seen)]


def control_failures(report: dict, control: dict, which: str = "failures") -> list[dict]:
    """A control's failures (or waived failures), resolved from the ids it lists."""
    index = {f["id"]: f for f in report["findings"]}
    return [index[fid] for fid in control[which]]
