"""Waivers: approved, time-limited exceptions to check failures, applied between evaluation and
the mapping onto controls.

What this module does: load a waiver file (YAML, checker/schemas/waivers.schema.json) with file
and line for every error; decide each waiver's state at the run's as-of time (active, expired,
pending approval) — never the wall clock, so a report can be reproduced; and mark each failure a
waiver in force selects as `waived`. A failure only an expired or not-yet-approved waiver selects
stays a failure and carries that waiver's id, so the report can say since when it lapsed.
What it must not do: judge resources (that is the checks' job) or decide control statuses or exit
codes (controls.py and the report do): it only rewrites check results and describes waivers.
"""

from __future__ import annotations

import fnmatch
import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from functools import cache
from typing import Any

import jsonschema

from checker.errors import InputError
from checker.loaders.locate import line_of_path
from checker.loaders.scalars import excerpt
from checker.loaders.yamldocs import parse_documents
from checker.model import CheckResult, Resource
from checker.schema_util import describe_path, error_message, first_error, load_schema

SCHEMA_FILE = "waivers.schema.json"
DEFAULT_WARNING_DAYS = 30

ACTIVE = "active"  # approved, not expired: covers the failures it selects
EXPIRED = "expired"  # past its expiry date: the failures it selects stay failures
PENDING = "pending"  # approval date after the as-of time: not in force yet
STATES = (ACTIVE, EXPIRED, PENDING)
SELECTOR_KEYS = ("kind", "namespace", "name", "file")


@dataclass(frozen=True)
class Waiver:
    id: str
    check: str
    selector: dict[str, str]  # kind, namespace (exact); name, file (globs)
    subject: str | None
    justification: str
    approver: str
    approved: date
    ticket: str
    expires: date
    file: str
    line: int

    def matches(self, result: CheckResult, resource: Resource) -> bool:
        if result.check != self.check:
            return False
        if self.subject is not None and result.subject != self.subject:
            return False
        sel = self.selector
        if "kind" in sel and resource.kind != sel["kind"]:
            return False
        if "namespace" in sel and resource.namespace != sel["namespace"]:
            return False
        if "name" in sel and not fnmatch.fnmatchcase(resource.name or "", sel["name"]):
            return False
        return "file" not in sel or _path_matches(resource.source.file, sel["file"])

    def to_json(self) -> dict[str, Any]:
        """Every field of the record, as the evidence lists it."""
        out: dict[str, Any] = {
            "id": self.id,
            "check": self.check,
            "resource": dict(self.selector),
            "justification": self.justification,
            "approver": self.approver,
            "approved": self.approved.isoformat(),
            "ticket": self.ticket,
            "expires": self.expires.isoformat(),
            "source": {"file": self.file, "line": self.line},
        }
        if self.subject is not None:
            out["subject"] = self.subject
        return out


@dataclass(frozen=True)
class WaiverFile:
    path: str
    sha256: str
    waivers: tuple[Waiver, ...]
    check_lines: dict[str, int] = field(default_factory=dict)  # waiver id → line of `check`

    def validate_checks(self, check_ids: set[str]) -> None:
        """A waiver for a check that does not exist would silently never apply: refuse it."""
        for w in self.waivers:
            if w.check not in check_ids:
                raise InputError(
                    f"{self.path}:{self.check_lines.get(w.id, w.line)}: waiver {w.id!r} names "
                    f"check {w.check!r}, which does not exist in the policy bundle",
                    hint="run `dxguard checks list` for the ids that exist",
                )


@dataclass(frozen=True)
class WaiverStatus:
    """One waiver as of the run: its state and what it selected."""

    waiver: Waiver
    state: str  # active | expired | pending
    days_left: int  # days until expiry, counting the as-of day as 0; negative once expired
    expiring: bool  # active and within the warning window
    matched: int  # failures it selected
    waived: int  # failures it turned into `waived`

    @property
    def expired_since(self) -> date | None:
        return self.waiver.expires + timedelta(days=1) if self.state == EXPIRED else None

    @property
    def unused(self) -> bool:
        return self.matched == 0

    def to_json(self) -> dict[str, Any]:
        out = self.waiver.to_json()
        out.update(
            {
                "state": self.state,
                "days_left": self.days_left,
                "expiring": self.expiring,
                "matched": self.matched,
                "waived": self.waived,
                "unused": self.unused,
            }
        )
        if self.expired_since is not None:
            out["expired_since"] = self.expired_since.isoformat()
        return out


@dataclass
class WaiverOutcome:
    """The check results with waivers applied, and every waiver's status for the report."""

    results: list[CheckResult]
    statuses: list[WaiverStatus]
    file: str
    sha256: str
    warning_days: int

    def status_of(self, waiver_id: str) -> WaiverStatus:
        return self._by_id[waiver_id]

    def __post_init__(self) -> None:
        self._by_id = {s.waiver.id: s for s in self.statuses}


# -- loading ----------------------------------------------------------------------------------


@cache
def _validator() -> jsonschema.Validator:
    return jsonschema.Draft202012Validator(load_schema(SCHEMA_FILE))


def load_waivers(path: str) -> WaiverFile:
    """Read and validate a waiver file; any problem is an InputError naming file, line and key."""
    try:
        with open(path, "rb") as fh:
            raw = fh.read()
    except OSError as err:
        raise InputError(f"{path}: cannot read waiver file: {err.strerror or err}") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InputError(f"{path}: waiver file is not UTF-8 text") from None
    # Dates stay text (the calendar check below names them); a key written twice is an error,
    # never a silent choice between two expiry dates.
    docs = parse_documents(text, path, unique_keys=True)
    content = [d for d in docs if d.value is not None]
    if len(content) != 1:
        raise InputError(
            f"{path}: a waiver file holds exactly one YAML document, found {len(content)}",
            hint="docs/waivers.md shows the format",
        )
    doc = content[0]
    data = doc.value

    def where(keys: Sequence[str | int]) -> str:
        return f"{path}:{line_of_path(doc.node, list(keys)) or doc.line}"

    err = first_error(_validator(), data)
    if err is not None:
        keys = list(err.absolute_path)
        if err.validator == "additionalProperties" and isinstance(err.instance, dict):
            allowed = err.schema.get("properties", {})
            extra = sorted(k for k in err.instance if k not in allowed)
            if extra:
                keys.append(extra[0])  # point at the unexpected key itself
        message = error_message(err)
        if keys and keys[-1] in ("approved", "expires") and err.validator in ("pattern", "type"):
            message = f"{excerpt(str(err.instance))} is not a date; write YYYY-MM-DD"
        raise InputError(
            f"{where(keys)}: invalid waiver at {describe_path(data, keys)}: {message}",
            hint=f"the waiver file must follow checker/schemas/{SCHEMA_FILE} (docs/waivers.md)",
        )

    waivers: list[Waiver] = []
    check_lines: dict[str, int] = {}
    seen: dict[str, int] = {}
    for i, w in enumerate(data["waivers"]):
        line = line_of_path(doc.node, ["waivers", i]) or doc.line
        if w["id"] in seen:
            raise InputError(
                f"{where(['waivers', i, 'id'])}: waiver id {w['id']!r} is already used on "
                f"line {seen[w['id']]}; waiver ids must be unique"
            )
        seen[w["id"]] = line
        dates: dict[str, date] = {}
        for key in ("approved", "expires"):
            try:
                dates[key] = date.fromisoformat(w[key])
            except ValueError:
                raise InputError(
                    f"{where(['waivers', i, key])}: waiver {w['id']!r}: {key} {w[key]!r} is not "
                    "a date in the calendar",
                    hint="write YYYY-MM-DD",
                ) from None
        if dates["expires"] < dates["approved"]:
            raise InputError(
                f"{where(['waivers', i, 'expires'])}: waiver {w['id']!r} expires "
                f"({w['expires']}) before it was approved ({w['approved']})"
            )
        check_lines[w["id"]] = line_of_path(doc.node, ["waivers", i, "check"]) or line
        waivers.append(
            Waiver(
                id=w["id"],
                check=w["check"],
                selector={k: w["resource"][k] for k in SELECTOR_KEYS if k in w["resource"]},
                subject=w.get("subject"),
                justification=" ".join(w["justification"].split()),
                approver=w["approver"].strip(),
                approved=dates["approved"],
                ticket=w["ticket"].strip(),
                expires=dates["expires"],
                file=path,
                line=line,
            )
        )
    return WaiverFile(path, hashlib.sha256(raw).hexdigest(), tuple(waivers), check_lines)


def _path_matches(path: str, pattern: str) -> bool:
    """The path, or any trailing part of it at a '/' boundary, matches the glob."""
    parts = path.replace("\\", "/").split("/")
    return any(
        fnmatch.fnmatchcase("/".join(parts[i:]), pattern)
        for i in range(len(parts))
        if i == 0 or parts[i]
    )


# -- applying ---------------------------------------------------------------------------------


def state_at(waiver: Waiver, as_of: date) -> str:
    if waiver.approved > as_of:
        return PENDING
    if as_of > waiver.expires:
        return EXPIRED
    return ACTIVE


def apply_waivers(
    results: Iterable[CheckResult],
    resources: dict[str, Resource],
    waivers: WaiverFile,
    as_of: str,
    warning_days: int = DEFAULT_WARNING_DAYS,
) -> WaiverOutcome:
    """Mark the failures a waiver in force selects as `waived`; describe every waiver.

    A failure selected by several waivers is waived by the first one in force (file order); a
    failure only lapsed waivers select stays failing and names the first of them. Passes are
    never touched.
    """
    today = _as_of_date(as_of)
    states = {w.id: state_at(w, today) for w in waivers.waivers}
    by_check: dict[str, list[Waiver]] = {}
    for w in waivers.waivers:
        by_check.setdefault(w.check, []).append(w)
    matched = dict.fromkeys(states, 0)
    waived = dict.fromkeys(states, 0)

    out: list[CheckResult] = []
    for r in results:
        candidates = by_check.get(r.check)
        if r.status != "fail" or not candidates:
            out.append(r)
            continue
        resource = resources[r.resource]
        hits = [w for w in candidates if w.matches(r, resource)]
        for w in hits:
            matched[w.id] += 1
        in_force = next((w for w in hits if states[w.id] == ACTIVE), None)
        if in_force is not None:
            waived[in_force.id] += 1
            out.append(replace(r, status="waived", waiver=in_force.id))
        elif hits:
            out.append(replace(r, waiver=hits[0].id))
        else:
            out.append(r)

    statuses = []
    for w in waivers.waivers:
        days_left = (w.expires - today).days
        state = states[w.id]
        statuses.append(
            WaiverStatus(
                waiver=w,
                state=state,
                days_left=days_left,
                expiring=state == ACTIVE and days_left <= warning_days,
                matched=matched[w.id],
                waived=waived[w.id],
            )
        )
    return WaiverOutcome(out, statuses, waivers.path, waivers.sha256, warning_days)


def _as_of_date(as_of: str) -> date:
    """'2026-11-26T12:00:00Z' → 2026-11-26 (as-of times are normalised to UTC upstream)."""
    return date.fromisoformat(as_of[:10])
