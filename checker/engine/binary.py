"""Find the OPA binary dxguard evaluates policies with.

Order: --opa-binary, then $DXGUARD_OPA, then the checkout's tools folder (built by `make opa` from
tools/opa/; absent in an installed wheel), then `opa` on PATH. A missing or broken binary is an
EngineError (exit 2) that says how to get one; dxguard never evaluates without the real OPA.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from checker.errors import EngineError
from checker.paths import tools_bin

# The OPA release tools/opa/go.mod pins, the one dxguard is tested with (a test keeps them equal).
PINNED_OPA = "1.22.3"

HOW_TO_GET_OPA = (
    f"dxguard needs the OPA v1 binary (tested with {PINNED_OPA}). Put `opa` on PATH, or set "
    "DXGUARD_OPA=/path/to/opa, or pass --opa-binary PATH. To get it: download the release "
    f"binary for your platform from https://github.com/open-policy-agent/opa/releases/tag/"
    f"v{PINNED_OPA} (e.g. opa_linux_amd64_static) and make it executable; or build it with Go: "
    f"`go install github.com/open-policy-agent/opa@v{PINNED_OPA}` (it lands in "
    "$(go env GOPATH)/bin); or, in a dxguard checkout, `make opa` (builds .tools/bin/opa)"
)


def find_opa(explicit: str | None = None) -> Path:
    candidates: list[tuple[str, str]] = []
    if explicit:
        candidates.append(("--opa-binary", explicit))
    elif os.environ.get("DXGUARD_OPA"):
        candidates.append(("DXGUARD_OPA", os.environ["DXGUARD_OPA"]))
    if candidates:
        origin, value = candidates[0]
        path = Path(value)
        if not path.is_file() or not os.access(path, os.X_OK):
            raise EngineError(
                f"OPA binary from {origin} not found or not executable: {value}",
                hint=HOW_TO_GET_OPA,
            )
        return path
    local = tools_bin() / "opa"
    if local.is_file() and os.access(local, os.X_OK):
        return local
    on_path = shutil.which("opa")
    if on_path:
        return Path(on_path)
    raise EngineError(
        "OPA was not found (not in DXGUARD_OPA, a checkout's .tools/bin, or on PATH)",
        hint=HOW_TO_GET_OPA,
    )


def opa_version(binary: Path) -> str:
    """The version the binary reports (`opa version`), e.g. '1.22.3'."""
    try:
        out = subprocess.run(
            [str(binary), "version"], capture_output=True, text=True, timeout=30, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as err:
        raise EngineError(f"cannot run OPA at {binary}: {err}", hint=HOW_TO_GET_OPA) from None
    for line in out.stdout.splitlines():
        if line.startswith("Version:"):
            return line.split(":", 1)[1].strip()
    raise EngineError(
        f"{binary} did not print an OPA version (exit {out.returncode}); is it OPA?",
        hint=HOW_TO_GET_OPA,
    )
