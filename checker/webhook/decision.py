"""From an object's check results to an admission decision: enforcement by tier, in words a
cluster operator reads in `kubectl`'s error, and the record an auditor reads later.

Pure: no I/O, no clock. The verdict of each check is Rego's (the same as `dxguard scan`); this
module only applies the config's `admission` enforcement to the failures that no waiver in
force covers, and says so within the lengths Kubernetes shows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from checker.model import CheckMeta, CheckResult

SEVERITY_RANK = {"low": 0, "medium": 1, "high": 2, "critical": 3}
# kubectl prints the whole status message, but a long one buries the first failure; the API
# server truncates each warning over 256 characters and drops warnings past 4,096 in all.
MAX_MESSAGE = 2000
MAX_WARNING = 256
MAX_WARNINGS_TOTAL = 4000

ALLOW, DENY, WARN, DRYRUN = "allow", "deny", "warn", "dryrun"


@dataclass(frozen=True)
class Failed:
    """One failed (or waived) subject of the object, with what an operator needs to fix it."""

    check: str
    severity: str
    title: str
    path: str
    message: str
    remediation: str
    controls: tuple[str, ...]  # "framework: control id"
    subject: str | None = None
    waiver: str | None = None


@dataclass
class Decision:
    verdict: str  # allow | deny | warn | dryrun
    allowed: bool
    tier: str
    message: str | None = None
    warnings: list[str] = field(default_factory=list)
    annotations: dict[str, str] = field(default_factory=dict)
    failed: list[Failed] = field(default_factory=list)
    waived: list[Failed] = field(default_factory=list)
    examined: int = 0  # subjects the checks examined in this object
    engine_error: str | None = None


def failed_subjects(
    results: list[CheckResult],
    checks: dict[str, CheckMeta],
    controls_of: dict[str, tuple[str, ...]],
    status: str,
) -> list[Failed]:
    """The results of one status ("fail" or "waived"), most severe first."""
    out = [
        Failed(
            check=r.check,
            severity=checks[r.check].severity,
            title=checks[r.check].title,
            path=r.path,
            message=r.message or "",
            remediation=checks[r.check].remediation,
            controls=controls_of.get(r.check, ()),
            subject=r.subject,
            waiver=r.waiver,
        )
        for r in results
        if r.status == status
    ]
    return sorted(out, key=lambda f: (-SEVERITY_RANK[f.severity], f.check, f.path, f.subject or ""))


def decide(
    *,
    tier: str,
    failed: list[Failed],
    waived: list[Failed],
    examined: int,
    enforce: dict[str, str],
    what: str,
    bundle_sha256: str,
) -> Decision:
    """The decision for an object (`what`: 'Deployment clinical/viewer') in `tier`."""
    mode = enforce.get(tier, DRYRUN)
    annotations = {"tier": tier, "bundle-sha256": bundle_sha256, "examined": str(examined)}
    if not failed:
        annotations["verdict"] = ALLOW
        if waived:
            annotations["waived"] = ",".join(sorted({f.check for f in waived}))
        return Decision(ALLOW, True, tier, annotations=annotations, waived=waived,
                        examined=examined)  # fmt: skip
    checks = sorted({f.check for f in failed})
    controls = sorted({c for f in failed for c in f.controls})
    annotations.update(
        {"verdict": mode, "checks": ",".join(checks), "controls": _joined(controls, 1000)}
    )
    if waived:
        annotations["waived"] = ",".join(sorted({f.check for f in waived}))
    if mode == DENY:
        return Decision(
            DENY, False, tier, message=_denial(what, tier, failed), annotations=annotations,
            failed=failed, waived=waived, examined=examined,
        )  # fmt: skip
    warnings = _warnings(failed) if mode == WARN else []
    return Decision(
        mode, True, tier, warnings=warnings, annotations=annotations, failed=failed,
        waived=waived, examined=examined,
    )  # fmt: skip


def engine_failure(
    *, tier: str, policy: dict[str, str], what: str, error: str, bundle_sha256: str
) -> Decision:
    """OPA is down, slow or answered garbage: clinical is denied, other tiers follow the
    config's engine_failure policy. Never a silent pass: the decision says what happened."""
    deny = tier == "clinical" or policy.get(tier, "allow") == "deny"
    annotations = {"tier": tier, "verdict": DENY if deny else ALLOW, "engine-error": error[:200],
                   "bundle-sha256": bundle_sha256}  # fmt: skip
    text = f"dxguard could not evaluate {what} (tier {tier}): {error}. " + (
        "Clinical objects are never admitted unchecked; retry when the policy engine is back."
        if tier == "clinical"
        else f"The config's admission.engine_failure for {tier} is {'deny' if deny else 'allow'}."
    )
    if deny:
        return Decision(DENY, False, tier, message=text[:MAX_MESSAGE], annotations=annotations,
                        engine_error=error)  # fmt: skip
    return Decision(ALLOW, True, tier, warnings=[text[:MAX_WARNING]], annotations=annotations,
                    engine_error=error)  # fmt: skip


def unjudged(*, tier: str, what: str, error: str, bundle_sha256: str) -> Decision:
    """The object could not be read as dxguard reads manifests (an input error): a clinical
    object is denied, others are admitted with a warning."""
    text = f"dxguard could not read {what}: {error}"
    annotations = {"tier": tier, "input-error": error[:200], "bundle-sha256": bundle_sha256}
    if tier == "clinical":
        annotations["verdict"] = DENY
        return Decision(DENY, False, tier, message=text[:MAX_MESSAGE], annotations=annotations,
                        engine_error=error)  # fmt: skip
    annotations["verdict"] = ALLOW
    return Decision(ALLOW, True, tier, warnings=[text[:MAX_WARNING]], annotations=annotations,
                    engine_error=error)  # fmt: skip


def _denial(what: str, tier: str, failed: list[Failed]) -> str:
    """Most severe check first: where it failed (the field), what is wrong, the fix; then the
    controls the failed checks give evidence for. Cut to MAX_MESSAGE, saying what was cut."""
    groups: dict[str, list[Failed]] = {}
    for f in failed:  # already most severe first
        groups.setdefault(f.check, []).append(f)
    head = (
        f"dxguard denied {what} (tier {tier}): {len(groups)} check(s) failed on "
        f"{len(failed)} subject(s)."
    )
    controls = sorted({c.split(": ", 1)[-1] for f in failed for c in f.controls})
    tail = f" Controls: {_joined(controls, 400)}." if controls else ""
    parts, used = [head], len(head) + len(tail)
    for i, (check, items) in enumerate(groups.items()):
        first = items[0]
        fields = ", ".join(f.path + (f" [{f.subject}]" if f.subject else "") for f in items[:3]) + (
            f" and {len(items) - 3} more" if len(items) > 3 else ""
        )
        line = (
            f" ({i + 1}) {check} [{first.severity}] at {fields}: "
            f"{_cut(_sentence(first.message), 300)} Fix: {_cut(first.remediation, 240)}"
        )
        more = (
            f" … and {len(groups) - i} more check(s): dxguard explain CHECK-ID; the decision "
            "log has all."
        )
        if used + len(line) + len(more) > MAX_MESSAGE and i > 0:
            parts.append(more)
            used += len(more)
            break
        parts.append(line)
        used += len(line)
    return ("".join(parts) + tail)[:MAX_MESSAGE]


def _cut(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _sentence(text: str) -> str:
    text = text.strip()
    return text if text.endswith((".", "!", "?")) else text + "."


def _warnings(failed: list[Failed]) -> list[str]:
    out: list[str] = []
    used = 0
    for i, f in enumerate(failed):
        subject = f" [{f.subject}]" if f.subject else ""
        text = f"dxguard {f.check} [{f.severity}] {f.path}{subject}: {f.message}"
        if len(text) > MAX_WARNING:
            text = text[: MAX_WARNING - 1] + "…"
        more = f"dxguard: {len(failed) - i} more failure(s) not shown (see the decision log)"
        if used + len(text) + len(more) > MAX_WARNINGS_TOTAL:
            out.append(more)
            break
        out.append(text)
        used += len(text)
    return out


def _joined(items: list[str], limit: int) -> str:
    text = ", ".join(items)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def record(decision: Decision, request: Any, *, bundle_sha256: str, time: str) -> dict[str, Any]:
    """The decision as evidence (small JSON the store's chain hashes): who asked for what, the
    verdict and why — never the object's data."""
    ident = request.identity
    out: dict[str, Any] = {
        "time": time,
        "uid": request.uid,
        "operation": request.operation,
        "apiVersion": ident["apiVersion"],
        "kind": ident["kind"],
        "namespace": ident["namespace"],
        "name": ident["name"],
        "user": request.user.get("username"),
        "groups": list(request.user.get("groups") or []),
        "dry_run": request.dry_run,
        "tier": decision.tier,
        "verdict": decision.verdict,
        "allowed": decision.allowed,
        "warnings": len(decision.warnings),
        "examined": decision.examined,
        "bundle_sha256": bundle_sha256,
        "failed": [_failed_json(f) for f in decision.failed],
        "waived": [_failed_json(f) for f in decision.waived],
        "controls": sorted({c for f in decision.failed for c in f.controls}),
    }
    if decision.engine_error:
        out["error"] = decision.engine_error
    return out


def _failed_json(f: Failed) -> dict[str, Any]:
    out: dict[str, Any] = {"check": f.check, "severity": f.severity, "path": f.path}
    if f.subject:
        out["subject"] = f.subject
    if f.waiver:
        out["waiver"] = f.waiver
    out["controls"] = list(f.controls)
    return out
