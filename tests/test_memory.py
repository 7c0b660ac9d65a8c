"""Memory-relevant behaviour of a scan: objects are forgotten once judged, the JSON report is
written without a plain-JSON copy, and OPA runs with a soft memory limit; no report byte moves."""

from __future__ import annotations

import os

import pytest

from checker.bundle import open_bundle, prepare
from checker.config import load_config
from checker.engine.server import OPA_MEMORY_LIMIT, opa_environment
from checker.identity import resource_identity
from checker.loaders import load
from checker.model import Resource
from checker.report.json_format import json_text, render_json_parts
from checker.scan import ScanOptions, run_scan
from tests.conftest import AS_OF, FIXTURES

PATHS = [str(FIXTURES / "k8s"), str(FIXTURES / "vm"), str(FIXTURES / "images")]
CONFIG = str(FIXTURES / "dxguard.yaml")
WAIVERS = str(FIXTURES / "waivers" / "research-waivers.yaml")


def test_objects_released_once_their_chunk_is_judged():
    config = load_config(CONFIG)
    kept, released = load(PATHS), load(PATHS)
    identities = [resource_identity(r) for r in released.resources]
    assert any(not r.name for r in released.resources)  # an unnamed object: known by content
    seen: list[int] = []

    def on_batch(done: int) -> None:
        # every chunk up to `done` has been judged, and its objects are gone
        seen.append(done)
        assert all(r.object == {} for r in released.resources[:done])

    with open_bundle(prepare(config)) as bundle:
        whole = bundle.evaluate_all(kept.resources, AS_OF, batch_size=5, jobs=2)
        chunked = bundle.evaluate_all(
            released.resources, AS_OF, batch_size=5, jobs=2, on_batch=on_batch, release=True
        )
    assert len(seen) > 3 and seen[-1] == len(released.resources)
    assert chunked.failures == whole.failures and chunked.passes == whole.passes
    assert all(r.object for r in kept.resources)  # without `release`, nothing is dropped
    # the rows keep the resources' own id strings, not one copy per row of OPA's answer
    own = {r.id: r.id for r in kept.resources}
    assert all(f.resource is own[f.resource] for f in whole.failures)
    assert all(resource is own[resource] for _, resource in whole.passes)
    for res, identity in zip(released.resources, identities, strict=True):
        assert res.object == {}
        assert res.normalized is None or res.family == "image"  # image evidence stays
        assert resource_identity(res) == identity
        with pytest.raises(RuntimeError, match="released"):
            res.to_input()  # a released resource is never judged again (as an empty object)


def test_report_unchanged_by_releasing_objects(monkeypatch):
    def scan() -> str:
        opts = ScanOptions(paths=PATHS, config=CONFIG, waivers=WAIVERS, as_of=AS_OF)
        return json_text(run_scan(opts).to_json())

    released = scan()
    monkeypatch.setattr(Resource, "release", lambda self, identity: None)
    assert scan() == released
    assert '"waived"' in released and '"findings"' in released


def test_streamed_json_is_the_plain_json_text():
    report = run_scan(ScanOptions(paths=PATHS, config=CONFIG, waivers=WAIVERS, as_of=AS_OF))
    parts = render_json_parts(report)
    assert all(isinstance(p, bytes) for p in parts)
    assert b"".join(parts).decode() == json_text(report.to_json())


def test_opa_gets_a_soft_memory_limit_unless_the_user_set_one():
    assert opa_environment({"PATH": "/bin"}) == {"PATH": "/bin", "GOMEMLIMIT": OPA_MEMORY_LIMIT}
    assert opa_environment({"GOMEMLIMIT": "3GiB"}) == {"GOMEMLIMIT": "3GiB"}
    assert opa_environment({"GOGC": "off"}) == {"GOGC": "off"}


def test_the_line_finding_forks_only_while_the_heap_is_small(monkeypatch):
    """The Locator's forked child copies the parent's heap page by page as the parent writes:
    above FORK_MAX_RSS it works in one process (at 100k resources the fork doubled the peak)."""
    from checker.loaders import locate

    resident = locate._resident_bytes()  # noqa: SLF001
    assert resident > 10 * 1024 * 1024  # this interpreter, read from /proc
    monkeypatch.setattr(locate, "FORK_MAX_RSS", resident // 2)
    assert not locate._can_fork()  # noqa: SLF001
    monkeypatch.setattr(locate, "FORK_MAX_RSS", resident * 4)
    monkeypatch.setattr(locate.threading, "active_count", lambda: 1)
    assert locate._can_fork() == (len(os.sched_getaffinity(0)) > 1)  # noqa: SLF001
