"""Manual evidence: documents (an SOP, a validation report, a training record) attached to a
control, kept in the chain with who attached them and the document's date.

`attach_evidence` validates the control against the catalogs and appends an `evidence`
record: its metadata (framework, control, file name, SHA-256, size, media type, by, date,
note) is hashed into the chain and the file's bytes are a blob. `evidence_records` lists
them; `control_evidence` tells, per control that needs manual evidence, what is attached and
which still lack it; `manual_evidence_section` is what a report shows of it (the hook the
report builder calls, see its docstring).
"""

from __future__ import annotations

import difflib
import hashlib
import mimetypes
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from checker.errors import StoreError, UsageError
from checker.model import Framework
from checker.store.chain import Blob, Record
from checker.store.store import Store

KIND = "evidence"
MAX_BYTES = 256 * 1024 * 1024
MANUAL_KINDS = ("manual", "partial")


@dataclass(frozen=True)
class Evidence:
    """One attached document, as its record says."""

    seq: int
    hash: str
    recorded_at: str
    framework: str
    control: str
    file_name: str
    sha256: str
    size: int
    media_type: str
    by: str
    date: str
    note: str | None = None

    @classmethod
    def from_record(cls, rec: Record) -> Evidence:
        m = rec.meta
        f = m["file"]
        return cls(
            seq=rec.seq,
            hash=rec.hash,
            recorded_at=rec.recorded_at,
            framework=m["framework"],
            control=m["control"],
            file_name=f["name"],
            sha256=f["sha256"],
            size=f["size"],
            media_type=f["media_type"],
            by=m["by"],
            date=m["date"],
            note=m.get("note"),
        )

    def to_json(self) -> dict[str, Any]:
        out = {
            "record": self.seq,
            "hash": self.hash,
            "recorded_at": self.recorded_at,
            "framework": self.framework,
            "control": self.control,
            "file": {
                "name": self.file_name,
                "sha256": self.sha256,
                "size": self.size,
                "media_type": self.media_type,
            },
            "by": self.by,
            "date": self.date,
        }
        if self.note:
            out["note"] = self.note
        return out


def find_control(frameworks: list[Framework], control: str, framework: str | None) -> tuple:
    """(framework, control) for a control id as the catalogs cite it; a clear error otherwise."""
    pool = [fw for fw in frameworks if framework is None or fw.id == framework]
    if framework is not None and not pool:
        raise UsageError(
            f"--framework {framework}: no such framework",
            hint="frameworks: " + ", ".join(sorted(fw.id for fw in frameworks)),
        )
    hits = [(fw, c) for fw in pool for c in fw.controls if c.id == control]
    if not hits:
        ids = [c.id for fw in pool for c in fw.controls]
        close = difflib.get_close_matches(control, ids, n=3, cutoff=0.6)
        where = f"framework {framework}" if framework else "any catalog"
        raise UsageError(
            f"control {control!r} is not in {where}",
            hint=(f"did you mean {', '.join(repr(c) for c in close)}? " if close else "")
            + "`dxguard controls list` shows every control id (quote ids with spaces)",
        )
    if len(hits) > 1:
        raise UsageError(
            f"control {control!r} is in several frameworks: " + ", ".join(fw.id for fw, _ in hits),
            hint="say which with --framework ID",
        )
    return hits[0]


def parse_date(value: str, today: date | None = None) -> str:
    try:
        day = date.fromisoformat(value.strip())
    except ValueError:
        raise UsageError(
            f"--date {value!r} is not a date", hint="give the document's date as YYYY-MM-DD"
        ) from None
    today = today or datetime.now(UTC).date()
    if day > today:
        raise UsageError(
            f"--date {value} is in the future (today is {today.isoformat()})",
            hint="give the date the document was signed, approved or issued",
        )
    return day.isoformat()


def attach_evidence(
    store: Store,
    frameworks: list[Framework],
    *,
    control: str,
    file: str | Path,
    by: str,
    date: str,
    framework: str | None = None,
    note: str | None = None,
    today: Any = None,
) -> Record:
    """Append an evidence record for this file on this control (validated against the
    catalogs given)."""
    fw, ctl = find_control(frameworks, control, framework)
    if not by or not by.strip():
        raise UsageError("--by is empty", hint="name who attaches the evidence")
    day = parse_date(date, today)
    path = Path(file)
    if not path.is_file():
        raise UsageError(f"{file}: no such file")
    size = path.stat().st_size
    if size > MAX_BYTES:
        raise UsageError(
            f"{file}: {size:,} bytes, over the {MAX_BYTES:,}-byte limit for one document",
            hint="attach the document itself, not an archive of many",
        )
    try:
        data = path.read_bytes()
    except OSError as err:
        raise UsageError(f"{file}: cannot read it: {err.strerror or err}") from None
    media = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    meta: dict[str, Any] = {
        "framework": fw.id,
        "framework_version": fw.version,
        "control": ctl.id,
        "control_title": ctl.title,
        "evidence_kind": ctl.evidence,
        "file": {
            "name": path.name,
            "sha256": hashlib.sha256(data).hexdigest(),
            "size": len(data),
            "media_type": media,
        },
        "by": by.strip(),
        "date": day,
    }
    if note:
        meta["note"] = note
    return store.append(KIND, meta, {"file": Blob(data, media)})


def evidence_records(
    store: Store,
    *,
    framework: str | None = None,
    control: str | None = None,
    as_of: str | None = None,
    until: str | None = None,
) -> list[Evidence]:
    """Attached evidence in chain order: of a framework and/or control; dated on or before
    `as_of` (a date or ISO time); recorded before `until` (a store timestamp)."""
    day = as_of[:10] if as_of else None
    out = []
    for rec in store.records(kinds=[KIND], until=until):
        ev = Evidence.from_record(rec)
        if framework is not None and ev.framework != framework:
            continue
        if control is not None and ev.control != control:
            continue
        if day is not None and ev.date > day:
            continue
        out.append(ev)
    return out


@dataclass
class ControlEvidence:
    framework: str
    control: str
    title: str
    evidence_kind: str
    attached: list[Evidence] = field(default_factory=list)
    expected: tuple[str, ...] = ()  # the catalog's evidence_to_attach: what an auditor expects

    @property
    def status(self) -> str:
        return "attached" if self.attached else "missing"

    def to_json(self) -> dict[str, Any]:
        return {
            "framework": self.framework,
            "control": self.control,
            "title": self.title,
            "evidence_kind": self.evidence_kind,
            "status": self.status,
            "expected": list(self.expected),
            "evidence": [e.to_json() for e in self.attached],
        }


def control_evidence(
    frameworks: list[Framework], evidence: list[Evidence]
) -> list[ControlEvidence]:
    """Per control that needs manual evidence (evidence kind manual or partial), or has some
    attached: what is attached (newest document first) — none means it is still missing."""
    by_key: dict[tuple[str, str], list[Evidence]] = {}
    for ev in evidence:
        by_key.setdefault((ev.framework, ev.control), []).append(ev)
    out = []
    for fw in frameworks:
        for c in fw.controls:
            attached = by_key.get((fw.id, c.id), [])
            if c.evidence in MANUAL_KINDS or attached:
                attached = sorted(attached, key=lambda e: (e.date, e.seq), reverse=True)
                out.append(
                    ControlEvidence(
                        fw.id, c.id, c.title, c.evidence, attached, tuple(c.evidence_to_attach)
                    )
                )
    return out


def manual_evidence_section(report: dict[str, Any], evidence: list[Evidence]) -> dict[str, Any]:
    """What a report shows of manual evidence — THE HOOK for the report builder.

    Given a built report and the evidence attached by its as-of time (`evidence_records(store,
    as_of=report["run"]["as_of"])`), returns the section to add as `report["manual_evidence"]`:
    per control of the report's frameworks that needs manual evidence (or has some), its
    status (`attached` | `missing`), what the catalog expects (`expected`: its
    evidence_to_attach) and the documents attached (record, file name, SHA-256, by, date,
    note), plus counts. Pure: the same report and evidence give the same section.
    """
    as_of = report["run"]["as_of"][:10]
    by_key: dict[tuple[str, str], list[Evidence]] = {}
    for ev in evidence:
        if ev.date <= as_of:
            by_key.setdefault((ev.framework, ev.control), []).append(ev)
    controls = []
    for fw in report["frameworks"]:
        for c in fw["controls"]:
            attached = by_key.get((fw["id"], c["id"]), [])
            if not (c.get("manual_evidence_required") or attached):
                continue
            attached = sorted(attached, key=lambda e: (e.date, e.seq), reverse=True)
            controls.append(
                {
                    "framework": fw["id"],
                    "control": c["id"],
                    "evidence_kind": c["evidence"],
                    "status": "attached" if attached else "missing",
                    "expected": list(c.get("evidence_to_attach", [])),
                    "evidence": [e.to_json() for e in attached],
                }
            )
    return {
        "as_of": report["run"]["as_of"],
        "controls": controls,
        "summary": {
            "controls": len(controls),
            "attached": sum(1 for c in controls if c["status"] == "attached"),
            "missing": sum(1 for c in controls if c["status"] == "missing"),
        },
    }


def evidence_file(store: Store, ref: str) -> tuple[Evidence, bytes]:
    """An evidence record and its document's bytes (checked against the digest)."""
    rec = store.find(ref)
    if rec.kind != KIND:
        raise StoreError(f"record {rec.seq} is a {rec.kind} record, not evidence")
    return Evidence.from_record(rec), store.blob(rec.blobs["file"])


def report_section(store: Store, report: Any) -> Any:
    """The typed manual evidence section (checker.report.model.ManualEvidence) of a built
    report: manual_evidence_section over the evidence the store holds, dated by the report's
    as-of day."""
    from checker.report.model import ManualEvidence, from_json

    view = {
        "run": {"as_of": report.run.as_of},
        "frameworks": [
            {
                "id": fw.id,
                "controls": [
                    {
                        "id": c.id,
                        "evidence": c.evidence,
                        "manual_evidence_required": c.manual_evidence_required,
                        "evidence_to_attach": list(c.evidence_to_attach),
                    }
                    for c in fw.controls
                ],
            }
            for fw in report.frameworks
        ],
    }
    found = evidence_records(store, as_of=report.run.as_of)
    return from_json(ManualEvidence, manual_evidence_section(view, found))
