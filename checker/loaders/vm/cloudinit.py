"""Stand-alone cloud-init user-data (a YAML file that starts with `#cloud-config`).

What it does: turn the file into a `CloudConfig` resource whose model holds the guest facts (audit
daemon, time sync) that the VM logging checks read. User-data embedded in KubeVirt, Terraform or
Packer input is read by those loaders through checker.loaders.vm.guest.
What it must not do: judge, or claim YAML that lacks the `#cloud-config` header (cloud-init
itself ignores such a file as configuration).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from checker.errors import InputError
from checker.loaders.vm import guest
from checker.loaders.vm.model import validate
from checker.loaders.yamldocs import Document
from checker.model import Resource, Source


def is_cloud_config(text: str) -> bool:
    return text.lstrip("\ufeff").startswith(guest.CLOUD_CONFIG)


def load_document(doc: Document, ctx: Any) -> list[Resource] | None:
    if not is_cloud_config(ctx.text):
        return None
    value = doc.value
    if value is None:
        return []
    if not isinstance(value, dict):
        raise InputError(
            f"{ctx.file}:{doc.line}: #cloud-config must be a YAML mapping of modules, "
            f"not a {type(value).__name__}",
            hint="`cloud-init schema -c FILE` validates user-data",
        )
    facts = guest.from_cloud_config(value, "")
    model = {
        "role": "guest-config",
        "format": "cloud-init",
        "platform": "other",
        "namespace": None,
        "labels": {},
        "guest": facts.to_model(_guest_path(value)),
    }
    validate(model, ctx.file, lambda _p: None)
    return [
        Resource(
            id=f"{ctx.file}#{doc.index}",
            family="vm",
            kind="CloudConfig",
            api_version="cloud-init",
            name=Path(ctx.file).name,
            namespace=None,
            source=Source(ctx.file, doc.index, doc.line),
            object=value,
            normalized=model,
        )
    ]


def _guest_path(cfg: dict[str, Any]) -> str:
    """Where a fix belongs: the packages list if there is one, else the document."""
    return "packages" if "packages" in cfg else ""
