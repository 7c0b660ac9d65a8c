"""Re-evaluate a recorded run and compare verdicts: `dxguard reproduce RUN`.

The run's recorded files are laid out again in a private folder — the inputs, config, waivers
and custom checks and catalogs at the paths the run named them by (relative to its working
folder), dxguard's policy bundle and catalogs as a DXGUARD_HOME — and the real `dxguard scan`
runs on them with the recorded command and as-of time. Before anything is compared, the new
report must name the same bundle, catalogs, config and input digests as the recorded one (else
it is not the same run, and reproduce stops with exit 2). Then verdicts are compared: the
result, every control's status, every finding by identity with its status and waiver state.

A run recorded without its bundle files (its OPA was given by --opa-url) is evaluated with the
installed bundle or --policy-dir, and refused when that bundle's digest differs.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from checker.errors import StoreError
from checker.store.chain import Record
from checker.store.runs import FILES_FORMAT, STDIN_NAME, ScanCommand
from checker.store.store import Store


@dataclass
class Reproduction:
    record: Record
    recorded: dict[str, Any]
    reproduced: dict[str, Any]
    differences: list[str] = field(default_factory=list)

    @property
    def same(self) -> bool:
        return not self.differences

    def to_json(self) -> dict[str, Any]:
        run = self.reproduced["run"]
        return {
            "record": {"seq": self.record.seq, "hash": self.record.hash},
            "as_of": run["as_of"],
            "bundle_sha256": run["bundle"]["sha256"],
            "result": {
                "recorded": self.recorded["summary"]["result"],
                "reproduced": self.reproduced["summary"]["result"],
            },
            "same": self.same,
            "differences": self.differences,
        }


def reproduce(
    store: Store,
    ref: str,
    *,
    policy_dir: str | None = None,
    opa_binary: str | None = None,
    keep: Path | None = None,
) -> Reproduction:
    record = store.find(ref)
    if record.kind != "run":
        raise StoreError(f"record {record.seq} is a {record.kind} record, not a run")
    if "files" not in record.blobs:
        raise StoreError(
            f"run {record.seq} was recorded without its inputs, so it cannot be re-evaluated",
            hint="record runs with `dxguard scan --record-inputs …` to reproduce them later",
        )
    listing = orjson.loads(store.blob(record.blobs["files"]))
    if listing.get("format") != FILES_FORMAT:
        raise StoreError(f"run {record.seq}'s file list has an unknown format")
    recorded = store.report(record)
    command = ScanCommand.from_json(listing["command"])
    work = Path(tempfile.mkdtemp(prefix="dxguard-reproduce-")) if keep is None else keep
    try:
        reproduced = _rerun(store, record, listing, command, recorded, work, policy_dir, opa_binary)
    finally:
        if keep is None:
            shutil.rmtree(work, ignore_errors=True)
    _same_run(record, recorded, reproduced)
    return Reproduction(record, recorded, reproduced, compare(recorded, reproduced))


def _mirror(fs: Path, cwd: str, path: str) -> Path:
    """Where a path the run named (relative to its working folder, or absolute) is laid out."""
    full = os.path.normpath(os.path.join(cwd, path))
    return fs / full.lstrip("/")


def _rerun(
    store: Store,
    record: Record,
    listing: dict[str, Any],
    command: ScanCommand,
    recorded: dict[str, Any],
    work: Path,
    policy_dir: str | None,
    opa_binary: str | None,
) -> dict[str, Any]:
    from checker.paths import project_root

    fs, home = work / "fs", work / "home"
    cwd = _mirror(fs, command.cwd, ".")
    cwd.mkdir(parents=True, exist_ok=True)
    stdin: bytes | None = None
    has_bundle = False
    for entry in listing["files"]:
        data = store.blob(entry["sha256"])
        if entry["role"] == "stdin":
            stdin = data
            continue
        target = (
            home / entry["path"]
            if entry["base"] == "home"
            else _mirror(fs, command.cwd, entry["path"])
        )
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        has_bundle = has_bundle or entry["role"] == "bundle"
    if policy_dir is not None or not has_bundle:
        source = Path(policy_dir) if policy_dir is not None else project_root() / "rego"
        if not source.is_dir():
            raise StoreError(f"--policy-dir {policy_dir}: no such folder")
        shutil.rmtree(home / "rego", ignore_errors=True)
        shutil.copytree(source, home / "rego")
    if not (home / "controls").is_dir():  # a run recorded without catalogs: the installed ones
        shutil.copytree(project_root() / "controls", home / "controls")

    out = work / "reproduced.json"
    run = recorded["run"]
    args = [sys.executable, "-m", "checker", "scan"]

    def here(path: str) -> str:  # relative paths as typed (the working folder is mirrored)
        return path if path == "-" or not os.path.isabs(path) else str(_mirror(fs, "/", path))

    args += [here(p) for p in command.paths]
    args += ["--as-of", run["as_of"], "--format", "json", "-o", f"json={out}", "-q"]
    args += [
        "--fail-on",
        command.fail_on,
        "--waiver-warning-days",
        str(command.waiver_warning_days),
    ]
    if command.max_file_bytes:
        args += ["--max-file-size", str(command.max_file_bytes)]
    for fw in command.frameworks:
        args += ["-f", fw]
    for flag, value in (("-c", command.config), ("--waivers", command.waivers)):
        if value:
            args += [flag, here(value)]
    for flag, values in (("--policy", command.policies), ("--controls", command.controls)):
        for value in values:
            args += [flag, here(value)]
    if opa_binary:
        args += ["--opa-binary", opa_binary]
    env = {**os.environ, "DXGUARD_HOME": str(home), "PYTHONPATH": _checker_path()}
    env.pop("DXGUARD_STORE", None)
    proc = subprocess.run(
        args,
        cwd=cwd,
        env=env,
        input=stdin if stdin is not None else b"",
        capture_output=True,
        check=False,
    )
    if proc.returncode not in (0, 1) or not out.exists():
        err = proc.stderr.decode(errors="replace").strip()
        raise StoreError(
            f"re-evaluating run {record.seq} failed (dxguard scan exit {proc.returncode}):\n  "
            + err.replace("\n", "\n  ")
        )
    return orjson.loads(out.read_bytes())


def _checker_path() -> str:
    """The folder that holds the running `checker` package, for the child dxguard."""
    import checker

    here = str(Path(checker.__file__).resolve().parent.parent)
    rest = os.environ.get("PYTHONPATH")
    return here + (os.pathsep + rest if rest else "")


def _same_run(record: Record, recorded: dict[str, Any], reproduced: dict[str, Any]) -> None:
    """The re-evaluation must have used what the run used; else comparing verdicts is moot."""
    old, new = recorded["run"], reproduced["run"]
    if old["bundle"]["sha256"] != new["bundle"]["sha256"]:
        raise StoreError(
            f"the policy bundle differs from run {record.seq}'s: it was "
            f"sha256:{old['bundle']['sha256']}, this one is sha256:{new['bundle']['sha256']}",
            hint="pass --policy-dir with the rego/ folder of the dxguard release that recorded "
            "the run (`dxguard version` prints a bundle's digest)",
        )
    checks = {
        "catalogs": (_catalogs(old), _catalogs(new)),
        "config": (old["config"]["sha256"], new["config"]["sha256"]),
        "inputs": (_inputs(old), _inputs(new)),
        "waivers": (
            (old.get("waivers") or {}).get("sha256"),
            (new.get("waivers") or {}).get("sha256"),
        ),
        "as-of time": (old["as_of"], new["as_of"]),
    }
    for what, (a, b) in checks.items():
        if a != b:
            raise StoreError(
                f"the re-evaluation of run {record.seq} did not use the recorded {what}",
                hint="the run's recorded files are incomplete; `dxguard store verify` checks them",
            )


def _catalogs(run: dict[str, Any]) -> list[tuple[str, str]]:
    return sorted((c["framework"], c["sha256"]) for c in run.get("catalogs", []))


def _inputs(run: dict[str, Any]) -> list[str]:
    return sorted(i["sha256"] for i in run.get("inputs", []) if i["path"] != STDIN_NAME) + sorted(
        i["sha256"] for i in run.get("inputs", []) if i["path"] == STDIN_NAME
    )


def compare(recorded: dict[str, Any], reproduced: dict[str, Any]) -> list[str]:
    """Verdict differences between two reports of the same run, one sentence each: the result,
    each control's status, each finding (by identity) with its status and waiver state."""
    out: list[str] = []
    a, b = recorded["summary"]["result"], reproduced["summary"]["result"]
    if a != b:
        out.append(f"result: recorded {a}, now {b}")
    old_controls, new_controls = _controls(recorded), _controls(reproduced)
    for key in sorted(old_controls.keys() | new_controls.keys()):
        was, now = old_controls.get(key, "absent"), new_controls.get(key, "absent")
        if was != now:
            out.append(f"control {key[1]} ({key[0]}): recorded {was}, now {now}")
    old_f, new_f = _findings(recorded), _findings(reproduced)
    for fp in sorted(
        old_f.keys() | new_f.keys(), key=lambda k: (old_f.get(k) or new_f[k])["label"]
    ):
        was, now = old_f.get(fp), new_f.get(fp)
        label = (was or now)["label"]
        if was is None:
            out.append(f"finding {label}: new ({now['state']})")
        elif now is None:
            out.append(f"finding {label}: recorded {was['state']}, now absent")
        elif was["state"] != now["state"]:
            out.append(f"finding {label}: recorded {was['state']}, now {now['state']}")
    return out


def _controls(report: dict[str, Any]) -> dict[tuple[str, str], str]:
    return {(fw["id"], c["id"]): c["status"] for fw in report["frameworks"] for c in fw["controls"]}


def _findings(report: dict[str, Any]) -> dict[str, dict[str, str]]:
    out = {}
    for f in report["findings"]:
        res = f["resource"]
        where = "/".join(x for x in (res.get("kind"), res.get("namespace"), res.get("name")) if x)
        state = f["status"] + (f" (waiver {f['waiver']['state']})" if "waiver" in f else "")
        label = f"{f['id']} {f['check']} {where} {f['path']}" + (
            f" [{f['subject']}]" if f.get("subject") else ""
        )
        out[f["fingerprint"]] = {"state": state, "label": label}
    return out
