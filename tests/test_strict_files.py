"""dxguard's own files are strict: a key written twice in a waiver, config or catalog file is
refused with its file and line, and a number out of its range is refused by schema validation.

Two `expires:` lines in one waiver used to take the later date silently; an auditor reading the
file may read the earlier one. End to end through `dxguard scan` on the real OPA (exit 2, no
traceback, the message names file, line and the key).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from checker.paths import SCHEMAS

from conftest import FIXTURES, dxguard, scan_json

K8S = str(FIXTURES / "k8s" / "noncompliant")
WAIVER = """\
version: 1
waivers:
  - id: WVR-1
    check: DXG-K8S-ISO-001
    resource:
      namespace: research-tools
      name: node-agent
    justification: The agent needs privileged access to the device plugin sockets.
    approver: A. Lindqvist
    approved: 2026-09-15
    ticket: RISK-1
    expires: 2027-03-31
"""


def _after(text: str, line: str, added: str) -> str:
    return text.replace(line, line + added)


def _refused(run, where: str, *words: str) -> None:
    assert run.code == 2, (run.code, run.stderr[-400:])
    assert where in run.stderr, run.stderr
    for word in words:
        assert word in run.stderr, run.stderr
    assert "Traceback" not in run.stderr


@pytest.mark.parametrize(
    "edit, line, key",
    [
        (lambda t: t + "    expires: 2026-01-01\n", 13, "expires"),  # two expiry dates
        (lambda t: _after(t, "    ticket: RISK-1\n", "    ticket: RISK-2\n"), 12, "ticket"),
        (lambda t: _after(t, "      name: node-agent\n", "      name: '*'\n"), 8, "name"),
        (lambda t: t.replace("version: 1\n", "version: 1\nversion: 1\n"), 2, "version"),
        (lambda t: t + "waivers: []\n", 13, "waivers"),
        (lambda t: _after(t, "    approver: A. Lindqvist\n", "    approver: B\n"), 10, "approver"),
    ],
)  # fmt: skip
def test_a_key_written_twice_in_a_waiver_file_is_refused_with_its_line(tmp_path, edit, line, key):
    path = tmp_path / "waivers.yaml"
    path.write_text(edit(WAIVER), encoding="utf-8")
    run = dxguard("scan", "-q", "--waivers", str(path), K8S)
    _refused(run, f"waivers.yaml:{line}:", f"'{key}' is already set on line")


def test_a_merge_key_sharing_fields_between_waivers_is_not_a_duplicate(tmp_path):
    shared = WAIVER.replace(
        "  - id: WVR-1\n", "  - <<: {approver: Shared, ticket: RISK-0}\n    id: WVR-1\n"
    )
    path = tmp_path / "waivers.yaml"
    path.write_text(shared, encoding="utf-8")
    run, report = scan_json("--waivers", str(path), K8S)
    (waiver,) = report["waivers"]
    assert waiver["approver"] == "A. Lindqvist" and waiver["ticket"] == "RISK-1"  # later keys win


CONFIG = "version: 1\nparameters:\n  min_revision_history: 3\n"


@pytest.mark.parametrize(
    "text, line, key",
    [
        (CONFIG + "  min_revision_history: 1\n", 4, "min_revision_history"),
        (CONFIG + "parameters: {}\n", 4, "parameters"),
        ("version: 1\nversion: 1\n", 2, "version"),
        (CONFIG + "checks:\n  disabled:\n    - id: DXG-K8S-PIN-002\n      id: DXG-K8S-ISO-001\n"
         "      reason: Risk assessment RA-1 says so.\n", 7, "id"),
    ],
)  # fmt: skip
def test_a_key_written_twice_in_a_config_file_is_refused_with_its_line(tmp_path, text, line, key):
    path = tmp_path / "dxguard.yaml"
    path.write_text(text, encoding="utf-8")
    run = dxguard("scan", "-q", "-c", str(path), K8S)
    _refused(run, f"dxguard.yaml:{line}:", "config error", f"'{key}' is already set on line")


def test_a_key_written_twice_in_a_catalog_is_refused_with_its_line(tmp_path):
    catalog = (Path(__file__).parent.parent / "controls" / "iso-13485.yaml").read_text()
    folder = tmp_path / "catalogs"
    folder.mkdir()
    twice = catalog.replace("\nframework:", "\nframework: x\nframework:", 1)
    (folder / "mine.yaml").write_text(twice, encoding="utf-8")
    run = dxguard("scan", "-q", "--controls", str(folder), K8S)
    assert (
        run.code == 2 and "mine.yaml:" in run.stderr and "'framework' is already set" in run.stderr
    )


def _numeric_parameters() -> list[tuple[str, dict]]:
    out = []
    for fragment in sorted((SCHEMAS / "parameters").glob("*.json")):
        for name, spec in json.loads(fragment.read_text())["properties"].items():
            if spec.get("type") in ("number", "integer"):
                out.append((name, spec))
    return out


def test_every_numeric_parameter_has_a_range():
    params = _numeric_parameters()
    assert len(params) >= 5
    for name, spec in params:
        assert "maximum" in spec, name
        assert "minimum" in spec or "exclusiveMinimum" in spec, name


@pytest.mark.parametrize(
    "name, spec", _numeric_parameters(), ids=lambda v: v if isinstance(v, str) else ""
)
def test_a_number_out_of_range_is_refused_by_schema_validation_and_the_bound_is_accepted(
    tmp_path, name, spec
):
    path = tmp_path / "dxguard.yaml"
    for bad, word in ((spec["maximum"] * 10 + 1, "maximum"), (-1, "minimum")):
        path.write_text(f"version: 1\nparameters:\n  {name}: {bad}\n", encoding="utf-8")
        run = dxguard("scan", "-q", "-c", str(path), K8S)
        _refused(run, "dxguard.yaml:3:", f"invalid config at parameters.{name}", word)
    path.write_text(f"version: 1\nparameters:\n  {name}: {spec['maximum']}\n", encoding="utf-8")
    run, report = scan_json("-c", str(path), K8S)
    used = [c["parameters"][name] for c in report["checks"] if name in c.get("parameters", {})]
    assert used and set(used) == {spec["maximum"]}  # every check that reads it used the bound


def test_a_config_error_quotes_only_an_excerpt_of_a_long_value(tmp_path):
    path = tmp_path / "dxguard.yaml"
    path.write_text("version: 1\nframeworks: [" + "X" * 200_000 + "]\n", encoding="utf-8")
    run = dxguard("scan", "-q", "-c", str(path), K8S)
    _refused(run, "dxguard.yaml:2:", "invalid config at frameworks")
    assert len(run.stderr) < 800
