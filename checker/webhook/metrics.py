"""The webhook's Prometheus metrics (prometheus-client), in a registry of its own.

dxguard_admission_duration_seconds: time to answer a review (sub-millisecond buckets);
dxguard_admission_decisions_total{verdict,tier,dry_run}; dxguard_admission_failed_controls_total
{control}: controls whose checks failed in a decision; dxguard_opa_errors_total;
dxguard_admission_bad_requests_total; dxguard_inventory_age_seconds and _objects; the decision
sink's written, recorded and dropped counts. Pure bookkeeping: it decides nothing.
"""

from __future__ import annotations

from collections.abc import Callable

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

BUCKETS = (0.0005, 0.001, 0.002, 0.003, 0.005, 0.0075, 0.01, 0.015, 0.025, 0.05, 0.1, 0.25, 0.5,
           1.0, 2.5, 5.0)  # fmt: skip


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.duration = Histogram(
            "dxguard_admission_duration_seconds",
            "Time to answer an AdmissionReview, from body read to response.",
            buckets=BUCKETS,
            registry=r,
        )
        self.decisions = Counter(
            "dxguard_admission_decisions",
            "Admission decisions by verdict (allow, deny, warn, dryrun), tier and dry run.",
            ["verdict", "tier", "dry_run"],
            registry=r,
        )
        self.failed_controls = Counter(
            "dxguard_admission_failed_controls",
            "Controls whose checks failed in an admission decision.",
            ["control"],
            registry=r,
        )
        self.opa_errors = Counter(
            "dxguard_opa_errors", "Reviews OPA could not answer (down, slow, garbage).", registry=r
        )
        self.bad_requests = Counter(
            "dxguard_admission_bad_requests", "Malformed AdmissionReviews (HTTP 400).", registry=r
        )
        self.inventory_age = Gauge(
            "dxguard_inventory_age_seconds",
            "Seconds since the inventory was last loaded into OPA (-1: never).",
            registry=r,
        )
        self.inventory_objects = Gauge(
            "dxguard_inventory_objects", "Objects in the webhook's inventory.", registry=r
        )
        self.sink = Gauge(
            "dxguard_decisions_sink",
            "Decisions written to the log, recorded in the store, dropped, or failed to record.",
            ["outcome"],
            registry=r,
        )

    def bind(
        self,
        inventory_age: Callable[[], float | None],
        inventory_objects: Callable[[], int],
        sink_counts: Callable[[], dict[str, int]],
    ) -> None:
        """Gauges read at scrape time."""
        self.inventory_age.set_function(lambda: _or(inventory_age(), -1.0))
        self.inventory_objects.set_function(lambda: float(inventory_objects()))
        for outcome in ("written", "recorded", "dropped", "store_errors"):
            self.sink.labels(outcome).set_function(lambda o=outcome: float(sink_counts().get(o, 0)))

    def render(self) -> bytes:
        return generate_latest(self.registry)


def _or(value: float | None, default: float) -> float:
    return default if value is None else value
