"""dxguard installed from its wheel, away from this checkout, works like the checkout does.

The wheel is built from this checkout with the build backend already installed (no network),
installed into a fresh virtualenv under tmp_path (its third-party dependencies are the ones this
test environment already has, reached through a .pth file, so nothing is downloaded), and run
from a folder outside the checkout on a copy of the fixtures.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

from checker.engine.binary import PINNED_OPA

from conftest import AS_OF, FIXTURES, ROOT, dxguard, opa_path


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> dict[str, Path]:
    base = tmp_path_factory.mktemp("install")
    wheels = base / "wheels"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
         "--disable-pip-version-check", "-q", "-w", str(wheels), str(ROOT)],
        check=True, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    (wheel,) = wheels.glob("dxguard-*.whl")
    venv = base / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    py = venv / "bin" / "python"
    site = subprocess.run(
        [str(py), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True, capture_output=True, text=True,
    ).stdout.strip()  # fmt: skip
    # The dependencies this environment already holds, after the new venv's own packages.
    Path(site, "zz_dxguard_test_deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    subprocess.run(
        [str(py), "-m", "pip", "install", "--no-deps", "--no-index", "-q",
         "--disable-pip-version-check", str(wheel)],
        check=True, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    work = base / "elsewhere"
    shutil.copytree(FIXTURES / "k8s", work / "k8s")
    shutil.copytree(FIXTURES / "images" / "compliant", work / "evidence")
    shutil.copy(FIXTURES / "images" / "dxguard.yaml", work / "dxguard.yaml")
    return {"wheel": wheel, "venv": venv, "site": Path(site), "work": work}


def run_installed(
    installed: dict[str, Path], *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """The installed `dxguard` console script, run outside the checkout, OPA from DXGUARD_OPA."""
    full = {k: v for k, v in os.environ.items() if k not in ("DXGUARD_HOME", "PYTHONPATH")}
    full.update({"DXGUARD_OPA": str(opa_path()), "NO_COLOR": "1"})
    full.update(env or {})
    return subprocess.run(
        [str(installed["venv"] / "bin" / "dxguard"), *args],
        cwd=installed["work"], env=full, capture_output=True, text=True, timeout=300,
    )  # fmt: skip


def test_the_wheel_carries_the_policy_bundle_catalogs_and_schemas(installed):
    names = set(zipfile.ZipFile(installed["wheel"]).namelist())
    for path in ROOT.glob("rego/**/*.rego"):
        assert f"checker/_bundle/{path.relative_to(ROOT).as_posix()}" in names
    for path in ROOT.glob("controls/*"):
        assert f"checker/_bundle/controls/{path.name}" in names
    for path in (ROOT / "checker" / "schemas").rglob("*.json"):
        assert f"checker/{path.relative_to(ROOT / 'checker').as_posix()}" in names


def test_installed_wheel_scans_fixtures_outside_the_checkout_like_the_checkout(installed):
    py = installed["venv"] / "bin" / "python"
    located = subprocess.run(
        [str(py), "-c", "import checker, checker.paths as p; print(checker.__file__);"
         "print(p.project_root())"],
        cwd=installed["work"], capture_output=True, text=True, check=True,
        env={k: v for k, v in os.environ.items() if k != "DXGUARD_HOME"},
    ).stdout.split()  # fmt: skip
    assert located[0].startswith(str(installed["site"]))
    assert located[1] == str(installed["site"] / "checker" / "_bundle")

    args = ("scan", "k8s/compliant", "evidence", "-c", "dxguard.yaml", "--as-of", AS_OF)
    run = run_installed(installed, *args, "--format", "json", "-q")
    assert run.returncode == 0, run.stderr
    report = json.loads(run.stdout)
    assert report["summary"]["result"] == "pass"
    assert {c["file"] for c in report["run"]["catalogs"]} >= {"controls/fda-samd.yaml"}
    assert report["summary"]["resources"]["examined"] > 10

    # The same inputs through the checkout's dxguard: the same report, bundle digest included.
    same = dxguard(*args, "--format", "json", "-q", cwd=installed["work"])
    assert same.code == 0, same.stderr
    assert json.loads(same.stdout) == report

    bad = run_installed(installed, "scan", "k8s/noncompliant", "-q")
    assert bad.returncode == 1, bad.stderr
    assert "k8s/noncompliant/research-notebook-pod.yaml:" in bad.stdout


def test_installed_catalog_commands_find_the_checks_and_their_tests(installed):
    run = run_installed(installed, "controls", "show", "21 CFR 11.10(a)")
    assert run.returncode == 0, run.stderr
    assert re.search(r"tests: \d+ in rego/k8s/image_digest_test\.rego", run.stdout)
    version = run_installed(installed, "version")
    assert version.returncode == 0, version.stderr
    assert version.stdout.startswith("dxguard ") and f"OPA {PINNED_OPA}" in version.stdout


def test_installed_dxguard_finds_opa_on_path(installed, tmp_path):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "opa").symlink_to(opa_path())
    run = run_installed(
        installed, "version", env={"DXGUARD_OPA": "", "PATH": f"{bin_dir}:/usr/bin:/bin"}
    )
    assert run.returncode == 0, run.stderr
    assert f"OPA {PINNED_OPA}" in run.stdout


def test_installed_dxguard_without_opa_says_exactly_how_to_get_it(installed, tmp_path):
    env = {"DXGUARD_OPA": "", "PATH": f"{tmp_path}:/usr/bin:/bin"}
    if shutil.which("opa", path=env["PATH"]):
        pytest.fail("this machine has an opa in /usr/bin or /bin; the test needs a PATH without")
    run = run_installed(installed, "scan", "k8s/compliant", env=env)
    assert run.returncode == 2
    assert run.stdout == ""
    err = run.stderr
    assert "OPA was not found" in err
    assert f"go install github.com/open-policy-agent/opa@v{PINNED_OPA}" in err
    assert f"releases/tag/v{PINNED_OPA}" in err
    assert "DXGUARD_OPA" in err and "PATH" in err


def test_pinned_opa_version_is_the_one_tools_opa_builds():
    go_mod = (ROOT / "tools" / "opa" / "go.mod").read_text()
    pinned = re.search(r"github\.com/open-policy-agent/opa v(\S+)", go_mod).group(1)
    assert pinned == PINNED_OPA


def test_dxguard_home_overrides_the_installed_bundle_and_a_wrong_one_is_exit_2(
    installed, project_copy
):
    path = project_copy / "controls" / "iso-13485.yaml"
    path.write_text(path.read_text().replace("title: Infrastructure", "title: Infrastructure!"))
    run = run_installed(
        installed, "controls", "list", "--format", "markdown",
        env={"DXGUARD_HOME": str(project_copy)},
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    assert "Infrastructure!" in run.stdout
    wrong = run_installed(installed, "checks", "list", env={"DXGUARD_HOME": "/nonexistent"})
    assert wrong.returncode == 2
    assert "DXGUARD_HOME=/nonexistent" in wrong.stderr and "rego/ and controls/" in wrong.stderr
