"""`dxguard webhook serve`: the HTTPS server (Starlette on uvicorn) in front of the Judge.

Routes: POST /validate (also /) for AdmissionReviews; GET /healthz (liveness: false only when the
OPA this process manages has exited, so Kubernetes restarts the pod); GET /readyz (false while
OPA does not answer or the inventory is not loaded, with the reasons); GET /metrics (Prometheus).
TLS 1.2 or newer from a certificate and key file, reloaded when the files change (cert-manager
renews them in place), without a restart. A malformed review gets HTTP 400 with a message, never
an allow; an internal error is answered fail-safe (a clinical object is denied).
"""

from __future__ import annotations

import logging
import os
import ssl
import threading
import time
from dataclasses import dataclass
from typing import Any

import anyio
import orjson
from starlette.applications import Starlette
from starlette.requests import Request as HttpRequest
from starlette.responses import Response
from starlette.routing import Route

from checker.webhook import decision as dec
from checker.webhook.decisions import DecisionSink
from checker.webhook.inventory import ClusterWatch, Inventory
from checker.webhook.judge import Judge, Outcome
from checker.webhook.metrics import Metrics
from checker.webhook.review import ReviewError, parse_review, response

log = logging.getLogger("dxguard.webhook")


class TlsFiles:
    """An SSL context whose certificate is reloaded when its files change on disk."""

    def __init__(self, cert: str, key: str, *, poll_seconds: float = 5.0):
        self.cert, self.key, self.poll = cert, key, poll_seconds
        self.context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.context.minimum_version = ssl.TLSVersion.TLSv1_2
        self.context.load_cert_chain(cert, key)
        self._stamp = self._mtimes()
        self.reloads = 0
        self._stop = threading.Event()

    def _mtimes(self) -> tuple[float, float]:
        return (os.stat(self.cert).st_mtime_ns, os.stat(self.key).st_mtime_ns)

    def start(self) -> None:
        threading.Thread(target=self._watch, name="tls-reload", daemon=True).start()

    def stop(self) -> None:
        self._stop.set()

    def _watch(self) -> None:
        while not self._stop.wait(self.poll):
            try:
                stamp = self._mtimes()
                if stamp == self._stamp:
                    continue
                self.context.load_cert_chain(self.cert, self.key)  # new handshakes use it
                self._stamp = stamp
                self.reloads += 1
                log.info("reloaded the TLS certificate from %s", self.cert)
            except (OSError, ssl.SSLError) as err:  # half-written files: keep the old pair
                log.warning("TLS certificate not reloaded yet: %s", err)


@dataclass
class Webhook:
    judge: Judge
    inventory: Inventory
    sink: DecisionSink
    metrics: Metrics
    watch: ClusterWatch | None = None
    probe_seconds: float = 1.0

    def __post_init__(self) -> None:
        self.opa_ok = True
        self._stop = threading.Event()
        self.metrics.bind(
            self.inventory.age_seconds,
            lambda: len(self.inventory.resources()),
            lambda: {
                "written": self.sink.written,
                "recorded": self.sink.recorded,
                "dropped": self.sink.dropped,
                "store_errors": self.sink.store_errors,
            },
        )
        self.app = Starlette(
            routes=[
                Route("/validate", self.validate, methods=["POST"]),
                Route("/", self.validate, methods=["POST"]),
                Route("/healthz", self.healthz, methods=["GET"]),
                Route("/readyz", self.readyz, methods=["GET"]),
                Route("/metrics", self.metrics_page, methods=["GET"]),
            ]
        )

    def start(self) -> None:
        self.opa_ok = self.judge.healthy()
        threading.Thread(target=self._probe, name="opa-probe", daemon=True).start()

    def stop(self) -> None:
        self._stop.set()

    def _probe(self) -> None:
        while not self._stop.wait(self.probe_seconds):
            self.opa_ok = self.judge.healthy()

    async def validate(self, request: HttpRequest) -> Response:
        start = time.perf_counter()
        body = await request.body()
        try:
            review = parse_review(body)
        except ReviewError as err:
            self.metrics.bad_requests.inc()
            return Response(
                orjson.dumps({"message": f"not a valid AdmissionReview: {err}"}),
                status_code=400,
                media_type="application/json",
            )
        try:
            outcome: Outcome = await anyio.to_thread.run_sync(self.judge.judge, review)
        except Exception as err:  # noqa: BLE001 - a bug must not admit a clinical object
            log.exception("internal error judging %s", review.uid)
            ident = review.identity
            decision = dec.engine_failure(
                tier=self.judge._fallback_tier(ident["namespace"], review.object or {}),  # noqa: SLF001
                policy=self.judge.config.admission["engine_failure"],
                what=f"{ident['kind']} {ident['namespace'] or ''}/{ident['name'] or ''}",
                error=f"internal error: {type(err).__name__}: {err}",
                bundle_sha256=self.judge.bundle_sha256,
            )
            outcome = Outcome(decision, evaluated=False)
        d = outcome.decision
        if d.engine_error and outcome.record is not None and "input-error" not in d.annotations:
            self.metrics.opa_errors.inc()
            self.opa_ok = False
        body_out = response(
            review.uid,
            allowed=d.allowed,
            message=d.message,
            warnings=d.warnings,
            annotations=d.annotations,
        )
        if outcome.record is not None:
            self.sink.put(outcome.record)
            self.metrics.decisions.labels(d.verdict, d.tier, str(review.dry_run).lower()).inc()
            for control in outcome.record["controls"]:
                self.metrics.failed_controls.labels(control).inc()
        self.metrics.duration.observe(time.perf_counter() - start)
        return Response(body_out, media_type="application/json")

    async def healthz(self, request: HttpRequest) -> Response:
        if self.judge.opa_exited():
            return _text(503, "the OPA this webhook manages has exited; restart the webhook\n")
        return _text(200, "ok\n")

    async def readyz(self, request: HttpRequest) -> Response:
        reasons = []
        if not self.opa_ok:
            reasons.append(
                f"OPA does not answer ({self.judge.last_error or 'health check failed'})"
            )
        reasons += self.inventory.not_ready_reasons()
        if reasons:
            return _text(503, "not ready: " + "; ".join(reasons) + "\n")
        return _text(200, "ready\n")

    async def metrics_page(self, request: HttpRequest) -> Response:
        return Response(self.metrics.render(), media_type="text/plain; version=0.0.4")


def _text(code: int, text: str) -> Response:
    return Response(text, status_code=code, media_type="text/plain")


def run(webhook: Webhook, tls: TlsFiles, host: str, port: int, *, workers_threads: int = 8) -> None:
    """Serve until interrupted (SIGINT/SIGTERM), then stop every background part."""
    import uvicorn

    config = uvicorn.Config(
        webhook.app,
        host=host,
        port=port,
        log_level="warning",
        access_log=False,
        ssl_certfile=tls.cert,
        ssl_keyfile=tls.key,
        timeout_graceful_shutdown=5,
    )
    config.load()
    config.ssl = tls.context  # the reloading context, in place of the one uvicorn made
    server = uvicorn.Server(config)

    async def main() -> None:
        anyio.to_thread.current_default_thread_limiter().total_tokens = workers_threads
        await server.serve()

    tls.start()
    webhook.start()
    try:
        anyio.run(main)
    finally:
        webhook.stop()
        tls.stop()


def describe(webhook: Webhook) -> dict[str, Any]:
    """What the server holds, for its start-up line."""
    return {
        "bundle_sha256": webhook.judge.bundle_sha256,
        "inventory_objects": len(webhook.inventory.resources()),
        "kinds": sorted(webhook.inventory.kinds),
    }
