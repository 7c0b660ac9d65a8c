"""JUnit XML rendering: one test suite per framework, one test case per control, valid against
Jenkins' junit-10.xsd (the strictest common consumer).

not-satisfied → a <failure> carrying every finding (file:line, resource, field, message) when a
finding fails the run (the --fail-on gate); when none does, <skipped> saying the control is not
satisfied below the gate, with the findings in <system-out>, so the failed tests are exactly what
fails the run;
satisfied, satisfied-with-waivers and passed-manual-pending → a passing case (the automated checks
passed); its <system-out> starts with the status, so a partial control reads "manual evidence
pending", never plain satisfied, and lists the waived findings and their waivers;
not-applicable and manual → <skipped> with the reason, because nothing was examined or the
evidence is not automated — never a pass. Scope notes and the count of controls per status are
suite properties.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from checker.report.model import ControlResult, Finding, FrameworkResult, Report
from checker.report.views import (
    STATUS_LABEL,
    STATUS_MEANING,
    control_fails_gate,
    control_findings,
    finding_index,
    finding_line,
    result_sentence,
    scope_notes,
)

# Characters XML 1.0 cannot carry, even escaped; only input text (names, messages) could hold them.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")

SKIP_REASON = {
    "not-applicable": "not applicable: the mapped checks examined nothing in scope",
    "manual": "manual evidence required: no automated check covers this control",
}


def render_junit(report: Report) -> str:
    index = finding_index(report)
    root = ET.Element("testsuites", name="dxguard")
    totals = {"tests": 0, "failures": 0, "skipped": 0}
    notes = scope_notes(report)
    for fw in report.frameworks:
        suite = ET.SubElement(root, "testsuite", name=fw.id)
        props = ET.SubElement(suite, "properties")
        for name, value in _properties(report, fw, notes):
            ET.SubElement(props, "property", name=name, value=value)
        counts = {"tests": 0, "failures": 0, "skipped": 0}
        for c in fw.controls:
            counts["tests"] += 1
            case = ET.SubElement(
                suite,
                "testcase",
                name=f"{c.id} — {c.title}",
                classname=f"dxguard.{fw.id}",
                time="0",
            )
            status = c.status
            fail_on = report.summary.gate.fail_on
            if status == "not-satisfied" and not control_fails_gate(c, index, fail_on):
                counts["skipped"] += 1
                checks = ", ".join(sorted({index[i].check for i in c.failures}))
                ET.SubElement(
                    case,
                    "skipped",
                    message=f"NOT satisfied, below the --fail-on gate ({fail_on}): "
                    f"{len(c.failures)} finding(s) that do not fail the run: {checks}",
                )
                out = ET.SubElement(case, "system-out")
                out.text = _case_text(c, index)
            elif status == "not-satisfied":
                counts["failures"] += 1
                failure = ET.SubElement(
                    case,
                    "failure",
                    type="not-satisfied",
                    message=f"{len(c.failures)} finding(s): "
                    + ", ".join(sorted({index[i].check for i in c.failures})),
                )
                failure.text = _case_text(c, index)
            elif status in SKIP_REASON:
                counts["skipped"] += 1
                ET.SubElement(case, "skipped", message=SKIP_REASON[status])
            else:
                out = ET.SubElement(case, "system-out")
                out.text = _case_text(c, index)
        suite.set("tests", str(counts["tests"]))
        suite.set("failures", str(counts["failures"]))
        suite.set("errors", "0")
        suite.set("skipped", str(counts["skipped"]))
        suite.set("time", "0")
        suite.set("timestamp", report.run.as_of[:-1])  # JUnit wants no zone; it is UTC
        for k in totals:
            totals[k] += counts[k]
        suite_out = ET.SubElement(suite, "system-out")
        suite_out.text = "\n".join([f"{fw.title} ({fw.id}, catalog {fw.version})", *notes])
    root.set("tests", str(totals["tests"]))
    root.set("failures", str(totals["failures"]))
    root.set("errors", "0")
    # No `skipped` here: Jenkins' junit-10.xsd allows it only on <testsuite> (each suite has it).
    root.set("time", "0")
    ET.indent(root)
    text = ET.tostring(root, "unicode")
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + _NOT_XML.sub("\ufffd", text) + "\n"


def _properties(report: Report, fw: FrameworkResult, notes: list[str]) -> list[tuple[str, str]]:
    run = report.run
    props = [
        ("dxguard.version", run.dxguard_version),
        ("opa.version", run.opa_version),
        ("bundle.sha256", run.bundle.sha256),
        ("as_of", run.as_of),
        ("framework", fw.id),
        ("catalog.version", fw.version),
        ("fail_on", run.fail_on),
        ("result", result_sentence(report)),
    ]
    props += [(f"controls.{status}", str(n)) for status, n in fw.summary.items()]
    props += [(f"scope_note.{i + 1}", n) for i, n in enumerate(notes)]
    return props


def _case_text(c: ControlResult, index: dict[str, Finding]) -> str:
    lines = [
        f"{STATUS_LABEL[c.status]}: {STATUS_MEANING[c.status]}",
        f"status: {c.status} · evidence: {c.evidence} · subjects examined "
        f"{c.subjects.examined}, passed {c.subjects.passed}, failed "
        f"{c.subjects.failed}, waived {c.subjects.waived}",
        f"requirement: {c.requirement}",
    ]
    for f in control_findings(c, index):
        line = f"FAIL {f.check} ({f.severity}) {finding_line(f)}"
        if f.waiver:
            line += f" (waiver {f.waiver.id} {f.waiver.state})"
        lines.append(line)
    for f in control_findings(c, index, "waived"):
        lines.append(f"WAIVED {f.check} ({f.severity}) {finding_line(f)}")
    for w in c.waivers:
        lines.append(
            f"waiver {w.id} [{w.state}]: {w.justification} — approved by "
            f"{w.approver} on {w.approved}, ticket {w.ticket}, expires {w.expires}"
        )
    if c.manual_evidence_required:
        lines.append("manual evidence is also required for this control")
    return "\n".join(lines)
