"""The per-image evidence block of the report: which digest, which files, how old each scan is,
which vulnerabilities, which SBOMs, which signers and builders.

Pure: built from an image record (checker/schemas/image-record.schema.json) and the run's as-of
time, so the same inputs give the same block. It summarises evidence; it judges nothing (the
checks do) and copies no component lists (an SBOM can list thousands).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from checker.report.model import (
    ImageEvidence,
    ProvenanceInfo,
    SbomInfo,
    ScanInfo,
    SignatureInfo,
)

SEVERITY_ORDER = ("CRITICAL", "HIGH", "MEDIUM", "LOW", "NEGLIGIBLE", "UNKNOWN")


def image_evidence(record: dict[str, Any], as_of: str) -> ImageEvidence:
    by_severity: dict[str, set[str]] = {}
    for v in record["vulnerabilities"]:
        by_severity.setdefault(v["severity"], set()).add(v["id"])
    os_info = record["os"]
    return ImageEvidence(
        digest=record["digest"],
        repository=record["repository"],
        tags=list(record["tags"]),
        files=sorted({s["file"] for s in record["sources"]}),
        scans=[
            ScanInfo(
                scanner=s["scanner"],
                version=s["version"],
                time=s["time"],
                age_days=_age_days(s["time"], as_of),
                file=s["file"],
            )
            for s in record["scans"]
        ],
        vulnerabilities={
            sev: sorted(by_severity[sev]) for sev in SEVERITY_ORDER if sev in by_severity
        },
        sboms=[
            SbomInfo(
                format=s["format"],
                spec_version=s["spec_version"],
                components=len(s["components"]),
                file=s["file"],
            )
            for s in record["sboms"]
        ],
        signatures=[
            SignatureInfo(tool=s["tool"], verified=s["verified"], signer=_signer(s), file=s["file"])
            for s in record["signatures"]
        ],
        provenance=[
            ProvenanceInfo(builder=p["builder"], file=p["file"]) for p in record["provenance"]
        ],
        os=f"{os_info['family']} {os_info['name']}".strip() if os_info else None,
        user=record["user"],
    )


def _age_days(time: str | None, as_of: str) -> int | None:
    if time is None:
        return None
    delta = _parse(as_of) - _parse(time)
    return delta.days  # whole days, rounded down (negative for a scan after the as-of time)


def _parse(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def _signer(sig: dict[str, Any]) -> str | None:
    if sig["identity"]:
        return f"{sig['identity']} ({sig['issuer']})" if sig["issuer"] else sig["identity"]
    if sig["key"]:
        return f"key {sig['key']}"
    return None
