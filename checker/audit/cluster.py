"""The audit's connection to a cluster, through the official kubernetes client: I/O only.

What it does: find the credentials as kubectl does (--kubeconfig, else $KUBECONFIG or
~/.kube/config, else the pod's service account when running in a cluster), read the cluster's
identity (API server URL, kube-system namespace UID where readable), read the discovery
documents, and list a resource page by page (`limit` and `continue`, as kubectl does), each
object as the raw JSON the API server returned.
What it must not do: judge, or turn a failure into an empty list. An unreachable server,
refused credentials or a forbidden list raise ClusterError with what to fix; a list whose
continue token expired (410 Gone) is started again from the first page.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
import yaml

from checker.audit.kinds import ApiResource, discovered
from checker.errors import DxguardError

PAGE_SIZE = 500
REQUEST_TIMEOUT = (10.0, 120.0)  # connect, read (seconds)
RESTARTS = 3  # a list whose continue token expired is started again at most this often


class ClusterError(DxguardError):
    """The cluster cannot be reached, refuses the credentials or the permission, or answers
    something that is not the Kubernetes API: the audit stops with exit 2."""

    kind = "cluster error"


@dataclass(frozen=True)
class Forbidden:
    """A request the credentials may not make: who was refused what, in the server's words."""

    path: str
    message: str


class ForbiddenError(ClusterError):
    def __init__(self, refused: Forbidden):
        super().__init__(f"{refused.path}: forbidden: {refused.message}")
        self.refused = refused


@dataclass(frozen=True)
class Connection:
    """Where the credentials came from and whom they reach."""

    server: str
    cluster: str | None  # the kubeconfig's cluster entry (None in a pod)
    context: str | None
    source: str  # the kubeconfig file(s), or "in-cluster service account"


def _kubeconfig_files(explicit: str | None) -> str | None:
    if explicit:
        return explicit
    env = os.environ.get("KUBECONFIG")
    if env:
        return env
    default = Path.home() / ".kube" / "config"
    return str(default) if default.is_file() else None


class Cluster:
    """An API client for one cluster, opened from a kubeconfig or a pod's service account."""

    def __init__(self, kubeconfig: str | None = None, context: str | None = None):
        from kubernetes import config as kube_config
        from kubernetes.client import ApiClient, Configuration
        from kubernetes.config.config_exception import ConfigException

        cfg = Configuration()
        files = _kubeconfig_files(kubeconfig)
        try:
            if files is not None:
                if kubeconfig and not Path(kubeconfig).is_file():
                    raise ClusterError(
                        f"--kubeconfig {kubeconfig}: no such file",
                        hint="give the kubeconfig file kubectl uses for the cluster",
                    )
                kube_config.load_kube_config(
                    config_file=files, context=context, client_configuration=cfg
                )
                contexts, active = kube_config.list_kube_config_contexts(config_file=files)
                chosen = next((c for c in contexts if c["name"] == context), None) or active
                ctx_name = chosen["name"] if chosen else context
                cluster_name = (chosen or {}).get("context", {}).get("cluster")
                source = files
            elif os.environ.get("KUBERNETES_SERVICE_HOST"):
                if context:
                    raise ClusterError(
                        "--context needs a kubeconfig, and none was found (running in a pod, "
                        "the audit uses its service account)",
                        hint="drop --context, or pass --kubeconfig",
                    )
                kube_config.load_incluster_config(client_configuration=cfg)
                ctx_name, cluster_name, source = None, None, "in-cluster service account"
            else:
                raise ClusterError(
                    "no kubeconfig found: not --kubeconfig, not $KUBECONFIG, not ~/.kube/config, "
                    "and not running in a pod",
                    hint="pass --kubeconfig FILE (and --context NAME), as you would to kubectl",
                )
        except ConfigException as err:
            raise ClusterError(
                f"cannot use the kubeconfig {files or ''}: {err}".replace("  ", " "),
                hint="check it with `kubectl config view`; --context picks a context",
            ) from None
        except yaml.YAMLError as err:
            mark = getattr(err, "problem_mark", None)
            where = f"{files}:{mark.line + 1}" if mark is not None else str(files)
            raise ClusterError(
                f"{where}: the kubeconfig is not valid YAML ({getattr(err, 'problem', err)})",
                hint="fix the file, or point --kubeconfig at the one kubectl uses",
            ) from None
        except OSError as err:
            raise ClusterError(
                f"cannot read the kubeconfig {files}: {err.strerror or err}",
                hint="give a kubeconfig file you can read",
            ) from None
        cfg.retries = 1
        self.connection = Connection(cfg.host, cluster_name, ctx_name, source)
        self._api = ApiClient(cfg)

    # -- requests --------------------------------------------------------------------------

    def get(self, path: str, query: list[tuple[str, Any]] | None = None) -> dict[str, Any]:
        """GET a path of the API as JSON; every failure is a ClusterError saying what to do."""
        import urllib3
        from kubernetes.client.exceptions import ApiException

        method, url, headers, _, _ = self._api.param_serialize(
            "GET",
            path,
            query_params=query or [],
            header_params={"Accept": "application/json"},
            auth_settings=["BearerToken"],
        )
        server = self.connection.server
        try:
            resp = self._api.call_api(method, url, headers, _request_timeout=REQUEST_TIMEOUT)
            body = resp.read()
        except ApiException as err:  # the client's word for a TLS failure
            raise ClusterError(
                f"cannot reach the API server at {server}: {err.reason}".strip(),
                hint="check the server's certificate authority in the kubeconfig",
            ) from None
        except (urllib3.exceptions.HTTPError, OSError) as err:
            reason = getattr(err, "reason", None) or err
            raise ClusterError(
                f"cannot reach the API server at {server}: {reason}",
                hint="is the cluster up, and is this the right kubeconfig and context? "
                "`kubectl cluster-info` tells the same",
            ) from None
        status = resp.status
        if status == 200:
            try:
                return orjson.loads(body)
            except orjson.JSONDecodeError:
                raise ClusterError(
                    f"{server}{path}: the answer is not JSON: is {server} a Kubernetes API server?"
                ) from None
        message = _status_message(body) or (resp.reason or "")
        if status == 401:
            raise ClusterError(
                f"the API server at {server} refused the credentials (401 Unauthorized): {message}",
                hint="the kubeconfig's user is not known to this cluster (an expired token or "
                "certificate?); `kubectl auth whoami` tells who you are",
            )
        if status == 403:
            raise ForbiddenError(Forbidden(path, message))
        if status == 410:
            raise _Expired(message)
        if status == 404:
            raise NotFoundError(f"{server}{path}: not found: {message}")
        raise ClusterError(f"{server}{path}: {status} {resp.reason or ''}: {message}".strip())

    def identity(self) -> str | None:
        """The UID of the kube-system namespace: a cluster's identity that outlives its URL."""
        try:
            ns = self.get("/api/v1/namespaces/kube-system")
        except ForbiddenError:
            return None
        uid = (ns.get("metadata") or {}).get("uid")
        return uid if isinstance(uid, str) else None

    def discover(self) -> tuple[list[ApiResource], list[tuple[str, str]]]:
        """Every resource the cluster serves (each group's preferred version), and the groups
        whose discovery failed with why (an aggregated API that is down, for example)."""
        out = discovered("v1", self.get("/api/v1"))
        failed: list[tuple[str, str]] = []
        groups = self.get("/apis").get("groups") or []
        for group in groups:
            preferred = (group.get("preferredVersion") or {}).get("groupVersion")
            if not preferred:
                versions = group.get("versions") or []
                preferred = versions[0].get("groupVersion") if versions else None
            if not preferred:
                continue
            try:
                out += discovered(preferred, self.get(f"/apis/{preferred}"))
            except ForbiddenError:
                raise
            except ClusterError as err:
                failed.append((preferred, err.message))
        return out, failed

    def list(
        self,
        resource: ApiResource,
        namespace: str | None = None,
        on_page: Callable[[int, int | None], None] | None = None,
        page_size: int = PAGE_SIZE,
    ) -> list[dict[str, Any]]:
        """Every object of a resource (in one namespace, or all), page by page. on_page gets
        the count so far and the server's estimate of how many remain."""
        path = resource.path(namespace)
        for _attempt in range(RESTARTS + 1):
            try:
                return list(self._pages(path, on_page, page_size))
            except _Expired:
                continue  # the continue token expired: list again from the first page
        raise ClusterError(
            f"{self.connection.server}{path}: the list kept expiring before its last page "
            f"({RESTARTS + 1} tries)",
            hint="the cluster changes faster than it can be listed; try again",
        )

    def _pages(
        self, path: str, on_page: Callable[[int, int | None], None] | None, page_size: int
    ) -> Iterator[dict[str, Any]]:
        token: str | None = None
        count = 0
        while True:
            query: list[tuple[str, Any]] = [("limit", page_size)]
            if token:
                query.append(("continue", token))
            page = self.get(path, query)
            items = page.get("items")
            if not isinstance(items, list):
                raise ClusterError(f"{self.connection.server}{path}: the answer is not a list")
            yield from items
            count += len(items)
            meta = page.get("metadata") or {}
            token = meta.get("continue") or None
            if on_page is not None:
                remaining = meta.get("remainingItemCount")
                on_page(count, remaining if isinstance(remaining, int) else None)
            if not token:
                return

    def close(self) -> None:
        self._api.close()


class NotFoundError(ClusterError):
    """404: no such object (or no such API path) on this server."""


class _Expired(ClusterError):
    """410 Gone: the continue token of a paginated list has expired."""


def _status_message(body: bytes) -> str:
    try:
        status = orjson.loads(body)
    except orjson.JSONDecodeError:
        return body.decode("utf-8", "replace").strip()[:300]
    return str(status.get("message") or "") if isinstance(status, dict) else ""
