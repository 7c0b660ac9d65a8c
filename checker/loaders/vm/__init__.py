"""VM template formats: KubeVirt, Terraform plan JSON, Packer and cloud-init.

Each module builds resources of family "vm" whose `normalized` record follows
checker/schemas/vm-model.schema.json. Importing the package registers their loaders in
checker.loaders (its format-registration block imports it). This package only describes what
the input holds; rego/vm judges it.
"""

from __future__ import annotations

from checker.loaders import DOCUMENT_LOADERS, FINALIZERS, JOIN_KINDS, JOINERS, TEXT_LOADERS
from checker.loaders.vm import cloudinit, kubevirt, packer, terraform


def _register() -> None:
    # Before the plain Kubernetes loader, which only sees what no format loader claimed.
    DOCUMENT_LOADERS.extend(
        [
            kubevirt.load_document,
            terraform.load_document,
            packer.load_document,
            cloudinit.load_document,
        ]
    )
    TEXT_LOADERS[".pkr.hcl"] = packer.load_hcl
    TEXT_LOADERS[".hcl"] = packer.load_hcl
    FINALIZERS.extend([packer.finalize, kubevirt.finalize])
    JOINERS.append(kubevirt.join)
    JOIN_KINDS.update(kubevirt.JOIN_KINDS)


_register()
