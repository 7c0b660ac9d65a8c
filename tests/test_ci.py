"""CI integrations, exercised where this machine can run them.

The pre-commit hook runs under the real pre-commit in a throw-away git repository; the GitHub
composite action's scan script runs under bash with the runner's files; the helm and kustomize
pipelines are fed through stdin; the GitLab example, the example workflow and the Dockerfile are
parsed and held to what they promise (there is no Docker engine or GitHub runner here).
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import click
import pytest
import yaml

from checker.cli import scan as scan_command

from conftest import FIXTURES, ROOT, dxguard, failures_of, opa_path, scan_json

CI = ROOT / "docs" / "ci" / "examples"
VENV_BIN = Path(sys.executable).parent


def scan_options() -> tuple[set[str], set[str]]:
    opts: set[str] = set()
    formats: set[str] = set()
    for p in scan_command.params:
        if isinstance(p, click.Option):
            opts.update(p.opts)
            opts.update(p.secondary_opts)
            if p.name in ("fmt", "formats") and isinstance(p.type, click.Choice):
                formats.update(p.type.choices)
    return opts, formats


def assert_real_scan_invocation(argv: list[str]) -> None:
    """Every option of a `dxguard scan` command line exists, and --format/--output name formats."""
    opts, formats = scan_options()
    assert argv[:2] == ["dxguard", "scan"], argv
    it = iter(argv[2:])
    for token in it:
        if not token.startswith("-") or token == "-":
            continue
        name, eq, value = token.partition("=")
        assert name in opts, f"`dxguard scan` has no option {name} ({' '.join(argv)})"
        if name in ("--format", "--output", "-o"):
            value = value if eq else next(it)
            if name == "--format":
                assert value in formats, f"unknown format {value}"
            elif "=" in value:
                assert value.split("=", 1)[0] in formats, f"unknown format in --output {value}"


def git(cwd: Path, *args: str) -> str:
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "dxguard test",
        "GIT_AUTHOR_EMAIL": "test@dxguard.invalid",
        "GIT_COMMITTER_NAME": "dxguard test",
        "GIT_COMMITTER_EMAIL": "test@dxguard.invalid",
    }
    out = subprocess.run(
        ["git", *args], cwd=cwd, env=env, capture_output=True, text=True, check=True
    )
    return out.stdout.strip()


# -- pre-commit -------------------------------------------------------------------------------


def test_pre_commit_hooks_follow_pre_commits_manifest_schema():
    from pre_commit.clientlib import load_config, load_manifest

    hooks = {h["id"]: h for h in load_manifest(ROOT / ".pre-commit-hooks.yaml")}
    assert set(hooks) == {"dxguard", "dxguard-docker"}
    for hook in hooks.values():
        assert shlex.split(hook["entry"]) == ["dxguard", "scan"]
        assert hook["pass_filenames"] and hook["require_serial"]
        assert re.search(hook["files"], "deploy/app.yaml") and re.search(hook["files"], "x.json")
        assert not re.search(hook["files"], "README.md")
    assert hooks["dxguard-docker"]["language"] == "docker"
    assert (ROOT / "Dockerfile").is_file()  # what pre-commit builds for the docker hook
    (example,) = load_config(CI / "pre-commit-config.yaml")["repos"]
    (used,) = example["hooks"]
    assert used["id"] in hooks
    assert_real_scan_invocation(["dxguard", "scan", *used["args"]])


@pytest.fixture()
def hook_repo(tmp_path: Path) -> tuple[Path, str]:
    """A git repository holding this checkout's .pre-commit-hooks.yaml, as pre-commit clones it."""
    repo = tmp_path / "hooks"
    repo.mkdir()
    shutil.copy(ROOT / ".pre-commit-hooks.yaml", repo / ".pre-commit-hooks.yaml")
    git(repo, "init", "-q")
    git(repo, "add", ".pre-commit-hooks.yaml")
    git(repo, "commit", "-q", "-m", "hooks")
    return repo, git(repo, "rev-parse", "HEAD")


def test_pre_commit_hook_blocks_a_commit_that_adds_a_non_compliant_manifest(tmp_path, hook_repo):
    repo_url, rev = hook_repo
    project = tmp_path / "project"
    (project / "deploy").mkdir(parents=True)
    git(project, "init", "-q")
    (project / ".pre-commit-config.yaml").write_text(
        yaml.safe_dump(
            {
                "repos": [
                    {
                        "repo": str(repo_url),
                        "rev": rev,
                        "hooks": [
                            {
                                "id": "dxguard",
                                "files": r"^deploy/",
                                "args": ["-q", "-c", "dxguard.yaml"],
                            }
                        ],
                    }
                ]
            }
        )
    )
    (project / "notes.yaml").write_text("not: a manifest, and outside deploy/\n")
    env = {
        **os.environ,
        "PATH": f"{VENV_BIN}{os.pathsep}{os.environ.get('PATH', '')}",
        "DXGUARD_OPA": str(opa_path()),
        "PRE_COMMIT_HOME": str(tmp_path / "pre-commit-home"),
        "NO_COLOR": "1",
        "GIT_AUTHOR_NAME": "dxguard test",
        "GIT_AUTHOR_EMAIL": "test@dxguard.invalid",
        "GIT_COMMITTER_NAME": "dxguard test",
        "GIT_COMMITTER_EMAIL": "test@dxguard.invalid",
    }
    subprocess.run(
        [str(VENV_BIN / "pre-commit"), "install"], cwd=project, env=env, check=True,
        capture_output=True,
    )  # fmt: skip

    def commit(message: str) -> subprocess.CompletedProcess[str]:
        subprocess.run(["git", "add", "-A"], cwd=project, env=env, check=True)
        return subprocess.run(
            ["git", "commit", "-q", "-m", message],
            cwd=project,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )

    # A compliant platform: the clinical manifests with their cluster evidence (namespaces,
    # NetworkPolicies, audited API server, collector) and the images' evidence, trusted as the
    # example organisation's config says.
    shutil.copytree(FIXTURES / "k8s/compliant", project / "deploy/k8s")
    shutil.copytree(FIXTURES / "images/compliant", project / "deploy/image-evidence")
    shutil.copy(FIXTURES / "images/dxguard.yaml", project / "dxguard.yaml")
    good = commit("a compliant deployment")
    assert good.returncode == 0, good.stdout + good.stderr
    assert "dxguard compliance scan" in good.stdout + good.stderr

    shutil.copy(
        FIXTURES / "k8s/noncompliant/research-notebook-pod.yaml", project / "deploy/notebook.yaml"
    )
    bad = commit("a notebook on :latest")
    output = bad.stdout + bad.stderr
    assert bad.returncode != 0, output
    assert "dxguard compliance scan" in output and "Failed" in output
    assert "deploy/notebook.yaml:" in output  # the finding points at the staged file
    assert "DXG-K8S-PIN-002" in output  # the :latest tag
    assert git(project, "log", "--format=%s") == "a compliant deployment"


# -- GitHub Actions ---------------------------------------------------------------------------


def _action() -> dict:
    return yaml.safe_load((ROOT / "action.yml").read_text())


def test_action_is_a_composite_action_whose_scripts_are_valid_bash():
    action = _action()
    assert action["runs"]["using"] == "composite"
    steps = action["runs"]["steps"]
    inputs = set(action["inputs"])
    text = (ROOT / "action.yml").read_text()
    for used in re.findall(r"\$\{\{\s*inputs\.([a-z-]+)\s*\}\}", text):
        assert used in inputs, f"action.yml uses undeclared input {used}"
    step_ids = {s.get("id") for s in steps}
    for name, out in action["outputs"].items():
        m = re.fullmatch(r"\$\{\{ steps\.([a-z-]+)\.outputs\.([a-z-]+) \}\}", out["value"])
        assert m and m.group(1) in step_ids, name
    for step in steps:
        if "run" in step:
            assert step["shell"] == "bash"
            assert "${{" not in step["run"], "inputs must reach scripts through env, not text"
            subprocess.run(["bash", "-n"], input=step["run"], text=True, check=True)


def _run_scan_step(
    tmp_path: Path, inputs: dict[str, str], cwd: Path = ROOT
) -> tuple[subprocess.CompletedProcess, dict]:
    action = _action()
    step = next(s for s in action["runs"]["steps"] if s.get("id") == "scan")
    values = {name: spec.get("default", "") for name, spec in action["inputs"].items()}
    values.update(inputs)
    env = {**os.environ, "NO_COLOR": "1", "DXGUARD_OPA": str(opa_path())}
    for var, expr in step["env"].items():
        (name,) = re.fullmatch(r"\$\{\{ inputs\.([a-z-]+) \}\}", expr).groups()
        env[var] = values[name]
    tmp_path.mkdir(parents=True, exist_ok=True)
    output, summary = tmp_path / "github_output", tmp_path / "step_summary"
    output.touch()
    summary.touch()
    env.update(
        {
            "GITHUB_OUTPUT": str(output),
            "GITHUB_STEP_SUMMARY": str(summary),
            "GITHUB_ACTION_PATH": str(ROOT),
            "PATH": f"{VENV_BIN}{os.pathsep}{env.get('PATH', '')}",
        }
    )
    proc = subprocess.run(
        ["bash", "-c", step["run"]], cwd=cwd, env=env, capture_output=True, text=True, timeout=300
    )
    outputs = dict(line.split("=", 1) for line in output.read_text().splitlines())
    return proc, outputs


def test_action_scan_step_passes_inputs_and_sets_outputs(tmp_path):
    no_files = {"sarif-file": "", "markdown-file": "", "json-file": ""}
    proc, outputs = _run_scan_step(
        tmp_path,
        {
            **no_files,
            "paths": "fixtures/k8s/compliant",
            "frameworks": "acme-sop iso-13485",
            "policies": "fixtures/custom/policy",
            "controls": "fixtures/custom/controls",
            "fail-on": "",
        },
    )
    assert outputs["exit-code"] == "1" and outputs["result"] == "fail"
    assert proc.returncode == 1
    assert "ACME-K8S-LOG-001" in proc.stdout  # the custom check ran, from the inputs
    assert "ACME Diagnostics IT SOPs [acme-sop]" in proc.stdout
    assert "::error::dxguard: at least one control is not satisfied" in proc.stdout

    proc, outputs = _run_scan_step(
        tmp_path / "report-only",
        {**no_files, "paths": "fixtures/k8s/noncompliant", "fail-build": "false"},
    )
    assert outputs["result"] == "fail" and proc.returncode == 0  # reported, build not failed

    # The defaults: SARIF, Markdown and JSON written, named in the outputs, summary appended.
    out = tmp_path / "defaults"
    proc, outputs = _run_scan_step(
        out,
        {
            "paths": "fixtures/k8s/compliant fixtures/images/compliant",
            "config": "fixtures/images/dxguard.yaml",
            "sarif-file": str(out / "dxguard.sarif"),
            "markdown-file": str(out / "dxguard.md"),
            "json-file": str(out / "dxguard-evidence.json"),
        },
    )
    assert outputs["result"] == "pass" and proc.returncode == 0, proc.stdout + proc.stderr
    assert json.loads(Path(outputs["sarif-file"]).read_text())["version"] == "2.1.0"
    assert json.loads(Path(outputs["json-file"]).read_text())["summary"]["result"] == "pass"
    markdown = Path(outputs["markdown-file"]).read_text()
    assert markdown.startswith("### ") and "PASS" in markdown.splitlines()[0]
    assert (out / "step_summary").read_text() == markdown

    proc, outputs = _run_scan_step(
        tmp_path / "error",
        {**no_files, "paths": "nowhere/", "fail-on": "", "fail-build": "false"},
    )
    assert outputs["result"] == "error" and proc.returncode == 2  # errors always fail the step


def test_example_workflow_uploads_sarif_and_posts_the_markdown_summary():
    flow = yaml.safe_load((CI / "github-workflow.yml").read_text())
    (job,) = flow["jobs"].values()
    assert job["permissions"]["security-events"] == "write"
    steps = job["steps"]
    scan = next(s for s in steps if s.get("id") == "dxguard")
    assert scan["uses"].split("@")[0].endswith("/dxguard")
    assert set(scan["with"]) <= set(_action()["inputs"])
    upload = next(s for s in steps if "upload-sarif" in s.get("uses", ""))
    assert upload["with"]["sarif_file"] == "${{ steps.dxguard.outputs.sarif-file }}"
    assert upload["if"].startswith("always()")
    comment = next(s for s in steps if "gh pr comment" in s.get("run", ""))
    assert comment["env"]["SUMMARY"] == "${{ steps.dxguard.outputs.markdown-file }}"
    subprocess.run(["bash", "-n"], input=comment["run"], text=True, check=True)


# -- GitLab CI --------------------------------------------------------------------------------


def test_gitlab_example_reports_junit_and_keeps_the_evidence():
    pipeline = yaml.safe_load((CI / "gitlab-ci.yml").read_text())
    job = pipeline["dxguard"]
    (script,) = job["script"]
    argv = shlex.split(script)
    assert_real_scan_invocation(argv)
    written = {
        v.split("=", 1)[0]: v.split("=", 1)[1]
        for k, v in zip(argv, argv[1:], strict=False)
        if k in ("--output", "-o")
    }
    assert job["artifacts"]["reports"]["junit"] == written["junit"]
    assert job["artifacts"]["when"] == "always"  # evidence is kept when the job fails
    assert set(job["artifacts"]["paths"]) <= set(written.values())
    assert job["image"]["entrypoint"] == [""]  # GitLab runs its shell, not dxguard, as entry


# -- helm template | dxguard scan -  and  kustomize build | dxguard scan - ----------------------


def test_helm_template_output_is_scanned_from_stdin_with_lines():
    text = (FIXTURES / "stdin" / "helm-template.yaml").read_text()
    run, report = scan_json("-", stdin=text)
    assert run.code == 1
    kinds = [(r["kind"], r["name"], r["source"]["document"]) for r in report["resources"]]
    assert kinds == [
        ("ServiceAccount", "wsi-viewer", 0),
        ("Service", "wsi-viewer", 1),
        ("Deployment", "wsi-viewer", 2),
        ("Pod", "wsi-viewer-test-connection", 3),
    ]
    assert {r["source"]["file"] for r in report["resources"]} == {"<stdin>"}
    lines = text.splitlines()
    deployment = next(r for r in report["resources"] if r["kind"] == "Deployment")
    assert lines[deployment["source"]["line"] - 1] == "apiVersion: apps/v1"
    assert deployment["examined"]
    assert all(c["failed"] == 0 for c in deployment["checks"].values())
    (pin,) = failures_of(report, "DXG-K8S-PIN-001")
    assert pin["resource"]["name"] == "wsi-viewer-test-connection"
    assert pin["file"] == "<stdin>"
    assert lines[pin["line"] - 1].strip() == "image: busybox"
    assert report["run"]["inputs"][0]["path"] == "<stdin>"


def test_kustomize_build_output_is_scanned_from_stdin_and_passes():
    """The rendered overlay on stdin, with the platform's cluster evidence beside it."""
    text = (FIXTURES / "stdin" / "kustomize-build.yaml").read_text()
    args = ("-", str(FIXTURES / "k8s/compliant/cluster"), "-c")
    config = str(FIXTURES / "stdin" / "pr-check.dxguard.yaml")
    run = dxguard("scan", *args, config, "-q", stdin=text)
    assert run.code == 0, run.stdout + run.stderr
    assert "Result: PASS" in run.stdout
    _, report = scan_json(*args, config, stdin=text)
    kinds = [r["kind"] for r in report["resources"] if r["source"]["file"] == "<stdin>"]
    assert kinds == [
        "Namespace", "ServiceAccount", "ConfigMap", "Service", "Deployment", "NetworkPolicy"
    ]  # fmt: skip
    (deployment,) = [r for r in report["resources"] if r["kind"] == "Deployment"]
    assert deployment["examined"] and all(c["failed"] == 0 for c in deployment["checks"].values())
    # Without the PR-check config, the image's missing evidence is the one finding left.
    _, strict = scan_json(*args[:2], stdin=text)
    assert {f["check"] for f in failures_of(strict, "DXG-IMG-SCN-001")} == {"DXG-IMG-SCN-001"}
    failing = {c["id"] for c in strict["checks"] if c["failed"]}
    assert failing == {"DXG-IMG-SCN-001"}


# -- the container image definition -----------------------------------------------------------

GO_IMAGE = (
    "golang:1.26-bookworm@sha256:a688600ca24f8a4d3ca77f95b0dd40704a9fc787c826660eb7ba0b641b8b175d"
)
PY_IMAGE = (
    "python:3.11-slim-bookworm"
    "@sha256:a36c24f9cbdf4fd0f52d67f0823eeac19c2028c637cecc392d97f980d4fec56b"
)


def dockerfile_instructions(text: str) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with continuation lines joined and comments dropped."""
    out: list[tuple[str, str]] = []
    buf = ""
    for raw in text.splitlines():
        line = raw.strip()
        if not buf and (not line or line.startswith("#")):
            continue
        if line.endswith("\\"):
            buf += line[:-1] + " "
            continue
        buf += line
        op, _, args = buf.partition(" ")
        out.append((op.upper(), args.strip()))
        buf = ""
    return out


def stages(instructions: list[tuple[str, str]]) -> list[list[tuple[str, str]]]:
    out: list[list[tuple[str, str]]] = []
    for op, args in instructions:
        if op == "FROM":
            out.append([])
        out[-1].append((op, args))
    return out


def test_dockerfile_is_multi_stage_pinned_by_digest_non_root_and_labelled():
    text = (ROOT / "Dockerfile").read_text()
    parts = stages(dockerfile_instructions(text))
    froms = [s[0][1].split()[0] for s in parts]
    assert len(parts) >= 2
    for image in froms:
        assert re.fullmatch(r"[^@\s]+@sha256:[0-9a-f]{64}", image), f"FROM {image} not by digest"
    assert froms[0] == GO_IMAGE and froms[-1] == PY_IMAGE
    assert "docker buildx imagetools inspect" in text  # how to refresh the digests

    # OPA is built from tools/opa in the Go stage, with the Go release tools/opa/go.mod asks for.
    go_stage = " ".join(args for _, args in parts[0])
    assert "tools/opa/go.mod" in go_stage and "go build" in go_stage
    go_mod = (ROOT / "tools/opa/go.mod").read_text()
    wanted = re.search(r"^go (\d+\.\d+)", go_mod, re.M).group(1)
    assert froms[0].startswith(f"golang:{wanted}-")

    final = parts[-1]
    users = [args for op, args in final if op == "USER"]
    assert users, "the runtime stage sets no USER"
    uid, _, gid = users[-1].partition(":")
    assert uid.isdigit() and int(uid) > 0 and (not gid or (gid.isdigit() and int(gid) > 0))
    labels = " ".join(args for op, args in final if op == "LABEL")
    declared = {args.split("=")[0] for op, args in final if op == "ARG"}
    for key, arg in (
        ("version", "VERSION"),
        ("revision", "REVISION"),
        ("created", "CREATED"),
        ("source", "SOURCE"),
    ):
        assert f'org.opencontainers.image.{key}="${{{arg}}}"' in labels
        assert arg in declared
    copies = [args for op, args in final if op == "COPY"]
    assert any(c.startswith("--from=opa ") for c in copies)
    # The policies and catalogs reach the image inside the installed package (package data),
    # the way they reach any `pip install`: copied into the stage that installs it.
    build = next(s for s in parts if any(op == "RUN" and "pip install ." in a for op, a in s))
    build_copies = [args.split()[0] for op, args in build if op == "COPY"]
    assert {"checker/", "rego/", "controls/", "pyproject.toml"} <= set(build_copies)
    env = " ".join(args for op, args in final if op == "ENV")
    assert "DXGUARD_HOME" not in env and "DXGUARD_OPA=/usr/local/bin/opa" in env
    assert ("ENTRYPOINT", '["dxguard"]') in final
    assert not any(op == "RUN" and "apt-get" in args for op, args in final)


def test_docker_build_context_holds_what_the_dockerfile_copies():
    ignore = (ROOT / ".dockerignore").read_text().splitlines()
    allowed = {line[1:].rstrip("/") for line in ignore if line.startswith("!")}
    for op, args in dockerfile_instructions((ROOT / "Dockerfile").read_text()):
        if op != "COPY" or args.startswith("--from"):
            continue
        for src in args.split()[:-1]:
            top = src.rstrip("/")
            assert any(top == a or top.startswith(a + "/") for a in allowed), src
            assert (ROOT / src).exists(), src


# -- the examples, as written, on an application repository -----------------------------------

APP = FIXTURES / "app-repo"
DEBUG_POD = """\
apiVersion: v1
kind: Pod
metadata: {name: debug, namespace: clinical-pathology}
spec:
  containers:
    - name: shell
      image: busybox:latest
"""


def test_pre_commit_example_passes_a_compliant_change_and_blocks_a_non_compliant_one(
    tmp_path, hook_repo
):
    """The example .pre-commit-config.yaml (its files: and args: as written) in a copy of the
    example application repository: the staged manifests alone, judged with scope: application."""
    repo_url, rev = hook_repo
    project = tmp_path / "app"
    shutil.copytree(APP, project)
    shutil.move(project / "deploy", tmp_path / "deploy-later")
    (project / "deploy").mkdir()
    example = yaml.safe_load((CI / "pre-commit-config.yaml").read_text())
    example["repos"][0].update({"repo": str(repo_url), "rev": rev})
    (project / ".pre-commit-config.yaml").write_text(yaml.safe_dump(example))
    env = {
        **os.environ,
        "PATH": f"{VENV_BIN}{os.pathsep}{os.environ.get('PATH', '')}",
        "DXGUARD_OPA": str(opa_path()),
        "PRE_COMMIT_HOME": str(tmp_path / "pre-commit-home"),
        "NO_COLOR": "1",
        "GIT_AUTHOR_NAME": "dxguard test",
        "GIT_AUTHOR_EMAIL": "test@dxguard.invalid",
        "GIT_COMMITTER_NAME": "dxguard test",
        "GIT_COMMITTER_EMAIL": "test@dxguard.invalid",
    }
    git(project, "init", "-q")
    git(project, "add", "-A")
    git(project, "commit", "-q", "-m", "config")  # before the hook is installed
    subprocess.run(
        [str(VENV_BIN / "pre-commit"), "install"], cwd=project, env=env, check=True,
        capture_output=True,
    )  # fmt: skip

    def commit(message: str) -> subprocess.CompletedProcess[str]:
        subprocess.run(["git", "add", "-A"], cwd=project, env=env, check=True)
        return subprocess.run(
            ["git", "commit", "-q", "-m", message],
            cwd=project, env=env, capture_output=True, text=True, timeout=300,
        )  # fmt: skip

    shutil.copy(tmp_path / "deploy-later" / "slide-viewer.yaml", project / "deploy")
    good = commit("the slide viewer")  # one compliant Deployment and its Service, alone
    assert good.returncode == 0, good.stdout + good.stderr
    assert "dxguard compliance scan" in good.stdout + good.stderr

    (project / "deploy" / "debug-pod.yaml").write_text(DEBUG_POD)
    bad = commit("a debugging pod")
    output = bad.stdout + bad.stderr
    assert bad.returncode != 0, output
    assert "deploy/debug-pod.yaml:7" in output and "DXG-K8S-PIN-001" in output
    assert git(project, "log", "-1", "--format=%s") == "the slide viewer"


def test_example_workflow_inputs_pass_the_example_application_repository(tmp_path):
    flow = yaml.safe_load((CI / "github-workflow.yml").read_text())
    (job,) = flow["jobs"].values()
    scan = next(s for s in job["steps"] if s.get("id") == "dxguard")
    project = tmp_path / "app"
    shutil.copytree(APP, project)
    out = tmp_path / "out"
    proc, outputs = _run_scan_step(out, dict(scan["with"]), cwd=project)
    assert outputs["result"] == "pass" and proc.returncode == 0, proc.stdout + proc.stderr
    assert "Repository scope: application" in (project / scan["with"]["markdown-file"]).read_text()
    (project / "deploy" / "debug-pod.yaml").write_text(DEBUG_POD)
    proc, outputs = _run_scan_step(tmp_path / "out2", dict(scan["with"]), cwd=project)
    assert outputs["result"] == "fail" and proc.returncode == 1


def test_gitlab_example_script_passes_the_example_application_repository(tmp_path):
    job = yaml.safe_load((CI / "gitlab-ci.yml").read_text())["dxguard"]
    (script,) = job["script"]
    project = tmp_path / "app"
    shutil.copytree(APP, project)
    env = {**os.environ, "PATH": f"{VENV_BIN}{os.pathsep}{os.environ.get('PATH', '')}",
           "DXGUARD_OPA": str(opa_path()), "NO_COLOR": "1"}  # fmt: skip
    run = subprocess.run(["bash", "-c", script], cwd=project, env=env, capture_output=True,
                         text=True, timeout=300)  # fmt: skip
    assert run.returncode == 0, run.stdout + run.stderr
    for path in job["artifacts"]["paths"]:
        assert (project / path).is_file(), path
    junit = (project / job["artifacts"]["reports"]["junit"]).read_text()
    assert 'failures="0"' in junit.splitlines()[1]
