"""A real `dxguard webhook serve` on loopback for the tests: certificates made at test time, the
server started as a subprocess (with the OPA it manages), reached over HTTPS, and stopped with
everything it started."""

from __future__ import annotations

import contextlib
import datetime as dt
import ipaddress
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
import requests
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from conftest import ROOT, opa_path


@dataclass
class Certs:
    ca: Path
    cert: Path
    key: Path


def make_certs(folder: Path, names: tuple[str, ...] = ("localhost",), *, ca_name: str = "ca"):
    """A throwaway CA and a server certificate for 127.0.0.1 and `names`."""
    folder.mkdir(parents=True, exist_ok=True)
    now = dt.datetime.now(dt.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"dxguard test {ca_name}")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_subject)
        .issuer_name(ca_subject)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    sans = [x509.DNSName(n) for n in names] + [x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, names[0])]))
        .issuer_name(ca_subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName(sans), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    out = Certs(folder / f"{ca_name}.crt", folder / "tls.crt", folder / "tls.key")
    out.ca.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    out.cert.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    out.key.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return out


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Webhook:
    """A running `dxguard webhook serve`."""

    proc: subprocess.Popen
    port: int
    certs: Certs
    log: Path
    stderr: Path
    session: requests.Session = field(default_factory=requests.Session)

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.port}"

    def post(self, body: bytes | dict, path: str = "/validate") -> requests.Response:
        data = body if isinstance(body, bytes) else orjson.dumps(body)
        return self.session.post(
            self.url + path,
            data=data,
            headers={"Content-Type": "application/json"},
            verify=str(self.certs.ca),
            timeout=30,
        )

    def get(self, path: str) -> requests.Response:
        return self.session.get(self.url + path, verify=str(self.certs.ca), timeout=30)

    def decisions(self) -> list[dict[str, Any]]:
        if not self.log.exists():
            return []
        return [orjson.loads(line) for line in self.log.read_text().splitlines() if line]

    def wait_for(self, predicate: Any, timeout: float = 30.0) -> Any:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            value = predicate()
            if value:
                return value
            time.sleep(0.1)
        raise AssertionError(f"timed out waiting; webhook stderr:\n{self.stderr.read_text()}")

    def opa_pids(self) -> list[int]:
        """The OPA processes this webhook started (its children)."""
        out = []
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                stat = (entry / "stat").read_text()
                cmdline = (entry / "cmdline").read_bytes().split(b"\0")
            except OSError:
                continue
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
            if ppid == self.proc.pid and cmdline and cmdline[0].endswith(b"opa"):
                out.append(int(entry.name))
        return out


def review(
    obj: dict[str, Any] | None,
    *,
    uid: str = "uid-1",
    operation: str = "CREATE",
    namespace: str | None = None,
    dry_run: bool = False,
    subresource: str | None = None,
    user: str = "alice@example.org",
) -> dict[str, Any]:
    """An admission.k8s.io/v1 AdmissionReview as the API server sends it."""
    kind = (obj or {}).get("kind", "Deployment")
    api_version = (obj or {}).get("apiVersion", "apps/v1")
    group, _, version = api_version.rpartition("/")
    meta = (obj or {}).get("metadata") or {}
    req: dict[str, Any] = {
        "uid": uid,
        "kind": {"group": group, "version": version, "kind": kind},
        "resource": {"group": group, "version": version, "resource": kind.lower() + "s"},
        "requestKind": {"group": group, "version": version, "kind": kind},
        "name": meta.get("name"),
        "namespace": namespace or meta.get("namespace"),
        "operation": operation,
        "userInfo": {"username": user, "groups": ["system:authenticated"]},
        "object": obj,
        "oldObject": None,
        "dryRun": dry_run,
        "options": {"apiVersion": "meta.k8s.io/v1", "kind": "CreateOptions"},
    }
    if subresource:
        req["subResource"] = subresource
    return {"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview", "request": req}


def start(tmp: Path, *args: str, certs: Certs | None = None, env: dict | None = None) -> Webhook:
    certs = certs or make_certs(tmp / "certs")
    port = free_port()
    log = tmp / "decisions.jsonl"
    stderr = tmp / "webhook.stderr"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "checker",
            "webhook",
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--cert",
            str(certs.cert),
            "--key",
            str(certs.key),
            "--decision-log",
            str(log),
            *args,
        ],  # fmt: skip
        cwd=ROOT,
        env={**os.environ, "DXGUARD_OPA": str(opa_path()), **(env or {})},
        stdout=subprocess.DEVNULL,
        stderr=stderr.open("w"),
        start_new_session=True,
    )
    hook = Webhook(proc, port, certs, log, stderr)
    end = time.monotonic() + 60
    while time.monotonic() < end:
        if proc.poll() is not None:
            raise AssertionError(f"the webhook exited ({proc.returncode}):\n{stderr.read_text()}")
        try:
            if hook.get("/readyz").status_code == 200:
                return hook
        except requests.RequestException:
            pass
        time.sleep(0.2)
    stop(hook)
    raise AssertionError(f"the webhook never became ready:\n{stderr.read_text()}")


def stop(hook: Webhook) -> None:
    """Stop the webhook and everything it started (its process group)."""
    if hook.proc.poll() is None:
        try:
            os.killpg(hook.proc.pid, signal.SIGTERM)
            hook.proc.wait(timeout=15)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            os.killpg(hook.proc.pid, signal.SIGKILL)
            hook.proc.wait(timeout=15)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(hook.proc.pid, signal.SIGKILL)  # an OPA child that outlived it
