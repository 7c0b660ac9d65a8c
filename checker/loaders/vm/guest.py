"""Read guest set-up (cloud-init user-data, shell scripts, Packer provisioners) into guest facts.

What it does: decode user-data as cloud-init does (base64 where the format allows, MIME
multi-part, `#cloud-config` YAML, `#!` scripts) and report whether it installs or enables the
audit daemon and a time-sync service. What it must not do: judge. A fact is True only when the
text shows it; anything else is False, and the checks decide what that means.
"""

from __future__ import annotations

import base64
import binascii
import email
import gzip
import re
from dataclasses import dataclass, field
from typing import Any

import yaml

from checker.errors import InputError
from checker.loaders.yamldocs import YamlLoader

CLOUD_CONFIG = "#cloud-config"

_SEP = r"[^\n;&|]*"  # within one shell command
_AUDIT_INSTALL = re.compile(rf"\b(install|add){_SEP}\baudit(d)?\b")
_AUDIT_ENABLE = re.compile(rf"\b(enable|start|restart){_SEP}\bauditd\b")
_TIME_INSTALL = re.compile(rf"\b(install|add){_SEP}\b(chrony|ntp|ntpsec|systemd-timesyncd)\b")
_TIME_ENABLE = re.compile(rf"\b(enable|start|restart){_SEP}\b(chronyd?|ntpd?|systemd-timesyncd)\b")
_TIME_SET_NTP = re.compile(r"\btimedatectl\s+set-ntp\s+(true|yes|on|1)\b")
AUDIT_PACKAGES = {"audit", "auditd"}
TIME_PACKAGES = {"chrony", "ntp", "ntpsec", "systemd-timesyncd"}


@dataclass
class GuestFacts:
    auditd: bool = False
    time_sync: bool = False
    sources: list[dict[str, str]] = field(default_factory=list)

    def add(self, other: GuestFacts) -> None:
        self.auditd = self.auditd or other.auditd
        self.time_sync = self.time_sync or other.time_sync
        self.sources.extend(other.sources)

    def to_model(self, path: str) -> dict[str, Any]:
        return {
            "configured": bool(self.sources),
            "auditd": self.auditd,
            "time_sync": self.time_sync,
            "sources": self.sources,
            "path": path,
        }


def from_shell(text: str, kind: str, path: str) -> GuestFacts:
    """Facts from shell commands (a script, runcmd entries, Packer inline commands)."""
    auditd = bool(_AUDIT_INSTALL.search(text) or _AUDIT_ENABLE.search(text))
    time_sync = bool(
        _TIME_INSTALL.search(text) or _TIME_ENABLE.search(text) or _TIME_SET_NTP.search(text)
    )
    return GuestFacts(auditd, time_sync, [{"kind": kind, "path": path}])


def decode_base64(value: str, where: str) -> str:
    """User-data given as base64 (userDataBase64, user_data_base64, Azure custom_data)."""
    try:
        raw = base64.b64decode(value.strip(), validate=True)
        if raw[:2] == b"\x1f\x8b":  # cloud-init also accepts gzip-compressed user-data
            raw = gzip.decompress(raw)
        return raw.decode("utf-8")
    except (binascii.Error, ValueError, OSError, EOFError):
        raise InputError(
            f"{where}: user-data is not valid base64-encoded UTF-8 text",
            hint="encode the cloud-init user-data with base64, or give it as plain text",
        ) from None


def from_user_data(text: str, where: str, path: str) -> GuestFacts:
    """Facts from user-data as cloud-init reads it: cloud-config, a script, or MIME multi-part."""
    stripped = text.lstrip()
    if stripped.startswith(CLOUD_CONFIG):
        return from_cloud_config(parse_cloud_config(text, where), path)
    if stripped.startswith("#!"):
        return from_shell(text, "user-data-script", path)
    if stripped.lower().startswith(("content-type:", "mime-version:")):
        facts = GuestFacts()
        message = email.message_from_string(stripped)
        for part in message.walk():
            if part.is_multipart():
                continue
            payload = part.get_payload(decode=True)
            body = payload.decode("utf-8", errors="replace") if payload else ""
            ctype = part.get_content_type()
            if ctype == "text/cloud-config":
                facts.add(from_cloud_config(parse_cloud_config(body, where), path))
            elif ctype in ("text/x-shellscript", "text/x-shellscript-per-boot"):
                facts.add(from_shell(body, "user-data-script", path))
        facts.sources = facts.sources or [{"kind": "user-data-mime", "path": path}]
        return facts
    # Something cloud-init would not act on as configuration (e.g. plain data for an app).
    return GuestFacts(False, False, [{"kind": "user-data-unrecognised", "path": path}])


def parse_cloud_config(text: str, where: str) -> dict[str, Any]:
    """The YAML of a #cloud-config part; malformed YAML is an InputError with the line."""
    loader = YamlLoader(text)
    try:
        value = loader.get_single_data()
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        line = f" (user-data line {mark.line + 1})" if mark else ""
        raise InputError(
            f"{where}: malformed #cloud-config YAML{line}: {err.problem or err.context}",
            hint="fix the cloud-config YAML; `cloud-init schema -c FILE` validates it",
        ) from None
    except yaml.YAMLError as err:
        raise InputError(f"{where}: malformed #cloud-config YAML: {err}") from None
    finally:
        loader.dispose()
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise InputError(f"{where}: #cloud-config must be a YAML mapping of modules")
    return value


def _package_names(packages: Any) -> set[str]:
    names: set[str] = set()
    if isinstance(packages, list):
        for p in packages:
            if isinstance(p, str):
                names.add(p.split("=")[0].strip())
            elif isinstance(p, list) and p and isinstance(p[0], str):
                names.add(p[0])
    elif isinstance(packages, dict):  # newer schema: {apt: [...], snap: [...]}
        for value in packages.values():
            names |= _package_names(value)
    return names


def _commands(value: Any) -> str:
    lines = []
    if isinstance(value, list):
        for cmd in value:
            if isinstance(cmd, str):
                lines.append(cmd)
            elif isinstance(cmd, list):
                lines.append(" ".join(str(c) for c in cmd))
    return "\n".join(lines)


def from_cloud_config(cfg: dict[str, Any], path: str) -> GuestFacts:
    packages = _package_names(cfg.get("packages"))
    shell = from_shell(_commands(cfg.get("runcmd")) + "\n" + _commands(cfg.get("bootcmd")), "", "")
    ntp = cfg.get("ntp")
    ntp_on = (
        isinstance(ntp, dict)
        and ntp.get("enabled", True) is not False
        and any(ntp.get(k) for k in ("servers", "pools", "ntp_client"))
    )
    return GuestFacts(
        auditd=bool(packages & AUDIT_PACKAGES) or shell.auditd,
        time_sync=bool(packages & TIME_PACKAGES) or shell.time_sync or ntp_on,
        sources=[{"kind": "cloud-init", "path": path}],
    )
