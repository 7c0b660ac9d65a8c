"""One object under review, judged on the long-lived evaluation core, as `dxguard scan` judges it.

The Judge is prepared once (bundle, catalogs, config, waivers) and then answers one admission
request at a time, from several threads. The object is read by the same loaders a scan uses
(its JSON, as the API server sends it, goes through `checker.loaders.load` like a manifest on
stdin), evaluated by the same object-scope checks against the inventory in OPA's data, and the
same waivers apply with the same semantics (an expired waiver covers nothing). What it adds is
the door's own: enforcement by tier (checker/webhook/decision.py) and fail-safety — an engine
that is down, slow or wrong never admits a clinical object.

What it must not do: decide a check's verdict (Rego does) or hold process-wide state beyond its
own engine connections.
"""

from __future__ import annotations

import contextlib
import fnmatch
import io
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import orjson

from checker.bundle import Bundle, EngineSpec, Prepared, open_bundle, prepare
from checker.config import Config
from checker.controls import select_frameworks
from checker.errors import DxguardError, EngineError
from checker.loaders import JOIN_KINDS, join, load
from checker.model import CheckMeta, Resource
from checker.waivers import WaiverFile, apply_waivers
from checker.webhook import decision as dec
from checker.webhook.review import Request

# Operations and requests the webhook lets through without evaluating: deleting or connecting
# to an object changes nothing the checks judge, and a subresource (status, scale, exec, …)
# is not the object's spec.
UNTOUCHED_OPERATIONS = ("DELETE", "CONNECT")


@dataclass
class Outcome:
    """A decision, and what happened around it (for metrics and the decision record)."""

    decision: dec.Decision
    evaluated: bool  # the object went through OPA
    record: dict[str, Any] | None = None  # None: nothing to record (an untouched request)
    seconds: float = 0.0


@dataclass
class JudgeOptions:
    config: Config
    waivers: WaiverFile | None = None
    waiver_warning_days: int = 30
    frameworks: list[str] = field(default_factory=list)
    policies: list[str] = field(default_factory=list)
    controls: list[str] = field(default_factory=list)
    spec: EngineSpec = field(default_factory=EngineSpec)
    as_of: str | None = None  # judge as of this time instead of each request's (replays, tests)


class Judge:
    """Open it (a context manager), load an inventory, then call `judge(request)`."""

    def __init__(self, options: JudgeOptions):
        self.options = options
        self.config = options.config
        self.prepared: Prepared = prepare(
            options.config,
            policies=options.policies,
            controls=options.controls,
            spec=options.spec,
        )
        self._stack = contextlib.ExitStack()
        self.bundle: Bundle | None = None
        self._local = threading.local()
        self._lock = threading.Lock()
        self.bundle_sha256 = "unknown"
        self.checks: dict[str, CheckMeta] = {}
        self.controls_of: dict[str, tuple[str, ...]] = {}
        # Tiers of namespaces seen in answers, for deciding fail-safely when OPA cannot answer.
        self._namespace_tiers: dict[str, str] = {}
        self._namespace_labels: dict[str, dict[str, str]] = {}
        self._join_context: list[Resource] = []
        self.last_error: str | None = None
        self.last_ok: float | None = None

    # -- life cycle ---------------------------------------------------------------------------

    def __enter__(self) -> Judge:
        if self.options.spec.opa_url:
            _put_config(self.options.spec, self.prepared.config.policy_data())
        self.bundle = self._stack.enter_context(open_bundle(self.prepared))
        info = self.bundle.engine.info()
        self.bundle_sha256 = info.bundle_sha256
        self.checks = {c.id: c for c in self.bundle.checks}
        if self.options.waivers is not None:
            self.options.waivers.validate_checks(set(self.checks))
        frameworks = select_frameworks(
            self.prepared.catalogs.frameworks, self.options.frameworks or self.config.frameworks
        )
        controls: dict[str, list[str]] = {}
        for fw in frameworks:
            for control in fw.controls:
                for cid in control.checks:
                    controls.setdefault(cid, []).append(f"{fw.id}: {control.id}")
        self.controls_of = {k: tuple(dict.fromkeys(v)) for k, v in controls.items()}
        self.last_ok = time.monotonic()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._stack.close()

    def object_inventory_kinds(self) -> frozenset[str]:
        """What the enabled object-scope checks read from the inventory: all the webhook keeps
        (the cluster-scope checks judge the cluster as a whole, in a scan or an audit)."""
        from checker.inventory import declared

        assert self.bundle is not None
        off = {*self.config.disabled_checks, *self.bundle.out_of_scope}
        kinds = declared([c for c in self.bundle.checks if c.scope == "object"], off)
        if any("vm" in c.targets for c in self.bundle.checks if c.id not in off):
            kinds |= JOIN_KINDS  # what a VM's model is completed from (its instancetype, …)
        return kinds

    def load_inventory(self, resources: Iterable[Resource]) -> None:
        from checker.inventory import build_inventory

        assert self.bundle is not None
        resources = list(resources)
        with self._lock:
            self.bundle.engine.load_inventory(
                build_inventory(resources, self.object_inventory_kinds(), self.config.workloads)
            )
            self._join_context = [r for r in resources if r.kind in JOIN_KINDS]
            self._namespace_labels = {
                r.name: _labels(r.object)
                for r in resources
                if r.kind == "Namespace" and isinstance(r.name, str)
            }

    def healthy(self) -> bool:
        """OPA answers its health endpoint (and a managed OPA is still running)."""
        assert self.bundle is not None
        engine = self.bundle.engine
        watchdog = getattr(engine, "_watchdog", None)
        if watchdog is not None and watchdog.exited() is not None:
            return False
        try:
            return bool(self._engine().client.check_health())
        except Exception:  # noqa: BLE001 - any failure to reach it is "not healthy"
            return False

    def opa_exited(self) -> bool:
        """A managed OPA that is gone (the server's liveness: a restart is the fix)."""
        assert self.bundle is not None
        watchdog = getattr(self.bundle.engine, "_watchdog", None)
        return watchdog is not None and watchdog.exited() is not None

    # -- judging ------------------------------------------------------------------------------

    def judge(self, request: Request) -> Outcome:
        start = time.perf_counter()
        outcome = self._judge(request)
        outcome.seconds = time.perf_counter() - start
        return outcome

    def _judge(self, request: Request) -> Outcome:
        now = self.options.as_of or datetime.now(UTC).replace(microsecond=0).strftime(
            "%Y-%m-%dT%H:%M:%SZ"
        )
        if request.operation in UNTOUCHED_OPERATIONS or request.subresource:
            why = (
                request.operation
                if not request.subresource
                else f"subresource {request.subresource}"
            )
            annotations = {"verdict": dec.ALLOW, "untouched": why}
            decision = dec.Decision(dec.ALLOW, True, "other", annotations=annotations)
            return Outcome(decision, evaluated=False)
        ident = request.identity
        what = _what(ident)
        obj = _as_admitted(request)
        try:
            resources = self._resources(obj, request)
        except DxguardError as err:
            tier = self._fallback_tier(ident["namespace"], obj)
            decision = dec.unjudged(
                tier=tier, what=what, error=err.message, bundle_sha256=self.bundle_sha256
            )
            return self._outcome(decision, request, now, evaluated=False)
        if not resources:
            decision = dec.Decision(
                dec.ALLOW, True, self._fallback_tier(ident["namespace"], obj),
                annotations={"verdict": dec.ALLOW, "examined": "0",
                             "bundle-sha256": self.bundle_sha256},
            )  # fmt: skip
            return self._outcome(decision, request, now, evaluated=False)
        try:
            evaluation, tiers = self._engine().review([r.to_input() for r in resources],
                                                      {"as_of": now})  # fmt: skip
        except EngineError as err:
            self.last_error = err.message
            tier = self._fallback_tier(ident["namespace"], obj)
            decision = dec.engine_failure(
                tier=tier,
                policy=self.config.admission["engine_failure"],
                what=what,
                error=err.message,
                bundle_sha256=self.bundle_sha256,
            )
            return self._outcome(decision, request, now, evaluated=False)
        self.last_ok = time.monotonic()
        self.last_error = None
        tier = _strictest(tiers.values())
        if ident["namespace"]:
            self._namespace_tiers[ident["namespace"]] = tiers.get(resources[0].id, tier)
        results = evaluation.failures
        if self.options.waivers is not None:
            outcome = apply_waivers(
                results,
                {r.id: r for r in resources},
                self.options.waivers,
                now,
                self.options.waiver_warning_days,
            )
            results = outcome.results
        failed = dec.failed_subjects(results, self.checks, self.controls_of, "fail")
        waived = dec.failed_subjects(results, self.checks, self.controls_of, "waived")
        decision = dec.decide(
            tier=tier,
            failed=failed,
            waived=waived,
            examined=sum(evaluation.passes.values()) + len(results),
            enforce=self.config.admission["enforce"],
            what=what,
            bundle_sha256=self.bundle_sha256,
        )
        return self._outcome(decision, request, now, evaluated=True)

    def _outcome(
        self, decision: dec.Decision, request: Request, now: str, *, evaluated: bool
    ) -> Outcome:
        record = dec.record(decision, request, bundle_sha256=self.bundle_sha256, time=now)
        return Outcome(decision, evaluated, record)

    def _resources(self, obj: dict[str, Any], request: Request) -> list[Resource]:
        """The object as `dxguard scan -` would read it from a manifest: the same loaders."""
        ident = request.identity
        name = f"admission:{ident['kind']}/{ident['namespace'] or '-'}/{ident['name'] or '-'}"
        text = orjson.dumps(obj).decode()
        loaded = load(
            ["-"], stdin=io.StringIO(text), stdin_name=name, workloads=self.config.workloads
        )
        if self._join_context:  # e.g. a KubeVirt VM's instancetype, read from the inventory
            join(loaded.resources, [*self._join_context, *loaded.resources])
        return loaded.resources

    def _engine(self) -> Any:
        """An engine connection for this thread (requests sessions are not shared across
        threads), on the same OPA, with the bundle's metadata already read (Engine.clone)."""
        engine = getattr(self._local, "engine", None)
        if engine is None:
            assert self.bundle is not None
            engine = self.bundle.engine.clone()
            self._local.engine = engine
        return engine

    def _fallback_tier(self, namespace: str | None, obj: dict[str, Any]) -> str:
        """The tier when OPA cannot say: the namespace's tier from an earlier answer, else the
        config's namespace patterns and labels (the rule lib.tier applies, read here only to
        fail safely). Clinical wins when both match."""
        if namespace and namespace in self._namespace_tiers:
            known = self._namespace_tiers[namespace]
            if known == "clinical":
                return known
        tiers = self.config.tiers
        labels = {**self._namespace_labels.get(namespace or "", {}), **_labels(obj)}
        for tier in ("clinical", "research"):
            spec = tiers.get(tier, {})
            if namespace and any(
                fnmatch.fnmatchcase(namespace, p) for p in spec.get("namespaces", [])
            ):
                return tier
            wanted = spec.get("labels") or {}
            if wanted and all(labels.get(k) == v for k, v in wanted.items()):
                return tier
        return self._namespace_tiers.get(namespace or "", "other")


def _strictest(tiers: Iterable[str]) -> str:
    seen = set(tiers)
    for tier in ("clinical", "research"):
        if tier in seen:
            return tier
    return "other"


def _labels(obj: dict[str, Any]) -> dict[str, str]:
    meta = obj.get("metadata") if isinstance(obj, dict) else None
    labels = meta.get("labels") if isinstance(meta, dict) else None
    out = (
        {k: v for k, v in labels.items() if isinstance(v, str)} if isinstance(labels, dict) else {}
    )
    spec = obj.get("spec") if isinstance(obj, dict) else None
    template = spec.get("template") if isinstance(spec, dict) else None
    tmeta = template.get("metadata") if isinstance(template, dict) else None
    tlabels = tmeta.get("labels") if isinstance(tmeta, dict) else None
    if isinstance(tlabels, dict):
        out.update({k: v for k, v in tlabels.items() if isinstance(v, str)})
    return out


def _as_admitted(request: Request) -> dict[str, Any]:
    """The object as the API server will store it: the request's namespace filled in where the
    object leaves it out (kubectl apply -n), so namespace-scoped checks see its namespace."""
    obj = dict(request.object or {})
    meta = obj.get("metadata")
    if request.namespace and isinstance(meta, dict) and not meta.get("namespace"):
        obj["metadata"] = {**meta, "namespace": request.namespace}
    elif request.namespace and meta is None:
        obj["metadata"] = {"namespace": request.namespace}
    return obj


def _what(ident: dict[str, str | None]) -> str:
    ns = f"{ident['namespace']}/" if ident["namespace"] else ""
    return f"{ident['kind']} {ns}{ident['name'] or '(unnamed)'}"


def _put_config(spec: EngineSpec, data: dict[str, Any]) -> None:
    """A sidecar OPA holds the bundle; the webhook puts its config there (data.dxguard.config),
    as it puts the inventory, so the sidecar judges with this config's parameters and tiers."""
    import requests

    url = spec.opa_url.rstrip("/") + "/v1/data/dxguard/config"
    try:
        resp = requests.put(url, data=orjson.dumps(data), timeout=spec.timeout,
                            headers={"Content-Type": "application/json"})  # fmt: skip
        resp.raise_for_status()
    except requests.RequestException as err:
        raise EngineError(
            f"could not put the config into the OPA at {spec.opa_url}: {err}",
            hint="start the OPA sidecar with the dxguard bundle (opa run --server rego/)",
        ) from None
