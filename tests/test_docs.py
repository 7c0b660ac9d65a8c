"""Documentation that is generated or cited stays true: the control reference and `explain`."""

from __future__ import annotations

import json
import re

from checker.reference import REGENERATE

from conftest import FIXTURES, ROOT, dxguard

CUSTOM = FIXTURES / "custom"


def test_control_reference_in_docs_is_up_to_date():
    run = dxguard("controls", "list", "--format", "markdown")
    assert run.code == 0, run.stderr
    current = (ROOT / "docs" / "controls.md").read_text()
    assert current == run.stdout, (
        "docs/controls.md is stale: a catalog or a check changed. "
        f"Regenerate it with `{REGENERATE}`"
    )


def test_control_reference_lists_every_control_with_clause_evidence_and_checks():
    run = dxguard("controls", "list", "--format", "json")
    frameworks = json.loads(run.stdout)
    text = dxguard("controls", "list", "--format", "markdown").stdout
    for fw in frameworks:
        assert f"## {fw['title']}" in text
        for c in fw["controls"]:
            row = next(line for line in text.splitlines() if line.startswith(f"| `{c['id']}` "))
            assert f"| {c['evidence']} | {c['citation']} |" in row
            for check in c["checks"]:
                assert f"`{check}`" in row
    checks = json.loads(dxguard("checks", "list", "--format", "json").stdout)
    for check in checks:
        assert f"| `{check['id']}` | " in text


def test_stale_reference_is_detected_when_a_catalog_changes(project_copy, tmp_path):
    path = project_copy / "controls" / "iso-13485.yaml"
    path.write_text(path.read_text().replace("title: Infrastructure", "title: Infrastructure!"))
    fresh = dxguard(
        "controls", "list", "--format", "markdown", env={"DXGUARD_HOME": str(project_copy)}
    )
    assert fresh.code == 0
    assert fresh.stdout != (ROOT / "docs" / "controls.md").read_text()
    assert "Infrastructure!" in fresh.stdout


def test_reference_includes_custom_catalogs_when_asked():
    run = dxguard(
        "controls",
        "list",
        "--format",
        "markdown",
        "--policy",
        str(CUSTOM / "policy"),
        "--controls",
        str(CUSTOM / "controls"),
    )
    assert run.code == 0, run.stderr
    assert "## ACME Diagnostics IT SOPs" in run.stdout
    assert f"(from `{CUSTOM}/controls/iso-13485-acme.yaml`)" in run.stdout


def test_explain_prints_purpose_parameters_with_configured_values_controls_and_fix(tmp_path):
    cfg = tmp_path / "dxguard.yaml"
    cfg.write_text("version: 1\nparameters:\n  vm_log_retention_min_days: 3650\n")
    run = dxguard("explain", "DXG-VM-LOG-002", "-c", str(cfg))
    assert run.code == 0, run.stderr
    out = run.stdout
    assert out.startswith("DXG-VM-LOG-002 — ")
    for heading in ("Purpose", "Parameters", "Controls it gives evidence for", "How to fix"):
        assert heading in out
    assert f"vm_log_retention_min_days = 3650  (set in {cfg})" in out
    assert re.search(r"default: \d+", out)
    assert "EU AI Act Art. 19(1)" in out

    info = json.loads(dxguard("explain", "DXG-VM-LOG-002", "--format", "json").stdout)
    (param,) = info["parameters"]
    assert param["configured"] is False and param["value"] == param["default"]
    assert {"framework": "eu-ai-act", "control": "EU AI Act Art. 19(1)"}.items() <= next(
        c for c in info["controls"] if c["framework"] == "eu-ai-act"
    ).items()


def test_explain_says_when_a_check_is_disabled_and_why():
    run = dxguard("explain", "DXG-K8S-PIN-002", "-c", str(CUSTOM / "dxguard.yaml"))
    assert run.code == 0, run.stderr
    assert "DISABLED by the config" in run.stdout and "RA-2026-031" in run.stdout


def test_explain_unknown_id_is_exit_2_with_close_ids():
    run = dxguard("explain", "DXG-K8S-ISO-01")
    assert run.code == 2
    assert "unknown check 'DXG-K8S-ISO-01'; close ids: " in run.stderr
    close = run.stderr.split("close ids: ", 1)[1].splitlines()[0].split(", ")
    assert "DXG-K8S-ISO-001" in close and all(c.startswith("DXG-K8S-ISO-0") for c in close)
    assert run.stdout == ""
    far = dxguard("explain", "NOTHING")
    assert far.code == 2 and "no id is close to it" in far.stderr


def test_docs_link_to_files_that_exist():
    for page in [*(ROOT / "docs").rglob("*.md"), ROOT / "README.md"]:
        for target in re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", page.read_text()):
            if "://" in target:
                continue
            assert (page.parent / target).exists(), f"{page.relative_to(ROOT)} links to {target}"
