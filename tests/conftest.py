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
from hypothesis import HealthCheck, settings

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"
AS_OF = "2026-11-26T00:00:00Z"
# The fixtures' evidence is dated (scans age, waivers expire), so every dxguard the tests start
# judges at AS_OF unless a test says otherwise: a test's outcome never depends on the day it runs.
# A test of the default (now) removes it from the environment it passes.
os.environ["DXGUARD_AS_OF"] = AS_OF


def opa_path() -> Path:
    env = os.environ.get("DXGUARD_OPA")
    path = Path(env) if env else ROOT / ".tools" / "bin" / "opa"
    return path


# Property-based tests run the same examples on every machine (derandomized, no example database)
# within a fixed budget per test; `HYPOTHESIS_PROFILE=explore` searches further, at random.
settings.register_profile(
    "dxguard",
    derandomize=True,
    database=None,
    max_examples=150,
    deadline=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.register_profile("explore", parent=settings.get_profile("dxguard"), derandomize=False,
                          max_examples=5000)  # fmt: skip
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dxguard"))


def k8syaml_path() -> Path:
    env = os.environ.get("DXGUARD_K8SYAML")
    return Path(env) if env else ROOT / ".tools" / "bin" / "k8syaml"


def kubernetes_yaml_to_json(texts: list[str]) -> list[dict]:
    """What sigs.k8s.io/yaml (the library kubectl reads manifests with) makes of each text:
    {"json": value} or {"error": message}. Built by `make` from tools/k8syaml/."""
    if not k8syaml_path().is_file():
        pytest.fail(f"sigs.k8s.io/yaml is required at {k8syaml_path()}: run `make test-python`")
    proc = subprocess.run(
        [str(k8syaml_path())], input=json.dumps(texts), capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


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
