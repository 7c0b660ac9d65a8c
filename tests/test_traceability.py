"""`dxguard controls show` and the traceability matrix (control ↔ check ↔ test), on the real OPA."""

from __future__ import annotations

import csv
import io
import re

import yaml

from conftest import FIXTURES, ROOT, dxguard

CUSTOM = FIXTURES / "custom"


def _test_rules(path) -> list[str]:
    """The distinct test rules of a *_test.rego file, in order (read independently of dxguard)."""
    names: list[str] = []
    for line in path.read_text().splitlines():
        m = re.match(r"(test_\w+)", line)
        if m and m.group(1) not in names:
            names.append(m.group(1))
    return names


def _matrix(*args: str) -> list[dict[str, str]]:
    run = dxguard("controls", "matrix", *args)
    assert run.code == 0, run.stderr
    return list(csv.DictReader(io.StringIO(run.stdout)))


def test_show_prints_the_control_its_checks_and_their_tests():
    run = dxguard("controls", "show", "21 CFR 11.10(a)")
    assert run.code == 0, run.stderr
    out = run.stdout
    assert out.startswith("21 CFR 11.10(a) — Validated systems that detect altered records")
    assert re.search(r"controls/fda-samd\.yaml:\d+", out)
    assert "evidence: partial" in out and "citation: verified" in out
    # Each check the catalog cites, with every test case of its test file.
    catalog = yaml.safe_load((ROOT / "controls/fda-samd.yaml").read_text())
    control = next(c for c in catalog["controls"] if c["id"] == "21 CFR 11.10(a)")
    assert "DXG-K8S-PIN-001 [high] Images are pinned by digest" in out
    for check in control["checks"]:
        assert check in out
    tests = _test_rules(ROOT / "rego/k8s/image_digest_test.rego")
    assert f"tests: {len(tests)} in rego/k8s/image_digest_test.rego" in out
    for name in tests:
        assert name in out


def test_show_json_and_a_unique_part_of_the_id():
    run = dxguard("controls", "show", "7.5.8", "--framework", "iso-13485", "--format", "json")
    assert run.code == 0, run.stderr
    [info] = run.json()
    assert info["id"] == "ISO 13485:2016 7.5.8"
    assert info["framework"]["id"] == "iso-13485"
    assert info["checks"], "7.5.8 (identification) is served by the pinning checks"
    for check in info["checks"]:
        assert check["tests"], f"{check['id']} has opa test cases"
        for t in check["tests"]:
            text = (ROOT / t["file"]).read_text().splitlines()
            assert text[t["line"] - 1].startswith(t["name"])


def test_show_prints_the_evidence_to_attach_notes_and_sources_of_a_manual_control():
    catalog = yaml.safe_load((ROOT / "controls/iso-13485.yaml").read_text())
    raw = next(c for c in catalog["controls"] if c["id"] == "ISO 13485:2016 4.1.6")
    run = dxguard("controls", "show", "ISO 13485:2016 4.1.6")
    assert run.code == 0, run.stderr
    out = " ".join(run.stdout.split())
    assert "evidence: manual (no automated check: attach the documents listed)" in out
    assert out.index("Evidence to attach") < out.index("Notes")
    for item in raw["evidence_to_attach"]:
        assert f"- {' '.join(item.split())}" in out
    assert "Checks (0) none" in out
    [info] = dxguard("controls", "show", "ISO 13485:2016 4.1.6", "--format", "json").json()
    assert info["evidence_to_attach"] == [" ".join(e.split()) for e in raw["evidence_to_attach"]]
    assert info["notes"].startswith("The pinning and provenance checks formerly mapped here")


def test_show_unknown_or_ambiguous_control_is_a_usage_error_naming_candidates():
    unknown = dxguard("controls", "show", "no such clause")
    assert unknown.code == 2
    assert "no control has the id 'no such clause'" in unknown.stderr
    assert "dxguard controls list" in unknown.stderr
    ambiguous = dxguard("controls", "show", "ISO 13485")
    assert ambiguous.code == 2
    assert "controls match 'ISO 13485'" in ambiguous.stderr
    assert "iso-13485: ISO 13485:2016 6.3" in ambiguous.stderr
    assert "--framework" in ambiguous.stderr


def test_matrix_links_every_control_to_its_checks_and_every_check_to_its_tests():
    rows = _matrix()
    assert rows and list(rows[0]) == [
        "framework",
        "control",
        "control_title",
        "evidence",
        "citation",
        "check",
        "check_title",
        "severity",
        "check_disabled",
        "test",
        "test_file",
        "test_line",
    ]
    by_control: dict[tuple[str, str], set[str]] = {}
    for r in rows:
        by_control.setdefault((r["framework"], r["control"]), set()).add(r["check"])
    # Every control of every built-in catalog is in the matrix, with exactly its checks.
    for path in sorted((ROOT / "controls").glob("*.yaml")):
        catalog = yaml.safe_load(path.read_text())
        fw = catalog["framework"]["id"]
        for control in catalog["controls"]:
            want = set(control.get("checks", [])) or {""}
            assert by_control[(fw, control["id"])] == want, (fw, control["id"])
    # A manual control keeps its row, with the check and test cells empty.
    manual = [r for r in rows if r["evidence"] == "manual"]
    assert manual and all(r["check"] == "" and r["test"] == "" for r in manual)
    # A check's rows name each of its test cases once, at the line the test starts.
    digest = [r for r in rows if r["check"] == "DXG-K8S-PIN-001" and r["framework"] == "fda-samd"]
    names = _test_rules(ROOT / "rego/k8s/image_digest_test.rego")
    per_control: dict[str, list[str]] = {}
    for r in digest:
        per_control.setdefault(r["control"], []).append(r["test"].rsplit(".", 1)[1])
        lines = (ROOT / r["test_file"]).read_text().splitlines()
        assert lines[int(r["test_line"]) - 1].startswith(r["test"].rsplit(".", 1)[1])
    assert per_control and all(v == names for v in per_control.values())


def test_matrix_with_custom_checks_catalogs_and_a_disabled_check():
    rows = _matrix("-c", str(CUSTOM / "dxguard.yaml"), "-f", "acme-sop", "-f", "iso-13485")
    acme = [r for r in rows if r["check"] == "ACME-K8S-LOG-001"]
    tests = {r["test"] for r in acme}
    custom_tests = _test_rules(CUSTOM / "policy/acme_team_label_test.rego")
    assert tests == {f"dxguard.checks.k8s.acme_team_label_test.{n}" for n in custom_tests}
    assert {r["framework"] for r in acme} == {"acme-sop", "iso-13485"}
    assert all(r["test_file"].endswith("acme_team_label_test.rego") for r in acme)
    disabled = [r for r in rows if r["check"] == "DXG-K8S-PIN-002"]
    assert disabled and all(r["check_disabled"] == "yes" for r in disabled)
    assert all(r["check_disabled"] == "" for r in acme)


def test_a_check_without_tests_keeps_its_row_with_the_gap_visible(tmp_path):
    policy = tmp_path / "policy"
    policy.mkdir()
    src = (CUSTOM / "policy/acme_team_label.rego").read_text()
    (policy / "acme_team_label.rego").write_text(src)  # the check, without its test file
    catalogs = str(CUSTOM / "controls")
    rows = _matrix("--policy", str(policy), "--controls", catalogs, "-f", "acme-sop")
    acme = [r for r in rows if r["check"] == "ACME-K8S-LOG-001"]
    assert len(acme) == 1
    assert acme[0]["test"] == "" and acme[0]["test_file"] == ""
    custom = ("--policy", str(policy), "--controls", catalogs)
    shown = dxguard("controls", "show", "SOP-IT-014", *custom)
    assert shown.code == 0, shown.stderr
    assert "tests: none found" in shown.stdout


def test_matrix_writes_the_file_it_is_given(tmp_path):
    out = tmp_path / "trace.csv"
    run = dxguard("controls", "matrix", "-f", "eu-ivdr", "-o", str(out))
    assert run.code == 0, run.stderr
    assert run.stdout == ""
    rows = list(csv.DictReader(out.open()))
    assert rows and {r["framework"] for r in rows} == {"eu-ivdr"}
