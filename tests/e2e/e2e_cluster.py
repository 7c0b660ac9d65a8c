"""A real Kubernetes control plane on loopback: etcd and kube-apiserver, started and stopped here.

Both binaries are built by `make control-plane` from the Go modules pinned in tools/etcd/ and
tools/kube-apiserver/ (found through DXGUARD_ETCD and DXGUARD_KUBE_APISERVER, else the
checkout's .tools/bin/). `ControlPlane` makes a CA and certificates in a fresh folder under
/tmp, starts etcd and then kube-apiserver on free 127.0.0.1 ports (RBAC on, client
certificates for authentication), waits until the API server is ready, and writes a kubeconfig
per user. `stop()` ends both and removes the folder.

No process is left behind: each process leads its own process group, which stop() ends with
SIGTERM and then SIGKILL, and each is started with PR_SET_PDEATHSIG so that the kernel kills it
if the Python process that started it dies without stopping it (a crashed or killed pytest).
Nothing here is a stand-in: it is the API server a cluster runs, on an etcd a cluster runs,
without the kubelet, scheduler and controllers (a Deployment is stored and served, and no Pod
is ever started for it).
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import shutil
import signal
import socket
import ssl
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import yaml

from e2e_pki import CertificateAuthority, KeyPair, signing_key_pair

ROOT = Path(__file__).resolve().parents[2]
BUILD_HINT = "run `make e2e` (or `make control-plane`), which builds it from tools/"
# On a loaded 2-core machine the API server's first start (its storage, RBAC bootstrap
# policy, built-in priority levels) can take a while.
START_TIMEOUT = 240.0
STOP_TIMEOUT = 30.0
ADMIN_USER = "dxguard-e2e-admin"


def binary(env: str, name: str) -> Path:
    value = os.environ.get(env)
    return Path(value) if value else ROOT / ".tools" / "bin" / name


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


_PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:
    """In the child, before exec: be killed by the kernel when the parent dies."""
    libc = ctypes.CDLL("libc.so.6", use_errno=True)
    libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)


class ControlPlaneError(RuntimeError):
    pass


class Process:
    """A child process in its own process group, its output in a log file."""

    def __init__(self, name: str, argv: list[str], log: Path, env: dict[str, str] | None = None):
        self.name = name
        self.log = log
        with open(log, "wb") as out:
            self.popen = subprocess.Popen(
                argv,
                env=env,
                cwd=ROOT,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                preexec_fn=_die_with_parent,
                close_fds=True,
            )
        self.pid = self.popen.pid

    def running(self) -> bool:
        return self.popen.poll() is None

    def tail(self, lines: int = 30) -> str:
        try:
            text = self.log.read_text(errors="replace")
        except OSError:
            return "(no log)"
        return "\n".join(text.splitlines()[-lines:])

    def stop(self, timeout: float = STOP_TIMEOUT) -> None:
        """SIGTERM to the whole group, then SIGKILL; returns once the process is reaped."""
        if self.popen.returncode is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.pid, signal.SIGTERM)
        try:
            self.popen.wait(timeout)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.pid, signal.SIGKILL)
            self.popen.wait(timeout)
        # Anything else left in the group (there should be nothing) goes too.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.pid, signal.SIGKILL)


def pid_alive(pid: int) -> bool:
    """True while a process with this pid exists and is not a zombie."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def wait_until(what: str, ready, timeout: float, proc: Process | None = None) -> None:
    """Poll ready() until it is true; fail with the process log if it exits or time runs out."""
    deadline = time.monotonic() + timeout
    while True:
        if proc is not None and not proc.running():
            raise ControlPlaneError(
                f"{proc.name} exited (code {proc.popen.returncode}) before {what}:\n{proc.tail()}"
            )
        if ready():
            return
        if time.monotonic() > deadline:
            tail = f":\n{proc.tail()}" if proc is not None else ""
            raise ControlPlaneError(f"timed out after {timeout:.0f} s waiting for {what}{tail}")
        time.sleep(0.25)


# A free port is found by binding port 0 and closing it; another process on the machine can take
# it before the server binds it. Such a start is tried again on fresh ports, twice at most.
_PORT_TRIES = (1, 2, 3)
_READY = "the API server was ready (/readyz)"


def _started(wait, proc: Process, attempt: int) -> bool:
    """Wait for a started process; False (after stopping it) when it lost its port to another
    process and may try again, else its error."""
    try:
        wait()
        return True
    except ControlPlaneError:
        if attempt < _PORT_TRIES[-1] and "address already in use" in proc.tail(200):
            proc.stop()
            return False
        raise


class Etcd:
    """etcd on two free loopback ports (client and peer), its data in `folder`."""

    def __init__(self, folder: Path, etcd: Path, data: str = "etcd"):
        if not etcd.is_file():
            raise ControlPlaneError(f"etcd is required at {etcd}: {BUILD_HINT}")
        self.client_port, peer = free_port(), free_port()
        self.url = f"http://127.0.0.1:{self.client_port}"
        peer_url = f"http://127.0.0.1:{peer}"
        self.process = Process(
            "etcd",
            [
                str(etcd),
                "--name=e2e",
                f"--data-dir={folder / data}",
                f"--listen-client-urls={self.url}",
                f"--advertise-client-urls={self.url}",
                f"--listen-peer-urls={peer_url}",
                f"--initial-advertise-peer-urls={peer_url}",
                f"--initial-cluster=e2e={peer_url}",
                "--initial-cluster-state=new",
                "--unsafe-no-fsync",  # a throwaway store: durability buys nothing here
                "--log-level=warn",
            ],
            folder / f"{data}.log",
        )

    def healthy(self) -> bool:
        try:
            with urllib.request.urlopen(f"{self.url}/health", timeout=2) as resp:
                return b'"health":"true"' in resp.read()
        except (OSError, urllib.error.URLError):
            return False

    def wait(self, timeout: float = 60.0) -> None:
        wait_until("etcd answered /health", self.healthy, timeout, self.process)


class ControlPlane:
    """etcd + kube-apiserver on loopback with a fresh CA; a kubeconfig per user.

    Use as a context manager (or call start() and stop()): the folder under /tmp, the processes
    and their logs exist only between the two.
    """

    def __init__(
        self,
        *,
        etcd: Path | None = None,
        apiserver: Path | None = None,
        apiserver_args: tuple[str, ...] = (),
    ):
        self.etcd_binary = etcd or binary("DXGUARD_ETCD", "etcd")
        self.apiserver_binary = apiserver or binary("DXGUARD_KUBE_APISERVER", "kube-apiserver")
        self.extra_args = apiserver_args
        self.folder = Path(tempfile.mkdtemp(prefix="dxguard-e2e-"))
        self.etcd: Etcd | None = None
        self.apiserver: Process | None = None
        self.port = 0
        self.ca: CertificateAuthority | None = None

    @property
    def server(self) -> str:
        return f"https://127.0.0.1:{self.port}"

    @property
    def processes(self) -> list[Process]:
        return [p for p in (self.apiserver, self.etcd.process if self.etcd else None) if p]

    def __enter__(self) -> ControlPlane:
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self) -> None:
        if not self.apiserver_binary.is_file():
            raise ControlPlaneError(
                f"kube-apiserver is required at {self.apiserver_binary}: {BUILD_HINT}"
            )
        pki = self.folder / "pki"
        self.ca = CertificateAuthority(pki)
        serving = self.ca.issue(
            "apiserver",
            common="kube-apiserver",
            server=True,
            dns=("kubernetes", "kubernetes.default", "kubernetes.default.svc"),
        )
        self._admin = self.ca.issue("admin", common=ADMIN_USER, orgs=("system:masters",))
        sa = signing_key_pair(pki, "service-account")
        for attempt in _PORT_TRIES:
            self.etcd = Etcd(self.folder, self.etcd_binary, f"etcd-{attempt}")
            if _started(lambda: self.etcd.wait(), self.etcd.process, attempt):
                break
        for attempt in _PORT_TRIES:
            self._start_apiserver(serving, sa)
            if _started(
                lambda: wait_until(_READY, self._ready, START_TIMEOUT, self.apiserver),
                self.apiserver,
                attempt,
            ):
                break
        self.admin_kubeconfig = self.kubeconfig("admin", self._admin)
        # The API server creates default, kube-system, kube-public at start; wait for them so
        # that every test sees a cluster as a cluster has it.
        wait_until("the kube-system namespace existed", self._has_kube_system, 60, self.apiserver)

    def _start_apiserver(self, serving: KeyPair, sa: KeyPair) -> None:
        assert self.ca is not None and self.etcd is not None
        self.port = free_port()
        self.apiserver = Process(
            "kube-apiserver",
            [
                str(self.apiserver_binary),
                f"--etcd-servers={self.etcd.url}",
                "--bind-address=127.0.0.1",
                "--advertise-address=127.0.0.1",
                f"--secure-port={self.port}",
                f"--cert-dir={self.folder / 'apiserver-certs'}",
                f"--tls-cert-file={serving.cert}",
                f"--tls-private-key-file={serving.key}",
                f"--client-ca-file={self.ca.cert}",
                "--authorization-mode=RBAC",
                # As kubeadm and every managed cluster run it: privileged containers are
                # admitted by the API server and judged by dxguard (and Pod Security).
                "--allow-privileged=true",
                "--service-account-issuer=https://kubernetes.default.svc",
                f"--service-account-key-file={sa.cert}",
                f"--service-account-signing-key-file={sa.key}",
                "--service-cluster-ip-range=10.96.0.0/24",
                # No kubelet or controllers run here; the reconciler of the `kubernetes`
                # Service's endpoints would refuse a loopback address anyway.
                "--endpoint-reconciler-type=none",
                "--profiling=false",
                *self.extra_args,
            ],
            self.folder / "kube-apiserver.log",
        )

    def _ssl(self, pair: KeyPair | None = None) -> ssl.SSLContext:
        assert self.ca is not None
        ctx = ssl.create_default_context(cafile=str(self.ca.cert))
        pair = pair or self._admin
        ctx.load_cert_chain(str(pair.cert), str(pair.key))
        return ctx

    def get(self, path: str, pair: KeyPair | None = None) -> tuple[int, bytes]:
        """A GET as admin (or as the owner of `pair`): (status, body)."""
        req = urllib.request.Request(f"{self.server}{path}")
        try:
            with urllib.request.urlopen(req, context=self._ssl(pair), timeout=10) as resp:
                return resp.status, resp.read()
        except urllib.error.HTTPError as err:
            return err.code, err.read()

    def _ready(self) -> bool:
        try:
            status, _ = self.get("/readyz")
        except OSError:
            return False
        return status == 200

    def _has_kube_system(self) -> bool:
        status, _ = self.get("/api/v1/namespaces/kube-system")
        return status == 200

    def user(self, name: str, groups: tuple[str, ...] = ()) -> Path:
        """A kubeconfig for a user the CA vouches for (RBAC decides what it may do)."""
        assert self.ca is not None
        safe = "".join(ch if ch.isalnum() else "-" for ch in name)
        pair = self.ca.issue(f"user-{safe}", common=name, orgs=groups)
        return self.kubeconfig(safe, pair)

    def kubeconfig(self, name: str, pair: KeyPair, *, server: str | None = None) -> Path:
        assert self.ca is not None
        cluster = "dxguard-e2e"
        doc = {
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [
                {
                    "name": cluster,
                    "cluster": {
                        "server": server or self.server,
                        "certificate-authority": str(self.ca.cert),
                    },
                }
            ],
            "users": [
                {
                    "name": name,
                    "user": {
                        "client-certificate": str(pair.cert),
                        "client-key": str(pair.key),
                    },
                }
            ],
            "contexts": [{"name": name, "context": {"cluster": cluster, "user": name}}],
            "current-context": name,
        }
        path = self.folder / f"kubeconfig-{name}.yaml"
        path.write_text(yaml.safe_dump(doc, sort_keys=False))
        return path

    def stop(self) -> None:
        for proc in self.processes:  # the API server first, then its etcd
            proc.stop()
        shutil.rmtree(self.folder, ignore_errors=True)


@contextlib.contextmanager
def running(**kwargs) -> Iterator[ControlPlane]:
    with ControlPlane(**kwargs) as plane:
        yield plane
