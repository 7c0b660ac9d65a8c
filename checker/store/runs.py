"""Recording a scan in the store: its report, its metadata and (on request) every file it read.

`record_run(store, report, report_json, command=…, scope=…, with_files=…)` appends one `run`
record. Its metadata is small and hashed into the chain (scope, as-of, verdict, counts,
versions, digests, the command); its report is a blob (the exact bytes `--format json` writes),
indexed by finding identity for drift. With files, a file list blob names every file the run
read — inputs (or stdin), config, waivers, custom checks and catalogs, and the policy bundle
and catalogs dxguard itself shipped — each stored as a blob, so `dxguard reproduce` can rebuild
the run exactly. Every file is checked against the digest the report recorded when it was
read: a file that changed since the scan is refused, never recorded in its place.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from checker.errors import StoreError
from checker.store.chain import Blob, Record
from checker.store.store import FILES_MEDIA_TYPE, REPORT_MEDIA_TYPE, Store

FILES_FORMAT = "dxguard-run-files/1"
STDIN_NAME = "<stdin>"
# CI variables that name the repository under test, first found wins.
REPO_VARS = (
    "GITHUB_REPOSITORY",
    "CI_PROJECT_PATH",
    "BUILD_REPOSITORY_NAME",
    "BITBUCKET_REPO_FULL_NAME",
)


@dataclass
class ScanCommand:
    """What `dxguard scan` was asked, as far as it can change a verdict: enough to ask again."""

    paths: list[str]
    frameworks: list[str] = field(default_factory=list)
    config: str | None = None
    waivers: str | None = None
    policies: list[str] = field(default_factory=list)
    controls: list[str] = field(default_factory=list)
    fail_on: str = "low"
    waiver_warning_days: int = 30
    max_file_bytes: int | None = None
    opa_url: str | None = None
    cwd: str = field(default_factory=os.getcwd)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ScanCommand:
        return cls(**{k: v for k, v in data.items() if k in cls.__dataclass_fields__})


def default_scope() -> str:
    """What a run looked at, for drift: the CI's repository name, else the git checkout's
    folder name, else the current folder's name. `scan --record-scope` overrides it."""
    for var in REPO_VARS:
        if os.environ.get(var):
            return os.environ[var]
    try:
        out = subprocess.run(
            ["git", "rev-parse", "--show-toplevel"],
            capture_output=True,
            text=True,
            timeout=5,
            check=False,
        )
        if out.returncode == 0 and out.stdout.strip():
            return os.path.basename(out.stdout.strip())
    except (OSError, subprocess.TimeoutExpired):
        pass
    return os.path.basename(os.getcwd()) or "default"


def run_meta(report: dict[str, Any], scope: str, command: ScanCommand | None) -> dict[str, Any]:
    """The run's metadata as the chain hashes it: small, and enough to list and filter runs."""
    run = report["run"]
    summary = report["summary"]
    meta: dict[str, Any] = {
        "scope": scope,
        "as_of": run["as_of"],
        "result": summary["result"],
        "report_version": report.get("report_version"),
        "dxguard_version": run.get("dxguard_version"),
        "opa_version": run.get("opa_version"),
        "bundle_sha256": run["bundle"]["sha256"],
        "config_sha256": run["config"]["sha256"],
        "frameworks": run.get("frameworks_selected", []),
        "summary": {
            "frameworks": summary.get("frameworks", {}),
            "subjects": summary.get("subjects", {}),
            "resources": {k: summary.get("resources", {}).get(k) for k in ("loaded", "examined")},
            "findings": len(report.get("findings", [])),
        },
        "inputs": len(run.get("inputs", [])),
    }
    if run.get("ci"):
        meta["ci"] = run["ci"]
    if run.get("cluster"):  # an audit's cluster: who was examined, without the kinds list
        meta["cluster"] = {k: v for k, v in run["cluster"].items() if k != "kinds"}
    if command is not None:
        meta["command"] = command.to_json()
    return meta


def record_run(
    store: Store,
    report: dict[str, Any],
    report_json: str | bytes,
    *,
    scope: str,
    command: ScanCommand | None = None,
    with_files: bool = False,
    stdin: bytes | None = None,
    home: Path | None = None,
    kind: str = "run",
) -> Record:
    """Append a `run` record for this report (its JSON rendering as `report_json`); the live
    audit records its reports the same way with kind="audit" (scope: the cluster).

    with_files also records every file the run read (see the module doc); `stdin` is what the
    run read from standard input, `home` the folder holding dxguard's rego/ and controls/
    (default: the installed bundle)."""
    data = report_json.encode() if isinstance(report_json, str) else report_json
    blobs = {"report": Blob(data, REPORT_MEDIA_TYPE)}
    attached: list[Blob] = []
    meta = run_meta(report, scope, command)
    if with_files:
        if command is None:
            raise StoreError("recording a run's files needs its command (ScanCommand)")
        listing, attached = collect_files(report, command, stdin=stdin, home=home)
        blobs["files"] = Blob(_json_bytes(listing), FILES_MEDIA_TYPE)
        meta["reproducible"] = True
    return store.append(kind, meta, blobs, report=report, attached=attached)


def _json_bytes(value: Any) -> bytes:
    import orjson

    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS)


def collect_files(
    report: dict[str, Any],
    command: ScanCommand,
    *,
    stdin: bytes | None = None,
    home: Path | None = None,
) -> tuple[dict[str, Any], list[Blob]]:
    """The file list of a run and the files' contents, each checked against the report."""
    from checker.engine import policy_files
    from checker.paths import project_root

    run = report["run"]
    root = home or project_root()
    cwd = command.cwd
    entries: list[dict[str, Any]] = []
    blobs: dict[str, Blob] = {}

    def add(role: str, path: str, data: bytes, expected: str | None, base: str = "cwd") -> None:
        digest = hashlib.sha256(data).hexdigest()
        if expected is not None and digest != expected:
            raise StoreError(
                f"{path} changed since the scan read it (sha256 {digest[:16]}…, the report "
                f"says {expected[:16]}…); the run was not recorded",
                hint="scan again, and do not change the inputs while dxguard runs",
            )
        entries.append(
            {"role": role, "path": path, "base": base, "sha256": digest, "size": len(data)}
        )
        blobs[digest] = Blob(data)

    def read(path: str, base: str = "cwd") -> bytes:
        full = Path(path) if base == "cwd" else root / path
        if base == "cwd" and not full.is_absolute():
            full = Path(cwd) / full
        try:
            return full.read_bytes()
        except OSError as err:
            raise StoreError(
                f"{path}: cannot read it to record the run: {err.strerror or err}"
            ) from None

    for item in run.get("inputs", []):
        if item["path"] == STDIN_NAME:
            if stdin is None:
                raise StoreError(
                    "the run read standard input, which was not kept; the run was not recorded",
                    hint="dxguard scan --record-inputs keeps stdin itself",
                )
            add("stdin", STDIN_NAME, stdin, item["sha256"])
        else:
            add("input", item["path"], read(item["path"]), item["sha256"])
    config = run.get("config", {})
    if config.get("file"):
        add("config", config["file"], read(config["file"]), config.get("file_sha256"))
    waivers = run.get("waivers")
    if waivers and waivers.get("file"):
        add("waivers", waivers["file"], read(waivers["file"]), waivers.get("sha256"))
    for policy in run.get("custom_policies", []):
        add("policy", policy["file"], read(policy["file"]), policy["sha256"])
    for catalog in run.get("catalogs", []):
        if catalog.get("origin") == "custom":
            add("catalog", catalog["file"], read(catalog["file"]), catalog["sha256"])
        else:
            add("home", catalog["file"], read(catalog["file"], "home"), catalog["sha256"], "home")
    schema = "controls/catalog.schema.json"
    add("home", schema, read(schema, "home"), None, "home")
    if run.get("engine") == "managed":
        rego = root / "rego"
        modules = [p for p in policy_files([rego]) if p.is_file()]
        module_digests = [e["sha256"] for e in entries if e["role"] == "policy"]
        for p in modules:
            rel = p.relative_to(root).as_posix()
            add("bundle", rel, p.read_bytes(), None, "home")
            module_digests.append(entries[-1]["sha256"])
        digest = hashlib.sha256("\n".join(sorted(module_digests)).encode()).hexdigest()
        if digest != run["bundle"]["sha256"]:
            raise StoreError(
                f"the policy bundle under {rego} (sha256:{digest[:16]}…) is not the one the "
                f"run used (sha256:{run['bundle']['sha256'][:16]}…); the run was not recorded",
                hint="was dxguard updated while it ran? scan again",
            )
    listing = {
        "format": FILES_FORMAT,
        "command": command.to_json(),
        "files": entries,
    }
    return listing, list(blobs.values())


def record_decision(
    store: Store,
    decision: dict[str, Any],
    *,
    scope: str,
    review: bytes | None = None,
) -> Record:
    """Append an admission decision (the webhook's). `decision` is small JSON the chain hashes
    as it is — e.g. uid, operation, kind, namespace, name, tier, allowed, warnings, the
    bundle digest and the failing findings' ids and fingerprints; `scope` names the cluster;
    `review`, when given, is the AdmissionReview's bytes (blob "review")."""
    blobs = {"review": Blob(review, "application/json")} if review is not None else {}
    return store.append("decision", {**decision, "scope": scope}, blobs)
