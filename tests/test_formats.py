"""Every output format from one evaluation: SARIF and OSCAL validate against their official
schemas, JUnit has a case per control, Markdown is bounded, GitHub annotations point at file and
line, scope notes appear everywhere, and every format is byte-identical with --as-of."""

from __future__ import annotations

import hashlib
import inspect
import json
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import jsonschema
import pytest
import regex
import xmlschema

from checker.cli import SCAN_FORMATS
from checker.report.github import render_github
from checker.report.markdown import render_markdown
from checker.report.model import Report
from checker.report.oscal import control_token
from checker.report.render import RENDERERS
from checker.report.sarif import MAX_RESULTS_PER_RUN, render_sarif

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
JUNIT_XSD = DATA / "junit-10.xsd"
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
    for path in (SARIF_SCHEMA, OSCAL_SCHEMA, JUNIT_XSD):
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        assert f"`{path.name}`" in readme and digest in readme, path.name


def test_report_with_waivers_validates_against_the_report_schema(report):
    schema = json.loads((ROOT / "checker/schemas/report.schema.json").read_text())
    jsonschema.Draft202012Validator(schema).validate(report)
    assert report["report_version"] == "3.1"
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
    reasons = [f["target"]["status"]["reason"] for r in oscal["results"] for f in r["findings"]]
    assert reasons.count("fail") == not_satisfied
    lines = rendered["github"].splitlines()
    annotated = [line for line in lines if line.startswith("::") and "title=DXG-" in line]
    logged = [line for line in lines if line.startswith("dxguard:   ") and " DXG-" in line]
    assert len(annotated) + len(logged) == len(failures)  # past GitHub's limit: in the log
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
    assert "fda-samd: FD&C 524B(b)(2)" in by_id["DXG-K8S-ISO-001"]["properties"]["controls"]
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
    audit = by_id["DXG-K8S-LOG-003"]["help"]  # its fix names `- level: Metadata`
    assert "`- level: Metadata`" in audit["markdown"]
    assert "`" not in audit["text"] and "- level: Metadata" in audit["text"]
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
    hardening = findings[control_token("fda-samd", "FD&C 524B(b)(2)")]
    assert hardening["target"]["status"] == {"state": "not-satisfied", "reason": "fail"}
    linked = [observations[o["observation-uuid"]] for o in hardening["related-observations"]]
    (fda_report,) = [fw for fw in report["frameworks"] if fw["id"] == "fda-samd"]
    (control,) = [c for c in fda_report["controls"] if c["id"] == "FD&C 524B(b)(2)"]
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
    assert control_token("fda-samd", "FD&C 524B(b)(2)") in {c["control-id"] for c in reviewed}
    input_digests = {
        r["rlinks"][0]["hashes"][0]["value"]
        for r in resources.values()
        if r.get("title", "").startswith("Input ")
    }
    assert input_digests == {i["sha256"] for i in report["run"]["inputs"]}


AUTOMATED_CATALOG = """\
framework:
  id: acme-auto
  title: ACME automated controls
  version: "1"
  description: One fully automated control, for the status rules.
controls:
  - id: AUTO-1
    title: Workloads keep to their own process namespace
    requirement: No workload shares the host's process, network or IPC namespaces.
    evidence: automated
    citation: verified
    checks: [DXG-K8S-ISO-004]
"""


def scan_notebook(out: Path, *extra: str, code: int = 1) -> dict[str, str]:
    """The research notebook (one failure waived by WVR-2026-002) in every format."""
    outputs = [a for fmt, name in FILES.items() for a in ("-o", f"{fmt}={out / name}")]
    run = dxguard(
        "scan", str(K8S / "noncompliant" / "research-notebook-pod.yaml"), "--waivers",
        str(WAIVERS), "--as-of", AS_OF, "-q", "--format", "table", *outputs, *extra,
    )  # fmt: skip
    assert run.code == code, run.stderr
    texts = {fmt: (out / name).read_text(encoding="utf-8") for fmt, name in FILES.items()}
    texts["table"] = run.stdout
    return texts


def test_oscal_satisfied_with_waivers_is_satisfied_with_the_waiver_in_remarks(tmp_path):
    (tmp_path / "catalogs").mkdir()
    (tmp_path / "catalogs" / "acme-auto.yaml").write_text(AUTOMATED_CATALOG)
    texts = scan_notebook(
        tmp_path, "--controls", str(tmp_path / "catalogs"), "-f", "acme-auto", code=0
    )  # its one failure is waived: the run passes
    (control,) = json.loads(texts["json"])["frameworks"][0]["controls"]
    assert control["status"] == "satisfied-with-waivers"
    (result,) = json.loads(texts["oscal"])["assessment-results"]["results"]
    (finding,) = result["findings"]
    assert finding["target"]["status"] == {"state": "satisfied", "reason": "pass"}
    assert {
        "name": "dxguard-status",
        "ns": "urn:dxguard:oscal",
        "value": "satisfied-with-waivers",
    } in finding["props"]
    assert "WVR-2026-002" in finding["remarks"]


def test_a_partial_control_whose_checks_passed_is_distinct_in_every_format(tmp_path):
    """EU AI Act Art. 15(4) is partial; on the notebook its one failure is waived. No format
    may call it satisfied: each says the checks passed and manual evidence is pending."""
    texts = scan_notebook(tmp_path, "-f", "eu-ai-act")
    cid = "EU AI Act Art. 15(4)"
    report = json.loads(texts["json"])
    (fw,) = report["frameworks"]
    control = next(c for c in fw["controls"] if c["id"] == cid)
    assert (control["evidence"], control["status"]) == ("partial", "passed-manual-pending")
    pending = [c["id"] for c in fw["controls"] if c["status"] == "passed-manual-pending"]
    assert cid in pending and fw["summary"]["passed-manual-pending"] == len(pending)
    assert fw["summary"]["satisfied"] == fw["summary"]["satisfied-with-waivers"] == 0
    row = next(line for line in texts["table"].splitlines() if "Art. 15(4)" in line)
    assert "◐ passed-manual-pending" in row
    assert "passed-manual-pending" in texts["table"].split("Control")[0]  # the counts line
    html_row = next(line for line in texts["html"].splitlines() if cid in line and "badge" in line)
    assert "Checks passed, manual evidence pending" in html_row
    md_row = next(line for line in texts["markdown"].splitlines() if line.startswith(f"| {cid} |"))
    assert "⏳ passed-manual-pending" in md_row
    assert "⏳ checks passed, manual evidence pending" in texts["markdown"]
    sarif = json.loads(texts["sarif"])["runs"][0]["properties"]["controlStatuses"]
    assert sarif["eu-ai-act"]["controls"][cid] == "passed-manual-pending"
    assert sarif["eu-ai-act"]["summary"]["passed-manual-pending"] == len(pending)
    junit = ET.fromstring(texts["junit"])
    case = next(c for c in junit.iter("testcase") if c.get("name").startswith(cid))
    assert case.find("failure") is None and case.find("skipped") is None
    assert case.find("system-out").text.startswith("Checks passed, manual evidence pending: ")
    props = {p.get("name"): p.get("value") for p in junit.iter("property")}
    assert props["controls.passed-manual-pending"] == str(len(pending))
    (result,) = json.loads(texts["oscal"])["assessment-results"]["results"]
    finding = next(
        f for f in result["findings"] if f["target"]["target-id"] == control_token(fw["id"], cid)
    )
    assert finding["target"]["status"] == {"state": "not-satisfied", "reason": "other"}
    assert {"name": "dxguard-status", "ns": "urn:dxguard:oscal",
            "value": "passed-manual-pending"} in finding["props"]  # fmt: skip
    assert "not satisfied until the manual evidence is attached" in finding["remarks"]
    github = texts["github"].splitlines()
    assert any(line.startswith("dxguard: eu-ai-act: ")
               and f"{len(pending)} passed-manual-pending" in line
               for line in github)  # fmt: skip
    assert any(
        line.startswith("dxguard: passed-manual-pending: partial control") for line in github
    )


def _uuids(node, out: list[str]) -> list[str]:
    """Every uuid the document defines (an object's own "uuid"; references are *-uuid)."""
    if isinstance(node, dict):
        if isinstance(node.get("uuid"), str):
            out.append(node["uuid"])
        for value in node.values():
            _uuids(value, out)
    elif isinstance(node, list):
        for value in node:
            _uuids(value, out)
    return out


def test_oscal_defines_each_uuid_once_and_references_resolve_within_the_result(rendered):
    doc = json.loads(rendered["oscal"])["assessment-results"]
    assert len(doc["results"]) > 1
    defined = _uuids(doc, [])
    assert len(defined) == len(set(defined)), "a uuid is defined twice"
    for result in doc["results"]:
        assets = result["local-definitions"]["assessment-assets"]
        components = {c["uuid"] for c in assets["components"]}
        (platform,) = assets["assessment-platforms"]
        assert {u["component-uuid"] for u in platform["uses-components"]} == components
        actors = {
            a["actor-uuid"]
            for part in (*result.get("observations", []), *result.get("findings", []))
            for origin in part["origins"]
            for a in origin["actors"]
        }
        assert actors and actors <= components  # the tool of this result, not another's


def test_an_unnamed_resource_is_labelled_unnamed_not_with_a_question_mark(report, rendered):
    unnamed = [f for f in report["findings"] if not f["resource"]["name"]]
    assert unnamed, "the fixtures hold an audit Policy without a name"
    for fmt in ("table", "html", "markdown", "junit", "github"):
        flat = " ".join(rendered[fmt].split())  # the table wraps at 80 columns
        assert f"{unnamed[0]['resource']['kind']} (unnamed)" in flat, fmt
        assert f"{unnamed[0]['resource']['kind']} ?" not in flat, fmt


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


def test_junit_validates_against_jenkins_junit_10_xsd(rendered):
    schema = xmlschema.XMLSchema10(JUNIT_XSD)
    errors = list(schema.iter_errors(rendered["junit"]))
    assert not errors, [str(e.reason) + " at " + str(e.path) for e in errors[:5]]


def test_junit_xsd_check_rejects_what_jenkins_rejects(rendered):
    """Guard the guard: a skipped count on <testsuites> (not in junit-10.xsd) fails validation."""
    schema = xmlschema.XMLSchema10(JUNIT_XSD)
    broken = rendered["junit"].replace(
        '<testsuites name="dxguard"', '<testsuites skipped="1" name="dxguard"', 1
    )
    assert broken != rendered["junit"]
    assert not schema.is_valid(broken)


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
        if c.get("name").startswith("FD&C 524B(b)(2)")
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
    assert f"<details><summary>❌ Failures ({len(unique_failures(report))}: " in text
    assert "), most severe first</summary>" in text
    assert "<code>fixtures/k8s/noncompliant/node-agent-daemonset.yaml:17</code>" in text
    assert "waiver WVR-2026-003 expired since 2026-11-01" in text
    assert text.count("<details>") == text.count("</details>")


def test_markdown_is_bounded_and_says_what_was_cut(report):
    for limit in (6000, 9000):
        text = render_markdown(Report.from_json(report), max_chars=limit)
        assert len(text) <= limit
        assert text.startswith("### ❌ dxguard compliance evidence: FAIL")
        assert regex.search(r"more failures \(([0-9]+ [a-z]+(, )?)+\) cut to keep this", text)
        assert "Not shown to keep this comment short: " in text
        assert "524B applies to" in " ".join(text.split())  # scope notes are never cut
        assert text.count("<details>") == text.count("</details>")
    full = render_markdown(Report.from_json(report))
    assert "cut to keep this comment short" not in full


def test_markdown_escapes_input_text(report):
    evil = json.loads(json.dumps(report))
    fid = evil["frameworks"][0]["controls"][1]["failures"][0]
    f = next(x for x in evil["findings"] if x["id"] == fid)
    f["message"] = "a | b <img src=x> *bold* `code`"
    text = render_markdown(Report.from_json(evil))
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
    assert any(line.startswith("::warning ") and "(medium)::" in line for line in lines)
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
    text = render_github(Report.from_json(evil))
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


# -- severity first where space is short ---------------------------------------------------

DEMO = ("fixtures/k8s", "fixtures/vm", "fixtures/images", "-c", "fixtures/dxguard.yaml")


@pytest.fixture(scope="module")
def demo_report():
    """The demo's inputs (make demo): 5 critical failures, a lapsed waiver, 300+ others."""
    run = dxguard(
        "scan", *DEMO, "--waivers", WAIVERS_REL, "--as-of", AS_OF, "-q", "--format", "json"
    )
    assert run.code == 1, run.stderr
    return run.json()


def _failed(report: dict) -> list[dict]:
    return [f for f in report["findings"] if f["status"] == "failed"]


def _lapsed(f: dict) -> bool:
    return f.get("waiver", {}).get("state") == "expired"


def test_github_annotations_come_severity_first_and_stop_where_github_stops_showing(demo_report):
    failed = _failed(demo_report)
    critical = [f for f in failed if f["severity"] == "critical"]
    lapsed = [f for f in failed if _lapsed(f)]
    assert len(critical) >= 5 and lapsed and len(failed) > 100
    lines = render_github(Report.from_json(demo_report)).splitlines()
    annotations = [line for line in lines if line.startswith("::")]
    for level in ("error", "warning", "notice"):  # GitHub shows 10 of each per step
        assert len([a for a in annotations if a.startswith(f"::{level} ")]) <= 10
    errors = [a for a in annotations if a.startswith("::error ")]
    # The lapsed waiver first, the failures it no longer covers next, then every critical one.
    assert "title=dxguard waiver WVR-2026-003" in errors[0]
    urgent = errors[1 : 1 + len(lapsed) + len(critical)]
    lapsed_at = {f"file={f['file']},line={f['line']}," for f in lapsed}
    assert all(any(at in a for at in lapsed_at) for a in urgent[: len(lapsed)])
    for f in [*lapsed, *critical]:
        assert any(
            a.startswith(f"::error file={f['file']},line={f['line']},title={f['check']} (")
            for a in urgent
        ), f["message"]
    # The last error annotation says what was left out, of which severities, and where it is.
    high = sum(1 for f in failed if f["severity"] == "high" and not _lapsed(f))
    left = high - (len(errors) - 2 - len(lapsed) - len(critical))
    assert f"::error title=dxguard%3A {left} more error(s) in the log::" in errors[-1]
    assert f"({left} high)" in errors[-1] and "HTML, JSON and SARIF reports" in errors[-1]
    # Every failure is in the step: annotated, or logged (most severe first) below.
    logged = [line for line in lines if line.startswith("dxguard:   ") and " DXG-" in line]
    annotated = [a for a in annotations if "title=DXG-" in a]
    assert len(logged) + len(annotated) == len(failed)
    order = ["critical", "high", "medium", "low"]
    severities = [line.split()[1] for line in logged]
    assert severities == sorted(severities, key=order.index)


def test_github_annotation_limit_is_a_parameter_and_nothing_is_lost_below_it(demo_report):
    failed = _failed(demo_report)
    lines = render_github(Report.from_json(demo_report), per_level=1000).splitlines()
    assert len([a for a in lines if a.startswith("::") and "title=DXG-" in a]) == len(failed)
    assert not any("more error(s) in the log" in line for line in lines)


def test_markdown_lists_failures_severity_first_so_criticals_reach_the_comment(demo_report):
    failed = _failed(demo_report)
    urgent = [f for f in failed if f["severity"] == "critical" or _lapsed(f)]
    for limit in (60_000, 12_000):
        text = render_markdown(Report.from_json(demo_report), max_chars=limit)
        assert len(text) <= limit
        rows = [line for line in text.splitlines() if line.startswith("| <code>")]
        for f in urgent:
            assert any(row.startswith(f"| <code>{f['file']}:{f['line']}</code> | {f['check']} ")
                       for row in rows[: len(urgent)]), f["message"]  # fmt: skip
        severities = [regex.search(r"\((critical|high|medium|low)\) \|", r)[1] for r in rows]
        rest = severities[len(urgent) :]
        order = ["critical", "high", "medium", "low"]
        assert rest == sorted(rest, key=order.index)
        cut = len(failed) - len(rows)
        assert cut > 0
        low_left = sum(1 for f in failed if f["severity"] == "low") - severities.count("low")
        assert f"_… {cut} more failures (" in text and f"{low_left} low) cut to keep" in text


# -- SARIF at scale ---------------------------------------------------------------------------


def test_sarif_default_cap_is_githubs_limit_of_25000_results_per_run():
    default = inspect.signature(render_sarif).parameters["max_results"].default
    assert default == MAX_RESULTS_PER_RUN == 25_000


@pytest.fixture(scope="module")
def corpus_report(tmp_path_factory):
    """A generated corpus (benchmarks/generate.py) with thousands of findings."""
    out = tmp_path_factory.mktemp("corpus")
    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        from generate import generate
    finally:
        sys.path.remove(str(ROOT / "benchmarks"))
    generate(600, out / "corpus")
    run = dxguard("scan", str(out / "corpus"), "--as-of", AS_OF, "-q", "--format", "json")
    assert run.code == 1, run.stderr
    return run.json()


def test_sarif_over_the_cap_keeps_the_most_severe_and_says_what_was_left_out(corpus_report):
    failed = _failed(corpus_report)
    cap = 1000
    assert len(failed) > 2 * cap
    full = json.loads(render_sarif(Report.from_json(corpus_report)))
    assert len(full["runs"][0]["results"]) == len(corpus_report["findings"])
    assert "omittedResults" not in full["runs"][0]["properties"]
    doc = json.loads(render_sarif(Report.from_json(corpus_report), max_results=cap))
    jsonschema.Draft4Validator(json.loads(SARIF_SCHEMA.read_text())).validate(doc)
    (run,) = doc["runs"]
    assert len(run["results"]) == cap
    rank = {"low": 0, "medium": 1, "high": 2, "critical": 3}
    kept = [rank[r["properties"]["severity"]] for r in run["results"]]
    assert kept == sorted(kept, reverse=True)  # most severe first
    kept_keys = {
        (r["ruleId"], p["resource"], p["field"], p.get("subject"), r["message"]["text"])
        for r in run["results"]
        for p in [r["properties"]]
    }
    left = [
        f
        for f in failed
        if (f["check"], f["resource"]["id"], f["path"], f.get("subject"), f["message"])
        not in kept_keys
    ]
    assert len(left) == len(failed) - cap
    assert max(rank[f["severity"]] for f in left) <= min(kept)  # nothing more severe was dropped
    omitted = run["properties"]["omittedResults"]
    assert omitted["failures"] == len(left) and omitted["maxResults"] == cap
    by_sev = {s: sum(1 for f in left if f["severity"] == s) for s in rank}
    for sev, n in by_sev.items():
        assert (f"{n} {sev}" in omitted["bySeverity"]) == (n > 0), sev
    (note,) = run["invocations"][0]["toolExecutionNotifications"]
    assert note["level"] == "warning"
    assert f"{len(left)} failure(s)" in note["message"]["text"]
    assert (
        "25,000" in note["message"]["text"] and "JSON and HTML reports" in note["message"]["text"]
    )
