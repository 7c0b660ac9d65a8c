"""Where dxguard finds its own policy bundle, catalogs and tools.

The project ships `rego/` and `controls/` beside the `checker` package (an editable install from a
checkout, or the same layout in the container image). DXGUARD_HOME overrides the location.
"""

from __future__ import annotations

import os
from pathlib import Path

from checker.errors import UsageError


def project_root() -> Path:
    override = os.environ.get("DXGUARD_HOME")
    root = Path(override) if override else Path(__file__).resolve().parent.parent
    if not (root / "rego").is_dir() or not (root / "controls").is_dir():
        raise UsageError(
            f"dxguard's policy bundle was not found under {root} (expected rego/ and controls/)",
            hint="install dxguard from its checkout with `pip install -e .`, or set DXGUARD_HOME "
            "to the folder that holds rego/ and controls/",
        )
    return root


def rego_dir() -> Path:
    return project_root() / "rego"


def controls_dir() -> Path:
    return project_root() / "controls"


def tools_bin() -> Path:
    """The project-local folder `make opa` builds OPA into."""
    return Path(__file__).resolve().parent.parent / ".tools" / "bin"


SCHEMAS = Path(__file__).resolve().parent / "schemas"
