"""Custom content wiring without traps: the same folder twice is one folder, and whatever the
framework selection leaves out of a report (a custom catalog, a check no control cites) is said
in every format and on stderr, never dropped in silence."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from conftest import AS_OF, FIXTURES, dxguard

CUSTOM = FIXTURES / "custom"
COMPLIANT = FIXTURES / "k8s" / "compliant"


@pytest.fixture()
def team_repo(tmp_path: Path) -> Path:
    """A team repository: its config lists its own checks and catalogs, relative to itself."""
    repo = tmp_path / "repo"
    shutil.copytree(CUSTOM / "policy", repo / "policy")
    shutil.copytree(CUSTOM / "controls", repo / "catalogs")
    shutil.copytree(COMPLIANT, repo / "deploy")
    (repo / "dxguard.yaml").write_text("version: 1\npolicies: [policy]\ncontrols: [catalogs]\n")
    return repo


def scan(repo: Path, *args: str) -> tuple[int, dict, str]:
    run = dxguard("scan", "--as-of", AS_OF, "--format", "json", *args, cwd=repo)
    assert run.code in (0, 1), run.stderr
    return run.code, json.loads(run.stdout), run.stderr


def test_a_folder_in_the_config_and_on_the_command_line_is_loaded_once(team_repo):
    _, alone, _ = scan(team_repo, "-c", "dxguard.yaml", "deploy/")
    # What the GitHub Action and the GitLab example do: the config's folders passed again, in
    # every spelling a user might type.
    for spelling in ("catalogs/", "./catalogs", str(team_repo / "catalogs"), "catalogs"):
        policy = spelling.replace("catalogs", "policy")
        _, twice, _ = scan(
            team_repo, "-c", "dxguard.yaml", "--controls", spelling, "--policy", policy,
            "--controls", spelling, "deploy/",
        )  # fmt: skip
        assert twice["run"]["catalogs"] == alone["run"]["catalogs"]
        assert twice["run"]["custom_policies"] == alone["run"]["custom_policies"]
        assert twice["summary"] == alone["summary"]
    files = [c["file"] for c in alone["run"]["catalogs"] if c["origin"] == "custom"]
    assert len(files) == len(set(files)) == 2  # a new framework and an overlay, once each


def test_a_missing_folder_names_where_it_was_given(team_repo):
    (team_repo / "dxguard.yaml").write_text(
        "version: 1\npolicies: [policy]\ncontrols:\n  - catalogs\n  - notebody/catalogs\n"
    )
    run = dxguard("scan", "-c", "dxguard.yaml", "deploy/", cwd=team_repo)
    assert run.code == 2 and run.stdout == ""
    assert "dxguard.yaml:5: controls entry 'notebody/catalogs': no such folder" in run.stderr
    assert "relative to the config file" in run.stderr
    run = dxguard("scan", "--policy", "nowhere/", "deploy/", cwd=team_repo)
    assert run.code == 2 and "--policy nowhere/: no such folder" in run.stderr


def test_a_custom_catalog_the_framework_selection_excludes_is_reported_in_every_format(
    team_repo, tmp_path
):
    (team_repo / "dxguard.yaml").write_text(
        "version: 1\nframeworks: [iso-13485]\npolicies: [policy]\ncontrols: [catalogs]\n"
    )
    out = tmp_path / "out"
    formats = ("table", "markdown", "html", "sarif", "junit", "oscal", "github")
    outputs = [f"-o{fmt}={out / fmt}" for fmt in formats]
    code, report, stderr = scan(team_repo, "-c", "dxguard.yaml", *outputs, "deploy/")
    excluded = {f["framework"]: f for f in report["run"]["frameworks_not_selected"]}
    assert excluded["acme-sop"] == {
        "framework": "acme-sop", "file": "catalogs/acme-sop.yaml", "origin": "custom"
    }  # fmt: skip
    assert excluded["fda-samd"]["origin"] == "builtin"
    assert report["run"]["frameworks_selected"] == ["iso-13485"]
    assert "custom catalog(s) loaded but not reported" in stderr
    assert "acme-sop (catalogs/acme-sop.yaml)" in stderr
    note = next(n for n in report["scope_notes"] if n.startswith("Not in this report"))
    assert "acme-sop (catalogs/acme-sop.yaml)" in note
    for fmt in formats:
        text = (out / fmt).read_text()
        assert "acme-sop" in text, f"{fmt} does not say the custom catalog was left out"

    # Selected, it is reported and nothing is said.
    code, report, stderr = scan(
        team_repo, "-c", "dxguard.yaml", "-f", "iso-13485", "-f", "acme-sop", "deploy/"
    )
    assert "acme-sop" not in {f["framework"] for f in report["run"]["frameworks_not_selected"]}
    assert "not reported" not in stderr


def test_a_check_that_no_control_cites_is_reported_and_named(team_repo):
    # Image evidence is gated elsewhere here, so the built-in checks all pass.
    (team_repo / "pr.yaml").write_text("version: 1\nparameters:\n  image_evidence_tiers: []\n")
    code, report, stderr = scan(team_repo, "-c", "pr.yaml", "--policy", "policy", "deploy/")
    (check,) = [c for c in report["checks"] if c["id"] == "ACME-K8S-LOG-001"]
    assert check["controls_cited_by"] == {"selected": 0, "loaded": 0}
    assert check["failed"] > 0  # it failed workloads, yet no control could show it ...
    assert code == 0  # ... nor fail the run: the report and stderr say so
    assert "check(s) that no control cites: ACME-K8S-LOG-001" in stderr
    assert any(
        "no control of any catalog cites: ACME-K8S-LOG-001" in n for n in report["scope_notes"]
    )
    table = dxguard("scan", "-c", "pr.yaml", "--policy", "policy", "deploy/", cwd=team_repo)
    assert "ACME-K8S-LOG-001" in table.stdout

    # A built-in check only an unselected framework cites is named in the notes, not warned.
    _, report, stderr = scan(team_repo, "-f", "eu-ai-act", "deploy/")
    cited = {c["id"]: c["controls_cited_by"] for c in report["checks"]}
    assert cited["DXG-K8S-ISO-010"]["selected"] == 0 and cited["DXG-K8S-ISO-010"]["loaded"] > 0
    note = next(n for n in report["scope_notes"] if n.startswith("Check(s) that only unselected"))
    assert "DXG-K8S-" in note
    assert "no control cites" not in stderr
