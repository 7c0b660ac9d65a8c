"""Small truths: what the help, the listings and the docs say is what dxguard does."""

from __future__ import annotations

import csv
import io
import json
import re

import yaml

from conftest import AS_OF, FIXTURES, ROOT, dxguard, scan_json


def builtin_framework_ids() -> list[str]:
    return [
        yaml.safe_load(p.read_text())["framework"]["id"]
        for p in sorted((ROOT / "controls").glob("*.yaml"))
    ]


def test_help_names_every_built_in_framework():
    run = dxguard("--help")
    assert run.code == 0
    ids = builtin_framework_ids()
    assert len(ids) == 6
    for fid in ids:
        assert re.search(rf"^\s+{re.escape(fid)}\s", run.stdout, re.M), f"--help omits {fid}"


def test_checks_list_shows_the_controls_each_check_serves():
    rows = json.loads(dxguard("checks", "list", "--format", "json").stdout)
    table = dxguard("checks", "list", env={"COLUMNS": "2000"})  # every cell on one line
    assert table.code == 0, table.stderr
    assert "Controls it serves" in table.stdout
    lines = table.stdout.splitlines()
    for row in rows:
        at = next(i for i, line in enumerate(lines) if line.startswith(row["id"] + " "))
        cell = []  # the check's own line and its continuation lines (first column empty)
        for line in lines[at:]:
            if line is not lines[at] and not line.startswith(" "):
                break
            cell.append(line)
        text = "\n".join(cell)
        by_fw: dict[str, list[str]] = {}
        for entry in row["controls"]:
            fw, _, control = entry.partition(": ")
            by_fw.setdefault(fw, []).append(control)
        for fw, controls in by_fw.items():
            assert f"{fw}: {', '.join(controls)}" in text, (row["id"], fw)


def test_catalog_commands_take_the_frameworks_of_the_config(tmp_path):
    cfg = tmp_path / "dxguard.yaml"
    cfg.write_text("version: 1\nframeworks: [eu-ivdr, iso-13485]\n")
    matrix = dxguard("controls", "matrix", "-c", str(cfg))
    assert matrix.code == 0, matrix.stderr
    rows = list(csv.DictReader(io.StringIO(matrix.stdout)))
    assert {r["framework"] for r in rows} == {"eu-ivdr", "iso-13485"}
    only = dxguard("controls", "matrix", "-c", str(cfg), "-f", "fda-samd")
    assert {r["framework"] for r in csv.DictReader(io.StringIO(only.stdout))} == {"fda-samd"}
    listed = json.loads(dxguard("controls", "list", "-c", str(cfg), "--format", "json").stdout)
    assert [fw["framework"] for fw in listed] == ["eu-ivdr", "iso-13485"]
    every = dxguard("controls", "matrix")
    assert {r["framework"] for r in csv.DictReader(io.StringIO(every.stdout))} == set(
        builtin_framework_ids()
    )


def test_readme_describes_the_html_report_in_the_order_it_shows(tmp_path):
    readme = (ROOT / "README.md").read_text()
    row = next(line for line in readme.splitlines() if line.startswith("| `html` |"))
    out = tmp_path / "r.html"
    waivers = FIXTURES / "waivers" / "research-waivers.yaml"
    noncompliant = FIXTURES / "k8s" / "noncompliant"
    run = dxguard("scan", str(noncompliant), "--waivers", str(waivers), "--as-of", AS_OF,
                  "-q", "-o", f"html={out}")  # fmt: skip
    assert run.code == 1, run.stderr
    page = out.read_text()
    # (what the README says, where the page shows it), in the README's order
    parts = [
        ("the verdict", 'class="verdict'),
        ("a status chart per framework", '<section id="overview">'),
        ("one line per control", "<th>Control</th><th>Status</th>"),
        ("a findings register", '<section id="findings">'),
        ("what was examined", '<section id="examined">'),
        ("the waiver register", '<section id="waivers">'),
        ("the checks with their parameters", '<section id="checks">'),
        ("the run metadata", '<section id="run">'),
    ]
    said = [row.index(words) for words, _ in parts]
    assert said == sorted(said), "the README lists the HTML's parts out of order"
    shown = [page.index(marker) for _, marker in parts]
    assert shown == sorted(shown), "the HTML's parts are not in the README's order"


DIGEST = "sha256:" + "0" * 63 + "1"
PRIVILEGED_NO_ESCALATION = f"""\
apiVersion: v1
kind: Pod
metadata: {{name: debug, namespace: research}}
spec:
  containers:
    - name: shell
      image: registry.dx.example/tools/shell@{DIGEST}
      securityContext:
        allowPrivilegeEscalation: false
        privileged: true
"""


def test_privilege_escalation_explain_says_what_the_check_examines():
    _, report = scan_json("-", stdin=PRIVILEGED_NO_ESCALATION)
    checks = {c["id"]: c for c in report["checks"]}
    # The setting is false: this check passes the container; the privileged flag is ISO-001's.
    assert checks["DXG-K8S-ISO-006"]["passed"] == 1 and checks["DXG-K8S-ISO-006"]["failed"] == 0
    assert checks["DXG-K8S-ISO-001"]["failed"] == 1
    text = " ".join(dxguard("explain", "DXG-K8S-ISO-006").stdout.split())
    assert "fails every container whose securityContext does not set" in text
    assert "DXG-K8S-ISO-001 and DXG-K8S-ISO-007 judge those, not this check" in text
    assert "keep privileged false" not in text  # the fix names only what this check checks
