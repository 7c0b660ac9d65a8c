"""What the webhook knows about the cluster: the inventory its object-scope checks read.

Two sources, merged: a static folder (`--inventory DIR`: manifests and image evidence, read by
the same loaders as a scan — for clusters where the webhook may not list, and for image scans,
SBOMs and signatures, which no API server holds) and the cluster itself, through the kubernetes
Python client: for each kind the enabled object-scope checks declare, a paginated list, then a
watch from its resourceVersion, relisted when the watch expires or the server says the version is
gone (resync). Only those kinds are kept, without their managedFields, so memory is bounded by
what the checks read. Every change is pushed into OPA's data.inventory (coalesced: at most one
push per `debounce` seconds).

It must not judge anything: it copies facts. It reports, per kind, whether it is listed, absent
from the API, or could not be listed (with the error), so readiness and metrics can say so.
"""

from __future__ import annotations

import io
import logging
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import orjson

from checker.loaders import load
from checker.model import Resource

log = logging.getLogger("dxguard.webhook.inventory")

# Inventory collections that are not Kubernetes kinds (derived from the resources).
DERIVED = ("namespaces", "images", "image_users")
PAGE = 500


def static_resources(paths: list[str]) -> list[Resource]:
    """Everything a scan of these files and folders would read (manifests, VM templates,
    image evidence), read the same way (kubectl's folder rules)."""
    if not paths:
        return []
    return load(paths).resources


def resource_of(obj: dict[str, Any], origin: str) -> list[Resource]:
    """A listed or watched object as the scan's loaders read it (so lookups see what a scan of
    the same manifest would see), named by where it came from."""
    meta = obj.get("metadata") if isinstance(obj.get("metadata"), dict) else {}
    if meta and "managedFields" in meta:
        obj = {**obj, "metadata": {k: v for k, v in meta.items() if k != "managedFields"}}
    name = f"{origin}:{obj.get('kind')}/{meta.get('namespace') or '-'}/{meta.get('name') or '-'}"
    return load(["-"], stdin=io.StringIO(orjson.dumps(obj).decode()), stdin_name=name).resources


@dataclass
class KindState:
    kind: str
    state: str = "pending"  # pending | listed | absent | error
    error: str | None = None
    objects: int = 0
    resource_version: str | None = None
    synced_at: float | None = None


@dataclass
class Inventory:
    """The merged inventory, pushed to `push` (the Judge's load_inventory) on every change."""

    push: Callable[[list[Resource]], None]
    static: list[Resource] = field(default_factory=list)
    debounce: float = 0.2

    def __post_init__(self) -> None:
        self._cluster: dict[tuple[str, str, str], list[Resource]] = {}
        self._lock = threading.Lock()
        self._dirty = threading.Event()
        self._stop = threading.Event()
        self.kinds: dict[str, KindState] = {}
        self.pushed_at: float | None = None
        self.push_error: str | None = None
        self._pusher: threading.Thread | None = None

    # -- state ----------------------------------------------------------------------------------

    def resources(self) -> list[Resource]:
        with self._lock:
            cluster = [r for rs in self._cluster.values() for r in rs]
        return [*self.static, *cluster]

    def ready(self) -> bool:
        """Every declared kind listed (or absent from the API), and the inventory in OPA."""
        return (
            self.pushed_at is not None
            and self.push_error is None
            and all(k.state in ("listed", "absent") for k in self.kinds.values())
        )

    def not_ready_reasons(self) -> list[str]:
        out = []
        if self.pushed_at is None:
            out.append("the inventory has not been loaded into OPA yet")
        if self.push_error:
            out.append(f"loading the inventory into OPA failed: {self.push_error}")
        for k in self.kinds.values():
            if k.state == "pending":
                out.append(f"{k.kind}: not listed yet")
            elif k.state == "error":
                out.append(f"{k.kind}: cannot be listed: {k.error}")
        return out

    def age_seconds(self) -> float | None:
        return None if self.pushed_at is None else time.monotonic() - self.pushed_at

    # -- changes ----------------------------------------------------------------------------------

    def replace_kind(self, kind: str, objects: Iterable[dict[str, Any]]) -> None:
        """A full list of one kind: what the cluster holds now."""
        fresh: dict[tuple[str, str, str], list[Resource]] = {}
        for obj in objects:
            fresh[_key(kind, obj)] = resource_of(obj, "cluster")
        with self._lock:
            for key in [k for k in self._cluster if k[0] == kind]:
                del self._cluster[key]
            self._cluster.update(fresh)
        self.mark_dirty()

    def apply_event(self, kind: str, event_type: str, obj: dict[str, Any]) -> None:
        key = _key(kind, obj)
        with self._lock:
            if event_type == "DELETED":
                self._cluster.pop(key, None)
            else:
                self._cluster[key] = resource_of(obj, "cluster")
        self.mark_dirty()

    def mark_dirty(self) -> None:
        self._dirty.set()

    def push_now(self) -> None:
        try:
            self.push(self.resources())
        except Exception as err:  # noqa: BLE001 - reported through readiness and metrics
            self.push_error = getattr(err, "message", None) or str(err)
            log.error("loading the inventory into OPA failed: %s", self.push_error)
            return
        self.push_error = None
        self.pushed_at = time.monotonic()

    def start(self) -> None:
        """Push once now, then on every change (coalesced), in a thread."""
        self.push_now()
        self._pusher = threading.Thread(target=self._push_loop, name="inventory-push", daemon=True)
        self._pusher.start()

    def stop(self) -> None:
        self._stop.set()
        self._dirty.set()

    def _push_loop(self) -> None:
        while not self._stop.is_set():
            self._dirty.wait()
            if self._stop.is_set():
                return
            time.sleep(self.debounce)  # changes arriving meanwhile go in the same push
            self._dirty.clear()
            self.push_now()
            if self.push_error:  # retry later, e.g. while OPA restarts
                time.sleep(1.0)
                self._dirty.set()


def _key(kind: str, obj: dict[str, Any]) -> tuple[str, str, str]:
    meta = obj.get("metadata") or {}
    return (kind, str(meta.get("namespace") or ""), str(meta.get("name") or ""))


class ClusterWatch:
    """List, then watch, each declared kind through the kubernetes client, into an Inventory.

    `api_client` is a configured kubernetes.client.ApiClient (in-cluster or from a kubeconfig).
    Kinds the API server does not serve are `absent` (nothing of them can exist); kinds it
    refuses to list (RBAC) are `error`, which keeps the webhook not ready: a check that reads
    them would judge against a partial inventory.
    """

    def __init__(
        self,
        inventory: Inventory,
        api_client: Any,
        kinds: Iterable[str],
        *,
        resync_seconds: int = 300,
    ):
        self.inventory = inventory
        self.api_client = api_client
        self.kinds = sorted(k for k in kinds if k not in DERIVED)
        self.resync = resync_seconds
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        for kind in self.kinds:
            inventory.kinds[kind] = KindState(kind)

    def start(self) -> None:
        from kubernetes import dynamic

        try:
            self._dyn = dynamic.DynamicClient(self.api_client)
        except Exception as err:  # noqa: BLE001 - an unreachable API server, named per kind
            for state in self.inventory.kinds.values():
                state.state, state.error = "error", f"the API server cannot be reached: {err}"
            log.error("cannot reach the API server: %s", err)
            self._dyn = None
        for kind in self.kinds:
            t = threading.Thread(target=self._run, args=(kind,), name=f"watch-{kind}", daemon=True)
            t.start()
            self._threads.append(t)

    def stop(self) -> None:
        self._stop.set()

    def _api(self, kind: str) -> Any | None:
        from kubernetes.dynamic.exceptions import ResourceNotFoundError

        try:
            found = self._dyn.resources.search(kind=kind)
        except ResourceNotFoundError:
            return None
        # The preferred version of the group that serves it (core first), never a subresource.
        found = [r for r in found if "/" not in getattr(r, "name", "")]
        if not found:
            return None
        found.sort(key=lambda r: (r.group != "", not getattr(r, "preferred", True), r.group))
        return found[0]

    def _run(self, kind: str) -> None:
        state = self.inventory.kinds[kind]
        backoff = 1.0
        while not self._stop.is_set():
            if self._dyn is None:
                return
            try:
                api = self._api(kind)
                if api is None:
                    state.state, state.error = "absent", None
                    self.inventory.replace_kind(kind, [])
                    self._stop.wait(self.resync)
                    continue
                self._list(kind, api, state)
                backoff = 1.0
                self._watch(kind, api, state)
            except Exception as err:  # noqa: BLE001 - kept per kind, retried with backoff
                state.state = "error" if state.state != "listed" else state.state
                state.error = _api_error(err)
                log.warning("inventory %s: %s (retrying in %.0f s)", kind, state.error, backoff)
                self._stop.wait(backoff)
                backoff = min(backoff * 2, 60.0)

    def _list(self, kind: str, api: Any, state: KindState) -> None:
        objects: list[dict[str, Any]] = []
        token = None
        while True:
            page = api.get(limit=PAGE, _continue=token) if token else api.get(limit=PAGE)
            raw = page.to_dict()
            objects += [{**o, "kind": kind, "apiVersion": api.group_version} for o in raw["items"]]
            token = (raw.get("metadata") or {}).get("continue")
            if not token:
                state.resource_version = (raw.get("metadata") or {}).get("resourceVersion")
                break
        self.inventory.replace_kind(kind, objects)
        state.state, state.error, state.objects = "listed", None, len(objects)
        state.synced_at = time.monotonic()

    def _watch(self, kind: str, api: Any, state: KindState) -> None:
        """Events until the watch times out (then relist: the resync) or the version is gone."""
        for event in api.watch(resource_version=state.resource_version, timeout=self.resync):
            if self._stop.is_set():
                return
            etype = event.get("type")
            raw = event.get("raw_object") or {}
            if etype == "ERROR":
                return  # e.g. 410 Gone: relist
            if etype in ("ADDED", "MODIFIED", "DELETED") and isinstance(raw, dict):
                raw = {**raw, "kind": kind, "apiVersion": api.group_version}
                self.inventory.apply_event(kind, etype, raw)
                rv = (raw.get("metadata") or {}).get("resourceVersion")
                if rv:
                    state.resource_version = rv


def _api_error(err: Exception) -> str:
    status = getattr(err, "status", None)
    reason = getattr(err, "reason", None)
    if status == 403:
        return f"forbidden (HTTP 403): the webhook's ServiceAccount may not list it ({reason})"
    if status:
        return f"HTTP {status}: {reason}"
    return f"{type(err).__name__}: {err}"
