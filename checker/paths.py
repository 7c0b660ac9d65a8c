"""Where dxguard finds its own policy bundle, catalogs and tools.

`rego/` and `controls/` are found, in this order: in $DXGUARD_HOME when it is set (an override,
e.g. a bundle under review); inside the installed package (`checker/_bundle/`, where the wheel
carries them as package data); beside the `checker` package (a checkout, or an editable install
of one). It only finds folders: nothing here reads or validates what is in them.
"""

from __future__ import annotations

import os
from pathlib import Path

from checker.errors import UsageError

PACKAGE = Path(__file__).resolve().parent
PACKAGE_DATA = PACKAGE / "_bundle"
CHECKOUT = PACKAGE.parent


def _holds_bundle(root: Path) -> bool:
    return (root / "rego").is_dir() and (root / "controls").is_dir()


def project_root() -> Path:
    """The folder that holds rego/ and controls/."""
    override = os.environ.get("DXGUARD_HOME")
    if override:
        root = Path(override)
        if not _holds_bundle(root):
            raise UsageError(
                f"DXGUARD_HOME={override}: dxguard's policy bundle is not there "
                "(expected rego/ and controls/ in it)",
                hint="unset DXGUARD_HOME to use the bundle installed with dxguard, or point it "
                "at a folder that holds rego/ and controls/",
            )
        return root
    for root in (PACKAGE_DATA, CHECKOUT):
        if _holds_bundle(root):
            return root
    raise UsageError(
        f"dxguard's policy bundle was not found: neither {PACKAGE_DATA} (an installed wheel) "
        f"nor {CHECKOUT} (a checkout) holds rego/ and controls/",
        hint="install dxguard from a wheel or its checkout (`pip install .`), or set "
        "DXGUARD_HOME to the folder that holds rego/ and controls/",
    )


def rego_dir() -> Path:
    return project_root() / "rego"


def controls_dir() -> Path:
    return project_root() / "controls"


def tools_bin() -> Path:
    """The checkout's folder `make opa` builds OPA into (absent in an installed wheel)."""
    return CHECKOUT / ".tools" / "bin"


SCHEMAS = PACKAGE / "schemas"
