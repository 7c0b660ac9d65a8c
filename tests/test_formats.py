"""Every output format from one evaluation: SARIF and OSCAL validate against their official
schemas, JUnit has a case per control, Markdown is bounded, GitHub annotations point at file and
line, scope notes appear everywhere, and every format is byte-identical with --as-of."""

from __future__ import annotations

import hashlib
import json
import xml.etree.ElementTree as ET
from pathlib import Path

import jsonschema
import pytest
import regex

from checker.cli import SCAN_FORMATS
from checker.report.github import render_github
from checker.report.markdown import render_markdown
from checker.report.oscal import control_token
from checker.report.render import RENDERERS

from conftest import AS_OF, FIXTURES, ROOT, control_failures, dxguard

K8S = FIXTURES / "k8s"
WAIVERS = FIXTURES / "waivers" / "research-waivers.yaml"
# Relative to the project root (where dxguard() runs), as CI passes paths: SARIF and GitHub
# annotations keep them relative so code scanning can place them in the repository.
K8S_REL = "fixtures/k8s"
WAIVERS_REL = "fixtures/waivers/research-waivers.yaml"
DATA = ROOT / "tests" / "data"
SARIF_SCHEMA = DATA / "sarif-schema-2.1.0.json"
OSCAL_SCHEMA = DATA / "oscal_assessment-results_schema-1.1.2.json"
FILES = {
    "json": "evidence.json",
    "html": "evidence.html",
    "markdown": "comment.md",
    "sarif": "dxguard.sarif",
    "junit": "junit.xml",
    "oscal": "assessment-results.json",
    "github": "annotations.txt",
}


def scan_all(out: Path, *extra: str):
    """One scan, every format: the table on stdout, each other format in its own file."""
    outputs = [a for fmt, name in FILES.items() for a in ("-o", f"{fmt}={out / name}")]
    run = dxguard(
        "scan", K8S_REL, "--waivers", WAIVERS_REL, "--as-of", AS_OF, "-q",
        "--format", "table", *outputs, *extra,
    )  # fmt: skip
    assert run.code == 1, run.stderr
    texts = {fmt: (out / name).read_text(encoding="utf-8") for fmt, name in FILES.items()}
    texts["table"] = run.stdout
    return run, texts


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    return scan_all(tmp_path_factory.mktemp("formats"))[1]


@pytest.fixture(scope="module")
def report(rendered):
    return json.loads(rendered["json"])


def unique_failures(report: dict, which: str = "failures") -> set[tuple]:
    return {  # two messages about the same field are two findings
        (f["check"], f["resource"]["id"], f["path"], f.get("subject", ""), f["message"])
        for fw in report["frameworks"]
        for c in fw["controls"]
        for f in control_failures(report, c, which)
    }


def test_official_schemas_are_byte_identical_copies():
    readme = (DATA / "README.md").read_text()
    for path in (SARIF_SCHEMA, OSCAL_SCHEMA):
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        assert f"`{path.name}`" in readme and digest in readme, path.name


def test_report_with_waivers_validates_against_the_report_schema(report):
    schema = json.loads((ROOT / "checker/schemas/report.schema.json").read_text())
    jsonschema.Draft202012Validator(schema).validate(report)
    assert report["report_version"] == "2.1"
    assert report["summary"]["waivers"] == {
        "total": 4, "active": 3, "expired": 1, "pending": 0, "unused": 1, "expiring": 1,
    }  # fmt: skip


def test_scan_formats_are_exactly_the_renderers():
    assert tuple(RENDERERS) == SCAN_FORMATS


def test_every_format_renders_the_same_single_evaluation(rendered, report):
    failures = unique_failures(report)
    waived = unique_failures(report, "waived")
    sarif = json.loads(rendered["sarif"])["runs"][0]
    assert len([r for r in sarif["results"] if "suppressions" not in r]) == len(failures)
    assert len([r for r in sarif["results"] if "suppressions" in r]) == len(waived)
    junit = ET.fromstring(rendered["junit"])
    not_satisfied = sum(fw["summary"]["not-satisfied"] for fw in report["frameworks"])
    assert int(junit.get("failures")) == not_satisfied
    oscal = json.loads(rendered["oscal"])["assessment-results"]
    states = [f["target"]["status"]["state"] for r in oscal["results"] for f in r["findings"]]
    assert states.count("not-satisfied") == not_satisfied
    annotations = [line for line in rendered["github"].splitlines() if line.startswith("::")]
    assert len([a for a in annotations if "title=DXG-" in a]) == len(failures)
    failing = report["summary"]["gate"]["failing"]
    assert failing == len(failures) > 0
    verdict = f"FAIL — {failing} unwaived failure(s) at or above severity low"
    for fmt in ("table", "html", "markdown", "github"):
        assert verdict in rendered[fmt], fmt
    for fmt, text in rendered.items():
        assert AS_OF in text, fmt  # every format names the run's as-of time


def test_scope_notes_appear_in_every_format(rendered):
    for fmt, text in rendered.items():
        flat = " ".join(text.split())
        assert "do not by themselves demonstrate regulatory compliance" in flat, fmt
        assert "21 CFR Part 11 applies to electronic records" in flat, fmt
        assert "524B applies to" in flat, fmt


def test_every_format_is_byte_identical_with_as_of(tmp_path, rendered):
    _, again = scan_all(tmp_path)
    for fmt in rendered:
        assert again[fmt] == rendered[fmt], fmt


# -- SARIF ------------------------------------------------------------------------------------


def test_sarif_validates_against_the_official_schema(rendered):
    schema = json.loads(SARIF_SCHEMA.read_text())
    jsonschema.Draft4Validator(schema).validate(json.loads(rendered["sarif"]))


def test_sarif_results_carry_rule_metadata_level_and_file_line(rendered, report):
    run = json.loads(rendered["sarif"])["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    assert [r["id"] for r in rules] == [c["id"] for c in report["checks"]]
    by_id = {r["id"]: r for r in rules}
    assert by_id["DXG-K8S-ISO-001"]["defaultConfiguration"]["level"] == "error"  # critical
    assert by_id["DXG-K8S-ISO-004"]["defaultConfiguration"]["level"] == "warning"  # medium
    assert "fda-samd: 21 CFR 11.10(d)" in by_id["DXG-K8S-ISO-001"]["properties"]["controls"]
    hostnet = [
        r
        for r in run["results"]
        if r["ruleId"] == "DXG-K8S-ISO-002"
        and r["properties"]["field"] == "spec.template.spec.hostNetwork"
    ]
    (result,) = hostnet
    loc = result["locations"][0]["physicalLocation"]
    assert loc["artifactLocation"]["uri"] == "fixtures/k8s/noncompliant/node-agent-daemonset.yaml"
    assert loc["region"]["startLine"] == 17
    assert result["level"] == "error"  # high
    assert rules[result["ruleIndex"]]["id"] == "DXG-K8S-ISO-002"
    assert result["properties"]["waiver"]["state"] == "expired"  # a lapsed waiver: not suppressed
    (waived,) = [r for r in run["results"] if r["ruleId"] == "DXG-K8S-ISO-001"]
    (suppression,) = waived["suppressions"]
    assert suppression["status"] == "accepted" and suppression["kind"] == "external"
    assert suppression["properties"]["id"] == "WVR-2026-001"
    assert suppression["properties"]["approver"] == "A. Lindqvist (Head of QA/RA)"
    hashes = {a["location"]["uri"]: a["hashes"]["sha-256"] for a in run["artifacts"]}
    inputs = {i["path"]: i["sha256"] for i in report["run"]["inputs"]}
    assert hashes == inputs


# -- OSCAL ------------------------------------------------------------------------------------


def _regex_pattern(validator, pattern, instance, schema):
    """`pattern` evaluated with `regex`, which knows the \\p{L} classes the OSCAL schema uses."""
    if validator.is_type(instance, "string") and not regex.search(pattern, instance):
        yield jsonschema.ValidationError(f"{instance!r} does not match {pattern!r}")


OscalValidator = jsonschema.validators.extend(
    jsonschema.Draft7Validator, {"pattern": _regex_pattern}
)


def test_oscal_validates_against_the_official_schema(rendered):
    schema = json.loads(OSCAL_SCHEMA.read_text())
    errors = sorted(
        OscalValidator(schema).iter_errors(json.loads(rendered["oscal"])), key=lambda e: e.path
    )
    assert not errors, [f"{list(e.absolute_path)}: {e.message}" for e in errors[:5]]


def test_oscal_validator_really_checks_patterns():
    """Guard the guard: the regex-backed validator rejects what the schema forbids."""
    schema = json.loads(OSCAL_SCHEMA.read_text())
    doc = {
        "assessment-results": {
            "uuid": "not-a-uuid",
            "metadata": {
                "title": "t",
                "last-modified": AS_OF,
                "version": "1",
                "oscal-version": "1.1.2",
            },
            "import-ap": {"href": "#x"},
            "results": [],
        }
    }
    assert not OscalValidator(schema).is_valid(doc)


def test_oscal_findings_link_observations_and_evidence_to_input_digests(rendered, report):
    doc = json.loads(rendered["oscal"])["assessment-results"]
    resources = {r["uuid"]: r for r in doc["back-matter"]["resources"]}
    assert doc["import-ap"]["href"][1:] in resources
    (fda,) = [r for r in doc["results"] if r["props"][0]["value"] == "fda-samd"]
    tool = fda["local-definitions"]["assessment-assets"]["components"][0]
    assert tool["title"] == "dxguard"
    observations = {o["uuid"]: o for o in fda["observations"]}
    for obs in observations.values():
        assert obs["methods"] == ["TEST"]
        assert obs["origins"][0]["actors"] == [{"type": "tool", "actor-uuid": tool["uuid"]}]
        for ev in obs.get("relevant-evidence", []):
            target = resources[ev["href"][1:]]
            digest = target["rlinks"][0]["hashes"][0]
            assert digest["algorithm"] == "SHA-256" and digest["value"] in ev["description"]
    findings = {f["target"]["target-id"]: f for f in fda["findings"]}
    access = findings[control_token("fda-samd", "21 CFR 11.10(d)")]
    assert access["target"]["status"] == {"state": "not-satisfied", "reason": "fail"}
    linked = [observations[o["observation-uuid"]] for o in access["related-observations"]]
    (fda_report,) = [fw for fw in report["frameworks"] if fw["id"] == "fda-samd"]
    (control,) = [c for c in fda_report["controls"] if c["id"] == "21 CFR 11.10(d)"]
    assert {o["props"][0]["value"] for o in linked} == {c["id"] for c in control["checks"]}
    assert {"DXG-K8S-ISO-001", "DXG-K8S-ISO-002", "DXG-K8S-ISO-003"} <= {
        o["props"][0]["value"] for o in linked
    }
    # Manual controls get no finding and are named in the remarks instead.
    manual = [c["id"] for c in fda_report["controls"] if c["status"] == "manual"]
    assert manual
    for cid in manual:
        assert control_token("fda-samd", cid) not in findings
        assert cid in fda["remarks"]
    reviewed = fda["reviewed-controls"]["control-selections"][0]["include-controls"]
    assert control_token("fda-samd", "21 CFR 11.10(d)") in {c["control-id"] for c in reviewed}
    input_digests = {
        r["rlinks"][0]["hashes"][0]["value"]
        for r in resources.values()
        if r.get("title", "").startswith("Input ")
    }
    assert input_digests == {i["sha256"] for i in report["run"]["inputs"]}


def test_oscal_satisfied_with_waivers_is_satisfied_with_the_waiver_in_remarks(tmp_path):
    out = tmp_path / "ar.json"
    run = dxguard(
        "scan", str(K8S / "noncompliant" / "research-notebook-pod.yaml"), "--waivers",
        str(WAIVERS), "--as-of", AS_OF, "-q", "-o", f"oscal={out}", "-f", "eu-ai-act",
    )  # fmt: skip
    assert run.code == 1, run.stderr
    (result,) = json.loads(out.read_text())["assessment-results"]["results"]
    finding = next(
        f
        for f in result["findings"]
        if f["target"]["target-id"] == control_token("eu-ai-act", "EU AI Act Art. 15(4)")
    )
    assert finding["target"]["status"]["state"] == "satisfied"
    assert {
        "name": "dxguard-status",
        "ns": "urn:dxguard:oscal",
        "value": "satisfied-with-waivers",
    } in finding["props"]  # noqa: E501
    assert "WVR-2026-002" in finding["remarks"]


def test_control_tokens_are_oscal_tokens():
    token = regex.compile(r"^(\p{L}|_)(\p{L}|\p{N}|[.\-_])*$")
    for fw, cid in [
        ("fda-samd", "21 CFR 11.10(e)"),
        ("eu-ivdr", "MDCG 2019-16 rev.1 §3.3"),
        ("9-digits", "x"),
        ("fda-samd", "FD&C 524B(b)(2)"),
    ]:
        assert token.match(control_token(fw, cid)), (fw, cid)


# -- JUnit ------------------------------------------------------------------------------------


def test_junit_has_a_case_per_control_per_framework_and_failures_carry_findings(rendered, report):
    root = ET.fromstring(rendered["junit"])
    suites = {s.get("name"): s for s in root.findall("testsuite")}
    assert list(suites) == [fw["id"] for fw in report["frameworks"]]
    for fw in report["frameworks"]:
        cases = suites[fw["id"]].findall("testcase")
        assert len(cases) == len(fw["controls"])
        for case, c in zip(cases, fw["controls"], strict=True):
            assert case.get("name").startswith(c["id"])
            failure = case.find("failure")
            assert (failure is not None) == (c["status"] == "not-satisfied")
            assert (case.find("skipped") is not None) == (
                c["status"] in ("manual", "not-applicable")
            )
            if failure is not None:
                for f in control_failures(report, c):
                    assert f"{f['file']}:{f['line']}" in failure.text
                    assert f["path"] in failure.text
    case = next(
        c
        for c in suites["fda-samd"].findall("testcase")
        if c.get("name").startswith("21 CFR 11.10(d)")
    )
    assert "waiver WVR-2026-003 [expired]" in case.find("failure").text
    props = {p.get("name"): p.get("value") for p in suites["fda-samd"].iter("property")}
    assert props["as_of"] == AS_OF and len(props["bundle.sha256"]) == 64


# -- Markdown -------------------------------------------------------------------------------


def test_markdown_puts_the_verdict_first_and_folds_the_details(rendered, report):
    text = rendered["markdown"]
    first = text.splitlines()[0]
    assert first.startswith("### ❌ dxguard compliance evidence: FAIL")
    assert text.index("| Framework |") < text.index("<details>")
    assert f"<details><summary>❌ Failures ({len(unique_failures(report))})</summary>" in text
    assert "<code>fixtures/k8s/noncompliant/node-agent-daemonset.yaml:17</code>" in text
    assert "waiver WVR-2026-003 expired since 2026-11-01" in text
    assert text.count("<details>") == text.count("</details>")


def test_markdown_is_bounded_and_says_what_was_cut(report):
    for limit in (6000, 9000):
        text = render_markdown(report, max_chars=limit)
        assert len(text) <= limit
        assert text.startswith("### ❌ dxguard compliance evidence: FAIL")
        assert "more failures cut to keep this comment short" in text
        assert "Not shown to keep this comment short: " in text
        assert "524B applies to" in " ".join(text.split())  # scope notes are never cut
        assert text.count("<details>") == text.count("</details>")
    full = render_markdown(report)
    assert "cut to keep this comment short" not in full


def test_markdown_escapes_input_text(report):
    evil = json.loads(json.dumps(report))
    fid = evil["frameworks"][0]["controls"][1]["failures"][0]
    f = next(x for x in evil["findings"] if x["id"] == fid)
    f["message"] = "a | b <img src=x> *bold* `code`"
    text = render_markdown(evil)
    assert (
        "<img" not in text and "a &#124; b &lt;img src=x&gt; &#42;bold&#42; &#96;code&#96;" in text
    )


# -- GitHub annotations -----------------------------------------------------------------------


def test_github_annotations_point_at_file_and_line(rendered):
    lines = rendered["github"].splitlines()
    assert any(
        line.startswith(
            "::error file=fixtures/k8s/noncompliant/node-agent-daemonset.yaml,line=17,"
            "title=DXG-K8S-ISO-002 (high)::"
        )
        for line in lines
    )
    assert any(
        line.startswith("::warning ") and "DXG-K8S-ISO-004 (medium)" in line for line in lines
    )
    expired = next(line for line in lines if "title=dxguard waiver WVR-2026-003" in line)
    assert expired.startswith("::error file=fixtures/waivers/research-waivers.yaml,line=34,")
    assert any(
        "title=dxguard waiver WVR-2026-002" in line and "day(s) left" in line for line in lines
    )
    assert not any("DXG-K8S-ISO-001 (critical)" in line for line in lines)  # waived: no annotation


def test_github_annotation_values_cannot_inject_commands(report):
    evil = json.loads(json.dumps(report))
    fid = evil["frameworks"][0]["controls"][1]["failures"][0]
    f = next(x for x in evil["findings"] if x["id"] == fid)
    f["message"] = "100% broken\n::error::injected"
    f["file"] = "dir,with:odd.yaml"
    text = render_github(evil)
    assert "\n::error::injected" not in text
    assert "100%25 broken%0A::error::injected" in text
    assert "file=dir%2Cwith%3Aodd.yaml," in text


# -- output options -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--format", "json", "--format", "sarif"), "would all go to stdout"),
        (
            ("--format", "json", "--format", "sarif", "-o", "x.out"),
            "say which file is which format",
        ),
        (("-o", "json=same.out", "-o", "sarif=same.out"), "given for two formats"),
        (
            (
                "-o",
                "json=",
            ),
            "no file after '='",
        ),
    ],
)
def test_output_options_refuse_ambiguous_requests(args, message):
    run = dxguard("scan", str(K8S / "compliant"), *args)
    assert run.code == 2 and message in run.stderr


def test_single_format_output_file_keeps_working(tmp_path):
    out = tmp_path / "r.sarif"
    evidence = (str(FIXTURES / "images" / "compliant"), "-c", str(FIXTURES / "images/dxguard.yaml"))
    run = dxguard(
        "scan", str(K8S / "compliant"), *evidence, "--format", "sarif", "-o", str(out), "-q"
    )
    assert run.code == 0 and run.stdout == ""
    assert json.loads(out.read_text())["version"] == "2.1.0"
