"""A store with a quarter's worth of real evidence for the export tests: real scans of the
fixtures (a compliant platform, one with a non-compliant notebook pod, one with a second
non-compliant workload too), recorded as CI runs and audits in three scopes, so that within
the period findings appear, stay open, resolve and regress, and a control goes from satisfied
to not satisfied; admission decisions; manual evidence attached before and during the period.

The period is the time between two marks taken while the records are appended (the store's
clock stamps every record), named as FROM..TO."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

from checker.bundle import load_all_catalogs
from checker.store import opened
from checker.store.chain import timestamp
from checker.store.evidence import attach_evidence
from checker.store.runs import record_decision, record_run

from conftest import FIXTURES, scan_json

CATALOG = """\
framework:
  id: acme-qms
  title: ACME quality system (test catalog)
  version: "2026.1"
  description: Two automated clauses and a manual one, for the export tests.
controls:
  - id: QMS-1
    title: Containers run without privilege escalation
    requirement: No container may gain more privileges than its parent process.
    evidence: automated
    citation: verified
    checks: [DXG-K8S-ISO-003]
  - id: QMS-2
    title: Containers declare resource limits
    requirement: Every container declares CPU and memory limits.
    evidence: automated
    citation: verified
    checks: [DXG-K8S-ISO-004]
  - id: QMS-3
    title: Access reviews
    requirement: Access to clinical systems is reviewed every quarter.
    evidence: manual
    citation: verified
    checks: []
    evidence_to_attach: [the quarter's signed access review record]
"""
COMPLIANT = FIXTURES / "k8s" / "compliant"
NOTEBOOK = FIXTURES / "k8s" / "noncompliant" / "research-notebook-pod.yaml"
RESCORE = FIXTURES / "k8s" / "noncompliant" / "wsi-batch-rescore-deployment.yaml"
WAIVERS = FIXTURES / "waivers" / "research-waivers.yaml"


@dataclass
class Scan:
    report: dict
    text: str

    @property
    def fingerprints(self) -> set[str]:
        return {f["fingerprint"] for f in self.report["findings"]}


def scans(folder: Path) -> dict[str, Scan]:
    """G (compliant), X (+ the notebook pod), XY (+ the rescore deployment too)."""
    catalogs = folder / "catalogs"
    catalogs.mkdir(parents=True, exist_ok=True)
    (catalogs / "acme-qms.yaml").write_text(CATALOG)
    common = ("--controls", str(catalogs), "-f", "acme-qms", "-f", "fda-samd")
    out = {}
    for name, paths in (
        ("G", [COMPLIANT]),
        ("X", [COMPLIANT, NOTEBOOK]),
        ("XY", [COMPLIANT, NOTEBOOK, RESCORE]),
    ):
        run, report = scan_json(*common, "--waivers", str(WAIVERS), *map(str, paths))
        out[name] = Scan(report, run.stdout)
    return out


@dataclass
class Filled:
    since: str
    until: str
    seqs: dict[str, int] = field(default_factory=dict)  # label → record number

    @property
    def period(self) -> str:
        return f"{self.since}..{self.until}"


def _mark() -> str:
    time.sleep(0.002)
    moment = timestamp()
    time.sleep(0.002)
    return moment


def fill(location: str, s: dict[str, Scan], catalogs: Path) -> Filled:
    frameworks = load_all_catalogs([str(catalogs)]).frameworks
    doc = catalogs.parent / "access-review-2026-q2.pdf"
    doc.write_bytes(b"%PDF-1.7 access review Q2 signed by the CISO\n" * 40)
    sop = catalogs.parent / "sop-qa-012.pdf"
    sop.write_bytes(b"%PDF-1.7 SOP-QA-012 rev 4\n" * 40)
    seqs: dict[str, int] = {}
    with opened(location) as store:

        def run(label: str, scan: str, scope: str, kind: str = "run") -> None:
            rec = record_run(store, s[scan].report, s[scan].text, scope=scope, kind=kind)
            seqs[label] = rec.seq

        run("platform-0", "X", "platform")
        run("platform-base", "G", "platform")
        run("app-base", "X", "app")
        run("ops-base", "X", "ops", kind="audit")
        seqs["evidence-before"] = attach_evidence(
            store, frameworks, control="QMS-3", file=doc, by="CISO", date="2026-06-30"
        ).seq
        since = _mark()
        run("platform-1", "X", "platform")
        run("app-1", "XY", "app")
        seqs["decision-denied"] = record_decision(
            store,
            {"allowed": False, "kind": "Pod", "namespace": "lab", "name": "notebook-1"},
            scope="cluster-eu",
        ).seq
        run("ops-1", "G", "ops", kind="audit")
        seqs["decision-allowed"] = record_decision(
            store,
            {"allowed": True, "kind": "Pod", "namespace": "lab", "name": "viewer-1"},
            scope="cluster-eu",
        ).seq
        seqs["evidence-during"] = attach_evidence(
            store, frameworks, control="21 CFR 11.10(b)", file=sop, by="QA lead",
            date="2026-07-02", note="SOP-QA-012 rev 4",
        ).seq  # fmt: skip
        until = _mark()
        run("after", "XY", "platform")  # after the period: never in its export
    return Filled(since, until, seqs)
